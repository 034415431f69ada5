"""Raising alerts (once per rule, subject and window), who sees them (the jurisdiction rule on
region, the product's category and the enterprise concerned), and their handling: acknowledged,
turned into a case, sent straight to enforcement (执法打假联动), or dismissed with a reason. Each step is audited; a step the alert's state
cannot reach is refused (409), under a row lock so two people cannot both take it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.alerts.models import Alert, AlertKind, AlertSeverity, AlertStatus, WarningRule
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.errors import Conflict, NotFound, PermissionDenied
from jianguan.fields import clean_text
from jianguan.jurisdiction import scope_condition
from jianguan.storage.base import utcnow

if TYPE_CHECKING:
    from jianguan.cases.models import EnforcementAction

ALERT_PAGE = 200  # the newest this many; older alerts stay in the table and the audit log
_REACHABLE = {AlertStatus.OPEN.value, AlertStatus.ACKNOWLEDGED.value}


def raise_alert(
    session: Session,
    *,
    actor: Actor,
    kind: str,
    severity: AlertSeverity | str = AlertSeverity.WARNING,
    subject: str = "",
    region_code: str | None = None,
    category_id: int | None = None,
    details: dict[str, Any] | None = None,
    rule: WarningRule | str | None = None,
    dedup_key: str | None = None,
    enterprise_id: int | None = None,
) -> Alert:
    """Write an alert (and its audit record) in the caller's transaction."""
    alert = Alert(kind=kind, severity=AlertSeverity(severity), subject=subject[:100], region_code=region_code,
                  category_id=category_id, details=details or {}, created_at=utcnow(),
                  rule=WarningRule(rule).value if rule else None, dedup_key=dedup_key, enterprise_id=enterprise_id,
                  status=AlertStatus.OPEN)
    session.add(alert)
    session.flush()
    record(session, actor=actor, action=AuditAction.ALERT_ALERT_RAISED, target_type="alert",
           target_id=alert.id, after={"kind": kind, "severity": alert.severity.value, "subject": alert.subject,
                                      "region_code": region_code, "category_id": category_id, "rule": alert.rule,
                                      "enterprise_id": enterprise_id, "dedup_key": dedup_key})
    return alert


def raise_once(session: Session, *, actor: Actor, rule: WarningRule, dedup_key: str, **fields: Any) -> Alert | None:
    """Raise the alert of ``rule`` unless one with ``dedup_key`` exists (rule, subject, window):
    the unique key decides, so processes evaluating the same rule at once raise it once.
    Returns the new alert, or None when it had been raised."""
    if session.scalar(select(Alert.id).where(Alert.dedup_key == dedup_key)) is not None:
        return None
    kind = AlertKind(f"warning:{rule.value}").value
    try:
        with session.begin_nested():
            return raise_alert(session, actor=actor, kind=kind, rule=rule, dedup_key=dedup_key, **fields)
    except IntegrityError:  # raised by another process since the look above
        return None


def _scope(principal: Principal) -> Any:
    return scope_condition(principal, region=Alert.region_code, category=Alert.category_id,
                           enterprise=Alert.enterprise_id)


def list_alerts(session: Session, *, principal: Principal, limit: int = ALERT_PAGE,
                status: AlertStatus | None = None) -> list[Alert]:
    """The newest alerts ``principal`` may see, newest first: an operator all, a regulator those in
    its region whose product's category its agency supervises (one of no product: the general
    agencies') and those about enterprises in its scope, a manufacturer those about its own
    products. An alert with no region and no enterprise, e.g. from a web query that named none,
    is the operator's."""
    query = select(Alert).where(_scope(principal))
    if status is not None:
        query = query.where(Alert.status == status.value)
    return list(session.scalars(query.order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit)))


def get_alert(session: Session, *, principal: Principal, alert_id: int, lock: bool = False) -> Alert:
    """One alert in ``principal``'s scope (out of scope: not found)."""
    query = select(Alert).where(Alert.id == alert_id, _scope(principal))
    if lock:
        query = query.with_for_update()
    alert = session.scalar(query)
    if alert is None:
        raise NotFound("No such alert.", "没有该预警。")
    return alert


def _handling(session: Session, principal: Principal, alert_id: int, step_en: str, step_zh: str) -> Alert:
    if principal.role not in (Role.OPERATOR, Role.REGULATOR):
        raise PermissionDenied()
    alert = get_alert(session, principal=principal, alert_id=alert_id, lock=True)
    if str(alert.status) not in _REACHABLE:
        status = AlertStatus(alert.status)
        raise Conflict(f"An alert that is {status.label_en} cannot be {step_en}.",
                       f"{status.label_zh}的预警不能{step_zh}。", code="alert_handled")
    return alert


def acknowledge(session: Session, *, actor: Actor, principal: Principal, alert_id: int) -> Alert:
    """open -> acknowledged (seen and being looked at)."""
    alert = _handling(session, principal, alert_id, "acknowledged", "确认")
    if alert.status == AlertStatus.ACKNOWLEDGED:
        raise Conflict("The alert was acknowledged already.", "该预警已确认。", code="alert_handled")
    now = utcnow()
    alert.status, alert.acknowledged_at, alert.acknowledged_by = AlertStatus.ACKNOWLEDGED, now, actor.name[:100]
    record(session, actor=actor, action=AuditAction.ALERT_ALERT_ACKNOWLEDGED, target_type="alert",
           target_id=alert.id, before={"status": "open"}, after={"status": "acknowledged"})
    return alert


def dismiss(session: Session, *, actor: Actor, principal: Principal, alert_id: int, reason: str | None) -> Alert:
    """open or acknowledged -> dismissed, with the reason (a false alarm, already known...)."""
    alert = _handling(session, principal, alert_id, "dismissed", "排除")
    text = clean_text(reason, Alert.reason, english="reason", chinese="排除理由", required=True)
    before = str(alert.status)
    alert.status, alert.reason = AlertStatus.DISMISSED, text
    alert.handled_at, alert.handled_by = utcnow(), actor.name[:100]
    record(session, actor=actor, action=AuditAction.ALERT_ALERT_DISMISSED, target_type="alert",
           target_id=alert.id, before={"status": before}, after={"status": "dismissed", "reason": text})
    return alert


def open_case_from_alert(session: Session, *, actor: Actor, principal: Principal, alert_id: int,
                         channel: str = "web") -> Alert:
    """open or acknowledged -> case opened: a report (举报) carrying the alert's code, region and
    evidence, routed like any case; the manufacturer concerned is told by the case's notice."""
    from jianguan.cases.intake import open_case  # cases stand on alerts' tables, not the reverse
    from jianguan.cases.models import CaseKind

    alert = _handling(session, principal, alert_id, "turned into a case", "转为案件")
    before = str(alert.status)
    details = alert.details or {}
    rule = WarningRule(alert.rule) if alert.rule else None
    label = rule.label_zh if rule else AlertKind(alert.kind).label_zh if alert.kind in {
        kind.value for kind in AlertKind} else alert.kind
    code = str(details.get("code") or f"预警{alert.id}")[:64]
    opened = open_case(session, actor=actor, code=code, place=str(details.get("place") or f"预警 #{alert.id}")[:200],
                       kind=CaseKind.REPORT, region_code=alert.region_code, channel=channel,
                       description=f"由预警 #{alert.id}（{label}）转为案件。"[:2000], tell_reporter=False)
    case = opened.case
    if case.enterprise_id is None and alert.enterprise_id is not None:
        case.enterprise_id, case.category_id = alert.enterprise_id, alert.category_id
    alert.status, alert.case_id = AlertStatus.CASE_OPENED, case.id
    alert.handled_at, alert.handled_by = utcnow(), actor.name[:100]
    session.flush()
    record(session, actor=actor, action=AuditAction.ALERT_CASE_OPENED, target_type="alert", target_id=alert.id,
           before={"status": before}, after={"status": "case_opened", "case_id": case.id, "number": case.number})
    return alert


def open_enforcement_from_alert(session: Session, *, actor: Actor, principal: Principal, alert_id: int,
                                basis: str | None) -> EnforcementAction:
    """open or acknowledged -> enforcement: an enforcement action opened straight from the alert
    (a cloned code's den found without a consumer's report), recorded against it. The action
    takes the alert's region, category and enterprise, and the acting regulator's agency (an
    alert is routed to none); its outcome reaches the manufacturer as a case's does."""
    from jianguan.cases import enforcement  # cases stand on alerts' tables, not the reverse

    alert = _handling(session, principal, alert_id, "sent to enforcement", "发起执法")
    before = str(alert.status)
    action = enforcement.open_for(session, actor=actor, basis=basis, source=enforcement.Source(
        alert_id=alert.id, enterprise_id=alert.enterprise_id, category_id=alert.category_id,
        region_code=alert.region_code, agency=principal.agency.value if principal.agency else None))
    alert.status = AlertStatus.ENFORCEMENT
    alert.handled_at, alert.handled_by = utcnow(), actor.name[:100]
    session.flush()
    record(session, actor=actor, action=AuditAction.ALERT_ENFORCEMENT_OPENED, target_type="alert",
           target_id=alert.id, before={"status": before},
           after={"status": AlertStatus.ENFORCEMENT.value, "enforcement_action_id": action.id})
    return action
