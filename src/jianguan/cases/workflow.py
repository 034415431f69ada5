"""The workflow of a case as a pure state machine: which step each stage can take, and when a stage is due.

受理 accepted -> 转办 assigned (to a person of the agency; or passed to another agency, which
accepts it afresh) -> 调查 investigating -> 处理 resolved (finding, measures) -> 反馈 reporter
informed -> 办结 closed. A step the current stage cannot reach is refused (Conflict, 409). Each
stage but the last has a deadline in days, set by the operator (``DEFAULT_DEADLINE_DAYS`` until
then); a case past it is overdue, and escalated once to the level above.
"""

from __future__ import annotations

import datetime as dt

from jianguan.choices import LabelledChoice
from jianguan.errors import Conflict, ValidationFailed


class CaseStage(LabelledChoice):
    ACCEPTED = "accepted", "受理", "accepted"
    ASSIGNED = "assigned", "转办", "assigned"
    INVESTIGATING = "investigating", "调查", "investigating"
    RESOLVED = "resolved", "处理", "resolved"
    INFORMED = "informed", "反馈", "reporter informed"
    CLOSED = "closed", "办结", "closed"


class CaseAction(LabelledChoice):
    ASSIGN = "assign", "转办给承办人", "assign to a person"
    PASS = "pass", "移送其他部门", "pass to another agency"
    INVESTIGATE = "investigate", "开始调查", "start the investigation"
    RESOLVE = "resolve", "作出处理", "record the finding and measures"
    INFORM = "inform", "反馈举报人", "inform the reporter"
    CLOSE = "close", "办结", "close"


# action: (the stages it may be taken from, the stage it leads to)
TRANSITIONS: dict[CaseAction, tuple[frozenset[CaseStage], CaseStage]] = {
    CaseAction.ASSIGN: (frozenset({CaseStage.ACCEPTED, CaseStage.ASSIGNED}), CaseStage.ASSIGNED),
    CaseAction.PASS: (frozenset({CaseStage.ACCEPTED, CaseStage.ASSIGNED}), CaseStage.ACCEPTED),
    CaseAction.INVESTIGATE: (frozenset({CaseStage.ASSIGNED}), CaseStage.INVESTIGATING),
    CaseAction.RESOLVE: (frozenset({CaseStage.INVESTIGATING}), CaseStage.RESOLVED),
    CaseAction.INFORM: (frozenset({CaseStage.RESOLVED}), CaseStage.INFORMED),
    CaseAction.CLOSE: (frozenset({CaseStage.INFORMED}), CaseStage.CLOSED),
}

# Days a stage may last before the case is overdue (the operator may change them).
DEFAULT_DEADLINE_DAYS: dict[CaseStage, int] = {
    CaseStage.ACCEPTED: 1, CaseStage.ASSIGNED: 3, CaseStage.INVESTIGATING: 30, CaseStage.RESOLVED: 5,
    CaseStage.INFORMED: 7,
}
MAX_DEADLINE_DAYS = 365


def allowed_actions(stage: CaseStage | str) -> list[CaseAction]:
    """The steps a case in ``stage`` can take, in the workflow's order."""
    current = CaseStage(stage)
    return [action for action, (sources, _target) in TRANSITIONS.items() if current in sources]


def next_stage(stage: CaseStage | str, action: CaseAction | str) -> CaseStage:
    """The stage ``action`` leads to from ``stage``; Conflict when the stage cannot take it."""
    current = CaseStage(stage)
    step = CaseAction(action)
    sources, target = TRANSITIONS[step]
    if current not in sources:
        raise Conflict(f"A case that is {current.label_en} cannot {step.label_en}.",
                       f"案件处于“{current.label_zh}”阶段，不能“{step.label_zh}”。",
                       code="unreachable_stage", stage=current.value, action=step.value)
    return target


def due_at(stage: CaseStage | str, since: dt.datetime, days: dict[CaseStage, int] | None = None) -> dt.datetime | None:
    """When a case that entered ``stage`` at ``since`` is overdue; None for a closed case."""
    current = CaseStage(stage)
    if current is CaseStage.CLOSED:
        return None
    table = days if days is not None else DEFAULT_DEADLINE_DAYS
    return since + dt.timedelta(days=table.get(current, DEFAULT_DEADLINE_DAYS[current]))


def is_overdue(stage: CaseStage | str, due: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether a case in ``stage`` due at ``due`` is overdue at ``now``."""
    return CaseStage(stage) is not CaseStage.CLOSED and due is not None and due < now


def check_deadline_days(days: object) -> int:
    """``days`` as a deadline: a whole number from 1 to 365, else ValidationFailed."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DEADLINE_DAYS:
        raise ValidationFailed(f"A deadline is 1 to {MAX_DEADLINE_DAYS} days.",
                               f"期限应为 1 至 {MAX_DEADLINE_DAYS} 天。", code="invalid_deadline", field="days")
    return days
