"""The audit log in the browser (operators): the newest records, filtered by action and target."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get
from litestar.params import FromQuery
from litestar.response import Template

from jianguan.accounts.models import Role
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import recent_records
from jianguan.storage import reading
from jianguan.web.access import roles

PAGE_SIZE = 200


@get("/manage/audit", opt=roles(Role.OPERATOR), include_in_schema=False, sync_to_thread=True)
def audit_page(request: Request[Any, Any, Any], action: FromQuery[str] = "", target: FromQuery[str] = "") -> Template:
    """The newest 200 records; ``action`` keeps those whose action starts with it, ``target`` those of
    one target type (``user``) or one target (``user:3``). Each record comes with its action's
    member, whose label the page shows, or None for text no member has (a renamed action's
    older records)."""
    action, target = action.strip(), target.strip()
    target_type, _, target_id = target.partition(":")
    with reading(request.app.state.sessions) as session:
        records = recent_records(session, action_prefix=action, target_type=target_type, target_id=target_id,
                                 limit=PAGE_SIZE)
    rows = [(entry, AuditAction.known(entry.action)) for entry in records]
    return Template("manage_audit.html", context={"rows": rows, "action": action, "target": target})


router = Router(path="/", route_handlers=[audit_page])
