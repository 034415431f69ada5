"""The draw's arithmetic: pure, no I/O.

Chances are whole parts per million (百万分之一), so the tiers' chances add up exactly and a
draw is one cryptographic integer below a million: ``secrets.randbelow(ONE)``. The tiers, in
rank order, take consecutive stretches of that range (the first tier the lowest numbers); a
roll past the last stretch wins nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from jianguan.errors import ValidationFailed

ONE = 1_000_000  # the chances' unit: parts per million


def chance_ppm(probability: float | str | Decimal, *, field: str = "probability") -> int:
    """A probability (0 < p <= 1, at most six decimals) in parts per million, else ValidationFailed."""
    try:
        value = Decimal(str(probability))
    except (InvalidOperation, ValueError):
        value = Decimal(-1)
    if not value.is_finite() or value <= 0 or value > 1:
        raise ValidationFailed("A tier's probability is a number above 0 and at most 1.",
                               "奖项的中奖概率应大于 0 且不超过 1。", code="invalid_probability", field=field)
    ppm = value * ONE
    if ppm != ppm.to_integral_value():
        raise ValidationFailed("A probability has at most six decimals (one in a million).",
                               "中奖概率最多精确到小数点后六位（百万分之一）。", code="invalid_probability", field=field)
    return int(ppm)


def check_total(chances: Sequence[int]) -> None:
    """Refuse tiers whose chances add up to more than one."""
    if sum(chances) > ONE:
        raise ValidationFailed("The tiers' probabilities add up to more than 1.",
                               "各奖项的中奖概率之和超过 1。", code="probabilities_over_one", field="tiers")


def pick(roll: int, chances: Sequence[int]) -> int | None:
    """The index of the tier ``roll`` (0 <= roll < ONE) falls in, or None: no prize."""
    if not 0 <= roll < ONE:
        raise ValueError(f"a roll is below {ONE}: {roll}")
    edge = 0
    for index, chance in enumerate(chances):
        edge += chance
        if roll < edge:
            return index
    return None


def roll() -> int:
    """One draw's number, from the operating system's cryptographic random source."""
    return secrets.randbelow(ONE)


def claim_code() -> str:
    """A fresh claim code: twelve random digits (a phone's keypad can type it), shown once."""
    return f"{secrets.randbelow(10 ** 12):012d}"


def normal_claim_code(text: str) -> str | None:
    """The twelve digits of a claim code as typed (spaces and dashes dropped), or None."""
    digits = "".join(ch for ch in text if ch not in " -")
    return digits if len(digits) == 12 and digits.isascii() and digits.isdigit() else None


def grouped(code: str) -> str:
    """A claim code as shown: ``1234-5678-9012``."""
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"
