"""The credit record (诚信档案) of an enterprise, for those who may see the enterprise."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get

from jianguan.accounts.models import Role
from jianguan.credit import services as credit
from jianguan.storage import reading
from jianguan.web.access import require_principal, roles
from jianguan.web.params import RowId


@get("/enterprises/{enterprise_id:int}/credit", opt=roles(Role.OPERATOR, Role.REGULATOR, Role.MANUFACTURER),
     sync_to_thread=True, summary="An enterprise's credit record / 企业诚信档案")
def credit_record(request: Request[Any, Any, Any], enterprise_id: RowId) -> dict[str, Any]:
    """The score with its inputs and weights, the qualifications, spot checks, upheld complaints,
    recalls and enforcement outcomes with their dates (operator; a regulator in scope; the
    enterprise itself; 404 for anyone else)."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        return credit.record_json(credit.credit_record(session, principal=principal, enterprise_id=enterprise_id))


router = Router(path="/", route_handlers=[credit_record], tags=["credit"])
