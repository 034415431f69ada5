"""What the JSON-LD and XML readers share: times, CBV words, and the list of what is wrong."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from jianguan.trace.cbv import ACCEPTED_BIZ_STEPS, vocabularies
from jianguan.trace.epcis_model import MAX_LISTED_ERRORS, EPCISError, EPCISRefused


class Problems:
    """The errors found in one document, by event index; raised together at the end."""

    def __init__(self) -> None:
        self.errors: list[EPCISError] = []

    def add(self, index: int | None, message: str, message_zh: str) -> None:
        self.errors.append(EPCISError(index, message, message_zh))

    @property
    def full(self) -> bool:
        """Enough errors found that the answer lists no more (the reading may stop)."""
        return len(self.errors) >= MAX_LISTED_ERRORS

    def raise_any(self) -> None:
        if self.errors:
            raise EPCISRefused(self.errors)


def refuse(message: str, message_zh: str, index: int | None = None) -> EPCISRefused:
    """A refusal of the document for one reason."""
    return EPCISRefused([EPCISError(index, message, message_zh)])


def event_time(text: str) -> datetime | None:
    """An ISO 8601 time with its offset, as an aware UTC datetime; None when it is not one."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC)


def quantity(text: str) -> Decimal | None:
    """A quantity as a decimal; None when the text is not a finite number."""
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def biz_step(value: str, index: int, problems: Problems) -> str:
    """The CBV word of a bizStep, which must be one this network takes."""
    word = vocabularies().biz_step.word(value)
    if word not in ACCEPTED_BIZ_STEPS:
        accepted = ", ".join(ACCEPTED_BIZ_STEPS)
        problems.add(index, f"bizStep {value!r} is not one this network takes ({accepted}).",
                     f"业务步骤（bizStep）{value!r} 不在本网接收之列（{accepted}）。")
    return word


def missing(problems: Problems, index: int, field: str) -> None:
    problems.add(index, f"The event has no {field}.", f"该事件缺少 {field}。")


def bad_time(problems: Problems, index: int, field: str, text: str) -> None:
    problems.add(index, f"{field} {text!r} is not a date and time with its UTC offset.",
                 f"{field} {text!r} 不是带 UTC 偏移的日期时间。")


def bad_type(problems: Problems, index: int, name: str) -> None:
    problems.add(index, f"Event type {name!r} is not taken by this network (ObjectEvent and AggregationEvent only).",
                 f"本网不接收事件类型 {name!r}（仅接收 ObjectEvent 与 AggregationEvent）。")
