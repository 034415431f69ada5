"""What the people involved in a case are told, by text message: pure, no I/O.

The reporter hears at acceptance (the number and the secret to look it up with) and at the
outcome; the manufacturer whose product is named hears that a case concerns it and, at the
outcome, the finding: never who reported it (保密).
"""

from __future__ import annotations

from jianguan.cases.workflow import CaseStage
from jianguan.catalogue.models import Agency

SIGNATURE = "【电子监管】"
OUTCOME_MAX = 120


def _agency(agency: str | None) -> str:
    try:
        return Agency(agency or "").label_zh
    except ValueError:
        return "监管"


def accepted_to_reporter(*, kind_zh: str, number: str, secret: str) -> str:
    """The acceptance notice: the number and the secret, and how to look the case up."""
    return (f"{SIGNATURE}您的{kind_zh}已受理，编号{number}，查询码{secret}。"
            f"发送“{number} {secret}”可查询办理进度。")


def outcome_to_reporter(*, kind_zh: str, number: str, finding: str) -> str:
    """The outcome: the finding, shortened if it must be."""
    text = finding if len(finding) <= OUTCOME_MAX else finding[:OUTCOME_MAX - 1] + "…"
    return f"{SIGNATURE}您的{kind_zh}（编号{number}）已办理完毕：{text}"


def case_to_manufacturer(*, kind_zh: str, number: str, code_tail: str, place: str, agency: str | None) -> str:
    """The manufacturer's notice of a case about its product: what and where, not who."""
    return (f"{SIGNATURE}贵企业产品（监管码尾号{code_tail}）在{place}被{kind_zh}，编号{number}，"
            f"已转{_agency(agency)}部门办理。")


def outcome_to_manufacturer(*, kind_zh: str, number: str, finding: str, measures: str) -> str:
    """The manufacturer's notice of the outcome: the finding and the measures."""
    text = f"{finding.rstrip('。；;')}；{measures}" if measures else finding
    text = text if len(text) <= OUTCOME_MAX else text[:OUTCOME_MAX - 1] + "…"
    return f"{SIGNATURE}涉及贵企业产品的{kind_zh}（编号{number}）已处理：{text}"


def status_reply(*, number: str, stage: CaseStage, finding: str) -> str:
    """The SMS answer to a look-up: the stage, and the finding once there is one."""
    text = f"{SIGNATURE}编号{number}：{stage.label_zh}。"
    if finding and stage in (CaseStage.INFORMED, CaseStage.CLOSED):
        text += finding if len(finding) <= OUTCOME_MAX else finding[:OUTCOME_MAX - 1] + "…"
    return text
