"""Aggregation (关联包装): item codes packed into case codes, and case codes into pallet codes.

Packing is the first of the supply-chain events: a case moves with its items. It is kept as
one row per packed code while it is packed, keyed like every per-code table by
``(generation, serial)``.
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
from jianguan.codes.codec import Keyring, decode_code, parse_code
from jianguan.codes.keyring import keyring
from jianguan.codes.lookup import find_batch
from jianguan.codes.models import CodeBatch
from jianguan.enterprises.models import PackagingLevel
from jianguan.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jianguan.trace.models import Packing


def _locate(session: Session, ring: Keyring, raw: str) -> tuple[str, int, int, CodeBatch]:
    """A code's text, generation, serial and batch; NotFound when it was never issued."""
    parsed = parse_code(raw, ring)
    generation, serial = decode_code(ring, parsed.code)
    batch = find_batch(session, generation, serial)
    if batch is None:
        raise NotFound(f"Code {parsed.code} was never issued.", f"监管码 {parsed.code} 未曾发放。", code="unknown_code")
    return parsed.code, generation, serial, batch


_LEVEL_ORDER = {PackagingLevel.ITEM.value: 0, PackagingLevel.CASE.value: 1, PackagingLevel.PALLET.value: 2}


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
    packed = 0
    for code, generation, serial, batch in located:
        if _LEVEL_ORDER[batch.packaging_level] >= container_level:
            raise ValidationFailed(f"{code} ({batch.packaging_level}) cannot go into a {container_batch.packaging_level}.",
                                   f"{code} 的包装层级不低于容器，不能装入。", code="bad_packaging_level")
        if not is_active(session, batch, serial):
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
    record(session, actor=actor, action=AuditAction.TRACE_PACKING_PACKED, target_type="container",
           target_id=container_code, after={"packed": packed, "listed": len(located)})
    return packed


def unpack(session: Session, *, actor: Actor, principal: Principal, container: str,
           contents: Sequence[str] | None) -> int:
    """Take listed codes (or everything) out of a container; return how many were unpacked."""
    if principal.role is not Role.MANUFACTURER:
        raise PermissionDenied("Only the enterprise unpacks its codes.", "只有生产企业可以解除包装关联。")
    ring = keyring(session)
    container_code, generation, serial, batch = _locate(session, ring, container)
    if batch.enterprise_id != principal.enterprise_id:
        raise NotFound("The container is not one of your enterprise's.", "该包装码不属于本企业。", code="unknown_code")
    query = select(Packing).where(Packing.container_generation == generation, Packing.container_serial == serial)
    rows = list(session.scalars(query))
    if contents is not None:
        wanted = {(g, s) for _c, g, s, _b in (_locate(session, ring, raw) for raw in contents)}
        rows = [row for row in rows if (row.generation, row.serial) in wanted]
    for row in rows:
        session.delete(row)
    session.flush()
    record(session, actor=actor, action=AuditAction.TRACE_PACKING_UNPACKED, target_type="container",
           target_id=container_code, after={"unpacked": len(rows)})
    return len(rows)
