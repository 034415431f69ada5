"""The monthly report page for regulators: the report of a month for a region (drilling down to the
regions under it), with its XLSX, CSV and PDF downloads, the addresses it is e-mailed to and the
sendings (failed ones with their error and next attempt)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Router, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from jianguan.accounts.models import Role
from jianguan.errors import ValidationFailed
from jianguan.reports import services
from jianguan.reports.monthly import check_ended, last_full_month, monthly_report, parse_month
from jianguan.reports.render import show, signed
from jianguan.storage import reading, transaction
from jianguan.web.access import actor_for, require_principal, roles
from jianguan.web.forms import Form
from jianguan.web.i18n import message
from jianguan.web.params import RegionFilter

MonthText = Annotated[str | None, QueryParameter(max_length=7)]


@get("/manage/reports/monthly", opt=roles(Role.OPERATOR, Role.REGULATOR), include_in_schema=False,
     sync_to_thread=True)
def monthly_page(request: Request[Any, Any, Any], region: RegionFilter = None, month: MonthText = None) -> Template:
    """The report of a month (by default the last one ended) for a region (by default the caller's),
    with the addresses it is e-mailed to and its sendings."""
    return _page(request, region=region, month=month)


def _page(request: Request[Any, Any, Any], *, region: str | None, month: str | None,
          error: ValidationFailed | None = None, addresses: str | None = None) -> Template:
    principal = require_principal(request)
    chosen = last_full_month()
    if month:
        try:
            chosen = check_ended(parse_month(month))
        except ValidationFailed as refused:
            error, chosen = refused, last_full_month()
    with reading(request.app.state.sessions) as session:
        report = monthly_report(session, principal=principal, month=chosen, region_code=region)
        mailing = (services.recipients(session, principal=principal, region_code=report.region_code)
                   if report.region_code else None)
    query = {"month": str(report.month), **({"region": report.region_code} if report.region_code else {})}
    return Template("report_monthly.html", status_code=400 if error else 200, context={
        "report": report, "error": message(request, error), "here_query": urlencode(query),
        "latest": str(last_full_month()), "show": show, "signed": signed, "mailing": mailing,
        "addresses": addresses if addresses is not None else "\n".join(mailing["addresses"] if mailing else []),
        "max_recipients": services.MAX_RECIPIENTS,
    })


@post("/manage/reports/recipients", opt=roles(Role.OPERATOR, Role.REGULATOR), include_in_schema=False,
      sync_to_thread=True)
def set_recipients(request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
    """Replace the addresses the region's report is e-mailed to (one a line)."""
    principal = require_principal(request)
    region = (data.get("region_code") or "").strip()[:6]
    text = (data.get("addresses") or "")[:services.MAX_RECIPIENTS * 260]
    try:
        with transaction(request.app.state.sessions) as session:
            services.set_recipients(session, actor=actor_for(request, principal), principal=principal,
                                    region_code=region, addresses=text.replace(",", "\n").splitlines())
    except ValidationFailed as refused:
        return _page(request, region=region or None, month=None, error=refused, addresses=text)
    return Redirect(f"/manage/reports/monthly?{urlencode({'region': region})}#recipients", status_code=303)


router = Router(path="/", route_handlers=[monthly_page, set_recipients])
