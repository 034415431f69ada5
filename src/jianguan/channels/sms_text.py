"""Reading a code out of an SMS and writing the reply: pure, no I/O.

People write codes into a text message in every shape: ``查询 1234 5678 9012 3456 7890 谢谢``,
``CX12345678901234567890``, full-width digits, dashes, a date or a phone number beside it.
``extract_code`` picks the candidate: a run of digits with spaces and dashes between them that
holds exactly 20 digits, else a 20-digit window of a longer run whose check digit holds, else the
longest run, which the verifier then calls malformed with the reason ("19 digits"). Text with no
run of at least ``MIN_CODE_LIKE`` digits gets the help reply instead.

``compose_reply`` writes the answer for one SMS: 70 UTF-16 units, the size of one UCS-2
message. The headline comes first; then the product and lot (the product name is shortened
if it must be); then advice, the first query date, or the enterprise's message, each only if
it still fits.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from jianguan.codes.codec import CODE_LENGTH, damm_digit
from jianguan.schemes.parsing import foreign_code
from jianguan.timezone import LOCAL_ZONE
from jianguan.verify.risk import RiskLevel
from jianguan.verify.services import Answer
from jianguan.verify.verdict import Tone, Verdict

SMS_LIMIT = 70  # one UCS-2 message
MIN_CODE_LIKE = 12  # fewer digits than this in a row are a quantity or a date, not an attempt at a code
MAX_SCANNED = 4000  # characters of a message looked at; no code hides after a 4,000-character preamble
SIGNATURE = "【电子监管】"
HELP_REPLY = f"{SIGNATURE}未找到监管码。请发送商品标签上的20位监管码，例如：1234 5678 9012 3456 7890"

_NORMALISE = {0xFF10 + i: 0x30 + i for i in range(10)} | {0x3000: " "}
_NORMALISE |= dict.fromkeys([0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0xFE63, 0xFF0D], "-")
_RUN = re.compile(r"[0-9](?:[ \t\-]*[0-9])*")
_TOKEN = re.compile(r"[0-9]+")


def sms_length(text: str) -> int:
    """The length of ``text`` as an SMS counts it: UTF-16 code units (an emoji takes two)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` UTF-16 units, with an ellipsis when cut."""
    if sms_length(text) <= limit:
        return text
    out = ""
    for char in text:
        if sms_length(out + char) > limit - 1:
            break
        out += char
    return out + "…" if limit > 0 else ""


def _span_candidates(run: str) -> list[str]:
    """Digit groups of the run (split at spaces and dashes) that add up to exactly 20 digits."""
    tokens = _TOKEN.findall(run)
    found = []
    for start in range(len(tokens)):
        total, end = 0, start
        while end < len(tokens) and total < CODE_LENGTH:
            total += len(tokens[end])
            end += 1
        if total == CODE_LENGTH:
            found.append("".join(tokens[start:end]))
    return found


def extract_code(text: str) -> str | None:
    """The part of a free-text message that should be the code (digits only), or None."""
    if not isinstance(text, str):
        return None
    normal = text[:MAX_SCANNED].translate(_NORMALISE)
    runs: list[tuple[str, str]] = []  # (the digits of a run, the run as written)
    for run in _RUN.findall(normal):
        digits = "".join(_TOKEN.findall(run))
        if len(digits) >= MIN_CODE_LIKE:
            runs.append((digits, run))
    if not runs:
        return None
    exact = [digits for digits, _ in runs if len(digits) == CODE_LENGTH]
    if exact:
        return next((d for d in exact if damm_digit(d) == "0"), exact[0])
    spans = [span for _, run in runs for span in _span_candidates(run)]
    windows = [digits[i:i + CODE_LENGTH] for digits, _ in runs if len(digits) > CODE_LENGTH
               for i in range(len(digits) - CODE_LENGTH + 1)]
    for candidate in spans + windows:
        if candidate[0] != "0" and damm_digit(candidate) == "0":
            return candidate
    return max(runs, key=lambda item: len(item[0]))[0]


def _date(value: str | None) -> str:
    if not value:
        return ""
    try:
        return dt.datetime.fromisoformat(value).astimezone(LOCAL_ZONE).strftime("%Y-%m-%d")
    except ValueError:
        return ""


def _reason(answer: Answer) -> str:
    """The reason a malformed code was refused, without the generic advice after it."""
    advice = answer.decision.advice_zh
    return advice.split("请核对")[0].strip() or advice


def _prize_reply(answer: Answer, promotion: dict[str, Any]) -> str:
    """The reply to a first genuine query that won a promotion's prize: the verdict, the prize and
    the claim code (sent this once), which is never cut; the prize's name is, if it must be."""
    head = f"{SIGNATURE}{answer.decision.headline_zh}。"
    code = f"兑奖码{promotion['claim_code']}，请保存。"
    room = SMS_LIMIT - sms_length(head) - sms_length(code) - len("恭喜获！")
    return f"{head}恭喜获{_fit(promotion['tier'] or '', max(room, 1))}！{code}"


def compose_reply(answer: Answer) -> str:
    """The SMS reply to a verification (see the module doc); never longer than 70 units."""
    decision = answer.decision
    if answer.promotion and answer.promotion["won"]:
        return _prize_reply(answer, answer.promotion)
    extras_first = "本次促销抽奖未中奖。" if answer.promotion else ""
    if decision.verdict == Verdict.MALFORMED:
        return _fit(f"{SIGNATURE}监管码有误：{_reason(answer)}请核对20位数字后重发。", SMS_LIMIT)
    head = f"{SIGNATURE}{decision.headline_zh}。"
    tail: list[str] = []
    product = answer.product or {}
    name = " ".join(part for part in (product.get("name"), product.get("specification")) if part)
    lot = (answer.production or {}).get("lot")
    extras: list[str] = []
    if decision.verdict == Verdict.QUERIED_BEFORE:
        count = answer.history.get("count_before", 0)
        first = _date(answer.history.get("first_at"))
        risky = answer.risk is not None and answer.risk.level is RiskLevel.HIGH
        head = (f"{SIGNATURE}已被查询{count}次" + (f"，首次{first}" if first else "")
                + ("，复制风险高，请勿购买。" if risky else "，谨防假冒。"))
    if lot:
        tail.append(f"批号{lot}。")
    if decision.tone == Tone.GOOD or decision.verdict == Verdict.QUERIED_BEFORE:
        if answer.message:
            extras.append(answer.message.strip())
    else:
        extras.append(decision.advice_zh)
        if decision.tone == Tone.BAD:
            extras.append("请勿购买使用，可拨12365举报。")
    reply = _fit(head, SMS_LIMIT)
    rest = "".join(tail)
    if name:
        room = SMS_LIMIT - sms_length(reply) - sms_length(rest) - 1
        if room >= 4:
            reply += _fit(name, room) + ("，" if rest else "。")
    if sms_length(reply + rest) <= SMS_LIMIT:
        reply += rest
    for extra in [extras_first, *extras]:
        if extra and sms_length(reply + extra) <= SMS_LIMIT:
            reply += extra
            break
    return reply


# A serial is up to 20 characters of GS1's set 82 (brackets left out: they would run into text after it).
_GS1_FORMS = re.compile(r"\(01\)[0-9]{14}\(21\)[!%&'*+,\-./0-9:;<=>?A-Z_a-z]{1,20}"
                        r"|[!-~]*/01/[0-9]{14}/21/[!%&'*+,\-.0-9:;<=>A-Z_a-z]{1,60}")


def _gs1_text(text: str) -> str | None:
    """A GS1 code in a message (``(01)…(21)…`` or a Digital Link URI), as written, or None."""
    if not isinstance(text, str):
        return None
    found = _GS1_FORMS.search(text[:MAX_SCANNED])
    return found.group(0) if found is not None and foreign_code(found.group(0)) is not None else None


def reply_to_text(text: str, verify: Callable[[str], Answer]) -> tuple[str, Answer | None]:
    """The reply to a message: the help text if it holds nothing code-like, else the verdict.

    ``verify`` is called with the candidate code and returns the ``Answer``.
    """
    candidate = extract_code(text)
    gs1 = _gs1_text(text)
    if gs1 is not None:  # a GS1 code (of a registered scheme) copied from a label or a link: sent whole
        candidate = gs1
    if candidate is None:
        return HELP_REPLY, None
    answer = verify(candidate)
    return compose_reply(answer), answer
