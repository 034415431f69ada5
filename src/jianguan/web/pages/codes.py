"""Code pages: a manufacturer's requests and batches, a batch with its downloads, printing,
activation and packing, the printer's files to print, and the operator's approvals.

Code files are downloaded through a POST form rather than a link: each download counts
against the batch's limit, and a link could be fetched by a browser's prefetcher or a
crawler without anyone asking for it.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Stream, Template

from jianguan.accounts.models import Role
from jianguan.codes import activation as activations
from jianguan.codes import delivery, issue, lookup
from jianguan.codes.codec import format_grouped
from jianguan.codes.models import RequestStatus
from jianguan.enterprises import services as enterprises
from jianguan.enterprises.models import PackagingLevel
from jianguan.errors import DomainError, ValidationFailed
from jianguan.printers.services import list_printers
from jianguan.schemes import services as schemes
from jianguan.storage import reading, transaction
from jianguan.timezone import today
from jianguan.trace import services as trace
from jianguan.web.access import actor_for, require_principal, roles
from jianguan.web.api.v1.codes import code_file_response, label_sheet_response
from jianguan.web.forms import Form, form_date, form_int
from jianguan.web.i18n import message
from jianguan.web.params import RowId

MANUFACTURERS = roles(Role.MANUFACTURER)
HANDLERS = roles(Role.MANUFACTURER, Role.PRINTER)
SAMPLE_CODES = 5
STATUS_BADGES = {"pending": "warn", "granted": "good", "issued": "good", "rejected": "bad"}
REQUEST_FIELDS = ("product_id", "packaging_level", "quantity", "printer_id")
ACTIVATION_FIELDS = ("mode", "first", "last", "codes", "lot", "production_date", "expiry_date", "inspection_record")





def _required_int(value: str | None, english: str, chinese: str) -> int:
    number = form_int(value, english, chinese)
    if number is None:
        raise ValidationFailed(f"Give the {english}.", f"请填写{chinese}。", code="missing_field")
    return number



def _lines(value: str | None) -> list[str]:
    """The non-empty lines of a textarea: one scanned or typed code each."""
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def _values(data: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    return {name: (data.get(name) or "").strip() for name in fields}


# --- the manufacturer's requests and batches ------------------------------------------------


def _codes_page(request: Request[Any, Any, Any], *, values: dict[str, str] | None = None,
                error: DomainError | None = None) -> Template:
    principal = require_principal(request)
    assert principal.enterprise_id is not None
    day = today()
    with reading(request.app.state.sessions) as session:
        enterprise = enterprises.get_enterprise(session, principal=principal, enterprise_id=principal.enterprise_id)
        products = enterprises.list_products(session, principal=principal, enterprise_id=principal.enterprise_id)
        requests = issue.describe_requests(session, principal=principal)
        batches = lookup.describe_batches(session, principal=principal)
        printers = list_printers(session, valid_on=day)
        issued = issue.issued_this_month(session, enterprise.id)
    return Template("codes.html", status_code=error.status_code if error else 200, context={
        "enterprise": enterprise, "products": products, "requests": requests, "batches": batches,
        "printers": printers, "issued_this_month": issued, "levels": list(PackagingLevel), "Level": PackagingLevel,
        "Status": RequestStatus, "badges": STATUS_BADGES, "values": values or {"packaging_level": "item"},
        "error": message(request, error),
        "download_limit": request.app.state.settings.code_file_downloads,
    })


@get("/codes", opt=MANUFACTURERS, include_in_schema=False, sync_to_thread=True)
def codes_home(request: Request[Any, Any, Any]) -> Template:
    """The enterprise's code requests and batches, and the form to request codes."""
    return _codes_page(request)


@post("/codes/requests", opt=MANUFACTURERS, include_in_schema=False, sync_to_thread=True)
def request_codes(request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
    """Request codes from the form; an issued request goes straight to its batch."""
    principal = require_principal(request)
    values = _values(data, REQUEST_FIELDS)
    try:
        product_id = _required_int(values["product_id"], "product", "产品")
        quantity = _required_int(values["quantity"], "quantity", "申请数量")
        printer_id = form_int(values["printer_id"], "printer", "印刷企业")
        with transaction(request.app.state.sessions) as session:
            created = issue.request_codes(
                session, actor=actor_for(request, principal), principal=principal, product_id=product_id,
                quantity=quantity, packaging_level=values["packaging_level"] or "item", printer_id=printer_id)
            batch_id = created.batch.id if created.batch is not None else None
    except DomainError as error:
        return _codes_page(request, values=values, error=error)
    if batch_id is not None:
        return Redirect(f"/codes/batches/{batch_id}", status_code=303)
    return Redirect("/codes#requests", status_code=303)


# --- one batch --------------------------------------------------------------------------------


def _batch_page(request: Request[Any, Any, Any], batch_id: int, *, form: str = "",
                values: dict[str, str] | None = None, error: DomainError | None = None) -> Template:
    principal = require_principal(request)
    limit = request.app.state.settings.code_file_downloads
    with reading(request.app.state.sessions) as session:
        view = lookup.describe_batch(session, principal=principal, batch_id=batch_id)
        activation_rows = activations.list_activations(session, principal=principal, batch_id=batch_id)
        samples = lookup.batch_codes(session, principal=principal, batch_id=batch_id, limit=SAMPLE_CODES)
        # A registration of codes of another scheme: no code file, labels or printing to confirm here.
        scheme = schemes.scheme_of_batch(session, batch_id) if view.batch.generation == schemes.REGISTERED else None
    batch = view.batch
    is_manufacturer = principal.role is Role.MANUFACTURER
    return Template("code_batch.html", status_code=error.status_code if error else 200, context={
        "view": view, "batch": batch, "activations": activation_rows,
        "samples": [(number, code if scheme else format_grouped(code)) for number, code in enumerate(samples, start=1)],
        "download_limit": limit, "downloads_left": max(limit - batch.downloads, 0), "scheme": scheme,
        "can_download": scheme is None and principal.role in (Role.MANUFACTURER, Role.PRINTER),
        "can_print": scheme is None and batch.printed_at is None and (
            principal.role is Role.PRINTER or (is_manufacturer and batch.printer_id is None)),
        "is_manufacturer": is_manufacturer, "Level": PackagingLevel, "today": today(),
        "label_count": min(batch.quantity, 240), "max_labels": min(batch.quantity, delivery.MAX_LABELS),
        "form": form, "values": values or {}, "error": message(request, error),
    })


@get("/codes/batches/{batch_id:int}", opt=roles(Role.MANUFACTURER, Role.PRINTER, Role.OPERATOR, Role.REGULATOR),
     include_in_schema=False, sync_to_thread=True)
def batch_page(request: Request[Any, Any, Any], batch_id: RowId) -> Template:
    """A batch: its facts, sample codes, downloads, printing, activations and packing."""
    return _batch_page(request, batch_id)


@post("/codes/batches/{batch_id:int}/file", opt=HANDLERS, include_in_schema=False, sync_to_thread=True,
      status_code=200)
def batch_file(request: Request[Any, Any, Any], batch_id: RowId, data: Form) -> Stream | Template:
    """Download the code file (counted against the batch's limit)."""
    try:
        return code_file_response(request, require_principal(request), batch_id)
    except DomainError as error:
        return _batch_page(request, batch_id, form="download", error=error)


@get("/codes/batches/{batch_id:int}/labels.pdf", opt=HANDLERS, include_in_schema=False, sync_to_thread=True)
def batch_labels(request: Request[Any, Any, Any], batch_id: RowId, first: FromQuery[str] = "1",
                 count: FromQuery[str] = "240") -> Stream | Template:
    """The label sheet for ``count`` codes from the ``first`` (counting from 1)."""
    values = {"first": first, "count": count}
    try:
        offset = _required_int(first, "first code", "起始序号") - 1
        return label_sheet_response(request, require_principal(request), batch_id, offset=offset,
                                    count=_required_int(count, "number of labels", "标签数量"))
    except DomainError as error:
        return _batch_page(request, batch_id, form="labels", values=values, error=error)


@post("/codes/batches/{batch_id:int}/printing", opt=HANDLERS, include_in_schema=False, sync_to_thread=True)
def confirm_printing(request: Request[Any, Any, Any], batch_id: RowId, data: Form) -> Template | Redirect:
    """Confirm the printed count and list the spoiled codes, one a line."""
    principal = require_principal(request)
    values = _values(data, ("printed_count", "spoiled_codes"))
    try:
        printed = _required_int(values["printed_count"], "printed count", "印刷数量")
        with transaction(request.app.state.sessions) as session:
            activations.confirm_printing(session, actor=actor_for(request, principal), principal=principal,
                                   batch_id=batch_id, printed_count=printed,
                                   spoiled_codes=_lines(values["spoiled_codes"]))
    except DomainError as error:
        return _batch_page(request, batch_id, form="printing", values=values, error=error)
    return Redirect(f"/codes/batches/{batch_id}#printing", status_code=303)


def _selection(values: dict[str, str]) -> dict[str, Any]:
    """The codes an activation form names: the whole batch, a range (1-based, inclusive) or a list."""
    if values["mode"] == "range":
        first = _required_int(values["first"], "first code", "起始序号")
        last = _required_int(values["last"], "last code", "结束序号")
        return {"offsets": [(first - 1, last)]}
    if values["mode"] == "codes":
        return {"codes": _lines(values["codes"])}
    return {}


@post("/codes/batches/{batch_id:int}/activations", opt=MANUFACTURERS, include_in_schema=False, sync_to_thread=True)
def activate(request: Request[Any, Any, Any], batch_id: RowId, data: Form) -> Template | Redirect:
    """Activate the whole batch, a range or a list of scanned codes with production data."""
    principal = require_principal(request)
    values = _values(data, ACTIVATION_FIELDS)
    values["codes"] = data.get("codes") or ""
    try:
        production_date = form_date(values["production_date"], "production date", "生产日期")
        if production_date is None:
            raise ValidationFailed("Give the production date.", "请填写生产日期。", code="missing_field")
        production = activations.ProductionData(values["lot"], production_date,
                                          form_date(values["expiry_date"], "expiry date", "有效期至"),
                                          values["inspection_record"])
        with transaction(request.app.state.sessions) as session:
            activations.activate(session, actor=actor_for(request, principal), principal=principal, batch_id=batch_id,
                           data=production,
                           **_selection(values))
    except DomainError as error:
        return _batch_page(request, batch_id, form="activation", values=values, error=error)
    return Redirect(f"/codes/batches/{batch_id}#activations", status_code=303)


@post("/codes/batches/{batch_id:int}/activations/{activation_id:int}/withdraw", opt=MANUFACTURERS,
      include_in_schema=False, sync_to_thread=True)
def withdraw(request: Request[Any, Any, Any], batch_id: RowId, activation_id: RowId,
             data: Form) -> Template | Redirect:
    """Withdraw an activation, with the reason."""
    principal = require_principal(request)
    values = {"reason": (data.get("reason") or "").strip(), "activation_id": str(activation_id)}
    try:
        with transaction(request.app.state.sessions) as session:
            activation = activations.withdraw_activation(session, actor=actor_for(request, principal), principal=principal,
                                                   activation_id=activation_id, reason=values["reason"])
            if activation.batch_id != batch_id:
                raise ValidationFailed("The activation is of another batch.", "该激活记录不属于本批次。")
    except DomainError as error:
        return _batch_page(request, batch_id, form="withdraw", values=values, error=error)
    return Redirect(f"/codes/batches/{batch_id}#activations", status_code=303)


@post("/codes/batches/{batch_id:int}/packings", opt=MANUFACTURERS, include_in_schema=False, sync_to_thread=True)
def packing(request: Request[Any, Any, Any], batch_id: RowId, data: Form) -> Template | Redirect:
    """Pack item codes into a container code, or take them out (``action=unpack``)."""
    principal = require_principal(request)
    values = {"container": (data.get("container") or "").strip(), "contents": data.get("contents") or ""}
    contents = _lines(values["contents"])
    try:
        with transaction(request.app.state.sessions) as session:
            if data.get("action") == "unpack":
                trace.unpack(session, actor=actor_for(request, principal), principal=principal,
                             container=values["container"], contents=contents or None)
            else:
                trace.pack(session, actor=actor_for(request, principal), principal=principal,
                           container=values["container"], contents=contents)
    except DomainError as error:
        return _batch_page(request, batch_id, form="packing", values=values, error=error)
    return Redirect(f"/codes/batches/{batch_id}#packing", status_code=303)


# --- looking a code up ------------------------------------------------------------------------


@get("/manage/codes", opt=roles(Role.OPERATOR, Role.REGULATOR, Role.MANUFACTURER), include_in_schema=False,
     sync_to_thread=True)
def code_lookup(request: Request[Any, Any, Any], code: FromQuery[str | None] = None) -> Template:
    """What is known of a code (batch, product, printing, activation, packing and queries), for the
    operator, for a regulator whose scope holds the code's enterprise and for that enterprise (the
    brand owner: its code's clone risk and evidence); the look-up is not a
    consumer's query and is not counted as one."""
    principal = require_principal(request)
    status, error = None, None
    if code and code.strip():
        try:
            with reading(request.app.state.sessions) as session:
                status = lookup.code_status_for(session, principal=principal, code=code)
        except DomainError as refused:
            error = refused
    return Template("code_lookup.html", status_code=error.status_code if error else 200, context={
        "code": (code or "").strip(), "status": status, "error": message(request, error), "Level": PackagingLevel,
    })


# --- the printer and the operator -------------------------------------------------------------


@get("/printing", opt=roles(Role.PRINTER), include_in_schema=False, sync_to_thread=True)
def printing(request: Request[Any, Any, Any]) -> Template:
    """The printer's code files: to print first, then those printed."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        batches = lookup.describe_batches(session, principal=principal)
    return Template("printing.html", context={
        "to_print": [view for view in batches if view.batch.printed_at is None],
        "printed": [view for view in batches if view.batch.printed_at is not None],
        "Level": PackagingLevel, "download_limit": request.app.state.settings.code_file_downloads,
    })


def _approvals_page(request: Request[Any, Any, Any], *, values: dict[str, str] | None = None,
                    error: DomainError | None = None) -> Template:
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        pending = issue.describe_requests(session, principal=principal, status=RequestStatus.PENDING.value)
    return Template("manage_code_requests.html", status_code=error.status_code if error else 200, context={
        "pending": pending, "Level": PackagingLevel, "values": values or {},
        "error": message(request, error),
    })


@get("/manage/code-requests", opt=roles(Role.OPERATOR), include_in_schema=False, sync_to_thread=True)
def approvals(request: Request[Any, Any, Any]) -> Template:
    """Requests above quota that wait for the operator."""
    return _approvals_page(request)


@post("/manage/code-requests/{request_id:int}/decision", opt=roles(Role.OPERATOR), include_in_schema=False,
      sync_to_thread=True)
def decide(request: Request[Any, Any, Any], request_id: RowId, data: Form) -> Template | Redirect:
    """Approve (and so issue) or reject a request; rejecting needs a reason."""
    values = {"request_id": str(request_id), "reason": (data.get("reason") or "").strip()}
    try:
        with transaction(request.app.state.sessions) as session:
            issue.decide_request(session, actor=actor_for(request, require_principal(request)), request_id=request_id,
                                 approve=data.get("decision") == "approve", reason=values["reason"])
    except DomainError as error:
        return _approvals_page(request, values=values, error=error)
    return Redirect("/manage/code-requests", status_code=303)


router = Router(path="/", route_handlers=[code_lookup, codes_home, request_codes, batch_page, batch_file, batch_labels,
                                          confirm_printing, activate, withdraw, packing, printing, approvals,
                                          decide])
