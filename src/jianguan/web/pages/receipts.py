"""A distributor's or shop's pages: the scan page (进货验收 and sales with a barcode scanner), the
deliveries on their way, stock by product, and the receiving records (also the regulators')."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get
from litestar.response import Template

from jianguan.accounts.models import Role
from jianguan.merchants.services import get_merchant
from jianguan.receipts import holdings
from jianguan.receipts import services as receipts
from jianguan.receipts.models import CheckResult
from jianguan.storage import reading
from jianguan.trace.models import Whereabouts
from jianguan.web.access import require_principal, roles
from jianguan.web.params import Offset, RowId

MERCHANTS = roles(Role.MERCHANT)
VIEWERS = roles(Role.MERCHANT, Role.REGULATOR, Role.OPERATOR)


def _merchant_name(request: Request[Any, Any, Any]) -> str:
    principal = require_principal(request)
    assert principal.merchant_id is not None
    with reading(request.app.state.sessions) as session:
        return get_merchant(session, principal=principal, merchant_id=principal.merchant_id).name


@get("/scan", opt=MERCHANTS, include_in_schema=False, sync_to_thread=True)
def scan(request: Request[Any, Any, Any]) -> Template:
    """Scan a delivery code after code and confirm the receiving check, or record sales one by one."""
    return Template("scan.html", context={"merchant": _merchant_name(request)})


@get("/deliveries", opt=MERCHANTS, include_in_schema=False, sync_to_thread=True)
def deliveries(request: Request[Any, Any, Any]) -> Template:
    """Shipments addressed to the caller's party and not received yet."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        waiting = holdings.deliveries(session, principal=principal)
    return Template("deliveries.html", context={"deliveries": waiting, "merchant": _merchant_name(request)})


@get("/stock", opt=MERCHANTS, include_in_schema=False, sync_to_thread=True)
def stock(request: Request[Any, Any, Any]) -> Template:
    """What the caller's party holds now, by product."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        counts = holdings.stock(session, principal=principal)
    return Template("stock.html", context={"stock": counts, "merchant": _merchant_name(request)})


@get("/receipts", opt=VIEWERS, include_in_schema=False, sync_to_thread=True)
def receipt_list(request: Request[Any, Any, Any], offset: Offset = 0) -> Template:
    """The receiving records in the caller's scope, newest first."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        views = receipts.list_receipts(session, principal=principal, offset=offset)
        total = receipts.count_receipts(session, principal=principal)
    return Template("receipts.html", context={"views": views, "total": total, "offset": offset,
                                              "page": receipts.MAX_LISTED, "is_merchant": principal.role is Role.MERCHANT})


@get("/receipts/{receipt_id:int}", opt=VIEWERS, include_in_schema=False, sync_to_thread=True)
def receipt_page(request: Request[Any, Any, Any], receipt_id: RowId) -> Template:
    """One receiving record: each code, what the check found, and whether it was accepted."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        view = receipts.get_receipt(session, principal=principal, receipt_id=receipt_id)
    return Template("receipt.html", context={"view": view, "Result": CheckResult, "Whereabouts": Whereabouts,
                                             "may_trace": principal.role in (Role.REGULATOR, Role.OPERATOR)})


router = Router(path="/", route_handlers=[scan, deliveries, stock, receipt_list, receipt_page])
