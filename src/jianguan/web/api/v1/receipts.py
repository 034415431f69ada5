"""Receiving checks (进货验收), sales at the scan page, and a distributor's or shop's deliveries and
stock: ``/api/v1/receipts``, ``/api/v1/sales``, ``/api/v1/deliveries``, ``/api/v1/stock``."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Router, get, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from jianguan.accounts.models import Role
from jianguan.receipts import holdings
from jianguan.receipts import services as receipts
from jianguan.receipts.checks import MAX_RECEIPT_CODES
from jianguan.receipts.models import Receipt
from jianguan.storage import reading, transaction
from jianguan.web.access import actor_for, require_principal, roles
from jianguan.web.params import CODE_INPUT_MAX, Code, Offset, RowId, stored_in

MERCHANTS = roles(Role.MERCHANT)
VIEWERS = roles(Role.MERCHANT, Role.REGULATOR, Role.OPERATOR)

ScannedCodes = Annotated[list[Code], msgspec.Meta(
    min_length=1, max_length=MAX_RECEIPT_CODES,
    extra_json_schema={"extra": {"items": {"type": "string", "minLength": 1, "maxLength": CODE_INPUT_MAX}}})]
RefusedCodes = Annotated[list[Code], msgspec.Meta(
    max_length=MAX_RECEIPT_CODES,
    extra_json_schema={"extra": {"items": {"type": "string", "minLength": 1, "maxLength": CODE_INPUT_MAX}}})]


class Delivery(msgspec.Struct, forbid_unknown_fields=True):
    """The codes of a delivery as scanned (a case or pallet code stands for what it holds)."""

    codes: ScannedCodes


class ReceivingCheck(msgspec.Struct, forbid_unknown_fields=True):
    """A delivery checked: the codes scanned, those the party turns down, and a note."""

    codes: ScannedCodes
    refused: RefusedCodes = msgspec.field(default_factory=list)
    note: Annotated[str, stored_in(Receipt.note)] = ""


class Sale(msgspec.Struct, forbid_unknown_fields=True):
    code: Code


@post("/receipts/check", opt=MERCHANTS, sync_to_thread=True, status_code=HTTP_200_OK,
      summary="Check a delivery's codes / 到货核验")
def check(request: Request[Any, Any, Any], data: JSONBody[Delivery]) -> dict[str, Any]:
    """What a receiving check finds of each scanned code, and of each code a scanned case holds
    (``result``: ok, unknown, spoiled, not_activated, recalled, expired, ended, not_shipped,
    already_received),
    without recording anything."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        lines = receipts.check_delivery(session, principal=principal, codes=data.codes)
    return {"lines": [line.as_dict() for line in lines]}


@post("/receipts", opt=MERCHANTS, sync_to_thread=True, status_code=HTTP_201_CREATED,
      summary="Record a receiving check / 进货验收")
def receive(request: Request[Any, Any, Any], data: JSONBody[ReceivingCheck]) -> dict[str, Any]:
    """Check a delivery and keep the record: each code's result; codes that pass and are not in
    ``refused`` (nor in a refused case) are received, as one receiving event. A case is received
    whole only if all it holds is accepted. Answers the record with its lines."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        receipt = receipts.receive(session, actor=actor_for(request, principal), principal=principal,
                                   codes=data.codes, refused=data.refused, note=data.note)
        receipt_id = receipt.id
    with reading(request.app.state.sessions) as session:
        return receipts.get_receipt(session, principal=principal, receipt_id=receipt_id).as_dict()


@get("/receipts", opt=VIEWERS, sync_to_thread=True, summary="Receiving records / 进货验收记录")
def list_receipts(request: Request[Any, Any, Any], offset: Offset = 0) -> dict[str, Any]:
    """The receiving records in the caller's scope, newest first (200 a page): a shop its own, a
    regulator those of its region (general business, or with codes of a category it supervises)."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        views = receipts.list_receipts(session, principal=principal, offset=offset)
        total = receipts.count_receipts(session, principal=principal)
    return {"total": total, "receipts": [view.as_dict() for view in views]}


@get("/receipts/{receipt_id:int}", opt=VIEWERS, sync_to_thread=True,
     summary="One receiving record / 进货验收记录详情")
def get_receipt(request: Request[Any, Any, Any], receipt_id: RowId) -> dict[str, Any]:
    """A receiving record with each code's result and whether it was accepted."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        return receipts.get_receipt(session, principal=principal, receipt_id=receipt_id).as_dict()


@post("/sales", opt=MERCHANTS, sync_to_thread=True, status_code=HTTP_200_OK,
      summary="Record a sale / 销售登记")
def sell(request: Request[Any, Any, Any], data: JSONBody[Sale]) -> dict[str, Any]:
    """Record the sale (retail_selling) of a code the shop holds in stock. ``recorded`` false: the
    code failed the check (``result`` says why) and nothing was recorded."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        checked, recorded = receipts.sell(session, actor=actor_for(request, principal), principal=principal,
                                          code=data.code)
    return {"recorded": recorded, "line": checked.as_dict()}


@get("/deliveries", opt=MERCHANTS, sync_to_thread=True, summary="Deliveries on their way / 待收货")
def deliveries(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """Shipments addressed to the caller's distributor or shop that it has not received yet."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        return {"deliveries": [d.as_dict() for d in holdings.deliveries(session, principal=principal)]}


@get("/stock", opt=MERCHANTS, sync_to_thread=True, summary="Stock by product / 库存")
def stock(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """What the caller's distributor or shop holds now, by product and packaging level."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        return {"stock": [vars(count) for count in holdings.stock(session, principal=principal)]}


router = Router(path="/", route_handlers=[check, receive, list_receipts, get_receipt, sell, deliveries, stock],
                tags=["receipts"])
