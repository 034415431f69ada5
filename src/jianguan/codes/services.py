"""Supervision codes: keys, requests, issue, code files, printing, activation and aggregation.

A batch is a range of serials of one key generation; the codes are FF1 images of the serials,
made on demand (code files, labels, look-ups) and never stored. Ranges are cut from a per-
generation counter by one ``UPDATE … RETURNING`` statement, which the database serialises
(a row lock on PostgreSQL, the write lock SQLite takes at ``BEGIN IMMEDIATE``), so concurrent
issuers get disjoint ranges and none is lost.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.services import Actor, record
from jianguan.codes import keys as keycrypto
from jianguan.codes.codec import (
    SERIAL_SPACE,
    Key,
    Keyring,
    decode_code,
    encode_serial,
    issue_codes,
    parse_code,
)
from jianguan.codes.models import (
    Activation,
    CodeBatch,
    CodeDownload,
    CodeKey,
    CodeRequest,
    Packing,
    RequestStatus,
    SerialCounter,
    SigningKey,
    SpoiledCode,
)
from jianguan.enterprises.models import EnrolmentStage, Enterprise, PackagingLevel, Product
from jianguan.enterprises.services import mark_stage_reached
from jianguan.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jianguan.printers.models import Printer
from jianguan.storage.base import utcnow

MAX_REQUEST_QUANTITY = 100_000_000
MAX_GENERATIONS = 9
MAX_LISTED_CODES = 100_000  # codes one activation, spoilage report or packing may list


# --- keys ----------------------------------------------------------------------------------------

_key_cache: dict[tuple[int, bytes], Key] = {}
_key_cache_lock = threading.Lock()


def _code_key_label(generation: int) -> bytes:
    return f"code-key:{generation}".encode()


def _signing_key_label(key_id: int) -> bytes:
    return f"signing-key:{key_id}".encode()


def rotate_code_key(session: Session, *, actor: Actor, master: bytes) -> int:
    """Add the next key generation; new codes use it from now on, old ones still decode.

    Returns the new generation. Nine generations are the most a code's first digit can name.
    """
    newest = session.scalar(select(func.max(CodeKey.generation))) or 0
    if newest >= MAX_GENERATIONS:
        raise Conflict("All nine key generations are in use.", "九代密钥已全部使用。", code="generations_exhausted")
    generation = newest + 1
    secret = os.urandom(32)
    session.add(CodeKey(generation=generation,
                        wrapped_key=keycrypto.wrap_key(master, secret, label=_code_key_label(generation))))
    session.flush()
    session.add(SerialCounter(generation=generation, next_serial=0))
    session.flush()
    record(session, actor=actor, action="code:key:created", target_type="code_key", target_id=generation,
           after={"generation": generation})
    return generation


def load_keyring(session: Session, *, master: bytes) -> Keyring:
    """Every key generation, unwrapped with the master key; empty keyrings raise NotFound."""
    keys = []
    for row in session.scalars(select(CodeKey).order_by(CodeKey.generation)):
        cache_key = (row.generation, hashlib.sha256(row.wrapped_key + master).digest())
        with _key_cache_lock:
            key = _key_cache.get(cache_key)
        if key is None:
            secret = keycrypto.unwrap_key(master, row.wrapped_key, label=_code_key_label(row.generation))
            key = Key(row.generation, secret)
            with _key_cache_lock:
                _key_cache[cache_key] = key
        keys.append(key)
    if not keys:
        raise NotFound("No code key exists yet: run `jianguan keys rotate`.",
                       "尚未生成监管码密钥：请运行 `jianguan keys rotate`。", code="no_code_key")
    return Keyring(keys)


def ensure_keys(session: Session, *, actor: Actor, master: bytes) -> None:
    """Create generation 1 and the signing key on a network that has neither."""
    if session.scalar(select(func.count()).select_from(CodeKey)) == 0:
        rotate_code_key(session, actor=actor, master=master)
    if session.scalar(select(func.count()).select_from(SigningKey)) == 0:
        rotate_signing_key(session, actor=actor, master=master)


def rotate_signing_key(session: Session, *, actor: Actor, master: bytes) -> SigningKey:
    """Make a new network signing key (Ed25519); code files are signed with the newest."""
    private_raw, public_raw = keycrypto.new_signing_key()
    row = SigningKey(wrapped_private_key=b"", public_key=keycrypto.encode_public_key(public_raw))
    session.add(row)
    session.flush()
    row.wrapped_private_key = keycrypto.wrap_key(master, private_raw, label=_signing_key_label(row.id))
    record(session, actor=actor, action="code:signing_key:created", target_type="signing_key", target_id=row.id,
           after={"public_key": row.public_key})
    return row


@dataclass(frozen=True)
class Signer:
    """The newest signing key: its id as written in manifests, and a function that signs."""

    key_id: str
    public_key: str
    _private: bytes

    def sign(self, message: bytes) -> bytes:
        return keycrypto.sign(self._private, message)


def signing_key_id(row: SigningKey) -> str:
    return f"jianguan-{row.id}"


def current_signer(session: Session, *, master: bytes) -> Signer:
    """The newest network signing key, unwrapped."""
    row = session.scalar(select(SigningKey).order_by(SigningKey.id.desc()).limit(1))
    if row is None:
        raise NotFound("No signing key exists yet: run `jianguan keys rotate`.",
                       "尚未生成签名密钥：请运行 `jianguan keys rotate`。", code="no_signing_key")
    private = keycrypto.unwrap_key(master, row.wrapped_private_key, label=_signing_key_label(row.id))
    return Signer(signing_key_id(row), row.public_key, private)


def public_signing_keys(session: Session) -> list[dict[str, Any]]:
    """Every network signing key's public half, newest first (what verifiers of code files need)."""
    rows = session.scalars(select(SigningKey).order_by(SigningKey.id.desc()))
    return [{"key_id": signing_key_id(row), "algorithm": "Ed25519", "public_key": row.public_key,
             "created_at": row.created_at.isoformat()} for row in rows]


# --- requests and issue ----------------------------------------------------------------------------


def _owned_product(session: Session, principal: Principal, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None or not (principal.role is Role.OPERATOR or principal.owns_enterprise(product.enterprise_id)):
        raise NotFound(f"No product {product_id}.", f"产品 {product_id} 不存在。", code="unknown_product")
    return product


def _valid_printer(session: Session, printer_id: int, day: dt.date) -> Printer:
    printer = session.get(Printer, printer_id)
    if printer is None:
        raise NotFound(f"No printer {printer_id}.", f"印刷企业 {printer_id} 不存在。", code="unknown_printer")
    if printer.filing_number is None or printer.filing_valid_until is None or printer.filing_valid_until < day:
        raise ValidationFailed(
            f"{printer.name} has no valid printing filing (印刷备案) and cannot be named.",
            f"{printer.name} 没有有效的印刷备案，不能承印监管码。", code="printer_not_filed",
        )
    return printer


def _month_start(now: dt.datetime) -> dt.datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def issued_this_month(session: Session, enterprise_id: int, now: dt.datetime | None = None) -> int:
    """Codes issued to the enterprise since the first of this month (UTC)."""
    since = _month_start(now or utcnow())
    return int(session.scalar(select(func.coalesce(func.sum(CodeBatch.quantity), 0))
                              .where(CodeBatch.enterprise_id == enterprise_id, CodeBatch.issued_at >= since)) or 0)


def request_codes(
    session: Session,
    *,
    actor: Actor,
    principal: Principal,
    product_id: int,
    quantity: int,
    packaging_level: str = "item",
    printer_id: int | None = None,
    master: bytes,
) -> CodeRequest:
    """A manufacturer asks for ``quantity`` codes (监管码申请单).

    Within the enterprise's monthly quota the request is granted and issued at once; above it,
    it waits for an operator. ``printer_id`` None means the enterprise prints the codes itself.
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
        _valid_printer(session, printer_id, utcnow().date())
    enterprise = session.get(Enterprise, product.enterprise_id)
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
    record(session, actor=actor, action="code:request:created", target_type="code_request", target_id=request.id,
           after={"product_id": product.id, "packaging_level": level.value, "quantity": quantity,
                  "printer_id": printer_id, "status": RequestStatus(request.status).value})
    if within_quota:
        issue_batch(session, actor=actor, request_id=request.id, master=master)
    return request


def decide_request(
    session: Session, *, actor: Actor, request_id: int, approve: bool, reason: str = "", master: bytes
) -> CodeRequest:
    """An operator grants (and so issues) or rejects a request above quota; rejecting needs a reason."""
    request = session.get(CodeRequest, request_id)
    if request is None:
        raise NotFound(f"No code request {request_id}.", f"申请单 {request_id} 不存在。")
    if RequestStatus(request.status) is not RequestStatus.PENDING:
        raise Conflict("The request was already decided.", "该申请单已处理。", code="already_decided")
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ValidationFailed("Say why the request is rejected.", "驳回时请填写理由。", code="missing_field")
    request.status = RequestStatus.GRANTED if approve else RequestStatus.REJECTED
    request.reason = reason
    request.decided_by = actor.name
    request.decided_at = utcnow()
    record(session, actor=actor, action="code:request:" + ("granted" if approve else "rejected"),
           target_type="code_request", target_id=request.id, before={"status": "pending"},
           after={"status": request.status.value, "reason": reason})
    if approve:
        issue_batch(session, actor=actor, request_id=request.id, master=master)
    return request


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


def issue_batch(session: Session, *, actor: Actor, request_id: int, master: bytes) -> CodeBatch:
    """Issue a granted request: allocate its range with the newest key generation and record the batch."""
    request = session.get(CodeRequest, request_id)
    if request is None:
        raise NotFound(f"No code request {request_id}.", f"申请单 {request_id} 不存在。")
    if RequestStatus(request.status) is not RequestStatus.GRANTED:
        raise Conflict("Only a granted request can be issued.", "只有已批准的申请单才能发码。", code="not_granted")
    ensure_keys(session, actor=Actor.system("keys"), master=master)
    generation = int(session.scalar(select(func.max(CodeKey.generation))))
    start = allocate_serials(session, generation=generation, quantity=request.quantity)
    batch = CodeBatch(request_id=request.id, enterprise_id=request.enterprise_id, product_id=request.product_id,
                      packaging_level=request.packaging_level, generation=generation, serial_start=start,
                      quantity=request.quantity, printer_id=request.printer_id)
    session.add(batch)
    request.status = RequestStatus.ISSUED
    session.flush()
    record(session, actor=actor, action="code:batch:issued", target_type="code_batch", target_id=batch.id,
           after={"request_id": request.id, "generation": generation, "serial_start": start,
                  "quantity": request.quantity, "printer_id": request.printer_id})
    mark_stage_reached(session, actor=actor, enterprise_id=request.enterprise_id, stage=EnrolmentStage.CODES_ISSUED)
    return batch


# --- reading batches -----------------------------------------------------------------------------


def _visible(principal: Principal, batch: CodeBatch) -> bool:
    if principal.role is Role.OPERATOR:
        return True
    if principal.role is Role.MANUFACTURER:
        return principal.enterprise_id == batch.enterprise_id
    if principal.role is Role.PRINTER:
        return batch.printer_id is not None and principal.printer_id == batch.printer_id
    return False


def get_batch(session: Session, *, principal: Principal, batch_id: int) -> CodeBatch:
    """A batch the principal may see (its enterprise, its printer, or an operator); else NotFound."""
    batch = session.get(CodeBatch, batch_id)
    if batch is None or not _visible(principal, batch):
        raise NotFound(f"No code batch {batch_id}.", f"监管码批次 {batch_id} 不存在。", code="unknown_batch")
    return batch


def list_batches(session: Session, *, principal: Principal) -> list[CodeBatch]:
    """Batches the principal may see, newest first."""
    query = select(CodeBatch).order_by(CodeBatch.id.desc())
    if principal.role is Role.MANUFACTURER:
        query = query.where(CodeBatch.enterprise_id == principal.enterprise_id)
    elif principal.role is Role.PRINTER:
        query = query.where(CodeBatch.printer_id == principal.printer_id)
    elif principal.role is not Role.OPERATOR:
        raise PermissionDenied()
    return list(session.scalars(query))


def list_requests(session: Session, *, principal: Principal, status: str | None = None) -> list[CodeRequest]:
    """Code requests the principal may see (its enterprise's, or all for an operator), newest first."""
    query = select(CodeRequest).order_by(CodeRequest.id.desc())
    if principal.role is Role.MANUFACTURER:
        query = query.where(CodeRequest.enterprise_id == principal.enterprise_id)
    elif principal.role is not Role.OPERATOR:
        raise PermissionDenied()
    if status:
        query = query.where(CodeRequest.status == RequestStatus(status))
    return list(session.scalars(query))


def get_request(session: Session, *, principal: Principal, request_id: int) -> CodeRequest:
    request = session.get(CodeRequest, request_id)
    if request is None or not (principal.role is Role.OPERATOR or principal.owns_enterprise(request.enterprise_id)):
        raise NotFound(f"No code request {request_id}.", f"申请单 {request_id} 不存在。")
    return request


# --- code files ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeFilePlan:
    """Everything needed to stream a batch's code file after the download was recorded."""

    key: Key
    serial_start: int
    quantity: int
    gtin: str | None
    manifest: dict[str, Any]
    signer: Signer
    filename: str


def start_download(
    session: Session, *, actor: Actor, principal: Principal, batch_id: int, master: bytes, limit: int
) -> CodeFilePlan:
    """Record one download of a batch's code file and return what streaming it needs.

    Only the named printer (or, for a batch the enterprise prints itself, the enterprise) and
    the enterprise may download; each batch may be downloaded ``limit`` times in all.
    """
    batch = get_batch(session, principal=principal, batch_id=batch_id)
    if principal.role is Role.OPERATOR:
        raise PermissionDenied("Operators do not download code files.", "运营中心不下载监管码文件。")
    if batch.downloads >= limit:
        raise Conflict(f"This batch's code file was downloaded {batch.downloads} times, the most allowed.",
                       f"该批次监管码文件已下载 {batch.downloads} 次，达到上限。", code="download_limit")
    batch.downloads += 1
    session.add(CodeDownload(batch_id=batch.id, downloaded_by=actor.name, source_address=actor.source_address))
    record(session, actor=actor, action="code:file:downloaded", target_type="code_batch", target_id=batch.id,
           after={"download": batch.downloads})
    return plan_code_file(session, batch=batch, master=master)


def export_code_file(session: Session, *, actor: Actor, batch_id: int, master: bytes) -> CodeFilePlan:
    """The operator's export of a batch's code file on the server itself (``jianguan codes export``);
    audited, and not counted against the printer's download limit."""
    batch = session.get(CodeBatch, batch_id)
    if batch is None:
        raise NotFound(f"No code batch {batch_id}.", f"监管码批次 {batch_id} 不存在。", code="unknown_batch")
    record(session, actor=actor, action="code:file:exported", target_type="code_batch", target_id=batch.id)
    return plan_code_file(session, batch=batch, master=master)


def plan_code_file(session: Session, *, batch: CodeBatch, master: bytes) -> CodeFilePlan:
    """What streaming the batch's code file needs: its key, range, manifest fields and signer."""
    product = session.get(Product, batch.product_id)
    enterprise = session.get(Enterprise, batch.enterprise_id)
    assert product is not None and enterprise is not None
    keyring = load_keyring(session, master=master)
    manifest = {
        "batch_id": batch.id,
        "enterprise": {"id": enterprise.id, "name": enterprise.name, "credit_code": enterprise.credit_code},
        "product": {"id": product.id, "name": product.name, "specification": product.specification,
                    "gtin": product.gtin},
        "packaging_level": batch.packaging_level,
        "printer_id": batch.printer_id,
        "issued_at": batch.issued_at.isoformat(),
    }
    return CodeFilePlan(key=keyring[batch.generation], serial_start=batch.serial_start, quantity=batch.quantity,
                        gtin=product.gtin, manifest=manifest, signer=current_signer(session, master=master),
                        filename=f"jianguan-batch-{batch.id}.zip")


def stream_code_file(plan: CodeFilePlan, *, base_url: str) -> Iterator[bytes]:
    """The ZIP bytes of a planned code file (see codes.files)."""
    from jianguan.codes.files import iter_code_file

    return iter_code_file(key=plan.key, serial_start=plan.serial_start, quantity=plan.quantity, base_url=base_url,
                          gtin=plan.gtin, manifest=plan.manifest, signer=plan.signer.sign,
                          public_key_id=plan.signer.key_id)


# --- codes in a batch ------------------------------------------------------------------------------


def _decode_in_batch(keyring: Keyring, batch: CodeBatch, codes: Sequence[str]) -> list[int]:
    """The serials of ``codes``, each checked to be well formed and to belong to ``batch``."""
    if len(codes) > MAX_LISTED_CODES:
        raise ValidationFailed(f"At most {MAX_LISTED_CODES:,} codes in one list.",
                               f"一次最多提交 {MAX_LISTED_CODES:,} 个监管码。", code="too_many_codes")
    serials = []
    for position, raw in enumerate(codes, start=1):
        try:
            parsed = parse_code(raw, keyring)
        except ValidationFailed as error:
            raise ValidationFailed(f"Code {position} ({raw!r}): {error.message}",
                                   f"第 {position} 个监管码（{raw!r}）：{error.message_zh}",
                                   code="malformed_code") from None
        generation, serial = decode_code(keyring, parsed.code)
        if generation != batch.generation or not batch.serial_start <= serial < batch.serial_end:
            raise ValidationFailed(f"Code {parsed.code} is not in batch {batch.id}.",
                                   f"监管码 {parsed.code} 不属于批次 {batch.id}。", code="code_not_in_batch")
        serials.append(serial)
    return serials


def collapse_ranges(serials: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted, de-duplicated serials as half-open ranges ``[start, end)``."""
    ranges: list[tuple[int, int]] = []
    for serial in sorted(set(serials)):
        if ranges and ranges[-1][1] == serial:
            ranges[-1] = (ranges[-1][0], serial + 1)
        else:
            ranges.append((serial, serial + 1))
    return ranges


def confirm_printing(
    session: Session,
    *,
    actor: Actor,
    principal: Principal,
    batch_id: int,
    printed_count: int,
    spoiled_codes: Sequence[str] = (),
    master: bytes,
) -> CodeBatch:
    """The printer (or a self-printing enterprise) confirms what it printed and lists spoiled codes (作废)."""
    batch = get_batch(session, principal=principal, batch_id=batch_id)
    allowed = (principal.role is Role.PRINTER) or (batch.printer_id is None and principal.role is Role.MANUFACTURER)
    if not allowed:
        raise PermissionDenied("Only the batch's printer confirms its printing.", "只有承印企业可以确认印刷。")
    if batch.printed_at is not None:
        raise Conflict("Printing of this batch was already confirmed.", "该批次已确认印刷。", code="already_confirmed")
    if not isinstance(printed_count, int) or not 0 <= printed_count <= batch.quantity:
        raise ValidationFailed(f"The printed count is 0 to {batch.quantity:,}; got {printed_count!r}.",
                               f"印刷数量应在 0 至 {batch.quantity:,} 之间，收到 {printed_count!r}。",
                               code="bad_quantity")
    keyring = load_keyring(session, master=master)
    serials = sorted(set(_decode_in_batch(keyring, batch, spoiled_codes)))
    activated = _activated_serials(session, batch, serials)
    if activated:
        raise Conflict(f"Code {encode_serial(keyring[batch.generation], activated[0])} is activated; "
                       "withdraw the activation before reporting it spoiled.",
                       f"监管码 {encode_serial(keyring[batch.generation], activated[0])} 已激活，请先撤销激活再报作废。",
                       code="spoiling_active_code")
    for serial in serials:
        session.add(SpoiledCode(generation=batch.generation, serial=serial, batch_id=batch.id,
                                reported_by=actor.name))
    batch.printed_at = utcnow()
    batch.printed_count = printed_count
    session.flush()
    record(session, actor=actor, action="code:batch:printed", target_type="code_batch", target_id=batch.id,
           after={"printed_count": printed_count, "spoiled": len(serials)})
    return batch


def _activated_serials(session: Session, batch: CodeBatch, serials: Sequence[int]) -> list[int]:
    ranges = _active_ranges(session, batch.id)
    return [serial for serial in serials if any(start <= serial < end for start, end, _row in ranges)]


def _active_ranges(session: Session, batch_id: int) -> list[tuple[int, int, Activation]]:
    rows = session.scalars(select(Activation).where(Activation.batch_id == batch_id,
                                                    Activation.withdrawn_at.is_(None)))
    return [(row.serial_start, row.serial_end, row) for row in rows]


def _spoiled_in(session: Session, batch: CodeBatch, start: int, end: int) -> int | None:
    return session.scalar(select(SpoiledCode.serial).where(
        SpoiledCode.generation == batch.generation, SpoiledCode.serial >= start, SpoiledCode.serial < end,
    ).order_by(SpoiledCode.serial).limit(1))


@dataclass(frozen=True)
class ProductionData:
    """What activation binds to codes: the lot (批次), dates and the inspection record."""

    lot: str
    production_date: dt.date
    expiry_date: dt.date | None = None
    inspection_record: str = ""

    def checked(self) -> ProductionData:
        lot = (self.lot or "").strip()
        if not lot:
            raise ValidationFailed("The lot (批次) is required.", "请填写生产批次。", code="missing_field", field="lot")
        if self.expiry_date is not None and self.expiry_date < self.production_date:
            raise ValidationFailed("The expiry date is before the production date.", "有效期早于生产日期。",
                                   code="bad_dates")
        if self.production_date > utcnow().date() + dt.timedelta(days=1):
            raise ValidationFailed("The production date is in the future.", "生产日期晚于今天。", code="bad_dates")
        return ProductionData(lot, self.production_date, self.expiry_date, (self.inspection_record or "").strip())


def activate(
    session: Session,
    *,
    actor: Actor,
    principal: Principal,
    batch_id: int,
    data: ProductionData,
    offsets: Sequence[tuple[int, int]] | None = None,
    codes: Sequence[str] | None = None,
    master: bytes,
) -> list[Activation]:
    """Bind production data to the whole batch, to sub-ranges (offsets ``[from, to)`` within the
    batch), or to a list of scanned codes (激活). Stored as ranges.

    Repeating an activation with the same data changes nothing; codes already active with other
    data, spoiled codes and codes of another batch are refused, and then nothing is activated.
    """
    batch = get_batch(session, principal=principal, batch_id=batch_id)
    if principal.role is not Role.MANUFACTURER:
        raise PermissionDenied("Only the enterprise activates its codes.", "只有生产企业可以激活监管码。")
    data = data.checked()
    if codes is not None and offsets is not None:
        raise ValidationFailed("Give ranges or codes, not both.", "请提交号段或监管码列表，不能同时提交。",
                               code="ambiguous_selection")
    if codes is not None:
        if not codes:
            raise ValidationFailed("The list of codes is empty.", "监管码列表为空。", code="missing_field")
        ranges = collapse_ranges(_decode_in_batch(load_keyring(session, master=master), batch, codes))
    elif offsets is not None:
        if not offsets:
            raise ValidationFailed("No range given.", "未提交号段。", code="missing_field")
        ranges = []
        for low, high in offsets:
            if not (isinstance(low, int) and isinstance(high, int) and 0 <= low < high <= batch.quantity):
                raise ValidationFailed(
                    f"The range [{low}, {high}) is not within the batch's 0..{batch.quantity}.",
                    f"号段 [{low}, {high}) 超出本批次范围 0..{batch.quantity}。", code="range_outside_batch")
            ranges.append((batch.serial_start + low, batch.serial_start + high))
        ranges = collapse_ranges_of(ranges)
    else:
        ranges = [(batch.serial_start, batch.serial_end)]

    keyring = None
    existing = _active_ranges(session, batch.id)
    created: list[Activation] = []
    for start, end in ranges:
        spoiled = _spoiled_in(session, batch, start, end)
        if spoiled is not None:
            keyring = keyring or load_keyring(session, master=master)
            code = encode_serial(keyring[batch.generation], spoiled)
            raise ValidationFailed(f"Code {code} was spoiled in printing and cannot be activated.",
                                   f"监管码 {code} 印刷时已作废，不能激活。", code="spoiled_code")
        uncovered = [(start, end)]
        for other_start, other_end, row in existing:
            if other_start < end and start < other_end:
                if (row.lot, row.production_date, row.expiry_date, row.inspection_record) != (
                        data.lot, data.production_date, data.expiry_date, data.inspection_record):
                    raise Conflict(
                        f"Part of this range is already active as lot {row.lot}; withdraw that activation first.",
                        f"部分号段已按批次 {row.lot} 激活，请先撤销该激活。", code="already_active")
                uncovered = _subtract(uncovered, other_start, other_end)
        for low, high in uncovered:
            activation = Activation(batch_id=batch.id, serial_start=low, serial_end=high, lot=data.lot,
                                    production_date=data.production_date, expiry_date=data.expiry_date,
                                    inspection_record=data.inspection_record, activated_by=actor.name)
            session.add(activation)
            created.append(activation)
    session.flush()
    for activation in created:
        record(session, actor=actor, action="code:activation:created", target_type="activation",
               target_id=activation.id,
               after={"batch_id": batch.id, "offset_from": activation.serial_start - batch.serial_start,
                      "offset_to": activation.serial_end - batch.serial_start, "lot": data.lot,
                      "production_date": data.production_date, "expiry_date": data.expiry_date,
                      "inspection_record": data.inspection_record})
    if created:
        mark_stage_reached(session, actor=actor, enterprise_id=batch.enterprise_id, stage=EnrolmentStage.ACTIVATED)
    return created


def collapse_ranges_of(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge overlapping or touching half-open ranges."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _subtract(ranges: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    result = []
    for low, high in ranges:
        if high <= start or end <= low:
            result.append((low, high))
            continue
        if low < start:
            result.append((low, start))
        if end < high:
            result.append((end, high))
    return result


def withdraw_activation(
    session: Session, *, actor: Actor, principal: Principal, activation_id: int, reason: str
) -> Activation:
    """Withdraw an activation (its codes read "not activated" again); a reason is required."""
    activation = session.get(Activation, activation_id)
    batch = session.get(CodeBatch, activation.batch_id) if activation else None
    if activation is None or batch is None or not _visible(principal, batch) or principal.role is Role.PRINTER:
        raise NotFound(f"No activation {activation_id}.", f"激活记录 {activation_id} 不存在。")
    if activation.withdrawn_at is not None:
        raise Conflict("The activation was already withdrawn.", "该激活已撤销。", code="already_withdrawn")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Say why the activation is withdrawn.", "撤销激活时请填写理由。", code="missing_field")
    activation.withdrawn_at = utcnow()
    activation.withdrawn_by = actor.name
    activation.withdrawn_reason = reason
    record(session, actor=actor, action="code:activation:withdrawn", target_type="activation",
           target_id=activation.id, before={"withdrawn": False}, after={"withdrawn": True, "reason": reason})
    return activation


def list_activations(session: Session, *, principal: Principal, batch_id: int) -> list[Activation]:
    batch = get_batch(session, principal=principal, batch_id=batch_id)
    return list(session.scalars(select(Activation).where(Activation.batch_id == batch.id).order_by(Activation.id)))


# --- aggregation ---------------------------------------------------------------------------------


def _locate(session: Session, keyring: Keyring, raw: str) -> tuple[str, int, int, CodeBatch]:
    """A code's text, generation, serial and batch; NotFound when it was never issued."""
    parsed = parse_code(raw, keyring)
    generation, serial = decode_code(keyring, parsed.code)
    batch = find_batch(session, generation, serial)
    if batch is None:
        raise NotFound(f"Code {parsed.code} was never issued.", f"监管码 {parsed.code} 未曾发放。", code="unknown_code")
    return parsed.code, generation, serial, batch


_LEVEL_ORDER = {PackagingLevel.ITEM.value: 0, PackagingLevel.CASE.value: 1, PackagingLevel.PALLET.value: 2}


def pack(
    session: Session, *, actor: Actor, principal: Principal, container: str, contents: Sequence[str], master: bytes
) -> int:
    """Pack item (or case) codes into a case (or pallet) code; return how many were packed.

    All codes must be the enterprise's, activated, and of a lower packaging level than the
    container; a code already in another container must be unpacked first.
    """
    if principal.role is not Role.MANUFACTURER:
        raise PermissionDenied("Only the enterprise packs its codes.", "只有生产企业可以关联包装。")
    if not contents or len(contents) > MAX_LISTED_CODES:
        raise ValidationFailed(f"List 1 to {MAX_LISTED_CODES:,} codes to pack.",
                               f"请提交 1 至 {MAX_LISTED_CODES:,} 个需关联的监管码。", code="bad_quantity")
    keyring = load_keyring(session, master=master)
    container_code, container_generation, container_serial, container_batch = _locate(session, keyring, container)
    located = [_locate(session, keyring, raw) for raw in contents]
    for _code, _generation, _serial, batch in [(container_code, container_generation, container_serial,
                                                 container_batch), *located]:
        if batch.enterprise_id != principal.enterprise_id:
            raise NotFound("A code is not one of your enterprise's.", "有监管码不属于本企业。", code="unknown_code")
    container_level = _LEVEL_ORDER[container_batch.packaging_level]
    packed = 0
    for code, generation, serial, batch in located:
        if _LEVEL_ORDER[batch.packaging_level] >= container_level:
            raise ValidationFailed(f"{code} ({batch.packaging_level}) cannot go into a {container_batch.packaging_level}.",
                                   f"{code} 的包装层级不低于容器，不能装入。", code="bad_packaging_level")
        if not _activated_serials(session, batch, [serial]):
            raise ValidationFailed(f"Code {code} is not activated.", f"监管码 {code} 尚未激活。", code="not_activated")
        existing = session.get(Packing, (generation, serial))
        if existing is not None:
            if (existing.container_generation, existing.container_serial) == (container_generation, container_serial):
                continue
            raise Conflict(f"Code {code} is already packed in another container; unpack it first.",
                           f"监管码 {code} 已关联到其他包装，请先解除关联。", code="already_packed")
        session.add(Packing(generation=generation, serial=serial, container_generation=container_generation,
                            container_serial=container_serial, packed_by=actor.name))
        packed += 1
    session.flush()
    record(session, actor=actor, action="code:packing:packed", target_type="container", target_id=container_code,
           after={"packed": packed, "listed": len(located)})
    return packed


def unpack(
    session: Session, *, actor: Actor, principal: Principal, container: str, contents: Sequence[str] | None,
    master: bytes,
) -> int:
    """Take listed codes (or everything) out of a container; return how many were unpacked."""
    if principal.role is not Role.MANUFACTURER:
        raise PermissionDenied("Only the enterprise unpacks its codes.", "只有生产企业可以解除包装关联。")
    keyring = load_keyring(session, master=master)
    container_code, generation, serial, batch = _locate(session, keyring, container)
    if batch.enterprise_id != principal.enterprise_id:
        raise NotFound("The container is not one of your enterprise's.", "该包装码不属于本企业。", code="unknown_code")
    query = select(Packing).where(Packing.container_generation == generation, Packing.container_serial == serial)
    rows = list(session.scalars(query))
    if contents is not None:
        wanted = {(g, s) for _c, g, s, _b in (_locate(session, keyring, raw) for raw in contents)}
        rows = [row for row in rows if (row.generation, row.serial) in wanted]
    for row in rows:
        session.delete(row)
    session.flush()
    record(session, actor=actor, action="code:packing:unpacked", target_type="container", target_id=container_code,
           after={"unpacked": len(rows)})
    return len(rows)


def container_of(session: Session, generation: int, serial: int) -> tuple[int, int] | None:
    """The (generation, serial) of the container a code is packed in, if any."""
    row = session.get(Packing, (generation, serial))
    return (row.container_generation, row.container_serial) if row else None


def contents_of(session: Session, generation: int, serial: int) -> list[tuple[int, int]]:
    """The (generation, serial) of every code packed in a container."""
    rows = session.execute(select(Packing.generation, Packing.serial).where(
        Packing.container_generation == generation, Packing.container_serial == serial).order_by(Packing.serial))
    return [(row.generation, row.serial) for row in rows]


# --- looking a code up ----------------------------------------------------------------------------


def find_batch(session: Session, generation: int, serial: int) -> CodeBatch | None:
    """The batch whose range holds the serial: the batch with the greatest start not above it."""
    batch = session.scalar(select(CodeBatch).where(CodeBatch.generation == generation,
                                                   CodeBatch.serial_start <= serial)
                           .order_by(CodeBatch.serial_start.desc()).limit(1))
    if batch is None or serial >= batch.serial_end:
        return None
    return batch


def code_status(session: Session, *, code: str, master: bytes) -> dict[str, Any]:
    """What the network knows of a code: issued or not, batch, enterprise, product, printing,
    activation and packing. Raises MalformedCode for input that is not a well-formed code."""
    keyring = load_keyring(session, master=master)
    parsed = parse_code(code, keyring)
    generation, serial = decode_code(keyring, parsed.code)
    answer: dict[str, Any] = {"code": parsed.code, "grouped": parsed.grouped, "generation": generation}
    batch = find_batch(session, generation, serial)
    if batch is None:
        return {**answer, "issued": False}
    product = session.get(Product, batch.product_id)
    enterprise = session.get(Enterprise, batch.enterprise_id)
    assert product is not None and enterprise is not None
    spoiled = session.get(SpoiledCode, (generation, serial)) is not None
    active = [row for start, end, row in _active_ranges(session, batch.id) if start <= serial < end]
    container = container_of(session, generation, serial)
    answer.update({
        "issued": True,
        "batch": {"id": batch.id, "packaging_level": batch.packaging_level, "issued_at": batch.issued_at.isoformat(),
                  "offset": serial - batch.serial_start, "printed": batch.printed_at is not None},
        "enterprise": {"id": enterprise.id, "name": enterprise.name},
        "product": {"id": product.id, "name": product.name, "specification": product.specification},
        "spoiled": spoiled,
        "activation": None,
        "container": encode_serial(keyring[container[0]], container[1]) if container else None,
    })
    if active:
        row = active[0]
        answer["activation"] = {"id": row.id, "lot": row.lot, "production_date": row.production_date.isoformat(),
                                "expiry_date": row.expiry_date.isoformat() if row.expiry_date else None,
                                "inspection_record": row.inspection_record}
    return answer


def batch_codes(session: Session, *, principal: Principal, batch_id: int, master: bytes,
                offset: int = 0, limit: int = 100) -> list[str]:
    """Codes of a batch by offset (for pages and labels), at most 10,000 at a time."""
    batch = get_batch(session, principal=principal, batch_id=batch_id)
    limit = max(0, min(limit, 10_000, batch.quantity - offset))
    if offset < 0 or limit == 0:
        return []
    keyring = load_keyring(session, master=master)
    serials = np.arange(batch.serial_start + offset, batch.serial_start + offset + limit, dtype=np.uint64)
    return [value.decode() for value in issue_codes(keyring[batch.generation], serials)]


# --- views for the API and the pages ------------------------------------------------------------


@dataclass(frozen=True)
class RequestView:
    """A code request with the names people read beside it and the batch it was issued as."""

    request: CodeRequest
    product: Product
    enterprise: Enterprise
    printer: Printer | None
    batch_id: int | None


@dataclass(frozen=True)
class BatchView:
    """A batch with its product, enterprise and printer, and how many of its codes were spoiled."""

    batch: CodeBatch
    product: Product
    enterprise: Enterprise
    printer: Printer | None
    spoiled: int


def _request_view(session: Session, request: CodeRequest, batch_id: int | None) -> RequestView:
    product = session.get(Product, request.product_id)
    enterprise = session.get(Enterprise, request.enterprise_id)
    assert product is not None and enterprise is not None
    printer = session.get(Printer, request.printer_id) if request.printer_id is not None else None
    return RequestView(request, product, enterprise, printer, batch_id)


def describe_requests(session: Session, *, principal: Principal, status: str | None = None) -> list[RequestView]:
    """The requests the principal may see (see ``list_requests``), newest first, with names and batch ids.

    An unknown ``status`` is refused rather than read as "no filter".
    """
    if status and status not in {choice.value for choice in RequestStatus}:
        raise ValidationFailed(f"Unknown request status {status!r}.", f"未知的申请单状态 {status!r}。",
                               code="bad_status")
    requests = list_requests(session, principal=principal, status=status or None)
    batch_ids = dict(session.execute(select(CodeBatch.request_id, CodeBatch.id)
                                     .where(CodeBatch.request_id.in_([r.id for r in requests]))).tuples().all())
    return [_request_view(session, request, batch_ids.get(request.id)) for request in requests]


def describe_request(session: Session, *, principal: Principal, request_id: int) -> RequestView:
    """One request the principal may see, with names and its batch id; NotFound otherwise."""
    request = get_request(session, principal=principal, request_id=request_id)
    batch_id = session.scalar(select(CodeBatch.id).where(CodeBatch.request_id == request.id))
    return _request_view(session, request, batch_id)


def _batch_view(session: Session, batch: CodeBatch, spoiled: int) -> BatchView:
    product = session.get(Product, batch.product_id)
    enterprise = session.get(Enterprise, batch.enterprise_id)
    assert product is not None and enterprise is not None
    printer = session.get(Printer, batch.printer_id) if batch.printer_id is not None else None
    return BatchView(batch, product, enterprise, printer, spoiled)


def describe_batches(session: Session, *, principal: Principal) -> list[BatchView]:
    """The batches the principal may see (see ``list_batches``), newest first, with names and spoiled counts."""
    batches = list_batches(session, principal=principal)
    spoiled = dict(session.execute(
        select(SpoiledCode.batch_id, func.count()).where(SpoiledCode.batch_id.in_([b.id for b in batches]))
        .group_by(SpoiledCode.batch_id)).tuples().all())
    return [_batch_view(session, batch, int(spoiled.get(batch.id, 0))) for batch in batches]


def describe_batch(session: Session, *, principal: Principal, batch_id: int) -> BatchView:
    """One batch the principal may see, with names and its spoiled count; NotFound otherwise."""
    batch = get_batch(session, principal=principal, batch_id=batch_id)
    spoiled = session.scalar(select(func.count()).select_from(SpoiledCode).where(SpoiledCode.batch_id == batch.id))
    return _batch_view(session, batch, int(spoiled or 0))


def code_status_for(session: Session, *, principal: Principal, code: str, master: bytes) -> dict[str, Any]:
    """``code_status`` as the principal may see it: an operator any code, a manufacturer only its
    own enterprise's (any other code, issued or not, is NotFound to it)."""
    if principal.role not in (Role.OPERATOR, Role.MANUFACTURER):
        raise PermissionDenied()
    status = code_status(session, code=code, master=master)
    if principal.role is Role.MANUFACTURER and (
            not status["issued"] or status["enterprise"]["id"] != principal.enterprise_id):
        raise NotFound(f"Code {status['code']} is not one of your enterprise's.",
                       f"监管码 {status['code']} 不属于本企业。", code="unknown_code")
    return status


MAX_LABELS = 10_000  # labels on one PDF sheet: about 420 A4 pages, and the renderer's memory bound


@dataclass(frozen=True)
class LabelRun:
    """Codes of a batch to print as labels, with what each label shows beside the code."""

    codes: list[str]
    product_name: str
    specification: str
    enterprise_name: str
    title: str


def label_run(session: Session, *, actor: Actor, principal: Principal, batch_id: int, master: bytes, offset: int,
              count: int) -> LabelRun:
    """``count`` codes of a batch from ``offset`` for a label sheet (the batch's printer, or the
    enterprise); at most ``MAX_LABELS`` at a time, all within the batch.

    A label sheet discloses codes just as the code file does, so each one is audited with its
    range. It does not count against the code file's download limit: a large batch is printed
    as labels in many runs of at most ``MAX_LABELS``.
    """
    batch = get_batch(session, principal=principal, batch_id=batch_id)
    if principal.role not in (Role.MANUFACTURER, Role.PRINTER):
        raise PermissionDenied("Only the enterprise and its printer print labels.", "只有生产企业及其承印企业可以打印标签。")
    if not 1 <= count <= MAX_LABELS:
        raise ValidationFailed(f"Print 1 to {MAX_LABELS:,} labels at a time; got {count}.",
                               f"每次可打印 1 至 {MAX_LABELS:,} 张标签，收到 {count}。", code="bad_quantity")
    if not 0 <= offset < batch.quantity:
        raise ValidationFailed(f"The offset {offset} is not within the batch's 0..{batch.quantity - 1}.",
                               f"起始位置 {offset} 超出本批次范围 0..{batch.quantity - 1}。", code="range_outside_batch")
    codes = batch_codes(session, principal=principal, batch_id=batch.id, master=master, offset=offset, limit=count)
    record(session, actor=actor, action="code:labels:downloaded", target_type="code_batch", target_id=batch.id,
           after={"offset": offset, "count": len(codes)})
    product = session.get(Product, batch.product_id)
    enterprise = session.get(Enterprise, batch.enterprise_id)
    assert product is not None and enterprise is not None
    title = (f"{enterprise.name} · {product.name} · 批次 {batch.id} · "
             f"第 {offset + 1}–{offset + len(codes)} 码 / codes {offset + 1}–{offset + len(codes)}")
    return LabelRun(codes, product.name, product.specification, enterprise.name, title)
