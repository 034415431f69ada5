"""Supervision codes: requests, batches, code files, labels, printing, activation, packing.

A code file is recorded as downloaded in its own transaction, which commits before the first
byte is streamed: a download that fails half way still counts, so the limit cannot be beaten by
breaking connections. Label sheets are rendered to a spooled temporary file (memory up to a
few megabytes, then disk) and streamed from there.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from typing import IO, Annotated, Any

import msgspec
from litestar import Request, Router, get, post
from litestar.params import FromQuery, JSONBody
from litestar.response import Stream

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.codes import activation as activations
from jianguan.codes import delivery, issue, keyring, lookup
from jianguan.codes.labels import Label, render_label_sheet
from jianguan.codes.models import Activation, CodeRequest, RequestStatus
from jianguan.enterprises.models import PackagingLevel
from jianguan.storage import reading, transaction
from jianguan.trace import services as trace
from jianguan.web.access import PUBLIC, actor_for, require_principal, roles
from jianguan.web.api.openapi import errors
from jianguan.web.params import (
    BatchOffset,
    Code,
    CodeInPath,
    Codes,
    Count,
    Id,
    LabelCount,
    LabelOffset,
    Quantity,
    RowId,
    offset_ranges,
    stored_in,
)

REQUESTERS = roles(Role.MANUFACTURER, Role.OPERATOR)
# Who reads requests, batches and what is known of a code; each sees its own scope only.
REQUEST_READERS = roles(Role.MANUFACTURER, Role.OPERATOR, Role.REGULATOR)
BATCH_READERS = roles(Role.MANUFACTURER, Role.PRINTER, Role.OPERATOR, Role.REGULATOR)
BATCH_HANDLERS = roles(Role.MANUFACTURER, Role.PRINTER)
MANUFACTURERS = roles(Role.MANUFACTURER)
_CHUNK = 256 * 1024
MAX_RANGES = 10_000  # sub-ranges one activation may name


class NewCodeRequest(msgspec.Struct, forbid_unknown_fields=True):
    product_id: Id
    quantity: Quantity
    packaging_level: PackagingLevel = PackagingLevel.ITEM
    printer_id: Id | None = None


class Decision(msgspec.Struct, forbid_unknown_fields=True):
    approve: bool
    reason: Annotated[str, stored_in(CodeRequest.reason, description="Required to reject / 驳回时必填")] = ""


class PrintingReport(msgspec.Struct, forbid_unknown_fields=True):
    printed_count: Count
    spoiled_codes: Codes = msgspec.field(default_factory=list)


class NewActivation(msgspec.Struct, forbid_unknown_fields=True):
    lot: Annotated[str, stored_in(Activation.lot, required=True)]
    production_date: dt.date
    expiry_date: dt.date | None = None
    inspection_record: Annotated[str, stored_in(Activation.inspection_record)] = ""
    ranges: Annotated[list[tuple[BatchOffset, BatchOffset]], offset_ranges(MAX_RANGES)] | None = None
    codes: Codes | None = None


class Withdrawal(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, stored_in(Activation.withdrawn_reason, required=True)]


class PackingIn(msgspec.Struct, forbid_unknown_fields=True):
    container: Code
    contents: Codes


class UnpackingIn(msgspec.Struct, forbid_unknown_fields=True):
    container: Code
    contents: Codes | None = None


def _time(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def request_json(view: issue.RequestView) -> dict[str, Any]:
    request = view.request
    return {
        "id": request.id, "status": RequestStatus(request.status).value,
        "enterprise": {"id": view.enterprise.id, "name": view.enterprise.name},
        "product": {"id": view.product.id, "name": view.product.name, "specification": view.product.specification},
        "packaging_level": request.packaging_level, "quantity": request.quantity,
        "printer": {"id": view.printer.id, "name": view.printer.name} if view.printer else None,
        "reason": request.reason, "requested_by": request.requested_by, "created_at": _time(request.created_at),
        "decided_by": request.decided_by, "decided_at": _time(request.decided_at), "batch_id": view.batch_id,
    }


def activation_json(activation: Activation, serial_start: int) -> dict[str, Any]:
    """An activation with its range as offsets ``[offset_from, offset_to)`` within its batch."""
    return {
        "id": activation.id, "batch_id": activation.batch_id,
        "offset_from": activation.serial_start - serial_start, "offset_to": activation.serial_end - serial_start,
        "count": activation.serial_end - activation.serial_start, "lot": activation.lot,
        "production_date": activation.production_date.isoformat(),
        "expiry_date": activation.expiry_date.isoformat() if activation.expiry_date else None,
        "inspection_record": activation.inspection_record, "activated_by": activation.activated_by,
        "activated_at": _time(activation.activated_at), "withdrawn_at": _time(activation.withdrawn_at),
        "withdrawn_reason": activation.withdrawn_reason,
    }


def batch_json(view: lookup.BatchView, *, download_limit: int) -> dict[str, Any]:
    batch = view.batch
    return {
        "id": batch.id, "request_id": batch.request_id,
        "enterprise": {"id": view.enterprise.id, "name": view.enterprise.name},
        "product": {"id": view.product.id, "name": view.product.name, "specification": view.product.specification,
                    "gtin": view.product.gtin},
        "packaging_level": batch.packaging_level, "generation": batch.generation, "quantity": batch.quantity,
        "printer": {"id": view.printer.id, "name": view.printer.name} if view.printer else None,
        "issued_at": _time(batch.issued_at), "downloads": batch.downloads,
        "downloads_left": max(download_limit - batch.downloads, 0), "printed_at": _time(batch.printed_at),
        "printed_count": batch.printed_count, "spoiled_count": view.spoiled,
    }


# --- keys and requests ----------------------------------------------------------------------


@get("/keys/signing", opt=PUBLIC, sync_to_thread=True, summary="The network's signing keys / 监管网签名公钥")
def signing_keys(request: Request[Any, Any, Any]) -> list[dict[str, Any]]:
    """The public halves of the keys that sign code files, newest first: what a printer needs to
    check a downloaded file (``manifest.json`` names the key it was signed with)."""
    with reading(request.app.state.sessions) as session:
        return keyring.public_signing_keys(session)


@post("/code-requests", opt=REQUESTERS, sync_to_thread=True, summary="Request codes / 申请监管码",
      responses=errors(409))
def create_request(request: Request[Any, Any, Any], data: JSONBody[NewCodeRequest]) -> dict[str, Any]:
    """Ask for ``quantity`` codes of a product and packaging level, printed by ``printer_id`` (a
    designated printer with a valid filing) or, when null, by the enterprise itself. Within the
    monthly quota the request is issued at once (``status`` issued, ``batch_id`` set); above it,
    it waits for the operator (``status`` pending)."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        created = issue.request_codes(
            session, actor=actor_for(request, principal), principal=principal, product_id=data.product_id,
            quantity=data.quantity, packaging_level=data.packaging_level, printer_id=data.printer_id)
        return request_json(issue.describe_request(session, principal=principal, request_id=created.request.id))


@get("/code-requests", opt=REQUEST_READERS, sync_to_thread=True, summary="Code requests / 监管码申请单")
def list_requests(request: Request[Any, Any, Any], status: FromQuery[RequestStatus | None] = None) -> list[dict[str, Any]]:
    """The requests in the caller's scope (the enterprise's own; a regulator's enterprises'; the
    operator's: all), newest first; ``status`` filters."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        return [request_json(view) for view in issue.describe_requests(session, principal=principal, status=status)]


@get("/code-requests/{request_id:int}", opt=REQUEST_READERS, sync_to_thread=True, summary="One code request / 申请单详情")
def show_request(request: Request[Any, Any, Any], request_id: RowId) -> dict[str, Any]:
    """One request; 404 for another enterprise's."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        return request_json(issue.describe_request(session, principal=principal, request_id=request_id))


@post("/code-requests/{request_id:int}/decision", opt=roles(Role.OPERATOR), sync_to_thread=True,
      summary="Approve or reject a request / 审批申请单", responses=errors(409))
def decide(request: Request[Any, Any, Any], request_id: RowId, data: JSONBody[Decision]) -> dict[str, Any]:
    """Grant (and so issue) or reject a pending request; rejecting needs a reason."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        issue.decide_request(session, actor=actor_for(request, principal), request_id=request_id,
                             approve=data.approve, reason=data.reason)
        return request_json(issue.describe_request(session, principal=principal, request_id=request_id))


# --- batches ----------------------------------------------------------------------------------


@get("/batches", opt=BATCH_READERS, sync_to_thread=True, summary="Code batches / 监管码批次")
def list_batches(request: Request[Any, Any, Any]) -> list[dict[str, Any]]:
    """The batches in the caller's scope, newest first: the enterprise's, the printer's to print, the
    enterprises' in a regulator's scope, or (operator) all."""
    principal = require_principal(request)
    limit = request.app.state.settings.code_file_downloads
    with reading(request.app.state.sessions) as session:
        return [batch_json(view, download_limit=limit) for view in lookup.describe_batches(session, principal=principal)]


@get("/batches/{batch_id:int}", opt=BATCH_READERS, sync_to_thread=True, summary="One code batch / 批次详情")
def show_batch(request: Request[Any, Any, Any], batch_id: RowId) -> dict[str, Any]:
    """A batch with its activations, spoiled count and downloads left; 404 outside the caller's scope."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        view = lookup.describe_batch(session, principal=principal, batch_id=batch_id)
        body = batch_json(view, download_limit=request.app.state.settings.code_file_downloads)
        body["activations"] = [activation_json(a, view.batch.serial_start)
                               for a in activations.list_activations(session, principal=principal, batch_id=batch_id)]
        return body


def code_file_response(request: Request[Any, Any, Any], principal: Principal, batch_id: int) -> Stream:
    """Record one download of the batch's code file, commit, then stream the ZIP."""
    settings = request.app.state.settings
    with transaction(request.app.state.sessions) as session:
        plan = delivery.start_download(session, actor=actor_for(request, principal), principal=principal,
                                    batch_id=batch_id,
                                    limit=settings.code_file_downloads)
    return Stream(delivery.stream_code_file(plan, base_url=settings.public_base_url), media_type="application/zip",
                  headers={"Content-Disposition": f'attachment; filename="{plan.filename}"',
                           "Cache-Control": "no-store"})


@get("/batches/{batch_id:int}/file", opt=BATCH_HANDLERS, sync_to_thread=True,
     summary="Download the code file / 下载监管码文件", media_type="application/zip",
     response_description="The signed ZIP code file / 签名的监管码文件", responses=errors(409))
def download_file(request: Request[Any, Any, Any], batch_id: RowId) -> Stream:
    """The signed ZIP code file (``codes.csv`` and ``manifest.json``) for the batch's printer or its
    enterprise. Every download is recorded; after the limit (5 by default) the answer is 409."""
    return code_file_response(request, require_principal(request), batch_id)


def _spooled_chunks(spool: IO[bytes]) -> Iterator[bytes]:
    try:
        spool.seek(0)
        while chunk := spool.read(_CHUNK):
            yield chunk
    finally:
        spool.close()


def label_sheet_response(request: Request[Any, Any, Any], principal: Principal, batch_id: int, *, offset: int,
                         count: int) -> Stream:
    """Render the label sheet for ``count`` codes from ``offset`` into a spooled file, then stream it."""
    base_url = request.app.state.settings.public_base_url.rstrip("/")
    with transaction(request.app.state.sessions) as session:
        run = delivery.label_run(session, actor=actor_for(request, principal), principal=principal, batch_id=batch_id, offset=offset, count=count)
    labels = (Label(code, f"{base_url}/v/{code}", run.product_name, run.specification, run.enterprise_name)
              for code in run.codes)
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - the stream closes it
    try:
        render_label_sheet(labels, out=spool, title=run.title)
    except BaseException:
        spool.close()
        raise
    filename = f"jianguan-batch-{batch_id}-labels-{offset + 1}-{offset + len(run.codes)}.pdf"
    return Stream(_spooled_chunks(spool), media_type="application/pdf",
                  headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@get("/batches/{batch_id:int}/labels.pdf", opt=BATCH_HANDLERS, sync_to_thread=True,
     summary="Label sheet (PDF) / 标签打印文件", media_type="application/pdf",
     response_description="A4 label sheets / A4 标签页")
def labels_pdf(request: Request[Any, Any, Any], batch_id: RowId, offset: LabelOffset = 0,
               count: LabelCount = 240) -> Stream:
    """A PDF of A4 label sheets (24 labels a page) for ``count`` codes (at most 10,000) from
    ``offset`` within the batch: product, code, GS1-128 barcode and QR link on each label."""
    return label_sheet_response(request, require_principal(request), batch_id, offset=offset, count=count)


@post("/batches/{batch_id:int}/printing", opt=BATCH_HANDLERS, sync_to_thread=True,
      summary="Confirm printing / 确认印刷", responses=errors(409))
def confirm_printing(request: Request[Any, Any, Any], batch_id: RowId,
                     data: JSONBody[PrintingReport]) -> dict[str, Any]:
    """The named printer (or the enterprise, for a batch it prints itself) confirms how many codes it
    printed and lists the spoiled ones (作废), which then can never be activated."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        activations.confirm_printing(session, actor=actor_for(request, principal), principal=principal, batch_id=batch_id,
                               printed_count=data.printed_count, spoiled_codes=data.spoiled_codes)
        view = lookup.describe_batch(session, principal=principal, batch_id=batch_id)
        return batch_json(view, download_limit=request.app.state.settings.code_file_downloads)


@post("/batches/{batch_id:int}/activations", opt=MANUFACTURERS, sync_to_thread=True,
      summary="Activate codes / 激活监管码", responses=errors(409))
def activate(request: Request[Any, Any, Any], batch_id: RowId,
             data: JSONBody[NewActivation]) -> dict[str, Any]:
    """Bind lot, production date, expiry and inspection record to the whole batch, to ``ranges``
    (offsets ``[from, to)`` within the batch) or to scanned ``codes``. Spoiled codes, codes of
    another batch and ranges outside the batch are refused, and then nothing is activated."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        created = activations.activate(
            session, actor=actor_for(request, principal), principal=principal, batch_id=batch_id,
            data=activations.ProductionData(data.lot, data.production_date, data.expiry_date, data.inspection_record),
            offsets=data.ranges,
            codes=data.codes)
        batch = lookup.get_batch(session, principal=principal, batch_id=batch_id)
        return {"activations": [activation_json(a, batch.serial_start) for a in created],
                "activated": sum(a.serial_end - a.serial_start for a in created)}


@post("/activations/{activation_id:int}/withdraw", opt=MANUFACTURERS, sync_to_thread=True,
      summary="Withdraw an activation / 撤销激活", responses=errors(409))
def withdraw(request: Request[Any, Any, Any], activation_id: RowId,
             data: JSONBody[Withdrawal]) -> dict[str, Any]:
    """Withdraw an activation with a reason: its codes read "not activated" again."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        activation = activations.withdraw_activation(session, actor=actor_for(request, principal), principal=principal,
                                               activation_id=activation_id, reason=data.reason)
        batch = lookup.get_batch(session, principal=principal, batch_id=activation.batch_id)
        return activation_json(activation, batch.serial_start)


# --- packing and look-up ---------------------------------------------------------------------


@post("/packings", opt=MANUFACTURERS, sync_to_thread=True, summary="Pack codes into a container / 关联包装",
      responses=errors(409))
def pack(request: Request[Any, Any, Any], data: JSONBody[PackingIn]) -> dict[str, Any]:
    """Pack activated item (or case) codes into a case (or pallet) code of the same enterprise."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        packed = trace.pack(session, actor=actor_for(request, principal), principal=principal,
                            container=data.container, contents=data.contents)
    return {"container": data.container, "packed": packed}


@post("/packings/unpack", opt=MANUFACTURERS, sync_to_thread=True, summary="Unpack a container / 解除包装关联")
def unpack(request: Request[Any, Any, Any], data: JSONBody[UnpackingIn]) -> dict[str, Any]:
    """Take the listed codes (or, without a list, everything) out of a container."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        unpacked = trace.unpack(session, actor=actor_for(request, principal), principal=principal,
                                container=data.container, contents=data.contents)
    return {"container": data.container, "unpacked": unpacked}


@get("/codes/{code:str}/status", opt=REQUEST_READERS, sync_to_thread=True, summary="What is known of a code / 监管码状态")
def code_status(request: Request[Any, Any, Any], code: CodeInPath) -> dict[str, Any]:
    """Batch, product, printing, activation (lot and dates), packing and queries (count, first time
    and place) of a code. The operator sees every code; a regulator the codes of the enterprises in
    its scope; a manufacturer its own enterprise's. Any other code, issued or not, is 404."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        return lookup.code_status_for(session, principal=principal, code=code)


router = Router(
    path="/",
    route_handlers=[signing_keys, create_request, list_requests, show_request, decide, list_batches, show_batch,
                    download_file, labels_pdf, confirm_printing, activate, withdraw, pack, unpack, code_status],
    tags=["codes"],
)
