"""Tracing pages (追溯): a code's journey, and a lot's forward trace by party and region, for the
manufacturer and the regulators in scope."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get
from litestar.params import FromQuery
from litestar.response import Template

from jianguan.accounts.models import Role
from jianguan.enterprises import services as enterprises
from jianguan.enterprises.models import PackagingLevel
from jianguan.errors import DomainError, ValidationFailed
from jianguan.storage import reading
from jianguan.trace.journey import code_journey, lot_trace
from jianguan.trace.models import Whereabouts
from jianguan.verify.models import Channel
from jianguan.verify.verdict import Verdict
from jianguan.web.access import require_principal, roles
from jianguan.web.forms import form_int
from jianguan.web.i18n import message
from jianguan.web.params import CODE_INPUT_MAX

TRACERS = roles(Role.MANUFACTURER, Role.REGULATOR, Role.OPERATOR)
LOT_MAX = 64


@get("/trace", opt=TRACERS, include_in_schema=False, sync_to_thread=True)
def journey_page(request: Request[Any, Any, Any], code: FromQuery[str | None] = None) -> Template:
    """A code's journey: scan or type a code; the caller sees it only in scope."""
    principal = require_principal(request)
    journey, error = None, None
    code = (code or "").strip()[:CODE_INPUT_MAX]
    if code:
        try:
            with reading(request.app.state.sessions) as session:
                journey = code_journey(session, principal=principal, code=code)
        except DomainError as refused:
            error = refused
    return Template("trace_code.html", status_code=error.status_code if error else 200, context={
        "code": code, "journey": journey, "error": message(request, error), "Whereabouts": Whereabouts,
        "Channel": Channel, "Verdict": Verdict})


@get("/trace/lots", opt=TRACERS, include_in_schema=False, sync_to_thread=True)
def lot_page(request: Request[Any, Any, Any], product_id: FromQuery[str | None] = None,
             lot: FromQuery[str | None] = None) -> Template:
    """A lot's forward trace: where every code of the lot is, by party and county, rolled up."""
    principal = require_principal(request)
    values = {"product_id": (product_id or "").strip()[:12], "lot": (lot or "").strip()[:LOT_MAX]}
    trace, error, products = None, None, []
    try:
        with reading(request.app.state.sessions) as session:
            if principal.role is Role.MANUFACTURER and principal.enterprise_id is not None:
                products = enterprises.list_products(session, principal=principal,
                                                     enterprise_id=principal.enterprise_id)
            if values["product_id"] or values["lot"]:
                number = form_int(values["product_id"], "product", "产品")
                if number is None or not values["lot"]:
                    raise ValidationFailed("Give the product and the lot.", "请填写产品和批号。", code="missing_field")
                trace = lot_trace(session, principal=principal, product_id=number, lot=values["lot"])
    except DomainError as refused:
        error = refused
    return Template("trace_lot.html", status_code=error.status_code if error else 200, context={
        "values": values, "trace": trace, "products": products, "error": message(request, error),
        "Whereabouts": Whereabouts, "Level": PackagingLevel})


router = Router(path="/", route_handlers=[journey_page, lot_page])
