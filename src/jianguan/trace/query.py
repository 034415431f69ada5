"""The EPCIS 2.0 query interface over captured events: filters, scope, pages and the answer.

Who sees an event is the one scope rule (``jurisdiction.scope_condition``) applied to what an
event is made of: the party that captured it and the party it was sent to (a distributor's or
shop's own events), and the codes it names (a run of codes belongs to an enterprise, lies in the
event's county and is of its product's category). A manufacturer sees the events that name its
codes, and of them only its own codes, and the events of no codes it captured; a distributor or
shop its own events and those sent to it, whole; a regulator the events that name codes in its
scope, with those codes, and the events of no codes in its region; the operator everything.

Pages are keyset pages in the order events were recorded: ``nextPageToken`` is the last event
id of a page and a fingerprint of the query, signed, so a token cannot be forged, edited or used
with other filters.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, and_, case, exists, false, or_, select, true
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.codes.codec import MalformedCode, issue_codes, parse_code
from jianguan.codes.keyring import keyring
from jianguan.codes.models import CodeBatch
from jianguan.enterprises.models import Product
from jianguan.errors import NotFound, ValidationFailed
from jianguan.jurisdiction import in_scope, scope_condition
from jianguan.schemes.services import REGISTERED, texts_of
from jianguan.timezone import LOCAL_ZONE
from jianguan.trace.cbv import CONTEXT_URL, vocabularies
from jianguan.trace.epcis import event_to_jsonld
from jianguan.trace.epcis_model import Action, EPCISEvent, EventType, QuantityElement
from jianguan.trace.gs1_uri import canonical_identifier
from jianguan.trace.identifiers import CODE_URN, code_uri
from jianguan.trace.models import Event, EventRange, PartyKind
from jianguan.trace.resolve import CodeResolver, Located

DEFAULT_PER_PAGE = 30  # the EPCIS REST binding's default
MAX_PER_PAGE = 500
MAX_VALUES = 20  # values one filter may list
MAX_FILTER_VALUE = 300
MAX_PAGE_CODES = 200_000  # codes one page of events names at most (one event: however many it names)


def _split(name: str, value: str | None) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    values = tuple(part.strip() for part in value.split("|") if part.strip())
    if len(values) > MAX_VALUES or any(len(part) > MAX_FILTER_VALUE for part in values):
        raise ValidationFailed(f"{name} lists at most {MAX_VALUES} values of at most {MAX_FILTER_VALUE} characters.",
                               f"{name} 最多列出 {MAX_VALUES} 个值，每个值不超过 {MAX_FILTER_VALUE} 个字符。",
                               code="bad_query_parameter")
    return values


def _time(name: str, value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValidationFailed(f"{name} is not a date and time with its offset (2026-11-02T08:00:00+08:00).",
                               f"{name} 不是带时区偏移的日期时间（如 2026-11-02T08:00:00+08:00）。",
                               code="bad_query_parameter")
    return moment.astimezone(dt.UTC)


@dataclass(frozen=True, slots=True)
class EventQuery:
    """The filters of an event query (EPCIS 2.0 SimpleEventQuery parameters), each a list of
    alternatives (``|`` in the query string); empty: no filter."""

    event_types: tuple[str, ...] = ()
    ge_event_time: dt.datetime | None = None
    lt_event_time: dt.datetime | None = None
    actions: tuple[str, ...] = ()
    biz_steps: tuple[str, ...] = ()
    dispositions: tuple[str, ...] = ()
    epcs: tuple[str, ...] = ()
    parent_ids: tuple[str, ...] = ()
    biz_locations: tuple[str, ...] = ()
    read_points: tuple[str, ...] = ()

    @classmethod
    def read(cls, *, event_type: str | None = None, ge_event_time: str | None = None,
             lt_event_time: str | None = None, action: str | None = None, biz_step: str | None = None,
             disposition: str | None = None, epc: str | None = None, parent_id: str | None = None,
             biz_location: str | None = None, read_point: str | None = None) -> EventQuery:
        """The query from the query string's values; ValidationFailed (in both languages) for a bad one."""
        types = _split("eventType", event_type)
        known = {kind.value for kind in EventType}
        if any(kind not in known for kind in types):
            raise ValidationFailed("eventType is ObjectEvent or AggregationEvent (the types this network keeps).",
                                   "eventType 应为 ObjectEvent 或 AggregationEvent（本网保存的事件类型）。",
                                   code="bad_query_parameter")
        actions = _split("EQ_action", action)
        if any(value not in {a.value for a in Action} for value in actions):
            raise ValidationFailed("EQ_action is ADD, OBSERVE or DELETE.", "EQ_action 应为 ADD、OBSERVE 或 DELETE。",
                                   code="bad_query_parameter")
        words = vocabularies()
        return cls(types, _time("GE_eventTime", ge_event_time), _time("LT_eventTime", lt_event_time), actions,
                   tuple(words.biz_step.word(value) for value in _split("EQ_bizStep", biz_step)),
                   tuple(words.disposition.word(value) for value in _split("EQ_disposition", disposition)),
                   _split("MATCH_epc", epc), _split("MATCH_parentID", parent_id),
                   _split("EQ_bizLocation", biz_location), _split("EQ_readPoint", read_point))

    def fingerprint(self) -> str:
        values = {key: value.isoformat() if isinstance(value, dt.datetime) else value
                  for key, value in asdict(self).items()}
        return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


# --- page tokens ------------------------------------------------------------------------------


def _signature(key: bytes, payload: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.new(key, payload, hashlib.sha256).digest()[:16]).decode().rstrip("=")


def page_token(key: bytes, query: EventQuery, after: int, scope: str) -> str:
    """An opaque token for the page after event ``after`` of ``query`` asked by ``scope``."""
    payload = json.dumps([after, query.fingerprint(), scope], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + _signature(key, payload)


def _bad_token() -> ValidationFailed:
    return ValidationFailed("nextPageToken is not a token this query gave.", "nextPageToken 不是本查询给出的翻页令牌。",
                            code="bad_page_token")


def read_page_token(key: bytes, token: str, query: EventQuery, scope: str) -> int:
    """The event id a token continues after; ValidationFailed for a token forged, edited or of
    another query or caller."""
    body, _, signature = token.partition(".")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except ValueError:
        raise _bad_token() from None
    if not hmac.compare_digest(_signature(key, payload), signature):
        raise _bad_token()
    after, fingerprint, signed_scope = json.loads(payload)
    if fingerprint != query.fingerprint() or signed_scope != scope or not isinstance(after, int):
        raise _bad_token()
    return after


# --- scope ------------------------------------------------------------------------------------


def _party(kind: PartyKind, kind_column: Any, id_column: Any) -> Any:
    return case((kind_column == kind, id_column), else_=None)


def whole_condition(principal: Principal) -> ColumnElement[bool]:
    """Events ``principal`` sees whole: a distributor's or shop's own, or sent to it (the
    operator: all). A manufacturer sees of an event only its own codes, even of one it captured."""
    if principal.role is Role.OPERATOR:
        return true()
    if principal.role is not Role.MERCHANT:
        return false()
    return or_(scope_condition(principal, merchant=_party(PartyKind.MERCHANT, Event.party_kind, Event.party_id)),
               scope_condition(principal, merchant=_party(PartyKind.MERCHANT, Event.to_kind, Event.to_id)))


def _range_condition(principal: Principal) -> ColumnElement[bool]:
    """Runs of codes ``principal`` sees (joined with their event, batch and product)."""
    return scope_condition(principal, region=Event.region_code, category=Product.category_id,
                           enterprise=EventRange.enterprise_id)


def _ranges_in_scope(principal: Principal) -> Any:
    return (select(EventRange.id).join(CodeBatch, CodeBatch.id == EventRange.batch_id)
            .join(Product, Product.id == CodeBatch.product_id)
            .where(EventRange.event_id == Event.id, _range_condition(principal)))


def visible_condition(principal: Principal) -> ColumnElement[bool]:
    """The events ``principal`` may see (see the module doc)."""
    whole = whole_condition(principal)
    if principal.role is Role.OPERATOR:
        return whole
    # An event of no codes (a class and a quantity) is seen in its county, and by the enterprise
    # that captured it: it names nothing else to go by.
    no_codes = and_(~exists().where(EventRange.event_id == Event.id), or_(
        scope_condition(principal, region=Event.region_code),
        scope_condition(principal, enterprise=_party(PartyKind.ENTERPRISE, Event.party_kind, Event.party_id))))
    return or_(whole, exists(_ranges_in_scope(principal)), no_codes)


# --- filters ----------------------------------------------------------------------------------


def _located(session: Session, uris: Sequence[str]) -> list[Located]:
    resolver = CodeResolver(session, keyring(session))
    spelled = [CODE_URN + uri if len(uri) == 20 and uri.isdigit() else uri for uri in uris]
    resolver.resolve(spelled)
    return [found for uri in spelled if isinstance(found := resolver.found[uri], Located)]


def _naming(principal: Principal, located: Sequence[Located], roles: tuple[str, ...]) -> ColumnElement[bool]:
    """Events naming one of the codes in one of the roles, where ``principal`` sees the code in
    the event (an event that shows a caller only its own codes does not match another's). Not
    correlated with the event: the databases look the codes up once, by their serials."""
    if not located:
        return false()
    return Event.id.in_(
        select(EventRange.event_id).join(Event, Event.id == EventRange.event_id)
        .join(CodeBatch, CodeBatch.id == EventRange.batch_id).join(Product, Product.id == CodeBatch.product_id)
        .where(EventRange.role.in_(roles), or_(*(
            and_(EventRange.generation == code.generation, EventRange.serial_start <= code.serial,
                 EventRange.serial_end > code.serial) for code in located)),
            or_(whole_condition(principal), _range_condition(principal))))


def _foreign_parents(uris: Sequence[str]) -> ColumnElement[bool]:
    """Events whose parentID is one of ``uris`` that is a GS1 key of no code of the network (an
    SSCC, a GRAI), as an EPC URI or a Digital Link on any host: the event's indexed canonical
    form. Such a parentID is part of the event, shown to whoever sees the event, so the one
    condition of who sees an event (``visible_condition``, beside it in the query) is all the scope
    it needs: another enterprise's pallet of the same SSCC stays unseen."""
    keys = sorted({key for uri in uris if (key := canonical_identifier(uri)) is not None})
    return Event.foreign_parent.in_(keys) if keys else false()


def _filters(session: Session, principal: Principal, query: EventQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.event_types:
        conditions.append(Event.type.in_(query.event_types))
    if query.ge_event_time is not None:
        conditions.append(Event.event_time >= query.ge_event_time)
    if query.lt_event_time is not None:
        conditions.append(Event.event_time < query.lt_event_time)
    for column, values in ((Event.action, query.actions), (Event.biz_step, query.biz_steps),
                           (Event.disposition, query.dispositions), (Event.biz_location, query.biz_locations),
                           (Event.read_point, query.read_points)):
        if values:
            conditions.append(column.in_(values))
    if query.epcs:
        conditions.append(_naming(principal, _located(session, query.epcs), ("epc", "child")))
    if query.parent_ids:
        conditions.append(or_(_naming(principal, _located(session, query.parent_ids), ("parent",)),
                              _foreign_parents(query.parent_ids)))
    return conditions


# --- the answer -------------------------------------------------------------------------------


def _quantities(items: Any) -> tuple[QuantityElement, ...]:
    return tuple(QuantityElement(item["epcClass"], Decimal(item["quantity"]) if "quantity" in item else None,
                                 item.get("uom")) for item in items or ())


def _pairs(items: Any, item: str) -> tuple[tuple[Any, str], ...]:
    return tuple((entry.get("type"), entry[item]) for entry in items or ())


def stored_event(row: Event) -> EPCISEvent:
    """An event as it was captured, from its row (its codes are written apart, from its ranges)."""
    fields = row.fields or {}
    return EPCISEvent(
        index=0, type=EventType(row.type), action=Action(row.action), event_time=row.event_time,
        event_time_zone_offset=row.time_zone_offset, event_hash=row.hash_id,
        event_id=row.event_key if row.event_key != row.hash_id else None, biz_step=row.biz_step,
        disposition=row.disposition, read_point=row.read_point, biz_location=row.biz_location,
        quantity_list=_quantities(fields.get("quantityList")),
        child_quantity_list=_quantities(fields.get("childQuantityList")),
        source_list=_pairs(fields.get("sourceList"), "source"),
        destination_list=_pairs(fields.get("destinationList"), "destination"),
        biz_transaction_list=_pairs(fields.get("bizTransactionList"), "bizTransaction"),
        extra=fields.get("extra") or {}, namespaces=tuple((k, v) for k, v in (fields.get("namespaces") or {}).items()))


def _render(session: Session, principal: Principal, rows: Sequence[tuple[Event, bool]]) -> list[dict[str, Any]]:
    """The events in JSON-LD, each with the codes ``principal`` may see of it."""
    if not rows:
        return []
    ids = [row.id for row, _whole in rows]
    whole = [row.id for row, seen_whole in rows if seen_whole]
    ranges = session.execute(
        select(EventRange.event_id, EventRange.role, EventRange.generation, EventRange.serial_start,
               EventRange.serial_end)
        .join(Event, Event.id == EventRange.event_id).join(CodeBatch, CodeBatch.id == EventRange.batch_id)
        .join(Product, Product.id == CodeBatch.product_id)
        .where(EventRange.event_id.in_(ids), or_(EventRange.event_id.in_(whole) if whole else false(),
                                                 _range_condition(principal)))
        .order_by(EventRange.event_id, EventRange.id)).all()
    ring = keyring(session)
    named: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for event_id, role, generation, start, end in ranges:
        if generation == REGISTERED:  # registered codes of another scheme, as their scheme writes them
            named[event_id][role].extend(code_uri(text) for text in texts_of(session.connection(), start, end))
            continue
        codes = issue_codes(ring[generation], np.arange(start, end, dtype=np.uint64))
        named[event_id][role].extend(CODE_URN + code.decode() for code in codes.tolist())
    answer = []
    for row, _whole in rows:
        codes_of = named.get(row.id, {})
        parents = codes_of.get("parent", [])
        # A parent that is no code of the network (an SSCC) is kept as it was sent.
        parent = parents[0] if parents else (row.fields or {}).get("parentID")
        out = event_to_jsonld(stored_event(row), epc_list=codes_of.get("epc", []),
                              child_epcs=codes_of.get("child", []), parent_id=parent)
        if row.type == EventType.AGGREGATION.value and parent is None:
            out.pop("parentID", None)
        out.setdefault("recordTime", row.record_time.isoformat(timespec="milliseconds"))
        answer.append(out)
    return answer


def query_document(events: list[dict[str, Any]]) -> dict[str, Any]:
    """An EPCIS 2.0 EPCISQueryDocument answering a SimpleEventQuery with ``events``."""
    return {"@context": [CONTEXT_URL], "type": "EPCISQueryDocument", "schemaVersion": "2.0",
            "creationDate": dt.datetime.now(LOCAL_ZONE).isoformat(timespec="milliseconds"),
            "epcisBody": {"queryResults": {"queryName": "SimpleEventQuery",
                                           "resultsBody": {"eventList": events}}}}


def _cut(rows: list[tuple[Event, bool]], per_page: int) -> tuple[list[tuple[Event, bool]], bool]:
    """The rows of one page (``per_page`` fetched plus one), and whether more follow: a page also
    ends once its events name ``MAX_PAGE_CODES`` codes (the REST binding lets a server send fewer
    than ``perPage`` when events are large), though it always holds one event."""
    codes = 0
    for at, (row, _whole) in enumerate(rows[:per_page]):
        codes += row.codes
        if codes > MAX_PAGE_CODES and at > 0:
            return rows[:at], True
    return rows[:per_page], len(rows) > per_page


@dataclass(frozen=True, slots=True)
class EventPage:
    """One page of events in JSON-LD, and the id of its last event when more follow."""

    events: list[dict[str, Any]]
    last_id: int | None


def query_events(session: Session, *, principal: Principal, query: EventQuery, per_page: int = DEFAULT_PER_PAGE,
                 after: int = 0) -> EventPage:
    """The events ``principal`` may see that match ``query``, after event ``after``, in the order
    they were recorded; ``last_id`` is set when there may be more."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    statement = (select(Event, whole_condition(principal).label("whole"))
                 .where(visible_condition(principal), Event.id > after, *_filters(session, principal, query))
                 .order_by(Event.id).limit(per_page + 1))
    rows, more = _cut([(row.Event, bool(row.whole)) for row in session.execute(statement)], per_page)
    return EventPage(_render(session, principal, rows), rows[-1][0].id if more and rows else None)


def get_event(session: Session, *, principal: Principal, event_id: str) -> dict[str, Any]:
    """One event by its eventID (or its event hash, for an event sent without one); NotFound
    when there is none or it is outside ``principal``'s scope."""
    row = session.execute(select(Event, whole_condition(principal).label("whole"))
                          .where(Event.event_key == event_id.strip()[:200], visible_condition(principal))).first()
    if row is None:
        raise NotFound("No such event.", "未找到该事件。", code="unknown_event")
    return _render(session, principal, [(row.Event, bool(row.whole))])[0]


def code_events(session: Session, *, principal: Principal, code: str, query: EventQuery,
                per_page: int = DEFAULT_PER_PAGE, after: int = 0) -> EventPage:
    """The events naming one code (as a code, a container or contents) that ``principal`` sees.
    NotFound for a code that was never issued, or that is neither the caller's (or in its scope)
    nor named by an event it sees."""
    uri = code.strip()
    if ":" not in uri:
        try:
            uri = CODE_URN + parse_code(uri).code
        except MalformedCode:
            raise NotFound("No such code.", "未找到该监管码。", code="unknown_code") from None
    located = _located(session, [uri])
    if not located:
        raise NotFound("No such code.", "未找到该监管码。", code="unknown_code")
    found = located[0]
    naming = _naming(principal, located, ("epc", "child", "parent"))
    mine = in_scope(session, principal, enterprise=found.batch.enterprise_id, axes=frozenset({"enterprise"}))
    if not mine and session.scalar(select(Event.id).where(naming, visible_condition(principal)).limit(1)) is None:
        raise NotFound("No such code.", "未找到该监管码。", code="unknown_code")
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    statement = (select(Event, whole_condition(principal).label("whole"))
                 .where(naming, visible_condition(principal), Event.id > after, *_filters(session, principal, query))
                 .order_by(Event.id).limit(per_page + 1))
    rows, more = _cut([(row.Event, bool(row.whole)) for row in session.execute(statement)], per_page)
    return EventPage(_render(session, principal, rows), rows[-1][0].id if more and rows else None)
