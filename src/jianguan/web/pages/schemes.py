"""The manufacturer's page of codes of other schemes (其他编码体系): its registrations, a form
registering GS1 serials of a product's GTIN (a range and/or a list), and a form importing a file
of drug supervision codes (the rows at fault listed when it is refused)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from jianguan.accounts.models import Role
from jianguan.codes.activation import ProductionData
from jianguan.errors import DomainError, ValidationFailed
from jianguan.schemes import services as schemes
from jianguan.storage import reading, transaction
from jianguan.web.access import actor_for, require_principal, roles
from jianguan.web.api.v1.schemes import MAX_FILE_BYTES, production_data
from jianguan.web.forms import Form, form_int, uploaded_file
from jianguan.web.i18n import message

MANUFACTURERS = roles(Role.MANUFACTURER)
UploadForm = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


def _page(request: Request[Any, Any, Any], *, values: dict[str, str] | None = None, form: str = "",
          error: DomainError | None = None) -> Template:
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        registrations = schemes.list_registrations(session, principal=principal)
        products = [{"id": p.id, "name": p.name, "specification": p.specification, "gtin": p.gtin}
                    for p in schemes.registrable_products(session, principal=principal)]
    faults = error.details.get("faults", []) if error is not None else []
    return Template("schemes.html", status_code=error.status_code if error else 200, context={
        "registrations": registrations, "products": products, "values": values or {}, "form": form,
        "error": message(request, error), "faults": faults, "registered": request.query_params.get("registered"),
        "max_mb": MAX_FILE_BYTES // (1024 * 1024)})


def _serials(text: str) -> list[str]:
    """The serials of a text area: one a line (or separated by commas or spaces)."""
    return [serial for serial in text.replace(",", " ").replace("，", " ").split() if serial]


@get("/schemes", opt=MANUFACTURERS, include_in_schema=False, sync_to_thread=True)
def schemes_page(request: Request[Any, Any, Any]) -> Template:
    """The enterprise's registrations of codes of other schemes, and the forms that make them."""
    return _page(request)


@post("/schemes/gs1", opt=MANUFACTURERS, include_in_schema=False, sync_to_thread=True)
def register_gs1(request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
    """Register GS1 serials (a range of numeric serials and/or a list) of a product's GTIN."""
    principal = require_principal(request)
    values = {name: str(value).strip() for name, value in data.items()}
    try:
        product_id = form_int(values.get("product_id"), "product", "产品") or 0
        first = form_int(values.get("first"), "first serial", "起始序列号", maximum=schemes.MAX_RANGE_SERIAL)
        last = form_int(values.get("last"), "last serial", "截止序列号", maximum=schemes.MAX_RANGE_SERIAL)
        if (first is None) != (last is None):
            raise ValidationFailed("Give both ends of the range.", "请填写号段的起始与截止序列号。", code="bad_range")
        ranges = [(first, last)] if first is not None and last is not None else []
        with transaction(request.app.state.sessions) as session:
            product = next((p for p in schemes.registrable_products(session, principal=principal)
                            if p.id == product_id), None)
            made = schemes.register_gs1(
                session, actor=actor_for(request, principal), principal=principal, product_id=product_id,
                gtin=(product.gtin or "") if product else values.get("gtin", ""), ranges=ranges,
                serials=_serials(values.get("serials", "")),
                production=_production(values))
            quantity = made.quantity
    except DomainError as error:
        return _page(request, values=values, form="gs1", error=error)
    return Redirect(f"/schemes?registered={quantity}", status_code=303)


def _production(values: dict[str, str]) -> ProductionData | None:
    """The production data the form gives (none when its fields are empty)."""
    return production_data(values.get("lot", ""), values.get("production_date") or None,
                           values.get("expiry_date") or None, values.get("inspection_record", ""))


@post("/schemes/drug-codes", opt=MANUFACTURERS, include_in_schema=False, sync_to_thread=True)
def import_drug_codes(request: Request[Any, Any, Any], data: UploadForm) -> Template | Redirect:
    """Import a CSV or XLSX file of drug supervision codes for a product."""
    principal = require_principal(request)
    values = {name: value.strip() for name, value in data.items() if isinstance(value, str)}
    try:
        product_id = form_int(values.get("product_id"), "product", "产品") or 0
        content, file_name = uploaded_file(data, MAX_FILE_BYTES)
        with transaction(request.app.state.sessions) as session:
            made = schemes.import_drug_codes(
                session, actor=actor_for(request, principal), principal=principal, product_id=product_id,
                file_name=file_name, data=content,
                production=_production(values))
            quantity = made.quantity
    except DomainError as error:
        return _page(request, values=values, form="drug", error=error)
    return Redirect(f"/schemes?registered={quantity}", status_code=303)


router = Router(path="/", route_handlers=[schemes_page, register_gs1, import_drug_codes])
