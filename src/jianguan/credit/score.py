"""The credit score (诚信评分): a pure function of an enterprise's dated facts, its weights in one place.

A record starts at ``BASE`` (100). Each fact of a kind that counts, dated within the window (the
``WINDOW_DAYS`` up to and including today, three years), moves it by its kind's weight: a failed
spot check -10, an upheld complaint -5, a recall -15, an enforcement outcome against the
enterprise -20. Each qualification in force today adds +5, at most two of them (+10): a title
should lift a clean record a little, not buy back a failed check. The score stays within 0 to
``BASE`` + the qualifications' most (110), and its grade is A (90 and over, 守信), B (75 and over),
C (60 and over) or D. Older facts are listed on the record but no longer count.

The weights are the network's own choice, written here once; the record shows each input's count,
its weight and the points it made beside the score, so anyone can check the sum.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from jianguan.choices import LabelledChoice


class CreditInput(LabelledChoice):
    """What moves the score."""

    QUALIFICATION = "qualification", "有效资质", "qualification in force"
    FAILED_SPOT_CHECK = "failed_spot_check", "监督抽查不合格", "failed spot check"
    UPHELD_COMPLAINT = "upheld_complaint", "投诉成立", "upheld complaint"
    RECALL = "recall", "产品召回", "recall"
    ENFORCEMENT_OUTCOME = "enforcement_outcome", "执法处理", "enforcement outcome against it"


class CreditGrade(LabelledChoice):
    A = "A", "守信", "good standing"
    B = "B", "基本守信", "fair"
    C = "C", "失信警示", "warned"
    D = "D", "严重失信", "poor"


@dataclass(frozen=True)
class Weight:
    """Points a fact of one input makes, and at most how many of them count (None: all)."""

    points: int
    most: int | None = None


BASE = 100
WINDOW_DAYS = 3 * 365
WEIGHTS: dict[CreditInput, Weight] = {
    CreditInput.QUALIFICATION: Weight(+5, most=2),
    CreditInput.FAILED_SPOT_CHECK: Weight(-10),
    CreditInput.UPHELD_COMPLAINT: Weight(-5),
    CreditInput.RECALL: Weight(-15),
    CreditInput.ENFORCEMENT_OUTCOME: Weight(-20),
}
LOWEST = 0
HIGHEST = BASE + sum(w.points * (w.most or 0) for w in WEIGHTS.values() if w.points > 0)
# The lowest score of each grade, best first.
GRADES: tuple[tuple[CreditGrade, int], ...] = (
    (CreditGrade.A, 90), (CreditGrade.B, 75), (CreditGrade.C, 60), (CreditGrade.D, LOWEST))


@dataclass(frozen=True)
class ScoreLine:
    """One input beside the score: how many facts there are in the window, how many of them
    count (``most``), the weight of one, and the points they make together."""

    input: CreditInput
    count: int
    counted: int
    weight: int
    points: int


@dataclass(frozen=True)
class CreditScore:
    score: int
    grade: CreditGrade
    base: int
    lines: tuple[ScoreLine, ...]
    window_from: dt.date
    today: dt.date


def window_start(today: dt.date) -> dt.date:
    """The first day whose facts still count on ``today``."""
    return today - dt.timedelta(days=WINDOW_DAYS - 1)


def counts(day: dt.date, today: dt.date) -> bool:
    """Whether a fact dated ``day`` counts on ``today`` (within the window, not in the future)."""
    return window_start(today) <= day <= today


def grade_of(score: int) -> CreditGrade:
    return next(grade for grade, lowest in GRADES if score >= lowest)


def credit_score(*, today: dt.date, qualifications_in_force: int,
                 facts: Iterable[tuple[CreditInput, dt.date]]) -> CreditScore:
    """The score on ``today`` of a record with ``qualifications_in_force`` and the dated ``facts``
    (failed spot checks, upheld complaints, recalls, enforcement outcomes; see the module doc)."""
    if qualifications_in_force < 0:
        raise ValueError("a count of qualifications is not negative")
    found = {kind: 0 for kind in WEIGHTS}
    found[CreditInput.QUALIFICATION] = qualifications_in_force
    for kind, day in facts:
        if kind is CreditInput.QUALIFICATION:
            raise ValueError("qualifications are counted as in force today, not dated")
        if counts(day, today):
            found[kind] += 1
    lines = []
    for kind, weight in WEIGHTS.items():
        counted = found[kind] if weight.most is None else min(found[kind], weight.most)
        lines.append(ScoreLine(kind, found[kind], counted, weight.points, counted * weight.points))
    score = max(LOWEST, min(HIGHEST, BASE + sum(line.points for line in lines)))
    return CreditScore(score, grade_of(score), BASE, tuple(lines), window_start(today), today)
