"""The registries of designated printers and of distributors and shops."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Request, Router, get, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from jianguan.accounts.models import Role
from jianguan.merchants import services as merchants
from jianguan.merchants.models import Merchant, MerchantKind
from jianguan.printers import services as printers
from jianguan.printers.models import Printer
from jianguan.storage import reading, transaction
from jianguan.timezone import today
from jianguan.web.access import PUBLIC, actor_for, current_principal, require_principal, roles
from jianguan.web.api.openapi import errors
from jianguan.web.params import CreditCode, RegionCode, RowId, stored_in


class NewPrinter(msgspec.Struct, forbid_unknown_fields=True):
    credit_code: CreditCode
    name: Annotated[str, stored_in(Printer.name, required=True)]
    region_code: RegionCode
    address: Annotated[str, stored_in(Printer.address)] = ""
    filing_number: Annotated[str, stored_in(Printer.filing_number)] | None = None
    filing_valid_until: dt.date | None = None


class FilingRenewal(msgspec.Struct, forbid_unknown_fields=True):
    filing_number: Annotated[str, stored_in(Printer.filing_number, required=True)]
    valid_until: dt.date


class FilingRevocation(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, stored_in(Printer.filing_revoked_reason, required=True)]


class NewMerchant(msgspec.Struct, forbid_unknown_fields=True):
    credit_code: CreditCode
    name: Annotated[str, stored_in(Merchant.name, required=True)]
    kind: MerchantKind
    region_code: RegionCode
    address: Annotated[str, stored_in(Merchant.address)] = ""


def printer_json(printer: Printer, *, full: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": printer.id, "name": printer.name, "region_code": printer.region_code,
        "filing_number": printer.filing_number,
        "filing_valid_until": printer.filing_valid_until.isoformat() if printer.filing_valid_until else None,
    }
    if full:
        body.update(credit_code=printer.credit_code, address=printer.address,
                    filing_valid_today=printer.filing_valid_on(today()),
                    filing_revoked_at=printer.filing_revoked_at.isoformat() if printer.filing_revoked_at else None,
                    filing_revoked_reason=printer.filing_revoked_reason)
    return body


def merchant_json(merchant: Merchant) -> dict[str, Any]:
    return {"id": merchant.id, "credit_code": merchant.credit_code, "name": merchant.name, "kind": merchant.kind,
            "region_code": merchant.region_code, "address": merchant.address}


@get("/printers", opt=PUBLIC, sync_to_thread=True, summary="Designated printers / 定点印刷企业")
def list_printers(request: Request[Any, Any, Any]) -> list[dict[str, Any]]:
    """Printers whose filing (印刷备案) is valid today: the ones a manufacturer may name."""
    with reading(request.app.state.sessions) as session:
        return [printer_json(p) for p in printers.list_printers(session, valid_on=today())]


@post("/printers", opt=roles(Role.OPERATOR), sync_to_thread=True, summary="Register a printer / 印刷企业登记",
      responses=errors(409))
def register_printer(request: Request[Any, Any, Any], data: JSONBody[NewPrinter]) -> dict[str, Any]:
    """Enter a printing company, with its filing if it has one."""
    actor = actor_for(request, current_principal(request))
    with transaction(request.app.state.sessions) as session:
        return printer_json(printers.register_printer(session, actor=actor, **msgspec.structs.asdict(data)),
                            full=True)


@post("/printers/{printer_id:int}/filing", opt=roles(Role.OPERATOR), sync_to_thread=True, status_code=HTTP_200_OK,
      summary="Renew a printer's filing / 印刷备案续期")
def renew_filing(request: Request[Any, Any, Any], printer_id: RowId, data: JSONBody[FilingRenewal]
                 ) -> dict[str, Any]:
    """Record a renewed filing (a new number or the same one, valid until a date not in the past);
    it also lifts a revocation. A number another printer holds is 409."""
    actor = actor_for(request, current_principal(request))
    with transaction(request.app.state.sessions) as session:
        printer = printers.renew_filing(session, actor=actor, printer_id=printer_id,
                                        filing_number=data.filing_number, valid_until=data.valid_until)
        return printer_json(printer, full=True)


@post("/printers/{printer_id:int}/filing/revoke", opt=roles(Role.OPERATOR), sync_to_thread=True,
      status_code=HTTP_200_OK, summary="Revoke a printer's filing / 撤销印刷备案")
def revoke_filing(request: Request[Any, Any, Any], printer_id: RowId, data: JSONBody[FilingRevocation]
                  ) -> dict[str, Any]:
    """Revoke a valid filing, with the reason: the printer can no longer be named for codes. A
    printer with no valid filing is 409."""
    actor = actor_for(request, current_principal(request))
    with transaction(request.app.state.sessions) as session:
        printer = printers.revoke_filing(session, actor=actor, printer_id=printer_id, reason=data.reason)
        return printer_json(printer, full=True)


@get("/merchants", opt=roles(Role.OPERATOR, Role.REGULATOR), sync_to_thread=True,
     summary="Distributors and shops in your scope / 经销商与商店")
def list_merchants(request: Request[Any, Any, Any]) -> list[dict[str, Any]]:
    """Every merchant for the operator; those in the region for a regulator."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        return [merchant_json(m) for m in merchants.list_merchants(session, principal=principal)]


@post("/merchants", opt=roles(Role.OPERATOR), sync_to_thread=True, summary="Register a merchant / 经销商与商店登记",
      responses=errors(409))
def register_merchant(request: Request[Any, Any, Any], data: JSONBody[NewMerchant]) -> dict[str, Any]:
    """Enter a distributor or shop in the registry."""
    actor = actor_for(request, current_principal(request))
    with transaction(request.app.state.sessions) as session:
        return merchant_json(merchants.register_merchant(session, actor=actor, **msgspec.structs.asdict(data)))


router = Router(path="/", route_handlers=[list_printers, register_printer, renew_filing, revoke_filing, list_merchants,
                                          register_merchant], tags=["registries"])
