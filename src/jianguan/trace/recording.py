"""Writing a captured document (``trace.capture`` checks it first): the capture row, the new events
and the runs of codes they name, through the bulk paths of ``trace.bulk``; the positions and
packings the events changed; the diversions they showed; and the audit record, all in the
caller's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.storage.base import utcnow
from jianguan.trace.bulk import insert_rows, new_ids
from jianguan.trace.epcis_model import EPCISEvent
from jianguan.trace.gs1_uri import canonical_identifier
from jianguan.trace.models import Capture, Diversion, DiversionKind, Event, EventRange
from jianguan.trace.moves import Move, Party
from jianguan.trace.resolve import Batch, Located, PartyInfo
from jianguan.trace.store import Held, Packed, Runs, write_packings, write_positions

Run = tuple[Batch, int, int]

_EVENTS = cast(Table, Event.__table__)
_EVENT_RANGES = cast(Table, EventRange.__table__)



@dataclass(slots=True)
class Prepared:
    """A new event, its codes and places resolved."""

    index: int
    event: EPCISEvent
    key: str
    move: Move | None
    region: str | None
    destination: PartyInfo | None
    epcs: list[Run]
    parent: Located | None
    children: list[Run]


@dataclass(slots=True)
class Signal:
    """A diversion found by one event, for one enterprise: where the codes were meant to go and
    where they were found, how many, and some of them."""

    index: int
    enterprise_id: int
    kind: DiversionKind
    expected: Party | None
    expected_region: str | None
    found_region: str | None
    at: dt.datetime
    codes: int = 0
    sample: list[str] = field(default_factory=list)


@dataclass(slots=True)
class CaptureResult:
    """What a capture stored: the capture row and the diversions it flagged; ``repeated`` when the
    document was one the party had sent before, answered with the capture it made then."""

    capture: Capture
    diversions: list[Diversion] = field(default_factory=list)
    repeated: bool = False


def _event_fields(event: EPCISEvent, parent_id: str | None = None) -> dict[str, Any]:
    """What the query interface gives back of an event that has no column of its own, with the
    parentID when it names no code of the network (an SSCC: not among the event's code ranges)."""
    fields: dict[str, Any] = {"parentID": parent_id} if parent_id else {}
    if event.source_list:
        fields["sourceList"] = [{"type": kind, "source": uri} for kind, uri in event.source_list]
    if event.destination_list:
        fields["destinationList"] = [{"type": kind, "destination": uri} for kind, uri in event.destination_list]
    if event.biz_transaction_list:
        fields["bizTransactionList"] = [{"type": kind, "bizTransaction": uri} if kind else {"bizTransaction": uri}
                                        for kind, uri in event.biz_transaction_list]
    for name, elements in (("quantityList", event.quantity_list), ("childQuantityList", event.child_quantity_list)):
        if elements:
            fields[name] = [{"epcClass": e.epc_class, **({"quantity": str(e.quantity)} if e.quantity is not None else {}),
                             **({"uom": e.uom} if e.uom else {})} for e in elements]
    if event.extra:
        fields["extra"] = dict(event.extra)
    if event.namespaces:
        fields["namespaces"] = dict(event.namespaces)
    return fields


def _foreign_parent(event: EPCISEvent, parent: Located | None) -> str | None:
    """The canonical Digital Link URI of a parentID that is no code of the network (an SSCC, a
    GRAI: the capture kept it only as a GS1 key), by which ``MATCH_parentID`` finds the event."""
    if parent is not None or event.parent_id is None:
        return None
    return canonical_identifier(event.parent_id)


def write_capture(session: Session, *, actor: Actor, party: PartyInfo, prepared: Sequence[Prepared],
                  positions: Runs[Held], packings: Runs[Packed], signals: Iterable[Signal], repeated: int,
                  source: str, digest: str | None) -> CaptureResult:
    """Store a checked document: the capture row, its new events and the runs of codes they name,
    the positions and packings they changed, the diversions they showed, and the audit record."""
    me = party
    codes = sum(end - start for p in prepared for _b, start, end in (*p.epcs, *p.children)) + sum(
        1 for p in prepared if p.parent)
    capture = Capture(party_kind=me.party[0], party_id=me.party[1], source=source, digest=digest,
                      events=len(prepared), repeated=repeated, codes=codes, received_by=actor.name)
    session.add(capture)
    session.flush()
    event_ids: list[int] = []
    if prepared:
        ids = new_ids(session, _EVENTS, len(prepared))
        now = utcnow()
        rows = []
        for p, event_id in zip(prepared, ids, strict=True):
            event, destination = p.event, p.destination
            rows.append({
                "id": event_id, "event_key": p.key, "hash_id": event.event_hash, "capture_id": capture.id,
                "type": event.type.value, "action": event.action.value, "biz_step": event.biz_step,
                "disposition": event.disposition, "event_time": event.event_time,
                "time_zone_offset": event.event_time_zone_offset, "record_time": now, "read_point": event.read_point,
                "biz_location": event.biz_location, "party_kind": me.party[0], "party_id": me.party[1],
                "to_kind": destination.party[0] if destination else None,
                "to_id": destination.party[1] if destination else None, "region_code": p.region,
                "codes": sum(end - start for _b, start, end in (*p.epcs, *p.children)) + (p.parent is not None),
                "fields": _event_fields(event, None if p.parent else event.parent_id),
                "foreign_parent": _foreign_parent(event, p.parent)})
        insert_rows(session, _EVENTS, rows)
        event_ids = [0] * (max(p.index for p in prepared) + 1)
        for p, event_id in zip(prepared, ids, strict=True):
            event_ids[p.index] = event_id
        ranges = []
        for p, event_id in zip(prepared, ids, strict=True):
            named = [("epc", run) for run in p.epcs] + [("child", run) for run in p.children]
            if p.parent is not None:
                named.append(("parent", (p.parent.batch, p.parent.serial, p.parent.serial + 1)))
            ranges += [{"event_id": event_id, "role": role, "generation": batch.generation, "serial_start": start,
                        "serial_end": end, "batch_id": batch.id, "enterprise_id": batch.enterprise_id}
                       for role, (batch, start, end) in named]
        insert_rows(session, _EVENT_RANGES, ranges)
    write_positions(session, positions, event_ids)
    write_packings(session, packings, event_ids)
    diversions = []
    for signal in signals:
        expected_kind, expected_id = signal.expected if signal.expected else (None, None)
        diversion = Diversion(enterprise_id=signal.enterprise_id, kind=signal.kind, event_id=event_ids[signal.index],
                              codes=signal.codes, sample_codes=signal.sample, expected_kind=expected_kind,
                              expected_id=expected_id, expected_region=signal.expected_region,
                              found_kind=me.party[0], found_id=me.party[1], found_region=signal.found_region,
                              at=signal.at)
        session.add(diversion)
        diversions.append(diversion)
    session.flush()
    record(session, actor=actor, action=AuditAction.TRACE_EVENTS_CAPTURED, target_type="epcis_capture",
           target_id=capture.id, after={"source": source, "events": len(prepared), "repeated": repeated,
                                        "codes": codes, "diversions": len(diversions)})
    return CaptureResult(capture, diversions)
