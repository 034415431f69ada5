"""Alerts in the browser: what the network noticed, for the operator and the regulators in scope."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get
from litestar.response import Template

from jianguan.accounts.models import Role
from jianguan.alerts import services as alerts
from jianguan.alerts.models import AlertKind, AlertSeverity
from jianguan.storage import reading
from jianguan.web.access import require_principal, roles

KIND_LABELS = {kind.value: kind for kind in AlertKind}


@get("/manage/alerts", opt=roles(Role.OPERATOR, Role.REGULATOR), include_in_schema=False, sync_to_thread=True)
def alerts_page(request: Request[Any, Any, Any]) -> Template:
    """The newest alerts in the user's scope, newest first."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        rows = alerts.list_alerts(session, principal=principal)
    return Template("manage_alerts.html", context={
        "me": principal, "alerts": rows, "kinds": KIND_LABELS, "Severity": AlertSeverity,
    })


router = Router(path="/", route_handlers=[alerts_page])
