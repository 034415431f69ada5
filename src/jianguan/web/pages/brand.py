"""The brand owner's page (保名优, ``/brand``): where the enterprise's codes are queried, and what is done about fakes."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Router, get
from litestar.params import QueryParameter
from litestar.response import Template

from jianguan.accounts.models import Role
from jianguan.alerts.models import AlertStatus
from jianguan.brand import services as brand
from jianguan.cases.workflow import CaseStage
from jianguan.errors import ValidationFailed
from jianguan.regions.tree import region_tree
from jianguan.stats import figures as stats
from jianguan.storage import reading
from jianguan.web.access import require_principal, roles
from jianguan.web.i18n import message
from jianguan.web.params import MAX_ROW_ID


@get("/brand", opt=roles(Role.OPERATOR, Role.MANUFACTURER), include_in_schema=False, sync_to_thread=True)
def brand_page(request: Request[Any, Any, Any],
               enterprise_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ROW_ID)] = None,
               first: Annotated[str | None, QueryParameter(name="from", max_length=10)] = None,
               last: Annotated[str | None, QueryParameter(name="to", max_length=10)] = None) -> Template:
    """Brand protection for a period (the last 30 days by default); a bad period is shown as an
    error over the default one."""
    principal = require_principal(request)
    error = None
    try:
        first_day = stats.parse_day(first, "first day", "起始日期")
        last_day = stats.parse_day(last, "last day", "结束日期")
        stats.period(first_day, last_day)
    except ValidationFailed as refused:
        error, first_day, last_day = refused, None, None
    with reading(request.app.state.sessions) as session:
        view = brand.brand_view(session, principal=principal, enterprise_id=enterprise_id, first=first_day,
                                last=last_day)
        tree = region_tree(session)
    # The codes above each county (province down), for the map to split those divisions into their parts.
    paths = {r.region_code: " ".join(node.code for node in tree.ancestors(r.region_code))
             for r in view.counties if r.region_code and r.region_code in tree}
    query = {"from": view.period.first.isoformat(), "to": view.period.last.isoformat(),
             **({"enterprise_id": str(enterprise_id)} if enterprise_id else {})}
    return Template("brand.html", status_code=400 if error else 200, context={
        "view": view, "found": brand.view_json(view), "error": message(request, error), "query": urlencode(query),
        "enterprise_id": enterprise_id, "paths": paths, "Stage": CaseStage, "AlertStatus": AlertStatus,
    })


router = Router(path="/", route_handlers=[brand_page])
