"""Cases after intake: listing and reading them in scope, moving them through the workflow,
escalating the overdue ones, and the stages' deadlines.

Who sees a case is the jurisdiction rule on its region, category, agency and enterprise: the
operator every one; a regulator those of its region whose category its agency supervises, or
that were routed or passed to its agency; a manufacturer those about its own products, without
the reporter's contact (``reporter_hidden``). Outside scope is NotFound. Acting on a case (the
transitions) is for the operator and the regulators who see it; each step is one transaction
under a row lock on the case, with its audit record, and a step the stage cannot reach is
refused (409). Overdue cases list first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case as when
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role, User
from jianguan.accounts.principal import Principal
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.cases import notices
from jianguan.cases.models import Case, CaseDeadline, CasePhoto, CaseStep
from jianguan.cases.routing import level_above
from jianguan.cases.workflow import (
    DEFAULT_DEADLINE_DAYS,
    CaseAction,
    CaseStage,
    check_deadline_days,
    due_at,
    next_stage,
)
from jianguan.catalogue.models import Agency
from jianguan.enterprises.models import Enterprise
from jianguan.errors import NotFound, ValidationFailed
from jianguan.fields import clean_text
from jianguan.jurisdiction import scope_condition
from jianguan.messaging.services import queue_sms
from jianguan.regions.tree import region_tree
from jianguan.storage.base import utcnow

LIST_LIMIT = 500


def reporter_hidden(principal: Principal) -> bool:
    """Whether ``principal`` must not see who reported (a manufacturer: 保密)."""
    return principal.role not in (Role.OPERATOR, Role.REGULATOR)


def _scope(principal: Principal) -> Any:
    return scope_condition(principal, region=Case.region_code, category=Case.category_id, agency=Case.agency,
                           enterprise=Case.enterprise_id)


# --- deadlines ------------------------------------------------------------------------------------


def deadline_days(session: Session) -> dict[CaseStage, int]:
    """The days each stage may last: the operator's settings over the defaults."""
    days = dict(DEFAULT_DEADLINE_DAYS)
    for row in session.scalars(select(CaseDeadline)):
        days[CaseStage(row.stage)] = row.days
    return days


def set_deadline(session: Session, *, actor: Actor, stage: str, days: object) -> dict[CaseStage, int]:
    """Set the days ``stage`` may last (cases entering it from now on are due accordingly)."""
    try:
        target = CaseStage(stage)
    except ValueError:
        target = CaseStage.CLOSED
    if target is CaseStage.CLOSED:
        raise ValidationFailed("A deadline is set for a stage before closing.", "只能为办结前的阶段设置期限。",
                               code="invalid_stage", field="stage")
    value = check_deadline_days(days)
    before = deadline_days(session)[target]
    row = session.get(CaseDeadline, target.value, with_for_update=True)
    if row is None:
        try:
            with session.begin_nested():  # two operators setting a stage's first deadline at once: one inserts
                session.add(CaseDeadline(stage=target.value, days=value, updated_at=utcnow()))
        except IntegrityError:
            row = session.get(CaseDeadline, target.value, with_for_update=True, populate_existing=True)
    if row is not None:
        row.days, row.updated_at = value, utcnow()
    session.flush()
    record(session, actor=actor, action=AuditAction.CASE_DEADLINE_SET, target_type="case_deadline",
           target_id=target.value, before={"days": before}, after={"days": value})
    return deadline_days(session)


# --- reading --------------------------------------------------------------------------------------


def list_cases(session: Session, *, principal: Principal, stage: str | None = None, now: dt.datetime | None = None,
               limit: int = LIST_LIMIT) -> list[Case]:
    """Cases in the caller's scope: the overdue first (the longest overdue at the top), then
    the escalated, then the newest."""
    now = now or utcnow()
    overdue = when(((Case.stage != CaseStage.CLOSED.value) & (Case.due_at < now), 0), else_=1)
    query = select(Case).where(_scope(principal))
    if stage:
        query = query.where(Case.stage == stage)
    order = (overdue, when((overdue == 0, Case.due_at), else_=None), Case.escalations.desc(), Case.id.desc())
    return list(session.scalars(query.order_by(*order).limit(limit)))


def get_case(session: Session, *, principal: Principal, case_id: int, lock: bool = False) -> Case:
    """One case in the caller's scope; NotFound for one that does not exist or lies outside it."""
    query = select(Case).where(Case.id == case_id, _scope(principal))
    case = session.scalars(query.with_for_update() if lock else query).first()
    if case is None:
        raise NotFound("No such case.", "没有这个案件。", code="case_not_found")
    return case


@dataclass
class CaseDetail:
    case: Case
    steps: list[CaseStep]
    photos: list[CasePhoto]
    assignee: str | None
    enterprise: str | None


def case_detail(session: Session, *, principal: Principal, case_id: int) -> CaseDetail:
    """A case with its steps, photos, assignee's and enterprise's names (in scope, as ``get_case``)."""
    case = get_case(session, principal=principal, case_id=case_id)
    steps = list(session.scalars(select(CaseStep).where(CaseStep.case_id == case.id).order_by(CaseStep.id)))
    photos = list(session.scalars(select(CasePhoto).where(CasePhoto.case_id == case.id).order_by(CasePhoto.id)))
    assignee = session.get(User, case.assignee_id) if case.assignee_id else None
    enterprise = session.get(Enterprise, case.enterprise_id) if case.enterprise_id else None
    return CaseDetail(case, steps, photos, assignee.display_name if assignee else None,
                      enterprise.name if enterprise else None)


def get_photo(session: Session, *, principal: Principal, case_id: int, photo_id: int) -> CasePhoto:
    """A photo of a case the caller sees; a manufacturer sees none (they may show the reporter)."""
    case = get_case(session, principal=principal, case_id=case_id)
    photo = session.get(CasePhoto, photo_id)
    if photo is None or photo.case_id != case.id or reporter_hidden(principal):
        raise NotFound("No such photo.", "没有这张照片。", code="photo_not_found")
    return photo


def assignable_users(session: Session, case: Case) -> list[User]:
    """The active regulators of the case's agency whose region holds the case's region."""
    if case.region_code is None or case.agency is None:
        return []
    covering = {node.code for node in region_tree(session).path(case.region_code)}
    return list(session.scalars(select(User).where(
        User.role == Role.REGULATOR.value, User.agency == case.agency, User.is_active.is_(True),
        User.region_code.in_(sorted(covering))).order_by(User.region_code.desc(), User.id)))


# --- the workflow ---------------------------------------------------------------------------------


@dataclass
class Step:
    """What a transition asks for: the person to assign, the agency to pass to with the reason,
    the finding (upheld or not, and its text) and measures of a resolution."""

    action: str
    user_id: int | None = None
    agency: str | None = None
    reason: str | None = None
    finding: str | None = None
    measures: str | None = None
    region_code: str | None = None
    upheld: object = None


@dataclass
class Moved:
    case: Case
    messages: list[int] = field(default_factory=list)


def _note(value: str | None, english: str, chinese: str, name: str) -> str:
    text = clean_text(value, Case.finding, english=english, chinese=chinese, field=name)
    if not text:
        raise ValidationFailed(f"Please give the {english}.", f"请填写{chinese}。", code="missing_field", field=name)
    return text


def _pass_region(session: Session, code: str | None) -> str | None:
    """The region a case is passed to, if the step names one (it must be a division)."""
    if not (code or "").strip():
        return None
    try:
        return region_tree(session).require((code or "").strip()).code
    except NotFound as missing:
        raise ValidationFailed(missing.message, missing.message_zh, code="unknown_region",
                               field="region_code") from None


def transition(session: Session, *, actor: Actor, principal: Principal, case_id: int, step: Step,
               now: dt.datetime | None = None) -> Moved:
    """Take one step of the workflow on a case in scope (see the module doc)."""
    try:
        action = CaseAction(step.action)
    except ValueError:
        raise ValidationFailed("The action is one of: " + ", ".join(a.value for a in CaseAction) + ".",
                               "操作应为：" + "、".join(a.label_zh for a in CaseAction) + "。",
                               code="invalid_action", field="action") from None
    audited = {
        CaseAction.ASSIGN: AuditAction.CASE_CASE_ASSIGNED, CaseAction.PASS: AuditAction.CASE_CASE_PASSED,
        CaseAction.INVESTIGATE: AuditAction.CASE_INVESTIGATION_STARTED,
        CaseAction.RESOLVE: AuditAction.CASE_CASE_RESOLVED, CaseAction.INFORM: AuditAction.CASE_REPORTER_INFORMED,
        CaseAction.CLOSE: AuditAction.CASE_CASE_CLOSED,
    }[action]
    case = get_case(session, principal=principal, case_id=case_id, lock=True)
    target = next_stage(case.stage, action)
    now = now or utcnow()
    before = {"stage": case.stage, "agency": case.agency, "assignee_id": case.assignee_id,
              "region_code": case.region_code}
    after: dict[str, Any] = {}
    note = ""
    if action is CaseAction.ASSIGN:
        user = session.get(User, step.user_id) if step.user_id else None
        if user is None or user not in assignable_users(session, case):
            raise ValidationFailed("Assign the case to an active regulator of its agency whose region holds it.",
                                   "请转办给本部门管辖该地区的在岗监管人员。", code="invalid_assignee", field="user_id")
        case.assignee_id = user.id
        after["assignee_id"] = user.id
        note = user.display_name
    elif action is CaseAction.PASS:
        try:
            agency = Agency(step.agency or case.agency or "")
        except ValueError:
            raise ValidationFailed("Name the agency to pass the case to.", "请选择移送的部门。",
                                   code="invalid_agency", field="agency") from None
        region = _pass_region(session, step.region_code)
        if agency.value == case.agency and region in (None, case.region_code):
            raise ValidationFailed("The case is already with this agency.", "案件已由该部门办理。",
                                   code="same_agency", field="agency")
        note = _note(step.reason, "reason", "移送理由", "reason")
        if region is not None:  # passed to the agency of another place (or placed, when it had none)
            case.region_code, case.assigned_region, case.region_from_phone = region, region, False
        case.agency, case.assignee_id = agency.value, None
        after.update(agency=agency.value, region_code=case.region_code, reason=note)
    elif action is CaseAction.RESOLVE:
        if not isinstance(step.upheld, bool):
            raise ValidationFailed("Say whether the complaint or report is upheld or not upheld.",
                                   "请选择处理结论：成立或不成立。", code="missing_field", field="upheld")
        case.upheld = step.upheld
        case.finding = _note(step.finding, "finding", "处理结果", "finding")
        case.measures = clean_text(step.measures, Case.measures, english="measures", chinese="处理措施",
                                   field="measures")
        note = case.finding
        after.update(upheld=case.upheld, finding=case.finding, measures=case.measures)
    case.stage, case.stage_since, case.escalated_at = target, now, None
    case.due_at = due_at(target, now, deadline_days(session))
    after.update(stage=target.value)
    session.add(CaseStep(case_id=case.id, at=now, action=action.value, stage=target.value, actor=actor.name[:100],
                         note=note))
    session.flush()
    record(session, actor=actor, action=audited, target_type="case", target_id=case.id,
           before=before, after=after)
    moved = Moved(case)
    if action is CaseAction.INFORM:
        moved.messages += _tell_outcome(session, case)
    return moved


def _tell_outcome(session: Session, case: Case) -> list[int]:
    """Queue the outcome to the reporter (by the number they used or gave) and the manufacturer."""
    from jianguan.cases.intake import _phone  # one rule for what a text message reaches

    ids = []
    phone = case.reply_to or _phone(case.contact)
    if phone:
        ids.append(queue_sms(session, to=phone, text=notices.outcome_to_reporter(
            kind_zh=case.kind_label_zh, number=case.number, finding=case.finding)).id)
    enterprise = session.get(Enterprise, case.enterprise_id) if case.enterprise_id else None
    if enterprise is not None and _phone(enterprise.contact_phone):
        ids.append(queue_sms(session, to=_phone(enterprise.contact_phone) or "", text=notices.outcome_to_manufacturer(
            kind_zh=case.kind_label_zh, number=case.number, finding=case.finding, measures=case.measures)).id)
    return ids


def escalate_overdue(session: Session, *, actor: Actor, now: dt.datetime | None = None) -> list[Case]:
    """Escalate every case overdue in its stage, once a stage, to the level above the one that
    answers for it now; the escalated cases. Running it again escalates nothing more."""
    now = now or utcnow()
    due = session.scalars(select(Case).where(Case.stage != CaseStage.CLOSED.value, Case.due_at < now,
                                             Case.escalated_at.is_(None)).order_by(Case.id).with_for_update())
    escalated = []
    for case in due:
        above = level_above(session, case.assigned_region)
        before = {"assigned_region": case.assigned_region, "escalations": case.escalations}
        case.assigned_region = above or case.assigned_region
        case.escalations += 1
        case.escalated_at = now
        session.add(CaseStep(case_id=case.id, at=now, action="escalated", stage=case.stage, actor=actor.name[:100],
                             note=region_tree(session).path_name(case.assigned_region) if case.assigned_region else ""))
        session.flush()
        record(session, actor=actor, action=AuditAction.CASE_CASE_ESCALATED, target_type="case", target_id=case.id,
               before=before, after={"assigned_region": case.assigned_region, "escalations": case.escalations,
                                     "stage": case.stage, "due_at": case.due_at})
        escalated.append(case)
    return escalated
