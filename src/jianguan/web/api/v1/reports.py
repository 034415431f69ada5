"""The monthly report (信息通报): ``/api/v1/reports/monthly`` (JSON, CSV, XLSX or PDF) and
``/api/v1/report-recipients`` (the addresses it is e-mailed to, and its sendings)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.params import JSONBody, QueryParameter

from jianguan.accounts.models import Role
from jianguan.errors import ValidationFailed
from jianguan.reports import render, services
from jianguan.reports.monthly import last_full_month, monthly_report, parse_month
from jianguan.reports.services import MAX_RECIPIENTS
from jianguan.storage import reading, transaction
from jianguan.web.access import actor_for, require_principal, roles
from jianguan.web.params import RegionCode, RegionFilter

MonthText = Annotated[str | None, QueryParameter(max_length=7, description="The month, YYYY-MM (by default the "
                                                                           "last one ended) / 月份（默认上月）")]
Format = Annotated[str, QueryParameter(max_length=4, description="json (default), csv, xlsx or pdf / 格式")]
Language = Annotated[str | None, QueryParameter(max_length=2, description="zh (default) or en / 表头语言")]


@get("/reports/monthly", opt=roles(Role.OPERATOR, Role.REGULATOR), sync_to_thread=True,
     summary="The monthly report of a region / 信息通报")
def monthly(request: Request[Any, Any, Any], month: MonthText = None, region: RegionFilter = None, format: Format = "json",
            lang: Language = None) -> Response[Any]:
    """The report of an ended month (by default the last) for a region in the caller's scope (by default its own): a
    total row and a row for each region directly under it, every figure with the month before's
    and the change. ``format=csv|xlsx`` gives a row a region (headed in Chinese, or English with
    ``lang=en``), ``format=pdf`` the printable report in Chinese."""
    principal = require_principal(request)
    if format not in ("json", *render.FORMATS):
        raise ValidationFailed(f"Unknown format {format!r}; one of json, csv, xlsx, pdf.",
                               f"未知的格式 {format!r}，可选：json、csv、xlsx、pdf。", code="unknown_format", field="format")
    chosen = parse_month(month) if month else last_full_month()
    with reading(request.app.state.sessions) as session:
        report = monthly_report(session, principal=principal, month=chosen, region_code=region)
    if format == "json":
        return Response(report.as_json())
    return Response(render.render(report, format, "en" if lang == "en" else "zh"), media_type=render.FORMATS[format],
                    headers={"Content-Disposition": f'attachment; filename="{render.file_name(report, format)}"'})


Address = Annotated[str, msgspec.Meta(max_length=254)]


class NewRecipients(msgspec.Struct, forbid_unknown_fields=True):
    region_code: RegionCode
    # The items' bound is checked by msgspec; the schema states it itself (Litestar drops it).
    addresses: Annotated[list[Address], msgspec.Meta(
        max_length=MAX_RECIPIENTS, extra_json_schema={"extra": {"items": {"type": "string", "maxLength": 254}}})]


@get("/report-recipients", opt=roles(Role.OPERATOR, Role.REGULATOR), sync_to_thread=True,
     summary="Where a region's monthly report is e-mailed / 信息通报收件地址")
def report_recipients(request: Request[Any, Any, Any], region: RegionFilter = None) -> dict[str, Any]:
    """The addresses the caller's agency has set for the region's monthly report (by default the
    caller's region) and the latest sendings with their status (pending, sending, sent, failed),
    attempts, error and next attempt."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        return services.recipients(session, principal=principal, region_code=region)


@post("/report-recipients", opt=roles(Role.OPERATOR, Role.REGULATOR), sync_to_thread=True, status_code=200,
      summary="Set where a region's monthly report is e-mailed / 设定信息通报收件地址")
def set_report_recipients(request: Request[Any, Any, Any], data: JSONBody[NewRecipients]) -> dict[str, Any]:
    """Replace the addresses the caller's agency has set for a region in its scope (an empty list
    stops the sending); every malformed address is listed in the refusal and nothing changes."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        services.set_recipients(session, actor=actor_for(request, principal), principal=principal,
                                region_code=data.region_code, addresses=list(data.addresses))
    with reading(request.app.state.sessions) as session:
        return services.recipients(session, principal=principal, region_code=data.region_code)


router = Router(path="/", route_handlers=[monthly, report_recipients, set_report_recipients], tags=["reports"])
