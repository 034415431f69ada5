"""The values an EPCIS 2.0 capture turns into: events, documents and the errors that refuse them.

Pure values, no database: the JSON-LD and XML readers (``epcis_json``, ``epcis_xml``) make
them, the capture service stores them, and ``epcis.event_to_jsonld`` writes one back out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from jianguan.errors import ValidationFailed
from jianguan.trace.event_hash import event_hash


class EventType(StrEnum):
    """The event types this network takes. Transformation, transaction and association events
    are valid EPCIS but describe nothing a code here goes through, so they are refused."""

    OBJECT = "ObjectEvent"
    AGGREGATION = "AggregationEvent"


class Action(StrEnum):
    """What an event does to the objects it names (EPCIS 2.0 section 7.3.2)."""

    ADD = "ADD"
    OBSERVE = "OBSERVE"
    DELETE = "DELETE"


@dataclass(frozen=True, slots=True)
class QuantityElement:
    """A quantity of a class of objects (``quantityList``): a lot, a GTIN without serials."""

    epc_class: str
    quantity: Decimal | None = None
    uom: str | None = None


@dataclass(frozen=True, slots=True)
class EPCISEvent:
    """One captured event, as sent, with its canonical hash.

    Identifiers (EPCs, parentID, readPoint, bizLocation, sources, destinations, transactions)
    are the strings the sender wrote, in its order. ``biz_step``, ``disposition`` and the types
    of sources, destinations and transactions are CBV words (``shipping``, ``in_transit``,
    ``owning_party``, ``po``) whatever spelling was sent; a value outside the CBV is kept as a
    full URI. ``extra`` holds every other field of the event in its JSON-LD form (``ilmd``,
    ``certificationInfo``, ``sensorElementList``, ``persistentDisposition``,
    ``errorDeclaration``, ``recordTime``, user extensions under their compact names, and the
    extension fields of ``readPoint`` and ``bizLocation`` under those keys, without ``id``);
    ``namespaces`` maps the prefixes of those compact names to their IRIs. Treat ``extra`` as
    read-only: the hash was computed from it.

    ``event_hash`` is the EPCIS event hash (``ni:///sha-256;…?ver=CBV2.0``); it is computed
    when not given, so an event built by hand gets its hash too.
    """

    index: int
    type: EventType
    action: Action
    event_time: datetime
    event_time_zone_offset: str
    event_hash: str = ""
    event_id: str | None = None
    biz_step: str | None = None
    disposition: str | None = None
    read_point: str | None = None
    biz_location: str | None = None
    epc_list: tuple[str, ...] = ()
    parent_id: str | None = None
    child_epcs: tuple[str, ...] = ()
    quantity_list: tuple[QuantityElement, ...] = ()
    child_quantity_list: tuple[QuantityElement, ...] = ()
    source_list: tuple[tuple[str, str], ...] = ()
    destination_list: tuple[tuple[str, str], ...] = ()
    biz_transaction_list: tuple[tuple[str | None, str], ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)
    namespaces: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not self.event_hash:
            object.__setattr__(self, "event_hash", event_hash(self))

    @property
    def epc_count(self) -> int:
        """How many codes the event names: its EPCs, its children and its parent."""
        return len(self.epc_list) + len(self.child_epcs) + (self.parent_id is not None)


@dataclass(frozen=True, slots=True)
class EPCISDocument:
    """A captured document: its events in document order and what its header says."""

    events: tuple[EPCISEvent, ...]
    syntax: Literal["json", "xml", "csv"]
    schema_version: str | None = None
    creation_date: datetime | None = None

    @property
    def epc_count(self) -> int:
        """How many codes the document's events name, counted once an event."""
        return sum(event.epc_count for event in self.events)


@dataclass(frozen=True, slots=True)
class EPCISError:
    """One thing wrong with a document: the event it is in (None: the document) and what."""

    index: int | None
    message: str
    message_zh: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "message": self.message, "message_zh": self.message_zh}


# An answer lists at most this many errors: enough to fix a document, never a megabyte of them.
MAX_LISTED_ERRORS = 100


class EPCISRefused(ValidationFailed):
    """A document refused whole: nothing of it is stored. ``errors`` lists what is wrong, by
    event index (``details["errors"]`` carries the same list for the API's answer)."""

    code = "epcis_refused"

    def __init__(self, errors: Sequence[EPCISError]) -> None:
        count = len(errors)
        listed = tuple(errors[:MAX_LISTED_ERRORS])
        super().__init__(
            f"The EPCIS document was refused ({count} error{'s' if count != 1 else ''}); nothing was stored.",
            f"EPCIS 文档未被接收（{count} 处错误），未保存任何内容。",
            errors=[error.as_dict() for error in listed],
            error_count=count,
        )
        self.errors = listed
        self.error_count = count
