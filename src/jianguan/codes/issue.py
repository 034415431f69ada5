"""Code requests and issue (申请与发码): a manufacturer asks for codes, and a range of serials is cut.

A batch is a range of serials of one key generation; the codes are FF1 images of the serials,
made on demand (code files, labels, look-ups) and never stored. Ranges are cut from a per-
generation counter by one ``UPDATE … RETURNING`` statement, which the database serialises
(a row lock on PostgreSQL, the write lock SQLite takes at ``BEGIN IMMEDIATE``), so concurrent
issuers get disjoint ranges and none is lost.

The monthly quota is checked with the enterprise's row locked (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite's writers are serialised already), so that sixteen requests at once cannot
each read the month's total before any of them is counted in it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.codes.codec import SERIAL_SPACE
from jianguan.codes.keyring import key_service
from jianguan.codes.models import CodeBatch, CodeRequest, RequestStatus, SerialCounter
from jianguan.enterprises.enrolment import mark_stage_reached
from jianguan.enterprises.models import EnrolmentStage, Enterprise, PackagingLevel, Product
from jianguan.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jianguan.fields import clean_text
from jianguan.jurisdiction import scope_condition
from jianguan.printers.models import Printer
from jianguan.printers.services import usable_printer
from jianguan.storage.base import utcnow
from jianguan.timezone import LOCAL_ZONE

MAX_REQUEST_QUANTITY = 100_000_000


@dataclass(frozen=True)
class Requested:
    """A request just made, and the batch it was issued as at once (None when it waits above quota)."""

    request: CodeRequest
    batch: CodeBatch | None


def _owned_product(session: Session, principal: Principal, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None or not (principal.role is Role.OPERATOR or principal.owns_enterprise(product.enterprise_id)):
        raise NotFound(f"No product {product_id}.", f"产品 {product_id} 不存在。", code="unknown_product")
    return product


def month_start(now: dt.datetime) -> dt.datetime:
    """The first moment (UTC) of the Beijing calendar month holding ``now``: quotas run by it."""
    local = now.astimezone(LOCAL_ZONE)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)


def issued_this_month(session: Session, enterprise_id: int, now: dt.datetime | None = None) -> int:
    """Codes issued to the enterprise since the first of this month (Beijing time); codes it
    registered of another scheme (generation 0) are no issue and count for nothing."""
    since = month_start(now or utcnow())
    return int(session.scalar(select(func.coalesce(func.sum(CodeBatch.quantity), 0))
                              .where(CodeBatch.enterprise_id == enterprise_id, CodeBatch.issued_at >= since,
                                     CodeBatch.generation > 0)) or 0)


def request_codes(
    session: Session,
    *,
    actor: Actor,
    principal: Principal,
    product_id: int,
    quantity: int,
    packaging_level: str = "item",
    printer_id: int | None = None,
) -> Requested:
    """A manufacturer asks for ``quantity`` codes (监管码申请单).

    Within the enterprise's monthly quota the request is granted and issued at once (the batch is
    returned with it); above it, it waits for an operator. ``printer_id`` None means the
    enterprise prints the codes itself.
    """
    if principal.role not in (Role.MANUFACTURER, Role.OPERATOR):
        raise PermissionDenied()
    product = _owned_product(session, principal, product_id)
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_REQUEST_QUANTITY:
        raise ValidationFailed(
            f"A request is for 1 to {MAX_REQUEST_QUANTITY:,} codes; got {quantity!r}.",
            f"每张申请单可申请 1 至 {MAX_REQUEST_QUANTITY:,} 个监管码，收到 {quantity!r}。", code="bad_quantity",
        )
    try:
        level = PackagingLevel(packaging_level)
    except ValueError:
        raise ValidationFailed(f"Unknown packaging level {packaging_level!r}.", f"未知的包装层级 {packaging_level!r}。",
                               code="bad_packaging_level") from None
    if level not in {PackagingLevel(p.level) for p in product.packaging}:
        raise ValidationFailed(f"The product has no {level.value} packaging level.",
                               f"该产品没有「{level.label_zh}」包装层级。", code="bad_packaging_level")
    if printer_id is not None:
        usable_printer(session, printer_id)
    # The enterprise's row is locked until commit: the month's total read below stays true until
    # this request is counted in it (the quota check and the insert are one step for others).
    enterprise = session.scalar(select(Enterprise).where(Enterprise.id == product.enterprise_id).with_for_update())
    assert enterprise is not None
    if enterprise.signed_on is None:
        raise ValidationFailed("The enterprise has not signed up to the network (签约入网) yet.",
                               "企业尚未签约入网，不能申请监管码。", code="not_signed")
    within_quota = issued_this_month(session, enterprise.id) + quantity <= enterprise.monthly_code_quota
    request = CodeRequest(
        enterprise_id=enterprise.id, product_id=product.id, packaging_level=level.value, quantity=quantity,
        printer_id=printer_id, status=RequestStatus.GRANTED if within_quota else RequestStatus.PENDING,
        requested_by=actor.name,
    )
    session.add(request)
    session.flush()
    record(session, actor=actor, action=AuditAction.CODE_REQUEST_CREATED, target_type="code_request",
           target_id=request.id, after={"product_id": product.id, "packaging_level": level.value,
                                       "quantity": quantity, "printer_id": printer_id,
                                       "status": RequestStatus(request.status).value})
    batch = issue_batch(session, actor=actor, request_id=request.id) if within_quota else None
    return Requested(request, batch)


def decide_request(session: Session, *, actor: Actor, request_id: int, approve: bool, reason: str = "") -> Requested:
    """An operator grants (and so issues) or rejects a request above quota; rejecting needs a reason."""
    request = session.scalar(select(CodeRequest).where(CodeRequest.id == request_id).with_for_update())
    if request is None:
        raise NotFound(f"No code request {request_id}.", f"申请单 {request_id} 不存在。")
    if RequestStatus(request.status) is not RequestStatus.PENDING:
        raise Conflict("The request was already decided.", "该申请单已处理。", code="already_decided")
    reason = clean_text(reason, CodeRequest.reason, english="reason", chinese="理由")
    if approve and request.printer_id is not None:  # its filing may have lapsed while the request waited
        usable_printer(session, request.printer_id)
    if not approve and not reason:
        raise ValidationFailed("Say why the request is rejected.", "驳回时请填写理由。", code="missing_field")
    request.status = RequestStatus.GRANTED if approve else RequestStatus.REJECTED
    request.reason = reason
    request.decided_by = actor.name
    request.decided_at = utcnow()
    action = AuditAction.CODE_REQUEST_GRANTED if approve else AuditAction.CODE_REQUEST_REJECTED
    record(session, actor=actor, action=action, target_type="code_request", target_id=request.id,
           before={"status": "pending"}, after={"status": request.status.value, "reason": reason})
    batch = issue_batch(session, actor=actor, request_id=request.id) if approve else None
    return Requested(request, batch)


def allocate_serials(session: Session, *, generation: int, quantity: int) -> int:
    """Cut ``quantity`` serials from the generation's counter; return the first.

    One statement both reads and advances the counter, so two transactions can never get the
    same range: the second waits for the first's row lock (PostgreSQL) or write lock (SQLite).
    """
    new_next = session.execute(
        update(SerialCounter).where(SerialCounter.generation == generation)
        .values(next_serial=SerialCounter.next_serial + quantity)
        .returning(SerialCounter.next_serial)
    ).scalar_one()
    if new_next > SERIAL_SPACE:
        raise Conflict(f"Generation {generation} has no room for {quantity:,} more codes: rotate the key.",
                       f"第 {generation} 代密钥的序号空间不足，请轮换密钥。", code="serial_space_exhausted")
    return int(new_next - quantity)


def issue_batch(session: Session, *, actor: Actor, request_id: int) -> CodeBatch:
    """Issue a granted request: allocate its range with the newest key generation and record the batch."""
    request = session.get(CodeRequest, request_id)
    if request is None:
        raise NotFound(f"No code request {request_id}.", f"申请单 {request_id} 不存在。")
    if RequestStatus(request.status) is not RequestStatus.GRANTED:
        raise Conflict("Only a granted request can be issued.", "只有已批准的申请单才能发码。", code="not_granted")
    generation = key_service(session).ensure_keys(session, actor=Actor.system("keys"))
    start = allocate_serials(session, generation=generation, quantity=request.quantity)
    batch = CodeBatch(request_id=request.id, enterprise_id=request.enterprise_id, product_id=request.product_id,
                      packaging_level=request.packaging_level, generation=generation, serial_start=start,
                      quantity=request.quantity, printer_id=request.printer_id)
    session.add(batch)
    request.status = RequestStatus.ISSUED
    session.flush()
    record(session, actor=actor, action=AuditAction.CODE_BATCH_ISSUED, target_type="code_batch",
           target_id=batch.id, after={"request_id": request.id, "generation": generation,
                                      "serial_start": start, "quantity": request.quantity,
                                      "printer_id": request.printer_id})
    mark_stage_reached(session, actor=actor, enterprise_id=request.enterprise_id, stage=EnrolmentStage.CODES_ISSUED)
    return batch


# --- reading requests ----------------------------------------------------------------------------


def _request_scope(principal: Principal) -> Any:
    return scope_condition(principal, enterprise=CodeRequest.enterprise_id)


def _checked_status(status: str | None) -> RequestStatus | None:
    if not status:
        return None
    try:
        return RequestStatus(status)
    except ValueError:
        raise ValidationFailed(f"Unknown request status {status!r}.", f"未知的申请单状态 {status!r}。",
                               code="bad_status") from None


def list_requests(session: Session, *, principal: Principal, status: str | None = None) -> list[CodeRequest]:
    """Code requests the principal may see (the jurisdiction rule), newest first; an unknown
    ``status`` is refused rather than read as "no filter"."""
    query = select(CodeRequest).where(_request_scope(principal)).order_by(CodeRequest.id.desc())
    wanted = _checked_status(status)
    if wanted is not None:
        query = query.where(CodeRequest.status == wanted)
    return list(session.scalars(query))


def get_request(session: Session, *, principal: Principal, request_id: int) -> CodeRequest:
    """One code request the principal may see; NotFound otherwise."""
    request = session.scalar(select(CodeRequest).where(CodeRequest.id == request_id, _request_scope(principal)))
    if request is None:
        raise NotFound(f"No code request {request_id}.", f"申请单 {request_id} 不存在。")
    return request


@dataclass(frozen=True)
class RequestView:
    """A code request with the names people read beside it and the batch it was issued as."""

    request: CodeRequest
    product: Product
    enterprise: Enterprise
    printer: Printer | None
    batch_id: int | None


def _request_view(session: Session, request: CodeRequest, batch_id: int | None) -> RequestView:
    product = session.get(Product, request.product_id)
    enterprise = session.get(Enterprise, request.enterprise_id)
    assert product is not None and enterprise is not None
    printer = session.get(Printer, request.printer_id) if request.printer_id is not None else None
    return RequestView(request, product, enterprise, printer, batch_id)


def describe_requests(session: Session, *, principal: Principal, status: str | None = None) -> list[RequestView]:
    """The requests the principal may see (see ``list_requests``), newest first, with names and batch ids."""
    requests = list_requests(session, principal=principal, status=status)
    batch_ids = dict(session.execute(select(CodeBatch.request_id, CodeBatch.id)
                                     .where(CodeBatch.request_id.in_([r.id for r in requests]))).tuples().all())
    return [_request_view(session, request, batch_ids.get(request.id)) for request in requests]


def describe_request(session: Session, *, principal: Principal, request_id: int) -> RequestView:
    """One request the principal may see, with names and its batch id; NotFound otherwise."""
    request = get_request(session, principal=principal, request_id=request_id)
    batch_id = session.scalar(select(CodeBatch.id).where(CodeBatch.request_id == request.id))
    return _request_view(session, request, batch_id)
