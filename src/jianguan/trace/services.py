"""Aggregation (关联包装) through the packing routes: item codes packed into case codes, and case
codes into pallet codes, recorded as EPCIS AggregationEvents like any captured packing.

The routes check what a person can get wrong first, with errors of their own (a code not yours,
not activated, of a level that does not fit, already in another container), then capture the
event: a case moves with its items from then on.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.codes.activation import MAX_LISTED_CODES, is_active
from jianguan.codes.codec import Keyring, decode_code, encode_serial, parse_code
from jianguan.codes.keyring import keyring
from jianguan.codes.lookup import find_batch
from jianguan.codes.models import CodeBatch
from jianguan.enterprises.models import PackagingLevel
from jianguan.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jianguan.storage.base import utcnow
from jianguan.trace.capture import capture
from jianguan.trace.epcis_model import Action, EPCISEvent, EventType
from jianguan.trace.identifiers import code_uri
from jianguan.trace.models import Packing
from jianguan.trace.store import container_of


def _locate(session: Session, ring: Keyring, raw: str) -> tuple[str, int, int, CodeBatch]:
    """A code's text, generation, serial and batch; NotFound when it was never issued."""
    parsed = parse_code(raw, ring)
    generation, serial = decode_code(ring, parsed.code)
    batch = find_batch(session, generation, serial)
    if batch is None:
        raise NotFound(f"Code {parsed.code} was never issued.", f"监管码 {parsed.code} 未曾发放。", code="unknown_code")
    return parsed.code, generation, serial, batch


def packed_in(session: Session, generation: int, serial: int) -> list[tuple[int, int, int]]:
    """The runs ``(generation, start, end)`` packed in the container ``(generation, serial)``."""
    return list(session.execute(select(Packing.generation, Packing.serial_start, Packing.serial_end)
                                .where(Packing.container_generation == generation, Packing.container_serial == serial)
                                .order_by(Packing.generation, Packing.serial_start)))


_LEVEL_ORDER = {PackagingLevel.ITEM.value: 0, PackagingLevel.CASE.value: 1, PackagingLevel.PALLET.value: 2}


def _aggregation(action: Action, step: str, container: str, children: Sequence[str]) -> EPCISEvent:
    now = utcnow()
    return EPCISEvent(index=0, type=EventType.AGGREGATION, action=action, event_time=now,
                      event_time_zone_offset="+08:00", biz_step=step, parent_id=code_uri(container),
                      child_epcs=tuple(code_uri(code) for code in children))


def pack(session: Session, *, actor: Actor, principal: Principal, container: str, contents: Sequence[str]) -> int:
    """Pack item (or case) codes into a case (or pallet) code; return how many were packed.

    All codes must be the enterprise's, activated, and of a lower packaging level than the
    container; a code already in another container must be unpacked first.
    """
    if principal.role is not Role.MANUFACTURER:
        raise PermissionDenied("Only the enterprise packs its codes.", "只有生产企业可以关联包装。")
    if not contents or len(contents) > MAX_LISTED_CODES:
        raise ValidationFailed(f"List 1 to {MAX_LISTED_CODES:,} codes to pack.",
                               f"请提交 1 至 {MAX_LISTED_CODES:,} 个需关联的监管码。", code="bad_quantity")
    ring = keyring(session)
    container_code, container_generation, container_serial, container_batch = _locate(session, ring, container)
    located = [_locate(session, ring, raw) for raw in contents]
    for _code, _generation, _serial, batch in [(container_code, container_generation, container_serial,
                                                 container_batch), *located]:
        if batch.enterprise_id != principal.enterprise_id:
            raise NotFound("A code is not one of your enterprise's.", "有监管码不属于本企业。", code="unknown_code")
    container_level = _LEVEL_ORDER[container_batch.packaging_level]
    if not is_active(session, container_batch, container_serial):
        raise ValidationFailed(f"Code {container_code} is not activated.", f"监管码 {container_code} 尚未激活。",
                               code="not_activated")
    new: list[str] = []
    for code, generation, serial, batch in located:
        if _LEVEL_ORDER[batch.packaging_level] >= container_level:
            raise ValidationFailed(f"{code} ({batch.packaging_level}) cannot go into a {container_batch.packaging_level}.",
                                   f"{code} 的包装层级不低于容器，不能装入。", code="bad_packaging_level")
        if not is_active(session, batch, serial):
            raise ValidationFailed(f"Code {code} is not activated.", f"监管码 {code} 尚未激活。", code="not_activated")
        current = container_of(session, generation, serial)
        if current == (container_generation, container_serial) or code in new:
            continue
        if current is not None:
            raise Conflict(f"Code {code} is already packed in another container; unpack it first.",
                           f"监管码 {code} 已关联到其他包装，请先解除关联。", code="already_packed")
        new.append(code)
    if new:
        capture(session, actor=actor, principal=principal, source="packing",
                events=[_aggregation(Action.ADD, "packing", container_code, new)])
    record(session, actor=actor, action=AuditAction.TRACE_PACKING_PACKED, target_type="container",
           target_id=container_code, after={"packed": len(new), "listed": len(located)})
    return len(new)


def unpack(session: Session, *, actor: Actor, principal: Principal, container: str,
           contents: Sequence[str] | None) -> int:
    """Take listed codes (or everything) out of a container; return how many were unpacked."""
    if principal.role is not Role.MANUFACTURER:
        raise PermissionDenied("Only the enterprise unpacks its codes.", "只有生产企业可以解除包装关联。")
    ring = keyring(session)
    container_code, generation, serial, batch = _locate(session, ring, container)
    if batch.enterprise_id != principal.enterprise_id:
        raise NotFound("The container is not one of your enterprise's.", "该包装码不属于本企业。", code="unknown_code")
    packed = {(g, s) for g, start, end in packed_in(session, generation, serial) for s in range(start, end)}
    if contents is not None:
        wanted = {(g, s) for _c, g, s, _b in (_locate(session, ring, raw) for raw in contents)}
        packed &= wanted
    if packed:
        children = [encode_serial(ring[g], s) for g, s in sorted(packed)]
        capture(session, actor=actor, principal=principal, source="packing",
                events=[_aggregation(Action.DELETE, "unpacking", container_code, children)])
    record(session, actor=actor, action=AuditAction.TRACE_PACKING_UNPACKED, target_type="container",
           target_id=container_code, after={"unpacked": len(packed)})
    return len(packed)
