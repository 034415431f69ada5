"""Capture speed: issue 11's document into SQLite and PostgreSQL, against a row-per-serial design.

Run: .venv/bin/python -m benchmarks.epcis_capture [--cases 2000 --per-case 25] [--databases sqlite postgresql]

The document commissions every item and case of one enterprise (the lot in its ILMD, so the
codes are activated by it), packs each case (one AggregationEvent a case) and ships the cases to
a distributor: 2,002 events naming 52,000 codes (106,000 EPCs) when 2,000 cases hold 25 items.
Each database gets:

- ``capture``: the network's capture (parse, check every rule, store events with their codes as
  ranges, positions and packings as runs), in one transaction, as the API does;
- ``re-capture``: the same document again, which must store nothing and take a fraction of it
  (the same bytes from the same party are recognised by their SHA-256, unread); and the same
  events in another document (re-spaced), found event by event by their event hashes;
- ``row-per-serial``: the same parsed events stored the way row-per-serial EPCIS repositories
  store them: an event row and one row per EPC per event, through the ORM (objects added to the
  session and flushed), nothing checked. The parse is timed in both.

It prints events/s and codes/s of each, the ratios measured in the run, and the rows each design
stored; it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from typing import Any

import numpy as np
from sqlalchemy import ForeignKey, String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, sessionmaker
from tests.functional.registry_data import ACTOR, credit_code, make_enterprise, make_product

from benchmarks.databases import DATABASES
from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.codes import issue as issuing
from jianguan.codes.codec import issue_codes
from jianguan.codes.keyring import KeyService, keyring
from jianguan.config import Settings
from jianguan.merchants.services import register_merchant
from jianguan.storage import make_engine, session_factory, transaction
from jianguan.trace.capture import capture_document
from jianguan.trace.epcis import CONTEXT_URL, parse_document
from jianguan.trace.epcis_model import EPCISEvent
from jianguan.trace.identifiers import code_uri, party_uri
from jianguan.trace.models import Event, EventRange, Packing, Position


class _Base(DeclarativeBase):
    pass


class SerialEvent(_Base):
    """An event of the row-per-serial design."""

    __tablename__ = "rps_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_hash: Mapped[str] = mapped_column(String(100), index=True)
    type: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(8))
    biz_step: Mapped[str | None] = mapped_column(String(200))
    disposition: Mapped[str | None] = mapped_column(String(200))
    event_time: Mapped[dt.datetime]
    read_point: Mapped[str | None] = mapped_column(String(300))
    biz_location: Mapped[str | None] = mapped_column(String(300))
    epcs: Mapped[list[SerialEpc]] = relationship()


class SerialEpc(_Base):
    """One EPC of one event: the row the design stores per code per event."""

    __tablename__ = "rps_epcs"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("rps_events.id"), index=True)
    role: Mapped[str] = mapped_column(String(8))
    epc: Mapped[str] = mapped_column(String(300), index=True)


def _chain(sessions: sessionmaker[Session], cases: int, per_case: int) -> tuple[Principal, list[str], list[str], str, str]:
    """An enterprise with a batch of items and one of cases, and a distributor to ship to."""
    with transaction(sessions) as session:
        enterprise = make_enterprise(session, signed=True)
        product = make_product(session, enterprise.id, packaging=(("item", 1), ("case", per_case)))
        owner = Principal(kind="user", id=0, name="bench", role=Role.MANUFACTURER, enterprise_id=enterprise.id)
        distributor = register_merchant(session, actor=ACTOR, credit_code=credit_code("440106"), name="经销商",
                                        kind="distributor", region_code="440106")
        codes = []
        for quantity, level in ((cases * per_case, "item"), (cases, "case")):
            made = issuing.request_codes(session, actor=ACTOR, principal=owner, product_id=product.id,
                                         quantity=quantity, packaging_level=level, printer_id=None)
            assert made.batch is not None
            serials = np.arange(made.batch.serial_start, made.batch.serial_end, dtype=np.uint64)
            codes.append([value.decode() for value in issue_codes(keyring(session)[made.batch.generation], serials)])
        return owner, codes[0], codes[1], enterprise.credit_code, distributor.credit_code


def document(items: list[str], cases: list[str], per_case: int, sender: str, receiver: str) -> bytes:
    """Commission items and cases with their lot, pack each case, ship the cases: one document."""
    place = {"id": party_uri(sender)}
    common = {"eventTimeZoneOffset": "+08:00", "readPoint": place, "bizLocation": place}
    events: list[dict[str, Any]] = [{
        "type": "ObjectEvent", "eventTime": "2026-11-02T08:00:00.000+08:00", "action": "ADD",
        "epcList": [code_uri(code) for code in [*items, *cases]], "bizStep": "commissioning",
        "disposition": "active", "ilmd": {"cbvmda:lotNumber": "B-20261102", "cbvmda:itemExpirationDate": "2028-11-01"},
        **common}]
    for number, case in enumerate(cases):
        events.append({
            "type": "AggregationEvent", "eventTime": "2026-11-02T09:00:00.000+08:00", "action": "ADD",
            "parentID": code_uri(case), "childEPCs": [code_uri(code) for code in items[number * per_case:(number + 1) * per_case]],
            "bizStep": "packing", "disposition": "in_progress", **common})
    events.append({
        "type": "ObjectEvent", "eventTime": "2026-11-02T10:30:00.000+08:00", "action": "OBSERVE",
        "epcList": [code_uri(case) for case in cases], "bizStep": "shipping", "disposition": "in_transit", **common,
        "sourceList": [{"type": "owning_party", "source": party_uri(sender)}],
        "destinationList": [{"type": "owning_party", "destination": party_uri(receiver)}]})
    return json.dumps({"@context": [CONTEXT_URL, {"cbvmda": "urn:epcglobal:cbv:mda:"}], "type": "EPCISDocument",
                       "schemaVersion": "2.0", "creationDate": "2026-11-02T10:30:00Z",
                       "epcisBody": {"eventList": events}}).encode()


def _ours(sessions: sessionmaker[Session], owner: Principal, data: bytes) -> tuple[float, int]:
    """Capture as the API does; the number of events stored."""
    started = time.perf_counter()
    with transaction(sessions) as session:
        result = capture_document(session, actor=ACTOR, principal=owner, data=data, content_type="application/ld+json")
        stored = 0 if result.repeated else result.capture.events
    return time.perf_counter() - started, stored


def _row_per_serial(sessions: sessionmaker[Session], data: bytes) -> float:
    started = time.perf_counter()
    events = parse_document(data, "application/ld+json").events
    with transaction(sessions) as session:
        for event in events:
            session.add(_serial_event(event))
    return time.perf_counter() - started


def _serial_event(event: EPCISEvent) -> SerialEvent:
    row = SerialEvent(event_hash=event.event_hash, type=event.type.value, action=event.action.value,
                      biz_step=event.biz_step, disposition=event.disposition, event_time=event.event_time,
                      read_point=event.read_point, biz_location=event.biz_location)
    row.epcs = ([SerialEpc(role="epc", epc=epc) for epc in event.epc_list]
                + [SerialEpc(role="child", epc=epc) for epc in event.child_epcs]
                + ([SerialEpc(role="parent", epc=event.parent_id)] if event.parent_id else []))
    return row


def _count(sessions: sessionmaker[Session], *tables: Any) -> int:
    with sessions() as session:
        return sum(session.scalar(select(func.count()).select_from(table)) or 0 for table in tables)


def run(name: str, cases: int, per_case: int) -> None:
    with DATABASES[name]() as url:
        engine = make_engine(url)
        _Base.metadata.create_all(engine)
        sessions = session_factory(engine, keys=KeyService(Settings().master_key_bytes()))
        owner, items, case_codes, sender, receiver = _chain(sessions, cases, per_case)
        data = document(items, case_codes, per_case, sender, receiver)
        codes = len(items) + len(case_codes)
        first, events = _ours(sessions, owner, data)
        stored = _count(sessions, Event, EventRange, Position, Packing)
        again, new = _ours(sessions, owner, data)
        # the same events in another document (other spacing): found event by event
        respaced, new_too = _ours(sessions, owner, json.dumps(json.loads(data), indent=1).encode())
        assert new == new_too == 0 and _count(sessions, Event, EventRange, Position, Packing) == stored, \
            "re-capture stored rows"
        baseline = _row_per_serial(sessions, data)
        serial_rows = _count(sessions, SerialEvent, SerialEpc)
        engine.dispose()
    print(f"{name}: {events:,} events, {codes:,} codes, {len(data) / 1e6:.1f} MB")
    print(f"  capture          {first:7.2f} s  {events / first:9,.0f} events/s  {codes / first:10,.0f} codes/s"
          f"  rows stored {stored:,}")
    print(f"  re-capture       {again:7.2f} s  ({again / first:.1%} of the first; the same bytes: nothing read, nothing stored)")
    print(f"  same events      {respaced:7.2f} s  ({respaced / first:.0%} of the first; in another document: each event "
          "found by its hash, nothing stored)")
    print(f"  row-per-serial   {baseline:7.2f} s  {events / baseline:9,.0f} events/s  {codes / baseline:10,.0f} codes/s"
          f"  rows stored {serial_rows:,}")
    print(f"  ratio capture / row-per-serial: {baseline / first:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--per-case", type=int, default=25)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=sorted(DATABASES))
    args = parser.parse_args()
    for name in args.databases:
        run(name, args.cases, args.per_case)


if __name__ == "__main__":
    main()
