"""Raising alerts, and who sees them: the operator all, a regulator those in its region."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.alerts.models import Alert, AlertSeverity
from jianguan.audit.services import Actor, record
from jianguan.errors import PermissionDenied
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
    details: dict[str, Any] | None = None,
) -> Alert:
    """Write an alert (and its audit record) in the caller's transaction."""
    alert = Alert(kind=kind, severity=AlertSeverity(severity), subject=subject, region_code=region_code,
                  details=details or {}, created_at=utcnow())
    session.add(alert)
    session.flush()
    record(session, actor=actor, action="alert:alert:raised", target_type="alert", target_id=alert.id,
           after={"kind": kind, "severity": alert.severity.value, "subject": subject, "region_code": region_code})
    return alert


def _scoped(principal: Principal) -> Any:
    query = select(Alert).order_by(Alert.created_at.desc(), Alert.id.desc())
    if principal.role is Role.OPERATOR:
        return query
    if principal.role is Role.REGULATOR:
        return query.where(Alert.region_code.in_(sorted(principal.region_codes)))
    raise PermissionDenied("Your role does not give access to alerts.", "您的角色无权查看预警信息。")


def list_alerts(session: Session, *, principal: Principal, limit: int = ALERT_PAGE) -> list[Alert]:
    """The newest alerts ``principal`` may see, newest first: an operator all, a regulator those in
    its region (an alert with no region, e.g. from a web query that named none, is the operator's)."""
    return list(session.scalars(_scoped(principal).limit(limit)))

