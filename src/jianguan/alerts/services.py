"""Raising alerts, and who sees them: the jurisdiction rule (region and the product's category)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.accounts.principal import Principal
from jianguan.alerts.models import Alert, AlertSeverity
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.jurisdiction import scope_condition
from jianguan.storage.base import utcnow

ALERT_PAGE = 200  # the newest this many; older alerts stay in the table and the audit log


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
) -> Alert:
    """Write an alert (and its audit record) in the caller's transaction."""
    alert = Alert(kind=kind, severity=AlertSeverity(severity), subject=subject, region_code=region_code,
                  category_id=category_id, details=details or {}, created_at=utcnow())
    session.add(alert)
    session.flush()
    record(session, actor=actor, action=AuditAction.ALERT_ALERT_RAISED, target_type="alert",
           target_id=alert.id, after={"kind": kind, "severity": alert.severity.value, "subject": subject,
                                      "region_code": region_code, "category_id": category_id})
    return alert


def list_alerts(session: Session, *, principal: Principal, limit: int = ALERT_PAGE) -> list[Alert]:
    """The newest alerts ``principal`` may see, newest first: an operator all, a regulator those in
    its region whose product's category its agency supervises (one of no product: the general
    agencies'). An alert with no region, e.g. from a web query that named none, is the operator's."""
    return list(session.scalars(
        select(Alert).where(scope_condition(principal, region=Alert.region_code, category=Alert.category_id))
        .order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit)))
