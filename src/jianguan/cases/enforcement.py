"""Enforcement linkage (执法打假联动): a case or an alert opens an enforcement action; its outcome
(goods seized, their value, cases filed, penalty) is recorded once and fed back to the
manufacturer whose brand was faked (保名优), by text message and in its view of the actions; and
the actions in a caller's scope are counted.

Opening and recording are for the operator and the regulators who see the case or the alert;
the action takes its source's region, category, agency and enterprise (an alert routes to no
agency: the action takes the acting regulator's), so the same rule decides who sees it (a
manufacturer: those about its brand). An alert that opens an action is handled by it
(``alerts.services.open_enforcement_from_alert``). Recording an outcome is one transaction under
a row lock: a second recording is refused (409).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.cases import services as cases
from jianguan.cases.models import Case, EnforcementAction
from jianguan.cases.workflow import CaseStage
from jianguan.enterprises.models import Enterprise
from jianguan.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jianguan.fields import clean_text
from jianguan.jurisdiction import scope_condition
from jianguan.messaging.services import queue_sms
from jianguan.storage.base import utcnow

MAX_AMOUNT = 10**12  # yuan: more than any seizure or penalty
MAX_CASES_FILED = 100_000
LIST_LIMIT = 500


def _scope(principal: Principal) -> Any:
    return scope_condition(principal, region=EnforcementAction.region_code, category=EnforcementAction.category_id,
                           agency=EnforcementAction.agency, enterprise=EnforcementAction.enterprise_id)


def _acting(principal: Principal) -> None:
    if principal.role not in (Role.OPERATOR, Role.REGULATOR):
        raise PermissionDenied()


@dataclass(frozen=True)
class Source:
    """What opens an action, a case or an alert, and the scope the action takes from it."""

    enterprise_id: int | None
    category_id: int | None
    region_code: str | None
    agency: str | None
    case_id: int | None = None
    alert_id: int | None = None


def open_action(session: Session, *, actor: Actor, principal: Principal, basis: str | None,
                case_id: int | None = None, alert_id: int | None = None) -> EnforcementAction:
    """Open an enforcement action from a case in scope that is not closed, or from an alert in
    scope that is open or acknowledged: exactly one of ``case_id`` and ``alert_id``."""
    _acting(principal)
    if (case_id is None) == (alert_id is None):
        raise ValidationFailed("Name the case or the alert that opens the action (one of them).",
                               "请指明发起执法行动的案件或预警（二者之一）。", code="invalid_source", field="case_id")
    if alert_id is not None:
        from jianguan.alerts.services import open_enforcement_from_alert  # alerts stand below cases

        return open_enforcement_from_alert(session, actor=actor, principal=principal, alert_id=alert_id,
                                           basis=basis)
    case = cases.get_case(session, principal=principal, case_id=case_id or 0, lock=True)
    if case.stage == CaseStage.CLOSED:
        raise Conflict("A closed case opens no enforcement action.", "已办结的案件不能发起执法行动。",
                       code="case_closed")
    return open_for(session, actor=actor, basis=basis, source=Source(
        case_id=case.id, enterprise_id=case.enterprise_id, category_id=case.category_id,
        region_code=case.region_code, agency=case.agency))


def open_for(session: Session, *, actor: Actor, basis: str | None, source: Source) -> EnforcementAction:
    """Write the action ``source`` opens, with its basis, and its audit record (the caller has
    checked that the source is in the actor's scope and can open one)."""
    text = clean_text(basis, EnforcementAction.basis, english="basis", chinese="执法依据", required=True)
    action = EnforcementAction(case_id=source.case_id, alert_id=source.alert_id, enterprise_id=source.enterprise_id,
                               category_id=source.category_id, region_code=source.region_code,
                               agency=source.agency, basis=text, opened_at=utcnow(), opened_by=actor.name[:100])
    session.add(action)
    session.flush()
    record(session, actor=actor, action=AuditAction.ENFORCEMENT_ACTION_OPENED, target_type="enforcement_action",
           target_id=action.id, after={"case_id": source.case_id, "alert_id": source.alert_id,
                                       "enterprise_id": source.enterprise_id, "basis": text,
                                       "region_code": source.region_code, "agency": source.agency})
    return action


def source_label(session: Session, action: EnforcementAction) -> str:
    """What opened ``action``, as the manufacturer's notice and the pages name it: 案件 NUMBER or 预警 #ID."""
    case = session.get(Case, action.case_id) if action.case_id is not None else None
    return f"案件{case.number}" if case is not None else f"预警#{action.alert_id}"


def _amount(value: object, english: str, chinese: str, name: str, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise ValidationFailed(f"The {english} is a whole number from 0 to {maximum}.",
                               f"{chinese}应为 0 至 {maximum} 的整数。", code="invalid_number", field=name)
    return value


@dataclass
class Outcome:
    """What an action found: the goods seized, their value and the penalty in whole yuan."""

    goods_seized: str | None
    goods_value: object
    cases_filed: object
    penalty: object
    outcome: str | None = None


@dataclass
class Recorded:
    action: EnforcementAction
    messages: list[int] = field(default_factory=list)


def record_outcome(session: Session, *, actor: Actor, principal: Principal, action_id: int, outcome: Outcome
                   ) -> Recorded:
    """Record the outcome of an action in scope, once, and queue the manufacturer's notice."""
    _acting(principal)
    action = session.scalars(select(EnforcementAction).where(EnforcementAction.id == action_id, _scope(principal))
                             .with_for_update()).first()
    if action is None:
        raise NotFound("No such enforcement action.", "没有这个执法行动。", code="enforcement_not_found")
    if action.concluded_at is not None:
        raise Conflict("This action's outcome was already recorded.", "该执法行动的结果已记录。", code="concluded")
    action.goods_seized = clean_text(outcome.goods_seized, EnforcementAction.goods_seized, english="goods seized",
                                     chinese="查获物品", required=True)
    action.goods_value = _amount(outcome.goods_value, "value of the goods", "货值（元）", "goods_value", MAX_AMOUNT)
    action.cases_filed = _amount(outcome.cases_filed, "number of cases filed", "立案数", "cases_filed", MAX_CASES_FILED)
    action.penalty = _amount(outcome.penalty, "penalty", "罚款（元）", "penalty", MAX_AMOUNT)
    action.outcome = clean_text(outcome.outcome, EnforcementAction.outcome, english="outcome", chinese="处理情况")
    action.concluded_at = utcnow()
    session.flush()
    record(session, actor=actor, action=AuditAction.ENFORCEMENT_OUTCOME_RECORDED, target_type="enforcement_action",
           target_id=action.id, after={"goods_seized": action.goods_seized, "goods_value": action.goods_value,
                                       "cases_filed": action.cases_filed, "penalty": action.penalty,
                                       "outcome": action.outcome})
    recorded = Recorded(action)
    enterprise = session.get(Enterprise, action.enterprise_id) if action.enterprise_id else None
    if enterprise is not None:
        phone = "".join(ch for ch in enterprise.contact_phone if ch.isdigit() or ch == "+")
        if phone:
            recorded.messages.append(queue_sms(session, to=phone, text=(
                f"【电子监管】打假联动：涉及贵企业品牌的执法行动（{source_label(session, action)}）已结案：查获{action.goods_seized}，"
                f"货值{action.goods_value}元，立案{action.cases_filed}起，罚款{action.penalty}元。")).id)
    return recorded


def get_action(session: Session, *, principal: Principal, action_id: int) -> EnforcementAction:
    action = session.scalars(select(EnforcementAction).where(EnforcementAction.id == action_id,
                                                             _scope(principal))).first()
    if action is None:
        raise NotFound("No such enforcement action.", "没有这个执法行动。", code="enforcement_not_found")
    return action


def list_actions(session: Session, *, principal: Principal, case_id: int | None = None,
                 alert_id: int | None = None, limit: int = LIST_LIMIT) -> list[EnforcementAction]:
    """The actions in scope, newest first (of one case or one alert, when ``case_id`` or
    ``alert_id`` is given)."""
    query = select(EnforcementAction).where(_scope(principal))
    if case_id is not None:
        query = query.where(EnforcementAction.case_id == case_id)
    if alert_id is not None:
        query = query.where(EnforcementAction.alert_id == alert_id)
    return list(session.scalars(query.order_by(EnforcementAction.id.desc()).limit(limit)))


def totals(session: Session, *, principal: Principal) -> dict[str, int]:
    """The statistics of the actions in scope: opened, concluded, value seized, cases filed, penalties."""
    row = session.execute(select(
        func.count(), func.count(EnforcementAction.concluded_at), func.coalesce(func.sum(EnforcementAction.goods_value), 0),
        func.coalesce(func.sum(EnforcementAction.cases_filed), 0), func.coalesce(func.sum(EnforcementAction.penalty), 0),
    ).where(_scope(principal))).one()
    return {"actions": int(row[0]), "concluded": int(row[1]), "goods_value": int(row[2]), "cases_filed": int(row[3]),
            "penalty": int(row[4])}
