"""Alerts over the API: what the network noticed, for the operator and the regulators."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get

from jianguan.accounts.models import Role
from jianguan.alerts import services as alerts
from jianguan.alerts.models import Alert
from jianguan.storage import reading
from jianguan.web.access import require_principal, roles


def alert_json(alert: Alert) -> dict[str, Any]:
    """An alert as the API shows it."""
    return {
        "id": alert.id,
        "kind": alert.kind,
        "severity": str(alert.severity),
        "subject": alert.subject,
        "region_code": alert.region_code,
        "details": alert.details,
        "created_at": alert.created_at.isoformat(),
        "acknowledged_at": alert.acknowledged_at.isoformat() if alert.acknowledged_at else None,
        "acknowledged_by": alert.acknowledged_by,
    }


@get("/alerts", opt=roles(Role.OPERATOR, Role.REGULATOR), sync_to_thread=True, summary="Alerts / 预警信息")
def list_alerts(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The newest alerts, newest first: an operator all, a regulator those in its region."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        return {"alerts": [alert_json(alert) for alert in alerts.list_alerts(session, principal=principal)]}


router = Router(path="/", route_handlers=[list_alerts])
