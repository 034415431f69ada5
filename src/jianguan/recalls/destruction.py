"""Supervised destruction (监督销毁): recalled, expired or returned goods destroyed before a witness.

The party holding the goods (an enterprise, a distributor or a shop) records it: the codes end by
a destroying event captured through ``trace.capture`` as any other (so the rules hold: only what
the party holds, never a code already ended), and a destruction record keeps who did it, where,
the witness and the count. Those codes then answer ``destroyed`` on every channel.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.accounts.principal import Principal
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.codes.models import CodeBatch
from jianguan.enterprises.models import Product
from jianguan.errors import NotFound, ValidationFailed
from jianguan.fields import clean_text
from jianguan.jurisdiction import scope_condition
from jianguan.recalls.models import Destruction, DestructionReason, RecallRange, RecallStatus
from jianguan.recalls.services import get_recall
from jianguan.storage.base import utcnow
from jianguan.trace.capture import capture, capturer
from jianguan.trace.epcis_model import Action, EPCISEvent, EventType
from jianguan.trace.identifiers import code_uri
from jianguan.trace.models import Event, EventRange, Location, PartyKind

MAX_CODES = 10_000


def record_destruction(session: Session, *, actor: Actor, principal: Principal, codes: Sequence[str],
                       reason: DestructionReason, place: str, performed_by: str, witness: str,
                       recall_id: int | None = None, gln: str | None = None) -> Destruction:
    """Record goods destroyed under supervision (see the module doc). ``codes`` are the codes
    destroyed (one enterprise's); a destruction of recalled goods names its recall, whose codes
    they must be; ``gln`` names one of the party's registered places, where it happened."""
    me = capturer(session, principal)
    place = clean_text(place, Destruction.place, english="place", chinese="销毁地点", required=True)
    performed_by = clean_text(performed_by, Destruction.performed_by, english="person who destroyed the goods",
                              chinese="销毁执行人", required=True)
    witness = clean_text(witness, Destruction.witness, english="witness", chinese="监督见证人", required=True)
    wanted = list(dict.fromkeys(code.strip() for code in codes if code.strip()))
    if not wanted or len(wanted) > MAX_CODES:
        raise ValidationFailed(f"List between 1 and {MAX_CODES} codes.", f"请列出 1 至 {MAX_CODES} 个监管码。",
                               code="invalid_codes", field="codes")
    recall = None
    if reason is DestructionReason.RECALLED:
        if recall_id is None:
            raise ValidationFailed("Name the recall the goods were recalled by.", "请选择销毁所依据的召回。",
                                   code="missing_field", field="recall_id")
        recall = get_recall(session, principal=principal, recall_id=recall_id)
    location = None
    if gln is not None:
        location = session.get(Location, gln)
        if location is None or (location.party_kind, location.party_id) != (me.party[0].value, me.party[1]):
            raise NotFound("No such place of yours.", "本单位没有这个地点。")
    where = f"urn:epc:id:sgln:{location.gln[:7]}.{location.gln[7:12]}.0" if location else None
    # Its own eventID: a destruction recorded again is a new event, which the rules refuse (ended codes).
    event = EPCISEvent(index=0, type=EventType.OBJECT, action=Action.OBSERVE, event_id=f"urn:uuid:{uuid.uuid4()}",
                       event_time=utcnow().replace(microsecond=0), event_time_zone_offset="+08:00",
                       biz_step="destroying", disposition="destroyed", epc_list=tuple(code_uri(c) for c in wanted),
                       biz_location=where, read_point=where)
    result = capture(session, actor=actor, principal=principal, events=[event], source="destruction")
    stored = session.scalars(select(Event).where(Event.capture_id == result.capture.id)).one()
    ranges = session.execute(select(EventRange.enterprise_id, EventRange.generation, EventRange.serial_start,
                                    EventRange.serial_end, Product.category_id)
                             .join(CodeBatch, CodeBatch.id == EventRange.batch_id)
                             .join(Product, Product.id == CodeBatch.product_id)
                             .where(EventRange.event_id == stored.id)).all()
    enterprises = {row.enterprise_id for row in ranges}
    if len(enterprises) != 1:
        raise ValidationFailed("A destruction record holds one enterprise's goods.", "一份销毁记录只能登记同一企业的产品。",
                               code="mixed_enterprises", field="codes")
    if recall is not None:
        if recall.status == RecallStatus.WITHDRAWN:
            raise ValidationFailed("That recall was withdrawn.", "该召回已撤销。", code="recall_withdrawn",
                                   field="recall_id")
        recalled = [(row.generation, row.serial_start, row.serial_end) for row in session.scalars(
            select(RecallRange).where(RecallRange.recall_id == recall.id))]
        if not all(_covered(recalled, row.generation, row.serial_start, row.serial_end) for row in ranges):
            raise ValidationFailed("Some of these codes are not of the recall.", "部分监管码不在该召回范围内。",
                                   code="not_recalled", field="codes")
    destruction = Destruction(enterprise_id=enterprises.pop(), party_kind=me.party[0].value, party_id=me.party[1],
                              region_code=stored.region_code or me.region, category_id=ranges[0].category_id,
                              reason=reason,
                              recall_id=recall.id if recall else None, place=place, performed_by=performed_by,
                              witness=witness, codes=stored.codes, event_id=stored.id, recorded_by=actor.name,
                              at=stored.event_time)
    session.add(destruction)
    session.flush()
    record(session, actor=actor, action=AuditAction.RECALL_DESTRUCTION_RECORDED, target_type="destruction",
           target_id=destruction.id, after={"codes": destruction.codes, "reason": reason.value, "place": place,
                                            "performed_by": performed_by, "witness": witness,
                                            "recall_id": destruction.recall_id, "event_id": stored.id})
    return destruction


def _covered(ranges: Sequence[tuple[int, int, int]], generation: int, start: int, end: int) -> bool:
    """Whether ``[start, end)`` of ``generation`` lies wholly in the union of ``ranges``."""
    at = start
    for gen, low, high in sorted(ranges):
        if gen == generation and low <= at < high:
            at = high
            if at >= end:
                return True
    return at >= end


def list_destructions(session: Session, *, principal: Principal, limit: int = 100, offset: int = 0
                      ) -> list[Destruction]:
    """The destructions ``principal`` sees: its enterprise's goods, its own (a distributor or shop),
    or, for a regulator, those in its region or of an enterprise in its scope; newest first."""
    own_merchant = scope_condition(principal, merchant=Destruction.party_id) & (
        Destruction.party_kind == PartyKind.MERCHANT.value)
    condition = scope_condition(principal, enterprise=Destruction.enterprise_id, region=Destruction.region_code,
                                category=Destruction.category_id)
    return list(session.scalars(select(Destruction).where(condition | own_merchant)
                                .order_by(Destruction.id.desc()).limit(limit).offset(offset)))


def destruction_json(destruction: Destruction) -> dict[str, Any]:
    reason = DestructionReason(destruction.reason)
    at = destruction.at if destruction.at.tzinfo else destruction.at.replace(tzinfo=dt.UTC)
    return {"id": destruction.id, "enterprise_id": destruction.enterprise_id, "party_kind": destruction.party_kind,
            "party_id": destruction.party_id, "region_code": destruction.region_code, "reason": reason.value,
            "reason_label": {"zh": reason.label_zh, "en": reason.label_en}, "recall_id": destruction.recall_id,
            "place": destruction.place, "performed_by": destruction.performed_by, "witness": destruction.witness,
            "codes": destruction.codes, "event_id": destruction.event_id, "recorded_by": destruction.recorded_by,
            "at": at.isoformat()}
