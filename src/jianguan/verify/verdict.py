"""The verdict on a queried code: pure, no I/O.

``decide`` takes what the store knows of a code and returns one of the verdicts every channel
speaks (the API's ``verdict`` field carries the value), with the words a person reads: a
headline, advice, and the colour of the answer. The order of the checks is the order of
precedence: a recall or destruction overrides everything, a spoiled code was never on sale,
an unactivated code should not be on a shelf, an expired product must not be sold, and only
then is a code genuine, on its first query or queried before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from jianguan.choices import LabelledChoice
from jianguan.timezone import iso_moment, local_minute


class Verdict(LabelledChoice):
    MALFORMED = "malformed", "监管码有误", "not a valid code"
    UNKNOWN = "unknown", "查无此码", "unknown code"
    SPOILED = "spoiled", "作废码", "spoiled code"
    NOT_ACTIVATED = "not_activated", "未激活", "not activated"
    GENUINE = "genuine", "正品，首次查询", "genuine, first check"
    QUERIED_BEFORE = "queried_before", "已被查询过", "checked before"
    RECALLED = "recalled", "已召回", "recalled"
    DESTROYED = "destroyed", "已销毁", "destroyed"
    EXPIRED = "expired", "已过期", "expired"


class Tone(LabelledChoice):
    GOOD = "good", "正常", "fine"
    CAUTION = "caution", "注意", "caution"
    BAD = "bad", "警告", "warning"


# Verdicts at which a shop must not sell and a query terminal sounds its alarm.
ALARM_VERDICTS = frozenset({Verdict.UNKNOWN, Verdict.SPOILED, Verdict.RECALLED, Verdict.DESTROYED,
                            Verdict.EXPIRED})


@dataclass(slots=True)  # not frozen: see Answer in verify/services.py
class QueryHistory:
    """What the network knew of earlier queries of the code, before this one."""

    count: int = 0
    first_at: dt.datetime | None = None
    first_region_code: str | None = None
    first_region_name: str | None = None


@dataclass(slots=True)  # not frozen: see Answer in verify/services.py
class CodeFacts:
    """What the store knows of a well-formed code (None fields: not applicable)."""

    issued: bool
    spoiled: bool = False
    activated: bool = False
    expiry_date: dt.date | None = None
    recalled: bool = False
    recall_notice: str | None = None
    destroyed: bool = False


@dataclass(slots=True)  # not frozen: see Answer in verify/services.py
class Decision:
    verdict: Verdict
    tone: Tone
    headline_zh: str
    headline_en: str
    advice_zh: str
    advice_en: str
    alarm: bool
    details: dict[str, Any] = field(default_factory=dict)


# The answer to a code reached through a GS1 Digital Link naming another product (or no valid
# GTIN): a serial copied from one product onto another. It speaks as an unknown code does.
GTIN_MISMATCH = Decision(
    Verdict.UNKNOWN, Tone.BAD, "监管码与产品不符，谨防假冒", "This code belongs to another product: beware of a fake",
    "该监管码不属于链接所指的产品，可能是从其他产品上复制的。请保留购物凭证并举报。",
    "The code does not belong to the product the link names; it may have been copied from another product. "
    "Keep your receipt and report it.",
    alarm=True, details={"reason": "gtin_mismatch"},
)


def _when(value: dt.datetime | None) -> str:
    """``2026-11-30 13:41``, Beijing time."""
    return local_minute(value) if value is not None else ""


def malformed(reason_zh: str, reason_en: str) -> Decision:
    """The answer to input that is not a well-formed code: most often a typo."""
    return Decision(
        Verdict.MALFORMED, Tone.CAUTION, "监管码有误", "This is not a valid code",
        f"{reason_zh}请核对标签上的 20 位数字后重新输入。", f"{reason_en} Check the 20 digits on the label and try again.",
        alarm=False,
    )


def decide(facts: CodeFacts, history: QueryHistory, today: dt.date) -> Decision:
    """The verdict on a well-formed code, given its facts and its earlier queries."""
    if not facts.issued:
        return Decision(
            Verdict.UNKNOWN, Tone.BAD, "查无此码，谨防假冒", "Unknown code: beware of a fake",
            "该监管码从未发放，产品可能是假冒产品。请保留购物凭证并举报。",
            "This code was never issued; the product may be counterfeit. Keep your receipt and report it.",
            alarm=True,
        )
    if facts.destroyed:
        return Decision(
            Verdict.DESTROYED, Tone.BAD, "该产品已登记销毁", "This product was recorded as destroyed",
            "已销毁的产品不应在市场上出现，请勿购买或使用，并向监管部门举报。",
            "A destroyed product should not be on the market: do not buy or use it, and report it.",
            alarm=True,
        )
    if facts.recalled:
        notice = facts.recall_notice or ""
        return Decision(
            Verdict.RECALLED, Tone.BAD, "该产品已被召回", "This product has been recalled",
            f"请停止使用，按召回公告处理。{notice}".strip(),
            f"Stop using it and follow the recall notice. {notice}".strip(),
            alarm=True, details={"recall_notice": notice},
        )
    if facts.spoiled:
        return Decision(
            Verdict.SPOILED, Tone.BAD, "作废码，不应出现在商品上", "Spoiled code: it should not be on a product",
            "该码在印刷时已作废，带有此码的产品可能是假冒产品，请举报。",
            "This code was spoiled in printing; a product bearing it may be counterfeit. Please report it.",
            alarm=True,
        )
    if not facts.activated:
        return Decision(
            Verdict.NOT_ACTIVATED, Tone.CAUTION, "监管码尚未激活", "The code is not activated yet",
            "该码已发放给生产企业但尚未激活，正规产品出厂前应已激活。请向商家核实，或稍后再查。",
            "The code was issued to the manufacturer but not activated; genuine goods are activated before they "
            "leave the factory. Ask the seller, or check again later.",
            alarm=False,
        )
    if facts.expiry_date is not None and facts.expiry_date < today:
        return Decision(
            Verdict.EXPIRED, Tone.BAD, "产品已过有效期", "The product has expired",
            f"有效期至 {facts.expiry_date.isoformat()}，已过期产品不得销售，请勿购买或使用。",
            f"It was good until {facts.expiry_date.isoformat()}; expired goods must not be sold. Do not buy or use it.",
            alarm=True, details={"expiry_date": facts.expiry_date.isoformat()},
        )
    if history.count == 0:
        return Decision(
            Verdict.GENUINE, Tone.GOOD, "正品，首次查询", "Genuine: first check of this code",
            "这是该监管码的第一次查询。", "This is the first time this code has been checked.", alarm=False,
        )
    where, when = history.first_region_name or "", _when(history.first_at)
    return Decision(
        Verdict.QUERIED_BEFORE, Tone.CAUTION, f"已被查询 {history.count} 次，谨防假冒",
        f"Checked {history.count} time{'s' if history.count != 1 else ''} before: beware of copies",
        f"该码首次查询于 {when}{('，地点 ' + where) if where else ''}。如果不是您本人查询的，"
        "该码可能被复制，请谨慎购买。",
        f"First checked at {when}{(' in ' + where) if where else ''}. If that was not you, "
        "the code may have been copied: buy with care.",
        alarm=False,
        details={"count": history.count, "first_at": iso_moment(history.first_at) if history.first_at else None,
                 "first_region": history.first_region_code, "first_region_name": where or None},
    )
