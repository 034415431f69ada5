"""Reading an EPCIS 2.0 JSON-LD document (``application/json``, ``application/ld+json``).

The document is decoded strictly (no ``NaN``, no invalid UTF-8), refused if nested deeper than
any EPCIS document needs, validated against GS1's JSON schema (vendored in ``gs1/``, formats
included: a time must be a time, an identifier a URI), and then read event by event. Every
error is collected, by event index, before the document is refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs
import msgspec

from jianguan.trace import epcis_common as common
from jianguan.trace.cbv import vocabularies
from jianguan.trace.epcis_model import Action, EPCISDocument, EPCISEvent, EventType, QuantityElement

# Arrays and objects nested deeper than this are refused before validation: an EPCIS event is
# about five levels deep, extensions add a few, and the validator recurses on the native stack.
MAX_DEPTH = 48
# Fields the event's values take; everything else is kept, as sent, in ``extra``.
_CORE = frozenset({"@context", "type", "eventID", "eventTime", "eventTimeZoneOffset", "action", "bizStep",
                   "disposition", "readPoint", "bizLocation", "epcList", "parentID", "childEPCs", "quantityList",
                   "childQuantityList", "sourceList", "destinationList", "bizTransactionList"})
_MESSAGE_LIMIT = 300
_EVENT_TYPES = frozenset(kind.value for kind in EventType)


@cache
def _validator() -> Any:
    schema = resources.files("jianguan.trace").joinpath("gs1/EPCIS-JSON-Schema.json").read_text("utf-8")
    return jsonschema_rs.validator_for(json.loads(schema), validate_formats=True)


def _too_deep(document: Any) -> bool:
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(value, dict):
            stack.extend((member, depth + 1) for member in value.values() if isinstance(member, dict | list))
        else:
            stack.extend((item, depth + 1) for item in value if isinstance(item, dict | list))
    return False


def _shorten(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[:_MESSAGE_LIMIT] + "…"


def _schema_errors(document: Any, problems: common.Problems) -> None:
    for error in _validator().iter_errors(document):
        path = list(error.instance_path)
        index = None
        if len(path) > 2 and path[:2] == ["epcisBody", "eventList"] and isinstance(path[2], int):
            index, path = path[2], path[3:]
        where = "/" + "/".join(str(part) for part in path) if path else ("the event" if index is not None else "the document")
        where_zh = "/" + "/".join(str(part) for part in path) if path else ("该事件" if index is not None else "文档")
        detail = _shorten(error.message)
        problems.add(index, f"{where}: {detail} (EPCIS 2.0 JSON schema).",
                     f"{where_zh}：不符合 EPCIS 2.0 JSON 模式（{detail}）。")
        if problems.full:
            return


def _context_prefixes(context: Any) -> dict[str, str]:
    """The prefixes a JSON-LD context declares (``{"example": "http://ns.example.com/epcis/"}``)."""
    prefixes: dict[str, str] = {}
    for part in context if isinstance(context, list) else [context]:
        if isinstance(part, dict):
            prefixes.update((key, iri) for key, iri in part.items() if isinstance(iri, str) and not key.startswith("@"))
    return prefixes


def _prefix(text: str, declared: Mapping[str, str]) -> str | None:
    prefix, colon, _ = text.partition(":")
    return prefix if colon and prefix in declared else None


def _used_prefixes(value: Any, declared: Mapping[str, str]) -> Iterator[str]:
    """The declared prefixes an event's extra fields use, in names or at the start of values."""
    if isinstance(value, dict):
        for key, member in value.items():
            if (prefix := _prefix(key, declared)) is not None:
                yield prefix
            yield from _used_prefixes(member, declared)
    elif isinstance(value, list):
        for item in value:
            yield from _used_prefixes(item, declared)
    elif isinstance(value, str) and (prefix := _prefix(value, declared)) is not None:
        yield prefix


def _expanded(value: str, declared: Mapping[str, str]) -> str:
    """A CBV-typed value given as a compact IRI of a declared prefix, expanded (JSON-LD does)."""
    prefix = _prefix(value, declared)
    return value if prefix is None else declared[prefix] + value[len(prefix) + 1:]


def _quantities(elements: list[dict[str, Any]]) -> tuple[QuantityElement, ...]:
    return tuple(
        QuantityElement(
            epc_class=element["epcClass"],
            quantity=None if element.get("quantity") is None else Decimal(str(element["quantity"])),
            uom=element.get("uom"),
        )
        for element in elements
    )


def _event(raw: dict[str, Any], index: int, declared: Mapping[str, str], problems: common.Problems) -> EPCISEvent | None:
    words = vocabularies()
    kind = raw["type"]
    if kind not in _EVENT_TYPES:
        common.bad_type(problems, index, kind)
        return None
    moment = common.event_time(raw["eventTime"])
    if moment is None:
        common.bad_time(problems, index, "eventTime", raw["eventTime"])
        return None
    declared = {**declared, **_context_prefixes(raw.get("@context"))}
    biz_step = None
    if "bizStep" in raw:
        biz_step = common.biz_step(_expanded(raw["bizStep"], declared), index, problems)
    disposition = raw.get("disposition")
    if disposition is not None:
        disposition = words.disposition.word(_expanded(disposition, declared))

    extra: dict[str, Any] = {key: value for key, value in raw.items() if key not in _CORE}
    places = {}
    for key in ("readPoint", "bizLocation"):
        if key in raw:
            places[key] = raw[key]["id"]
            members = {member: value for member, value in raw[key].items() if member != "id"}
            if members:
                extra[key] = members

    def typed(key: str, item: str, vocabulary_name: str) -> tuple[tuple[Any, str], ...]:
        vocabulary = getattr(words, vocabulary_name)
        return tuple(
            (None if "type" not in entry else vocabulary.word(_expanded(entry["type"], declared)), entry[item])
            for entry in raw.get(key, ())
        )

    return EPCISEvent(
        index=index,
        type=EventType(kind),
        action=Action(raw["action"]),
        event_time=moment,
        event_time_zone_offset=raw["eventTimeZoneOffset"],
        event_id=raw.get("eventID"),
        biz_step=biz_step,
        disposition=disposition,
        read_point=places.get("readPoint"),
        biz_location=places.get("bizLocation"),
        epc_list=tuple(raw.get("epcList", ())),
        parent_id=raw.get("parentID"),
        child_epcs=tuple(raw.get("childEPCs", ())),
        quantity_list=_quantities(raw.get("quantityList", [])),
        child_quantity_list=_quantities(raw.get("childQuantityList", [])),
        source_list=typed("sourceList", "source", "source_destination_type"),
        destination_list=typed("destinationList", "destination", "source_destination_type"),
        biz_transaction_list=typed("bizTransactionList", "bizTransaction", "biz_transaction_type"),
        extra=extra,
        namespaces=tuple(sorted({prefix: declared[prefix] for prefix in _used_prefixes(extra, declared)}.items())),
    )


def parse_json(data: bytes) -> EPCISDocument:
    """Read an EPCIS 2.0 JSON-LD document; raise ``EPCISRefused`` listing what is wrong."""
    try:
        document = msgspec.json.decode(data)
    except msgspec.DecodeError as error:
        raise common.refuse(f"The document is not well-formed JSON: {error}.",
                            f"文档不是格式正确的 JSON：{error}。") from None
    except RecursionError:
        raise _too_deep_refusal() from None
    if isinstance(document, dict | list) and _too_deep(document):
        raise _too_deep_refusal()
    if not isinstance(document, dict) or document.get("type") != "EPCISDocument":
        raise common.refuse("The document is not an EPCISDocument.", "文档不是 EPCISDocument。")
    problems = common.Problems()
    _schema_errors(document, problems)
    problems.raise_any()

    declared = _context_prefixes(document["@context"])
    events = []
    for index, raw in enumerate(document["epcisBody"]["eventList"]):
        event = _event(raw, index, declared, problems)
        if event is not None:
            events.append(event)
        if problems.full:
            break
    problems.raise_any()
    return EPCISDocument(
        events=tuple(events),
        syntax="json",
        schema_version=document["schemaVersion"],
        creation_date=common.event_time(document["creationDate"]),
    )


def _too_deep_refusal() -> Exception:
    return common.refuse(f"The document nests arrays and objects deeper than {MAX_DEPTH} levels.",
                         f"文档中数组与对象的嵌套超过 {MAX_DEPTH} 层。")
