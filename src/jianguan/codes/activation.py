"""Printing and activation (印刷与激活): the printer confirms what it printed and spoiled, and the
enterprise binds production data to its printed codes.

Activation is stored as ranges (``codes.ranges``), so activating a million codes is one row;
a list of scanned codes becomes as few ranges as it holds runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.codes.codec import Keyring, decode_code, encode_serial, parse_code
from jianguan.codes.keyring import keyring
from jianguan.codes.lookup import get_batch
from jianguan.codes.models import Activation, CodeBatch, SpoiledCode
from jianguan.codes.ranges import Range, covers, merge_ranges, ranges_of, subtract
from jianguan.enterprises.enrolment import mark_stage_reached
from jianguan.enterprises.models import EnrolmentStage
from jianguan.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jianguan.fields import clean_text
from jianguan.jurisdiction import in_scope
from jianguan.storage.base import utcnow
from jianguan.timezone import today

MAX_LISTED_CODES = 100_000  # codes one activation, spoilage report or packing may list


def _decode_in_batch(ring: Keyring, batch: CodeBatch, codes: Sequence[str]) -> list[int]:
    """The serials of ``codes``, each checked to be well formed and to belong to ``batch``."""
    if len(codes) > MAX_LISTED_CODES:
        raise ValidationFailed(f"At most {MAX_LISTED_CODES:,} codes in one list.",
                               f"一次最多提交 {MAX_LISTED_CODES:,} 个监管码。", code="too_many_codes")
    serials = []
    for position, raw in enumerate(codes, start=1):
        try:
            parsed = parse_code(raw, ring)
        except ValidationFailed as error:
            raise ValidationFailed(f"Code {position} ({raw!r}): {error.message}",
                                   f"第 {position} 个监管码（{raw!r}）：{error.message_zh}",
                                   code="malformed_code") from None
        generation, serial = decode_code(ring, parsed.code)
        if generation != batch.generation or not batch.serial_start <= serial < batch.serial_end:
            raise ValidationFailed(f"Code {parsed.code} is not in batch {batch.id}.",
                                   f"监管码 {parsed.code} 不属于批次 {batch.id}。", code="code_not_in_batch")
        serials.append(serial)
    return serials




def confirm_printing(
    session: Session,
    *,
    actor: Actor,
    principal: Principal,
    batch_id: int,
    printed_count: int,
    spoiled_codes: Sequence[str] = (),
) -> CodeBatch:
    """The printer (or a self-printing enterprise) confirms what it printed and lists spoiled codes (作废)."""
    batch = get_batch(session, principal=principal, batch_id=batch_id, for_update=True)
    allowed = (principal.role is Role.PRINTER) or (batch.printer_id is None and principal.role is Role.MANUFACTURER)
    if not allowed:
        raise PermissionDenied("Only the batch's printer confirms its printing.", "只有承印企业可以确认印刷。")
    if batch.generation == 0:  # a registration of codes of another scheme (schemes/): printed by the enterprise
        raise ValidationFailed("Registered codes of another scheme are printed by the enterprise; "
                               "there is no printing to confirm.",
                               "注册的其他编码体系的码由企业自行印刷，无需确认印刷。", code="registered_batch")
    if batch.printed_at is not None:
        raise Conflict("Printing of this batch was already confirmed.", "该批次已确认印刷。", code="already_confirmed")
    if not isinstance(printed_count, int) or not 0 <= printed_count <= batch.quantity:
        raise ValidationFailed(f"The printed count is 0 to {batch.quantity:,}; got {printed_count!r}.",
                               f"印刷数量应在 0 至 {batch.quantity:,} 之间，收到 {printed_count!r}。",
                               code="bad_quantity")
    key = keyring(session)[batch.generation]
    serials = sorted(set(_decode_in_batch(keyring(session), batch, spoiled_codes)))
    active = [start_end for start_end, _row in _active_ranges(session, batch.id)]
    activated = [serial for serial in serials if covers(active, serial)]
    if activated:
        raise Conflict(f"Code {encode_serial(key, activated[0])} is activated; "
                       "withdraw the activation before reporting it spoiled.",
                       f"监管码 {encode_serial(key, activated[0])} 已激活，请先撤销激活再报作废。",
                       code="spoiling_active_code")
    for serial in serials:
        session.add(SpoiledCode(generation=batch.generation, serial=serial, batch_id=batch.id,
                                reported_by=actor.name))
    batch.printed_at = utcnow()
    batch.printed_count = printed_count
    session.flush()
    record(session, actor=actor, action=AuditAction.CODE_BATCH_PRINTED, target_type="code_batch",
           target_id=batch.id, after={"printed_count": printed_count, "spoiled": len(serials)})
    return batch


def is_active(session: Session, batch: CodeBatch, serial: int) -> bool:
    """Whether the code ``serial`` of ``batch`` is activated now."""
    return session.scalar(select(Activation.id).where(
        Activation.batch_id == batch.id, Activation.serial_start <= serial, Activation.serial_end > serial,
        Activation.withdrawn_at.is_(None)).limit(1)) is not None


def _active_ranges(session: Session, batch_id: int) -> list[tuple[Range, Activation]]:
    rows = session.scalars(select(Activation).where(Activation.batch_id == batch_id,
                                                    Activation.withdrawn_at.is_(None)))
    return [((row.serial_start, row.serial_end), row) for row in rows]


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
        """The data with its text trimmed; ValidationFailed for a missing or over-long lot or
        inspection record, or dates out of order."""
        lot = clean_text(self.lot, Activation.lot, english="lot (批次)", chinese="生产批次", required=True)
        inspection_record = clean_text(self.inspection_record, Activation.inspection_record,
                                       english="inspection record", chinese="检验记录")
        if self.expiry_date is not None and self.expiry_date < self.production_date:
            raise ValidationFailed("The expiry date is before the production date.", "有效期早于生产日期。",
                                   code="bad_dates")
        if self.production_date > today() + dt.timedelta(days=1):
            raise ValidationFailed("The production date is in the future.", "生产日期晚于今天。", code="bad_dates")
        return ProductionData(lot, self.production_date, self.expiry_date, inspection_record)


def activate(
    session: Session,
    *,
    actor: Actor,
    principal: Principal,
    batch_id: int,
    data: ProductionData,
    offsets: Sequence[tuple[int, int]] | None = None,
    codes: Sequence[str] | None = None,
) -> list[Activation]:
    """Bind production data to the whole batch, to sub-ranges (offsets ``[from, to)`` within the
    batch), or to a list of scanned codes (激活). Stored as ranges.

    Repeating an activation with the same data changes nothing; codes already active with other
    data, spoiled codes and codes of another batch are refused, and then nothing is activated.
    """
    batch = get_batch(session, principal=principal, batch_id=batch_id)
    # The enterprise activates its codes; the operations centre may on its behalf (``jianguan codes
    # activate`` on the server), audited under its own name.
    if principal.role not in (Role.MANUFACTURER, Role.OPERATOR):
        raise PermissionDenied("Only the enterprise activates its codes.", "只有生产企业可以激活监管码。")
    data = data.checked()
    if codes is not None and offsets is not None:
        raise ValidationFailed("Give ranges or codes, not both.", "请提交号段或监管码列表，不能同时提交。",
                               code="ambiguous_selection")
    if codes is not None:
        if not codes:
            raise ValidationFailed("The list of codes is empty.", "监管码列表为空。", code="missing_field")
        ranges = ranges_of(_decode_in_batch(keyring(session), batch, codes))
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
        ranges = merge_ranges(ranges)
    else:
        ranges = [(batch.serial_start, batch.serial_end)]

    existing = _active_ranges(session, batch.id)
    created: list[Activation] = []
    for start, end in ranges:
        spoiled = _spoiled_in(session, batch, start, end)
        if spoiled is not None:
            code = encode_serial(keyring(session)[batch.generation], spoiled)
            raise ValidationFailed(f"Code {code} was spoiled in printing and cannot be activated.",
                                   f"监管码 {code} 印刷时已作废，不能激活。", code="spoiled_code")
        uncovered = [(start, end)]
        for (other_start, other_end), row in existing:
            if other_start < end and start < other_end:
                if (row.lot, row.production_date, row.expiry_date, row.inspection_record) != (
                        data.lot, data.production_date, data.expiry_date, data.inspection_record):
                    raise Conflict(
                        f"Part of this range is already active as lot {row.lot}; withdraw that activation first.",
                        f"部分号段已按批次 {row.lot} 激活，请先撤销该激活。", code="already_active")
                uncovered = subtract(uncovered, other_start, other_end)
        for low, high in uncovered:
            activation = Activation(batch_id=batch.id, serial_start=low, serial_end=high, lot=data.lot,
                                    production_date=data.production_date, expiry_date=data.expiry_date,
                                    inspection_record=data.inspection_record, activated_by=actor.name)
            session.add(activation)
            created.append(activation)
    session.flush()
    for activation in created:
        record(session, actor=actor, action=AuditAction.CODE_ACTIVATION_CREATED, target_type="activation",
               target_id=activation.id,
               after={"batch_id": batch.id, "offset_from": activation.serial_start - batch.serial_start,
                      "offset_to": activation.serial_end - batch.serial_start, "lot": data.lot,
                      "production_date": data.production_date, "expiry_date": data.expiry_date,
                      "inspection_record": data.inspection_record})
    if created and batch.generation > 0:  # registered codes of another scheme (0) are no enrolment step
        mark_stage_reached(session, actor=actor, enterprise_id=batch.enterprise_id, stage=EnrolmentStage.ACTIVATED)
    return created




def withdraw_activation(
    session: Session, *, actor: Actor, principal: Principal, activation_id: int, reason: str
) -> Activation:
    """Withdraw an activation (its codes read "not activated" again); a reason is required. Its row is
    locked, so two withdrawals at once record one (the other is a Conflict)."""
    activation = session.scalar(select(Activation).where(Activation.id == activation_id).with_for_update())
    if activation is None or principal.role not in (Role.MANUFACTURER, Role.OPERATOR) or not in_scope(
            session, principal, enterprise=session.scalar(select(CodeBatch.enterprise_id)
                                                          .where(CodeBatch.id == activation.batch_id))):
        raise NotFound(f"No activation {activation_id}.", f"激活记录 {activation_id} 不存在。")
    if activation.withdrawn_at is not None:
        raise Conflict("The activation was already withdrawn.", "该激活已撤销。", code="already_withdrawn")
    reason = clean_text(reason, Activation.withdrawn_reason, english="reason for the withdrawal", chinese="撤销理由",
                        field="reason")
    if not reason:
        raise ValidationFailed("Say why the activation is withdrawn.", "撤销激活时请填写理由。", code="missing_field",
                               field="reason")
    activation.withdrawn_at = utcnow()
    activation.withdrawn_by = actor.name
    activation.withdrawn_reason = reason
    record(session, actor=actor, action=AuditAction.CODE_ACTIVATION_WITHDRAWN, target_type="activation",
           target_id=activation.id, before={"withdrawn": False}, after={"withdrawn": True, "reason": reason})
    return activation




def list_activations(session: Session, *, principal: Principal, batch_id: int) -> list[Activation]:
    """The activations of a batch the principal may see, oldest first."""
    batch = get_batch(session, principal=principal, batch_id=batch_id)
    return list(session.scalars(select(Activation).where(Activation.batch_id == batch.id).order_by(Activation.id)))
