"""What an applicant is told at each step, by text message and by e-mail: pure, no I/O.

The e-mail says what the text message says, under a subject naming the step; the first
password of an approved enterprise goes by text message only (one channel for a secret)."""

from __future__ import annotations

SIGNATURE = "【电子监管】"
NOTE_MAX = 120


def _short(text: str) -> str:
    return text if len(text) <= NOTE_MAX else text[:NOTE_MAX - 1] + "…"


def received(*, number: str, secret: str) -> str:
    return (f"{SIGNATURE}您的入网申请已提交，编号{number}，查询密码{secret}。"
            "凭编号和查询密码可在网上查询审核进度。")


def resubmitted(*, number: str) -> str:
    return f"{SIGNATURE}您的入网申请（编号{number}）已重新提交，等待审核。"


def corrections(*, number: str, note: str) -> str:
    return f"{SIGNATURE}您的入网申请（编号{number}）需要补正：{_short(note)}。请凭编号和查询密码登录修改后重新提交。"


def approved(*, number: str, username: str, password: str) -> str:
    return (f"{SIGNATURE}您的入网申请（编号{number}）已批准，签约入网。企业账号{username}，"
            f"初始密码{password}（仅此一次告知，请妥善保管），登录后即可申请密钥。")


def refused(*, number: str, note: str) -> str:
    return f"{SIGNATURE}您的入网申请（编号{number}）未通过：{_short(note)}"


SUBJECTS = {"received": "入网申请已提交", "resubmitted": "入网申请已重新提交", "corrections": "入网申请需要补正",
            "approved": "入网申请已批准（签约入网）", "refused": "入网申请未通过"}


def email_subject(step: str, *, number: str) -> str:
    return f"{SIGNATURE}{SUBJECTS[step]}（编号{number}）"


def approved_email(*, number: str, username: str) -> str:
    return (f"{SIGNATURE}您的入网申请（编号{number}）已批准，签约入网。企业账号{username}，"
            "初始密码已以短信发送到申请时填写的手机，登录后即可申请密钥。")
