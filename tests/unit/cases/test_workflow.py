"""The workflow of a case as a state machine: each step from the stages it may be taken from,
nothing else; the deadlines of the stages; and the throttle of the reporter's look-up."""

from __future__ import annotations

import datetime as dt

import pytest

from jianguan.cases import intake
from jianguan.cases.workflow import (
    DEFAULT_DEADLINE_DAYS,
    TRANSITIONS,
    CaseAction,
    CaseStage,
    allowed_actions,
    check_deadline_days,
    due_at,
    is_overdue,
    next_stage,
)
from jianguan.counters import LocalCounters
from jianguan.errors import Conflict, RateLimited, ValidationFailed

NOW = dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC)


def test_the_happy_path_goes_from_accepted_to_closed() -> None:
    stage = CaseStage.ACCEPTED
    for action in ("assign", "investigate", "resolve", "inform", "close"):
        stage = next_stage(stage, action)
    assert stage is CaseStage.CLOSED


def test_a_pass_to_another_agency_is_accepted_there_afresh() -> None:
    assert next_stage(CaseStage.ACCEPTED, CaseAction.PASS) is CaseStage.ACCEPTED
    assert next_stage(CaseStage.ASSIGNED, CaseAction.PASS) is CaseStage.ACCEPTED
    assert next_stage(CaseStage.ASSIGNED, CaseAction.ASSIGN) is CaseStage.ASSIGNED  # to another person


@pytest.mark.parametrize("stage", list(CaseStage))
@pytest.mark.parametrize("action", list(CaseAction))
def test_every_step_the_stage_cannot_take_is_refused_in_both_languages(stage: CaseStage, action: CaseAction) -> None:
    sources, target = TRANSITIONS[action]
    if stage in sources:
        assert next_stage(stage, action) is target
        assert action in allowed_actions(stage)
        return
    with pytest.raises(Conflict) as refused:
        next_stage(stage, action)
    assert refused.value.status_code == 409 and refused.value.code == "unreachable_stage"
    assert stage.label_zh in refused.value.message_zh and action.label_zh in refused.value.message_zh
    assert stage.label_en in refused.value.message and action not in allowed_actions(stage)


def test_a_closed_case_takes_no_step_and_is_never_due() -> None:
    assert allowed_actions(CaseStage.CLOSED) == []
    assert due_at(CaseStage.CLOSED, NOW) is None
    assert not is_overdue(CaseStage.CLOSED, NOW - dt.timedelta(days=99), NOW)


def test_a_stage_is_due_after_its_days_the_operators_or_the_default() -> None:
    assert due_at(CaseStage.ACCEPTED, NOW) == NOW + dt.timedelta(days=DEFAULT_DEADLINE_DAYS[CaseStage.ACCEPTED])
    assert due_at(CaseStage.INVESTIGATING, NOW, {CaseStage.INVESTIGATING: 10}) == NOW + dt.timedelta(days=10)
    due = due_at(CaseStage.ASSIGNED, NOW)
    assert due is not None
    assert not is_overdue(CaseStage.ASSIGNED, due, due) and is_overdue(CaseStage.ASSIGNED, due, due + dt.timedelta(seconds=1))
    assert not is_overdue(CaseStage.ASSIGNED, None, NOW)


@pytest.mark.parametrize("days", [0, -1, 366, 1.5, "3", True, None])
def test_a_nonsensical_deadline_is_refused(days: object) -> None:
    with pytest.raises(ValidationFailed) as refused:
        check_deadline_days(days)
    assert refused.value.message_zh == "期限应为 1 至 365 天。"


def test_a_deadline_of_one_to_365_days_is_taken() -> None:
    assert check_deadline_days(1) == 1 and check_deadline_days(365) == 365


def test_a_case_number_names_its_id() -> None:
    assert intake.case_id_of("JB20261201000042") == 42
    assert intake.case_id_of(" jb20261201000042 ") == 42
    for wrong in ("", "JB2026", "XX20261201000042", "JB20261201000042x", "JB2026120100004"):
        assert intake.case_id_of(wrong) is None


def test_look_ups_past_the_limit_are_throttled_per_client() -> None:
    counters = LocalCounters()
    for _ in range(3):
        intake.throttle_lookup(counters, "10.0.0.1", 1000.0, limit=3)
    with pytest.raises(RateLimited) as throttled:
        intake.throttle_lookup(counters, "10.0.0.1", 1001.0, limit=3)
    assert throttled.value.retry_after >= 1
    intake.throttle_lookup(counters, "10.0.0.2", 1001.0, limit=3)  # another client counts on its own
    intake.throttle_lookup(counters, "10.0.0.1", 1000.0 + intake.LOOKUP_WINDOW_SECONDS + 1, limit=3)


def test_secrets_are_six_digits_and_differ() -> None:
    made = {intake.new_secret() for _ in range(50)}
    assert all(len(secret) == 6 and secret.isdigit() for secret in made) and len(made) > 40
