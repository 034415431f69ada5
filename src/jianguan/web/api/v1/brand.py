"""The brand owner's view (保名优): ``/api/v1/brand``, for the enterprise itself (the operator names one)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, Router, get
from litestar.params import QueryParameter

from jianguan.accounts.models import Role
from jianguan.brand import services as brand
from jianguan.stats import figures as stats
from jianguan.storage import reading
from jianguan.web.access import require_principal, roles
from jianguan.web.params import MAX_ROW_ID

EnterpriseId = Annotated[int | None, QueryParameter(ge=1, le=MAX_ROW_ID, description="The enterprise (operator) / 企业编号")]
Format = Annotated[str | None, QueryParameter(name="format", max_length=4, description="json (default) or csv")]
Language = Annotated[str | None, QueryParameter(max_length=2, description="zh (default) or en / CSV 表头语言")]


@get("/brand", opt=roles(Role.OPERATOR, Role.MANUFACTURER), sync_to_thread=True,
     summary="Brand protection / 品牌保护")
def brand_view(request: Request[Any, Any, Any], enterprise_id: EnterpriseId = None,
               first: Annotated[str | None, QueryParameter(name="from", max_length=10)] = None,
               last: Annotated[str | None, QueryParameter(name="to", max_length=10)] = None,
               fmt: Format = None, lang: Language = None) -> Response[Any]:
    """Where the enterprise's codes were queried in a period (from/to, the last 30 days by default),
    a row per county; clone alerts about its products and unknown-code clusters where they were
    queried; reports and complaints by stage; enforcement actions and outcomes. ``format=csv``:
    the county table as CSV. The enterprise's own users and keys; the operator with
    ``enterprise_id``; 404 for another enterprise."""
    principal = require_principal(request)
    first_day = stats.parse_day(first, "first day", "起始日期")
    last_day = stats.parse_day(last, "last day", "结束日期")
    with reading(request.app.state.sessions) as session:
        view = brand.brand_view(session, principal=principal, enterprise_id=enterprise_id, first=first_day,
                                last=last_day)
        if fmt == "csv":
            name = f"brand-{view.enterprise.id}-{view.period.first}-{view.period.last}.csv"
            return Response(brand.counties_csv(view, "en" if lang == "en" else "zh"),
                            media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
        return Response(brand.view_json(view))


router = Router(path="/", route_handlers=[brand_view], tags=["brand"])
