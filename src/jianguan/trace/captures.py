"""Documents sent for capture over the API: taken whole, or refused whole and remembered.

``receive`` reads a document as sent (EPCIS 2.0 JSON-LD, EPCIS 1.2 or 2.0 XML, or the CSV layout
of ``epcis_csv``) and captures it (``capture.capture``); the same bytes sent again by the same
party are answered with the capture they made. A refused document stores none of its events,
but the refusal is kept, in its own transaction, as a capture row with status ``refused`` and the
errors by event index (``record_refusal``), so that its status can be asked for like any other
capture's. Who sees a capture: its party, and the regulators and operator whose scope holds the
party (an enterprise in scope; a distributor's or shop's county for the general agencies).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, select, text
from sqlalchemy.orm import Session

from jianguan.accounts.principal import Principal
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.enterprises.models import Enterprise
from jianguan.errors import NotFound
from jianguan.fields import text_limit
from jianguan.jurisdiction import scope_condition
from jianguan.merchants.models import Merchant
from jianguan.trace.capture import CaptureResult, capture, capturer
from jianguan.trace.epcis import JSON_MEDIA_TYPES, XML_MEDIA_TYPES, parse_document
from jianguan.trace.epcis_common import Problems, refuse
from jianguan.trace.epcis_csv import by_row, parse_csv
from jianguan.trace.epcis_model import EPCISEvent, EPCISRefused
from jianguan.trace.models import Capture, CaptureStatus, Event, PartyKind

# What one document may hold, as the capture interface advertises it (GS1-EPCIS-Capture-Limit,
# GS1-EPCIS-Capture-File-Size-Limit): a document of 2,000 cases of 25 items, commissioned, packed
# and shipped (2,002 events, 52,000 codes) is 5.8 MB of JSON-LD and some 9 MB of XML.
MAX_CAPTURE_BYTES = 32 * 1024 * 1024
MAX_CAPTURE_EVENTS = 20_000
CSV_MEDIA_TYPES = frozenset({"text/csv", "application/csv"})
MEDIA_TYPES = JSON_MEDIA_TYPES | XML_MEDIA_TYPES | CSV_MEDIA_TYPES
MAX_LISTED = 100


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _source(content_type: str) -> str:
    media = media_type(content_type)
    return "csv" if media in CSV_MEDIA_TYPES else "xml" if media in XML_MEDIA_TYPES else "json"


# What an event keeps in a column of its own, and the longest value each column holds.
_LIMITS = (("eventID", "event_id", text_limit(Event.event_key)), ("bizStep", "biz_step", text_limit(Event.biz_step)),
           ("disposition", "disposition", text_limit(Event.disposition)),
           ("readPoint", "read_point", text_limit(Event.read_point)),
           ("bizLocation", "biz_location", text_limit(Event.biz_location)),
           ("eventTimeZoneOffset", "event_time_zone_offset", text_limit(Event.time_zone_offset)))


def _check_lengths(events: Sequence[EPCISEvent]) -> None:
    """Refuse values longer than the columns that keep them, by event index."""
    problems = Problems()
    for event in events:
        for name, attribute, limit in _LIMITS:
            value = getattr(event, attribute)
            if value is not None and len(value) > limit:
                problems.add(event.index, f"{name} is longer than {limit} characters.", f"{name} 超过 {limit} 个字符。")
        if problems.full:
            break
    problems.raise_any()


def _capture(session: Session, actor: Actor, principal: Principal, events: Sequence[EPCISEvent], source: str,
             digest: str) -> CaptureResult:
    _check_lengths(events)
    return capture(session, actor=actor, principal=principal, events=events, source=source, digest=digest)


def receive(session: Session, *, actor: Actor, principal: Principal, data: bytes, content_type: str) -> CaptureResult:
    """Capture a document as sent, whole, or raise ``EPCISRefused`` with what is wrong by event
    index (and, for CSV, by row). The same bytes sent again by the same party are answered with
    the capture they made (``repeated``), unread."""
    me = capturer(session, principal)
    digest = hashlib.sha256(data).hexdigest()
    if session.get_bind().dialect.name == "postgresql":
        # The same document sent at once from several clients (a retry while the first is running):
        # one at a time, so the later ones find the first's capture instead of clashing with it.
        # (SQLite's writers take turns anyway.)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                        {"key": int.from_bytes(bytes.fromhex(digest)[:8], "big", signed=True)})
    earlier = session.scalar(select(Capture).where(
        Capture.party_kind == me.party[0], Capture.party_id == me.party[1], Capture.digest == digest,
        Capture.status == CaptureStatus.ACCEPTED).order_by(Capture.id).limit(1))
    if earlier is not None:
        return CaptureResult(earlier, repeated=True)
    if media_type(content_type) in CSV_MEDIA_TYPES:
        read = parse_csv(data, max_events=MAX_CAPTURE_EVENTS)
        try:
            return _capture(session, actor, principal, read.document.events, "csv", digest)
        except EPCISRefused as refused:
            raise by_row(refused, read.rows) from None
    document = parse_document(data, content_type)
    if len(document.events) > MAX_CAPTURE_EVENTS:
        raise refuse(f"The document has {len(document.events):,} events, more than the {MAX_CAPTURE_EVENTS:,} "
                     "one capture takes; send it in parts.",
                     f"文档含 {len(document.events):,} 个事件，超过单次上报上限 {MAX_CAPTURE_EVENTS:,} 个，请分批上报。")
    return _capture(session, actor, principal, document.events, document.syntax, digest)


def record_refusal(session: Session, *, actor: Actor, principal: Principal, content_type: str,
                   refused: EPCISRefused) -> Capture:
    """Keep a refused document's errors (none of its events), for its status to be asked for."""
    me = capturer(session, principal)
    errors = [error.as_dict() for error in refused.errors]
    row = Capture(party_kind=me.party[0], party_id=me.party[1], source=_source(content_type), digest=None, events=0,
                  repeated=0, codes=0, received_by=actor.name, status=CaptureStatus.REFUSED,
                  error_count=refused.error_count, errors=errors)
    session.add(row)
    session.flush()
    record(session, actor=actor, action=AuditAction.TRACE_CAPTURE_REFUSED, target_type="epcis_capture",
           target_id=row.id, after={"source": row.source, "errors": refused.error_count})
    return row


def _scope(principal: Principal) -> Any:
    merchant = case((Capture.party_kind == PartyKind.MERCHANT, Capture.party_id), else_=None)
    region = select(Merchant.region_code).where(Capture.party_kind == PartyKind.MERCHANT,
                                                Merchant.id == Capture.party_id).scalar_subquery()
    return scope_condition(principal, region=region, merchant=merchant,
                           enterprise=case((Capture.party_kind == PartyKind.ENTERPRISE, Capture.party_id), else_=None))


def get_capture(session: Session, *, principal: Principal, capture_id: int) -> Capture:
    """One capture (accepted or refused); NotFound outside ``principal``'s scope."""
    row = session.scalar(select(Capture).where(Capture.id == capture_id, _scope(principal)))
    if row is None:
        raise NotFound("No such capture.", "未找到该上报记录。", code="unknown_capture")
    return row


def list_captures(session: Session, *, principal: Principal, offset: int = 0, limit: int = MAX_LISTED) -> list[Capture]:
    """The captures ``principal`` sees, newest first."""
    return list(session.scalars(select(Capture).where(_scope(principal)).order_by(Capture.id.desc())
                                .offset(offset).limit(max(1, min(limit, MAX_LISTED)))))


def party_names(session: Session, captures: list[Capture]) -> dict[tuple[str, int], str]:
    """The names of the parties of ``captures``."""
    names: dict[tuple[str, int], str] = {}
    for kind, table in ((PartyKind.ENTERPRISE, Enterprise), (PartyKind.MERCHANT, Merchant)):
        ids = {row.party_id for row in captures if row.party_kind == kind}
        if ids:
            names.update(((kind.value, ident), name) for ident, name in
                         session.execute(select(table.id, table.name).where(table.id.in_(ids))))
    return names
