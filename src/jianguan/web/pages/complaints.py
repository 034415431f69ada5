"""Complaints and reports (投诉举报) in the browser, for the operator and the regulators in scope."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get
from litestar.response import Template

from jianguan.accounts.models import Role
from jianguan.complaints import services as complaints
from jianguan.storage import reading
from jianguan.verify.models import Channel
from jianguan.verify.verdict import Verdict
from jianguan.web.access import require_principal, roles


@get("/manage/reports", opt=roles(Role.OPERATOR, Role.REGULATOR), include_in_schema=False, sync_to_thread=True)
def manage_reports(request: Request[Any, Any, Any]) -> Template:
    """Complaints and reports in the caller's scope (the jurisdiction rule), newest first."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        rows = complaints.list_complaints(session, principal=principal)
    return Template("manage_reports.html", context={"rows": rows, "Verdict": Verdict, "Channel": Channel})


router = Router(path="/", route_handlers=[manage_reports])
