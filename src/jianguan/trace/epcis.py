"""EPCIS 2.0 in and out: the pure layer of the supply-chain area (no database, no web).

``parse_document`` reads what a trading partner sends (EPCIS 2.0 JSON-LD, or the XML binding
of EPCIS 1.2 or 2.0) into ``EPCISEvent`` values, each with its canonical event hash, or
refuses the whole document with ``EPCISRefused`` and the list of what is wrong, by event index.
``event_to_jsonld`` writes an event back out in EPCIS 2.0 JSON-LD, as the query interface
answers. The capture service, its rules and its tables build on these.

Cost (``python -m benchmarks.epcis_hash``): a document of 2,002 events naming 52,000 codes
(5.8 MB of JSON) is hashed in about 0.2 s from cold, and read whole (decode, schema, events,
hashes) in about 0.65 s, measured on the shared 2-core machine at a load average of 9 to 13;
the reference generator took 30 to 60 times as long to hash it in the same runs. The size
limit belongs to the HTTP layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from datetime import UTC, timedelta, timezone
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any

from jianguan.trace.cbv import ACCEPTED_BIZ_STEPS, CONTEXT_URL, vocabularies
from jianguan.trace.epcis_common import refuse
from jianguan.trace.epcis_json import parse_json
from jianguan.trace.epcis_model import (
    Action,
    EPCISDocument,
    EPCISError,
    EPCISEvent,
    EPCISRefused,
    EventType,
    QuantityElement,
)
from jianguan.trace.epcis_xml import parse_xml
from jianguan.trace.event_hash import event_hash, pre_hash_string

__all__ = [
    "ACCEPTED_BIZ_STEPS",
    "CONTEXT_URL",
    "JSON_MEDIA_TYPES",
    "XML_MEDIA_TYPES",
    "Action",
    "EPCISDocument",
    "EPCISError",
    "EPCISEvent",
    "EPCISRefused",
    "EventType",
    "QuantityElement",
    "epcis_context",
    "event_hash",
    "event_to_jsonld",
    "parse_document",
    "pre_hash_string",
]

JSON_MEDIA_TYPES = frozenset({"application/json", "application/ld+json"})
XML_MEDIA_TYPES = frozenset({"application/xml", "text/xml"})


def parse_document(data: bytes, content_type: str) -> EPCISDocument:
    """Read a captured EPCIS document of the given media type (parameters such as ``charset``
    are ignored). Raise ``EPCISRefused`` with every error found, by event index, when the
    document is malformed, breaks the EPCIS 2.0 JSON schema, names an event type or a bizStep
    this network does not take, or carries XML entities or a DTD."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type in JSON_MEDIA_TYPES:
        return parse_json(data)
    if media_type in XML_MEDIA_TYPES:
        return parse_xml(data)
    raise refuse(f"Content type {media_type!r} is not taken: send application/json, application/ld+json, "
                 "application/xml or text/xml.",
                 f"不接收内容类型 {media_type!r}：请以 application/json、application/ld+json、application/xml 或 text/xml 发送。")


def epcis_context() -> bytes:
    """GS1's EPCIS 2.0 JSON-LD context, as vendored, for the web layer to serve at
    ``CONTEXT_URL``'s path (no network at run time)."""
    return resources.files("jianguan.trace").joinpath("gs1/epcis-context.jsonld").read_bytes()


# Sensor report fields the JSON schema types; the XML binding gives them as text.
_NUMBERS = frozenset({"value", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue"})


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _typed_report(report: Any) -> Any:
    if not isinstance(report, dict):
        return report
    typed = dict(report)
    for key, value in report.items():
        if key in _NUMBERS and isinstance(value, str):
            with suppress(InvalidOperation):  # not a number: left as sent
                typed[key] = _number(Decimal(value))
        elif key == "booleanValue" and value in ("true", "false"):
            typed[key] = value == "true"
    return typed


def _typed_extra(key: str, value: Any) -> Any:
    if key != "sensorElementList" or not isinstance(value, list):
        return value
    elements = []
    for element in value:
        if isinstance(element, dict) and isinstance(element.get("sensorReport"), list):
            element = {**element, "sensorReport": [_typed_report(report) for report in element["sensorReport"]]}
        elements.append(element)
    return elements


def _quantities(elements: Sequence[QuantityElement]) -> list[dict[str, Any]]:
    written = []
    for element in elements:
        item: dict[str, Any] = {"epcClass": element.epc_class}
        if element.quantity is not None:
            item["quantity"] = _number(element.quantity)
        if element.uom is not None:
            item["uom"] = element.uom
        written.append(item)
    return written


def _event_time(event: EPCISEvent) -> str:
    offset = event.event_time_zone_offset
    try:
        sign = -1 if offset[0] == "-" else 1
        hours, minutes = offset[1:].split(":")
        zone = timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))
    except (IndexError, ValueError):  # an offset the schema would not pass: write UTC
        zone = UTC
    moment = event.event_time.astimezone(zone)
    return moment.isoformat(timespec="milliseconds" if moment.microsecond % 1000 == 0 else "microseconds")


def event_to_jsonld(
    event: EPCISEvent,
    *,
    epc_list: Sequence[str] | None = None,
    child_epcs: Sequence[str] | None = None,
    parent_id: str | None = None,
) -> dict[str, Any]:
    """An event as an EPCIS 2.0 JSON-LD object, for a query's ``eventList``.

    The EPC lists and parent may be given (regenerated from storage, in the spelling the
    answer uses); otherwise the event's own are written. CBV values are written as bare words,
    other values as they were captured; sensor values that the XML binding gave as text are
    typed as the JSON schema wants. Prefixes of extension names are declared in the event's own
    ``@context``; the document's ``@context`` is ``[CONTEXT_URL]``.
    """
    out: dict[str, Any] = {}
    if event.namespaces:
        out["@context"] = dict(event.namespaces)
    out["type"] = event.type.value
    out["eventTime"] = _event_time(event)
    out["eventTimeZoneOffset"] = event.event_time_zone_offset
    if event.event_id is not None:
        out["eventID"] = event.event_id
    if event.type is EventType.OBJECT:
        epcs = tuple(event.epc_list if epc_list is None else epc_list)
        if epcs or not event.quantity_list:
            out["epcList"] = list(epcs)
        if event.quantity_list:
            out["quantityList"] = _quantities(event.quantity_list)
    else:
        parent = event.parent_id if parent_id is None else parent_id
        if parent is not None:
            out["parentID"] = parent
        children = tuple(event.child_epcs if child_epcs is None else child_epcs)
        if children or not event.child_quantity_list:
            out["childEPCs"] = list(children)
        if event.child_quantity_list:
            out["childQuantityList"] = _quantities(event.child_quantity_list)
    out["action"] = event.action.value
    if event.biz_step is not None:
        out["bizStep"] = vocabularies().biz_step.written(event.biz_step)
    if event.disposition is not None:
        out["disposition"] = event.disposition
    for key, identifier in (("readPoint", event.read_point), ("bizLocation", event.biz_location)):
        if identifier is not None:
            members = event.extra.get(key)
            out[key] = {"id": identifier, **(members if isinstance(members, dict) else {})}
    for key, item, pairs in (("bizTransactionList", "bizTransaction", event.biz_transaction_list),
                             ("sourceList", "source", event.source_list),
                             ("destinationList", "destination", event.destination_list)):
        if pairs:
            out[key] = [{**({} if kind is None else {"type": kind}), item: identifier} for kind, identifier in pairs]
    for key, value in event.extra.items():
        if key not in ("readPoint", "bizLocation"):
            out[key] = _typed_extra(key, value)
    return out
