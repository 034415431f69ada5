"""Codes of other schemes an enterprise already prints, registered to verify here:
``/api/v1/schemes/registrations`` (list), ``/api/v1/products/{id}/schemes/gs1`` (GS1 serial ranges
and lists) and ``/api/v1/products/{id}/schemes/drug-codes`` (a CSV or XLSX file of drug codes)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Request, Router, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, JSONBody

from jianguan.accounts.models import Role
from jianguan.codes.activation import ProductionData
from jianguan.codes.models import Activation
from jianguan.errors import ValidationFailed
from jianguan.schemes import services as schemes
from jianguan.schemes.parsing import MAX_GS1_SERIAL
from jianguan.storage import reading, transaction
from jianguan.web.access import actor_for, require_principal, roles
from jianguan.web.api.openapi import errors
from jianguan.web.params import RowId, stored_in

REGISTRARS = roles(Role.MANUFACTURER, Role.OPERATOR)
READERS = roles(Role.MANUFACTURER, Role.OPERATOR, Role.REGULATOR)
MAX_FILE_BYTES = schemes.MAX_FILE_BYTES

Serial = Annotated[int, msgspec.Meta(ge=0, le=schemes.MAX_RANGE_SERIAL)]
Gs1Serial = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_GS1_SERIAL)]
# Litestar documents the bounds of a list, not of its items: the items' are named (as in web/params.py).
Gs1Serials = Annotated[list[Gs1Serial], msgspec.Meta(max_length=schemes.MAX_LISTED, extra_json_schema={
    "extra": {"items": {"type": "string", "minLength": 1, "maxLength": MAX_GS1_SERIAL}}})]
Gtin = Annotated[str, msgspec.Meta(min_length=8, max_length=14, pattern=r"^[0-9]{8,14}$")]


class SerialRange(msgspec.Struct, forbid_unknown_fields=True):
    first: Serial
    last: Serial


class Gs1Registration(msgspec.Struct, forbid_unknown_fields=True):
    gtin: Gtin
    ranges: Annotated[list[SerialRange], msgspec.Meta(max_length=schemes.MAX_RANGES)] = msgspec.field(
        default_factory=list)
    serials: Gs1Serials = msgspec.field(default_factory=list)
    lot: Annotated[str, stored_in(Activation.lot, description="With production_date: activated at once / 生产批次")] = ""
    production_date: dt.date | None = None
    expiry_date: dt.date | None = None
    inspection_record: Annotated[str, stored_in(Activation.inspection_record)] = ""


@dataclass
class DrugCodeUpload:
    """A file of drug codes, and the production data to activate them with, if any."""

    file: UploadFile
    lot: str = ""
    production_date: str = ""
    expiry_date: str = ""
    inspection_record: str = ""


def production_data(lot: str, production_date: str | dt.date | None, expiry_date: str | dt.date | None,
                    inspection_record: str) -> ProductionData | None:
    """The production data given with a registration (None when no lot and no date is given)."""
    if not lot.strip() and not production_date:
        return None

    def day(value: str | dt.date | None, name: str, name_zh: str) -> dt.date | None:
        if value is None or isinstance(value, dt.date):
            return value
        if not value.strip():
            return None
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            raise ValidationFailed(f"The {name} is not a date (YYYY-MM-DD).", f"{name_zh}不是日期（年-月-日）。",
                                   code="bad_dates", field=name.replace(" ", "_")) from None

    made = day(production_date, "production date", "生产日期")
    if made is None:
        raise ValidationFailed("A production date is needed with a lot.", "填写生产批次时须填写生产日期。",
                               code="missing_field", field="production_date")
    return ProductionData(lot, made, day(expiry_date, "expiry date", "有效期"), inspection_record)


@get("/schemes/registrations", opt=READERS, sync_to_thread=True,
     summary="Registered codes of other schemes / 其他编码体系注册码")
def list_registrations(request: Request[Any, Any, Any]) -> list[dict[str, Any]]:
    """The registrations the caller sees: an enterprise its own, a regulator those in its scope.
    Each is a batch of generation 0: a GS1 range (GTIN, first and last serial), a list of GS1
    serials, or a file of drug codes, with how many codes it holds."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        return schemes.list_registrations(session, principal=principal)


@post("/products/{product_id:int}/schemes/gs1", opt=REGISTRARS, sync_to_thread=True, status_code=201,
      responses=errors(404, 409), summary="Register GS1 serials / 注册 GS1 序列号")
def register_gs1(request: Request[Any, Any, Any], product_id: RowId, data: JSONBody[Gs1Registration]
                 ) -> dict[str, Any]:
    """Register GS1 serials the enterprise already prints for its product: ``ranges`` of numeric
    serials (``first`` to ``last``, no leading zeros) and a list of ``serials``, of the product's
    ``gtin``. With ``lot`` and ``production_date`` they are activated at once; else activate each
    registration's batch as any batch. Serials registered already are a 409; the codes are marked
    registered, not issued, and take nothing of the quota."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        made = schemes.register_gs1(
            session, actor=actor_for(request, principal), principal=principal, product_id=product_id,
            gtin=data.gtin, ranges=[(r.first, r.last) for r in data.ranges], serials=data.serials,
            production=production_data(data.lot, data.production_date, data.expiry_date, data.inspection_record))
        batches = [registration.batch_id for registration in made.registrations]
    return {"batch_ids": batches, "quantity": made.quantity}


@post("/products/{product_id:int}/schemes/drug-codes", opt=REGISTRARS, sync_to_thread=True, status_code=201,
      responses=errors(404, 409), summary="Import drug supervision codes (CSV or XLSX) / 导入药品电子监管码")
def import_drug_codes(request: Request[Any, Any, Any], product_id: RowId,
                      data: Annotated[DrugCodeUpload, Body(media_type=RequestEncodingType.MULTI_PART)]
                      ) -> dict[str, Any]:
    """Register the 20-digit drug supervision codes (药品电子监管码) of a CSV or XLSX file for a
    product, as ``multipart/form-data``: ``file`` (one code a row, in the first column, under an
    optional heading), and ``lot``, ``production_date`` (YYYY-MM-DD), ``expiry_date`` and
    ``inspection_record`` to activate them at once. A file with malformed or repeated codes is
    refused whole (400, the rows in ``error.details.faults``); codes registered already are a 409."""
    principal = require_principal(request)
    data.file.file.seek(0)
    content = data.file.file.read(MAX_FILE_BYTES + 1)
    with transaction(request.app.state.sessions) as session:
        made = schemes.import_drug_codes(
            session, actor=actor_for(request, principal), principal=principal, product_id=product_id,
            file_name=data.file.filename, data=content,
            production=production_data(data.lot, data.production_date, data.expiry_date, data.inspection_record))
        batches = [registration.batch_id for registration in made.registrations]
    return {"batch_ids": batches, "quantity": made.quantity}


router = Router(path="/", route_handlers=[list_registrations, register_gs1, import_drug_codes], tags=["codes"])
