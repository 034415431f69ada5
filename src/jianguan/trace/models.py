"""What happens to codes after activation: supply-chain events (GS1 EPCIS 2.0) as they were
captured, where each code is now, and which codes are packed in which.

What is stored grows with events, never with codes times events: an event is one row, and the
codes it names are stored as serial ranges (a shipment of a pallet of consecutive codes is one
range). Where codes are now (positions) and what they are packed in (packings) are runs of
consecutive codes too, rewritten by each event that moves them: a pallet shipped whole stays one
row however many codes it holds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jianguan.choices import LabelledChoice
from jianguan.storage.base import Base, utcnow


class PartyKind(LabelledChoice):
    """Who takes part in the supply chain: a manufacturer, or a distributor or shop."""

    ENTERPRISE = "enterprise", "生产企业", "manufacturer"
    MERCHANT = "merchant", "经销商/商店", "distributor or shop"


class Location(Base):
    """A place of a party by its GS1 GLN (a warehouse, a shop), as events name it in readPoint,
    bizLocation, sourceList and destinationList. A party is also named by its credit code
    (``urn:jianguan:party:{code}``), which needs no row here."""

    __tablename__ = "trace_locations"

    gln: Mapped[str] = mapped_column(String(13), primary_key=True)
    party_kind: Mapped[PartyKind] = mapped_column(String(16))
    party_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(6), ForeignKey("regions.code"), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    registered_by: Mapped[str] = mapped_column(String(100))
    registered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_trace_locations_party", "party_kind", "party_id"),)


class CaptureStatus(LabelledChoice):
    """What became of a document sent for capture: taken whole, or refused whole."""

    ACCEPTED = "accepted", "已接收", "accepted"
    REFUSED = "refused", "已拒收", "refused"


class Capture(Base):
    """One EPCIS document (or CSV file, or scanning session) a party sent: taken whole
    (``accepted``, with what it stored), or refused whole (``refused``: none of its events was
    stored, and ``errors`` keeps what was wrong, by event index, so that its status can be asked
    for later as for any capture)."""

    __tablename__ = "trace_captures"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_kind: Mapped[PartyKind] = mapped_column(String(16))
    party_id: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))  # json, xml, csv, scan, packing
    # SHA-256 of the document as sent: the same bytes sent again by the same party are answered
    # with this capture, unread (an upload retried after a lost answer).
    digest: Mapped[str | None] = mapped_column(String(64), default=None)
    events: Mapped[int] = mapped_column(Integer, default=0)  # new events stored
    repeated: Mapped[int] = mapped_column(Integer, default=0)  # events already captured before
    codes: Mapped[int] = mapped_column(BigInteger, default=0)  # codes the new events name
    received_by: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[CaptureStatus] = mapped_column(String(16), default=CaptureStatus.ACCEPTED,
                                                  server_default=CaptureStatus.ACCEPTED.value)
    # A refused document: how many errors, and the first of them ({index, message, message_zh}).
    error_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    errors: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)

    __table_args__ = (Index("ix_trace_captures_party", "party_kind", "party_id", "digest"),)


class Event(Base):
    """One supply-chain event (an EPCIS ObjectEvent or AggregationEvent), its codes stored apart
    as ranges (``EventRange``). ``event_key`` is its eventID, or its canonical event hash when it
    came without one: the same event sent twice is stored once.

    ``party`` is who captured it; ``to`` the party a shipping or returning sends the goods to;
    ``region_code`` where it happened (its business location's county, else the capturer's),
    which decides, with the codes' enterprises, which regulators see it. ``fields`` keeps what the
    query interface gives back that has no column (business transactions, the raw source and
    destination lists, the lot data of a commissioning, extensions).

    ``foreign_parent`` is an AggregationEvent's parentID when it is a GS1 key of no code of the
    network (an SSCC pallet, a GRAI crate), in its canonical Digital Link form
    (``https://id.gs1.org/00/…``), so that ``MATCH_parentID`` finds it however it was spelled; the
    parentID as sent stays in ``fields``. A container that is a code of the network is a range."""

    __tablename__ = "trace_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    event_key: Mapped[str] = mapped_column(String(200), unique=True)
    hash_id: Mapped[str] = mapped_column(String(100), index=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("trace_captures.id"), index=True)
    type: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(8))
    biz_step: Mapped[str | None] = mapped_column(String(200), index=True, default=None)
    disposition: Mapped[str | None] = mapped_column(String(200), default=None)
    event_time: Mapped[dt.datetime] = mapped_column(index=True)
    time_zone_offset: Mapped[str] = mapped_column(String(6))
    record_time: Mapped[dt.datetime] = mapped_column(default=utcnow)
    read_point: Mapped[str | None] = mapped_column(String(300), default=None)
    biz_location: Mapped[str | None] = mapped_column(String(300), index=True, default=None)
    party_kind: Mapped[PartyKind] = mapped_column(String(16))
    party_id: Mapped[int] = mapped_column(Integer)
    to_kind: Mapped[PartyKind | None] = mapped_column(String(16), default=None)
    to_id: Mapped[int | None] = mapped_column(Integer, default=None)
    region_code: Mapped[str | None] = mapped_column(String(6), index=True, default=None)
    codes: Mapped[int] = mapped_column(BigInteger, default=0)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A canonical Digital Link URI is at most 72 characters (gs1_uri._CANONICAL).
    foreign_parent: Mapped[str | None] = mapped_column(String(100), index=True, default=None)

    __table_args__ = (Index("ix_trace_events_party", "party_kind", "party_id"),
                      Index("ix_trace_events_to", "to_kind", "to_id"))


class EventRange(Base):
    """A run of consecutive serials of one batch that an event names, in one role: ``epc`` (an
    ObjectEvent's codes), ``parent`` or ``child`` (an AggregationEvent's container and contents)."""

    __tablename__ = "trace_event_ranges"
    __table_args__ = (
        CheckConstraint("serial_end > serial_start", name="non_empty_range"),
        Index("ix_trace_event_ranges_code", "generation", "serial_start"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("trace_events.id"), index=True)
    role: Mapped[str] = mapped_column(String(8))
    generation: Mapped[int]
    serial_start: Mapped[int] = mapped_column(BigInteger)
    serial_end: Mapped[int] = mapped_column(BigInteger)
    batch_id: Mapped[int] = mapped_column(ForeignKey("code_batches.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)


class Whereabouts(LabelledChoice):
    """Where a code stands in the supply chain after its last event."""

    COMMISSIONED = "commissioned", "已赋码", "commissioned"
    IN_TRANSIT = "in_transit", "在途", "in transit"
    IN_STOCK = "in_stock", "在库", "in stock"
    SOLD = "sold", "已售出", "sold"
    RETURNED = "returned", "已退回", "returned"
    DESTROYED = "destroyed", "已销毁", "destroyed"
    DECOMMISSIONED = "decommissioned", "已注销", "decommissioned"


# A code in one of these never moves again.
FINAL = frozenset({Whereabouts.DESTROYED, Whereabouts.DECOMMISSIONED})


class Position(Base):
    """Where a run of consecutive codes of one batch is now: who holds it, in which county, in what
    state, after which event; while in transit, to whom (and where) it was shipped. The runs of a
    generation never overlap; a code no run holds has not moved since it was activated."""

    __tablename__ = "trace_positions"
    __table_args__ = (
        CheckConstraint("serial_end > serial_start", name="non_empty_range"),
        Index("ix_trace_positions_serial", "generation", "serial_start", unique=True),
        Index("ix_trace_positions_batch", "batch_id", "serial_start"),
        Index("ix_trace_positions_holder", "holder_kind", "holder_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    generation: Mapped[int]
    serial_start: Mapped[int] = mapped_column(BigInteger)
    serial_end: Mapped[int] = mapped_column(BigInteger)
    batch_id: Mapped[int] = mapped_column(ForeignKey("code_batches.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    status: Mapped[Whereabouts] = mapped_column(String(16))
    holder_kind: Mapped[PartyKind] = mapped_column(String(16))
    holder_id: Mapped[int] = mapped_column(Integer)
    region_code: Mapped[str | None] = mapped_column(String(6), default=None)
    shipped_to_kind: Mapped[PartyKind | None] = mapped_column(String(16), default=None)
    shipped_to_id: Mapped[int | None] = mapped_column(Integer, default=None)
    shipped_region: Mapped[str | None] = mapped_column(String(6), default=None)
    event_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[dt.datetime]


class Packing(Base):
    """A run of consecutive item (or case) codes packed into one container code (aggregation),
    while they are packed. The runs of a generation never overlap: a code is in one container."""

    __tablename__ = "trace_packings"
    __table_args__ = (
        CheckConstraint("serial_end > serial_start", name="non_empty_range"),
        Index("ix_trace_packings_serial", "generation", "serial_start", unique=True),
        Index("ix_trace_packings_container", "container_generation", "container_serial"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    generation: Mapped[int]
    serial_start: Mapped[int] = mapped_column(BigInteger)
    serial_end: Mapped[int] = mapped_column(BigInteger)
    container_generation: Mapped[int]
    container_serial: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[int | None] = mapped_column(BigInteger, default=None)  # None: packed before events were kept
    at: Mapped[dt.datetime]


class DiversionKind(LabelledChoice):
    """How goods were found where they were not sent (串货)."""

    RECEIVED = "received", "异地收货", "received elsewhere"
    SOLD = "sold", "异地销售", "sold elsewhere"
    QUERIED = "queried", "异地查询", "queried elsewhere"


class Diversion(Base):
    """A diversion signal for a manufacturer: codes of its own received, sold or queried by a party
    or in a county other than the one they were shipped to, with the evidence (the event or the
    query, the codes). Consumers are never shown it."""

    __tablename__ = "trace_diversions"
    __table_args__ = (Index("ix_trace_diversions_enterprise", "enterprise_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    kind: Mapped[DiversionKind] = mapped_column(String(16))
    event_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("trace_events.id"), default=None)
    codes: Mapped[int] = mapped_column(BigInteger)
    sample_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    expected_kind: Mapped[PartyKind | None] = mapped_column(String(16), default=None)
    expected_id: Mapped[int | None] = mapped_column(Integer, default=None)
    expected_region: Mapped[str | None] = mapped_column(String(6), default=None)
    found_kind: Mapped[PartyKind | None] = mapped_column(String(16), default=None)
    found_id: Mapped[int | None] = mapped_column(Integer, default=None)
    found_region: Mapped[str | None] = mapped_column(String(6), default=None)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
