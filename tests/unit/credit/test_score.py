"""The credit score: a pure function of dated facts with its weights in one place."""

from __future__ import annotations

import datetime as dt

import pytest

from jianguan.credit.score import (
    BASE,
    HIGHEST,
    WEIGHTS,
    WINDOW_DAYS,
    CreditGrade,
    CreditInput,
    credit_score,
    grade_of,
    window_start,
)

TODAY = dt.date(2026, 12, 1)
FAILED, UPHELD, RECALL, ENFORCED = (CreditInput.FAILED_SPOT_CHECK, CreditInput.UPHELD_COMPLAINT, CreditInput.RECALL,
                                    CreditInput.ENFORCEMENT_OUTCOME)


def test_a_clean_record_without_titles_scores_the_base() -> None:
    result = credit_score(today=TODAY, qualifications_in_force=0, facts=[])
    assert result.score == BASE == 100 and result.grade is CreditGrade.A
    assert [line.input for line in result.lines] == list(WEIGHTS)
    assert all(line.count == line.counted == line.points == 0 for line in result.lines)


def test_each_fact_takes_its_weight_and_the_lines_add_up_to_the_score() -> None:
    facts = [(FAILED, TODAY), (FAILED, TODAY - dt.timedelta(days=30)), (UPHELD, TODAY), (RECALL, TODAY),
             (ENFORCED, TODAY)]
    result = credit_score(today=TODAY, qualifications_in_force=1, facts=facts)
    by_input = {line.input: line for line in result.lines}
    assert by_input[FAILED].count == 2 and by_input[FAILED].points == -20
    assert by_input[UPHELD].points == -5 and by_input[RECALL].points == -15 and by_input[ENFORCED].points == -20
    assert by_input[CreditInput.QUALIFICATION].points == 5
    assert result.score == 100 - 20 - 5 - 15 - 20 + 5 == 45 == result.base + sum(line.points for line in result.lines)
    assert result.grade is CreditGrade.D
    assert all(line.points == line.counted * line.weight for line in result.lines)


def test_qualifications_lift_a_record_but_at_most_two_count() -> None:
    result = credit_score(today=TODAY, qualifications_in_force=5, facts=[])
    line = next(line for line in result.lines if line.input is CreditInput.QUALIFICATION)
    assert (line.count, line.counted, line.points) == (5, 2, 10)
    assert result.score == HIGHEST == 110
    lifted = credit_score(today=TODAY, qualifications_in_force=2, facts=[(FAILED, TODAY)])
    assert lifted.score == 100  # a title does not buy back a failed check beyond the base


def test_only_facts_within_the_window_count() -> None:
    first = window_start(TODAY)
    assert (TODAY - first).days == WINDOW_DAYS - 1
    facts = [(RECALL, first), (RECALL, first - dt.timedelta(days=1)), (RECALL, TODAY + dt.timedelta(days=1))]
    result = credit_score(today=TODAY, qualifications_in_force=0, facts=facts)
    line = next(line for line in result.lines if line.input is RECALL)
    assert line.count == 1 and result.score == 85 and result.window_from == first


def test_the_score_never_falls_below_zero() -> None:
    result = credit_score(today=TODAY, qualifications_in_force=0, facts=[(ENFORCED, TODAY)] * 9)
    assert result.score == 0 and result.grade is CreditGrade.D


@pytest.mark.parametrize(("score", "grade"), [(110, "A"), (90, "A"), (89, "B"), (75, "B"), (74, "C"), (60, "C"),
                                              (59, "D"), (0, "D")])
def test_grades(score: int, grade: str) -> None:
    assert grade_of(score) == grade


def test_nonsense_is_refused() -> None:
    with pytest.raises(ValueError):
        credit_score(today=TODAY, qualifications_in_force=-1, facts=[])
    with pytest.raises(ValueError):
        credit_score(today=TODAY, qualifications_in_force=0, facts=[(CreditInput.QUALIFICATION, TODAY)])
