"""Reading an EPCIS 1.2 or 2.0 XML document (``application/xml``, ``text/xml``).

Most trading partners still send the XML bindings. The parser never expands an entity, never
loads a DTD and never touches the network; a document that declares entities or names an
external DTD is refused (a bare ``<!DOCTYPE name>``, as in the standard's own examples, is
harmless and passes). EPCIS 1.2's ``extension`` and ``baseExtension`` wrappers are unwrapped
wherever they are, so 1.2 and 2.0 read alike.

Each event is turned into the same values as its JSON-LD form: CBV values become CBV words,
attributes and elements of the extensions become members of ``extra`` under compact names
(``prefix:local``, with the prefixes in ``namespaces``), text with attributes becomes
``{"#text": …}``, repeated elements become arrays, and values spelt ``gs1:…`` or ``cbv:…``
are expanded, as the reference hash generator's XML reader does. Values stay strings
(``"26.0"``, ``"true"``): the hash reads them so, and the JSON-LD writer types them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lxml import etree

from jianguan.trace import epcis_common as common
from jianguan.trace.cbv import CBV_BASE, GS1_VOC_BASE, Vocabulary, vocabularies
from jianguan.trace.epcis_model import Action, EPCISDocument, EPCISEvent, EventType, QuantityElement

EPCIS_NAMESPACES = ("urn:epcglobal:epcis:xsd:1", "urn:epcglobal:epcis:xsd:2")
_WRAPPERS = frozenset({"extension", "baseExtension"})
_EVENT_TYPES = frozenset(kind.value for kind in EventType)
_ACTIONS = frozenset(action.value for action in Action)


def _parser() -> etree.XMLParser:
    # One parser a call: lxml parsers keep state and are not to be shared between threads.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           remove_comments=True, remove_pis=True, collect_ids=False)


def _entities_refused() -> common.EPCISRefused:
    return common.refuse("The document declares XML entities or a DTD; they are refused, never expanded or fetched.",
                         "文档声明了 XML 实体或 DTD：本网拒绝此类文档，不展开也不获取。")


def _root(data: bytes) -> Any:
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        if b"<!ENTITY" in data:  # an entity bomb stops the parser before the check below could
            raise _entities_refused() from None
        raise common.refuse(f"The document is not well-formed XML: {error}.",
                            f"文档不是格式正确的 XML：{error}。") from None
    info = root.getroottree().docinfo
    dtd = info.internalDTD
    if info.system_url or info.public_id or (
            dtd is not None and (any(True for _ in dtd.iterentities()) or any(True for _ in dtd.iterelements()))):
        raise _entities_refused()
    return root


def _local(element: Any) -> tuple[str | None, str]:
    name = etree.QName(element)
    return name.namespace, name.localname


def _children(element: Any) -> Iterator[Any]:
    """An element's child elements, with EPCIS 1.2's extension wrappers unwrapped."""
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if child.tag in _WRAPPERS:
            yield from _children(child)
        else:
            yield child


def _text(element: Any) -> str:
    return (element.text or "").strip()


def _expanded(value: str) -> str:
    """``gs1:`` and ``cbv:`` values as URIs (the reference's XML reader does; JSON keeps them)."""
    if value.startswith("gs1:"):
        value = value.replace("gs1:", GS1_VOC_BASE)
    if value.startswith("cbv:"):
        value = value.replace("cbv:", CBV_BASE)
    return value


class _Names:
    """Compact names for an event's namespaced elements and attributes, and their prefixes."""

    def __init__(self) -> None:
        self.prefixes: dict[str, str] = {}
        self._by_iri: dict[str, str] = {}

    def compact(self, qualified: str, preferred: str | None) -> str:
        name = etree.QName(qualified)
        if name.namespace is None:
            return name.localname
        prefix = self._by_iri.get(name.namespace)
        if prefix is None:
            prefix = preferred if preferred and preferred not in self.prefixes else None
            number = 0
            while prefix is None or prefix in self.prefixes:
                number += 1
                prefix = f"ns{number}"
            self.prefixes[prefix] = name.namespace
            self._by_iri[name.namespace] = prefix
        return f"{prefix}:{name.localname}"

    def element(self, element: Any) -> str:
        return self.compact(element.tag, element.prefix)

    def attribute(self, element: Any, key: str) -> str:
        namespace = etree.QName(key).namespace
        preferred = next((prefix for prefix, iri in element.nsmap.items() if iri == namespace and prefix), None)
        return self.compact(key, preferred)


def _add(members: dict[str, Any], key: str, value: Any) -> None:
    if key not in members:
        members[key] = value
    elif isinstance(members[key], list):
        members[key].append(value)
    else:
        members[key] = [members[key], value]


def _value(element: Any, names: _Names) -> Any:
    """An extension element as JSON: its text, or an object of its attributes and children."""
    attributes = [(names.attribute(element, key), _expanded(value)) for key, value in element.attrib.items()]
    children = list(_children(element))
    text = _expanded(_text(element))
    if not attributes and not children:
        return text
    members: dict[str, Any] = {"#text": text} if text else {}
    for key, value in attributes:
        _add(members, key, value)
    for child in children:
        _add(members, names.element(child), _value(child, names))
    return members


def _word(value: str, vocabulary: Vocabulary) -> str:
    word = vocabulary.word(value.strip())
    return word if word != value.strip() else _expanded(word)


def _sensor_element(element: Any, names: _Names) -> dict[str, Any]:
    words = vocabularies()
    members: dict[str, Any] = {}
    reports: list[dict[str, Any]] = []
    for child in _children(element):
        namespace, local = _local(child)
        if namespace is None and local in ("sensorMetadata", "sensorReport"):
            fields = _value(child, names)
            fields = fields if isinstance(fields, dict) else {}
            if local == "sensorReport":
                for key, vocabulary in (("type", words.measurement_type), ("exception", words.sensor_alert),
                                        ("component", words.component)):
                    if isinstance(fields.get(key), str):
                        fields[key] = _word(child.get(key), vocabulary)
                reports.append(fields)
            else:
                members["sensorMetadata"] = fields
        else:
            _add(members, names.element(child), _value(child, names))
    if reports:
        members["sensorReport"] = reports
    return members


def _error_declaration(element: Any, names: _Names) -> dict[str, Any]:
    members: dict[str, Any] = {}
    for child in _children(element):
        namespace, local = _local(child)
        if namespace is None and local == "reason":
            members["reason"] = _word(_text(child), vocabularies().error_reason)
        elif namespace is None and local == "correctiveEventIDs":
            members["correctiveEventIDs"] = [_text(item) for item in _children(child)]
        elif namespace is None and local == "declarationTime":
            members["declarationTime"] = _text(child)
        else:
            _add(members, names.element(child), _value(child, names))
    return members


def _quantities(element: Any, index: int, problems: common.Problems) -> tuple[QuantityElement, ...]:
    elements = []
    for item in _children(element):
        fields = {_local(child)[1]: _text(child) for child in _children(item)}
        amount = None
        if "quantity" in fields:
            amount = common.quantity(fields["quantity"])
            if amount is None:
                problems.add(index, f"Quantity {fields['quantity']!r} is not a number.",
                             f"数量 {fields['quantity']!r} 不是数字。")
        elements.append(QuantityElement(fields.get("epcClass", ""), amount, fields.get("uom")))
    return tuple(elements)


def _typed(element: Any, vocabulary: Vocabulary) -> tuple[tuple[str | None, str], ...]:
    return tuple((None if child.get("type") is None else _word(child.get("type"), vocabulary), _text(child))
                 for child in _children(element))


def _event(element: Any, index: int, problems: common.Problems) -> EPCISEvent | None:
    words = vocabularies()
    namespace, kind = _local(element)
    if namespace is not None or kind not in _EVENT_TYPES:
        common.bad_type(problems, index, kind if namespace is None else f"{{{namespace}}}{kind}")
        return None
    names = _Names()
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    places: dict[str, dict[str, Any]] = {}
    for key, value in element.attrib.items():
        _add(extra, names.attribute(element, key), _expanded(value))
    for child in _children(element):
        child_namespace, local = _local(child)
        if child_namespace is not None:
            _add(extra, names.element(child), _value(child, names))
        elif local in ("eventTime", "eventTimeZoneOffset", "eventID", "parentID", "action", "bizStep", "disposition"):
            fields[local] = _text(child)
        elif local in ("epcList", "childEPCs"):
            fields[local] = tuple(_text(epc) for epc in _children(child))
        elif local in ("quantityList", "childQuantityList"):
            fields[local] = _quantities(child, index, problems)
        elif local == "bizTransactionList":
            fields[local] = _typed(child, words.biz_transaction_type)
        elif local in ("sourceList", "destinationList"):
            fields[local] = _typed(child, words.source_destination_type)
        elif local in ("readPoint", "bizLocation"):
            members = _value(child, names)
            members = members if isinstance(members, dict) else {}
            identifier = members.pop("id", None)
            fields[local] = identifier if isinstance(identifier, str) else None
            if members:
                places[local] = members
        elif local == "certificationInfo":
            _add(extra, local, _text(child))
        elif local == "persistentDisposition":
            persistent: dict[str, list[str]] = {}
            for item in _children(child):
                persistent.setdefault(_local(item)[1], []).append(_word(_text(item), words.disposition))
            extra[local] = persistent
        elif local == "sensorElementList":
            extra[local] = [_sensor_element(item, names) for item in _children(child)]
        elif local == "errorDeclaration":
            extra[local] = _error_declaration(child, names)
        else:  # recordTime, ilmd and anything else the binding or the sender adds
            _add(extra, local, _value(child, names))
    extra.update(places)

    for required in ("eventTime", "eventTimeZoneOffset", "action"):
        if not fields.get(required):
            common.missing(problems, index, required)
            return None
    moment = common.event_time(fields["eventTime"])
    if moment is None:
        common.bad_time(problems, index, "eventTime", fields["eventTime"])
        return None
    if fields["action"] not in _ACTIONS:
        problems.add(index, f"Action {fields['action']!r} is not ADD, OBSERVE or DELETE.",
                     f"动作（action）{fields['action']!r} 不是 ADD、OBSERVE 或 DELETE。")
        return None
    biz_step = None if "bizStep" not in fields else common.biz_step(fields["bizStep"], index, problems)
    disposition = None if "disposition" not in fields else _word(fields["disposition"], words.disposition)
    return EPCISEvent(
        index=index,
        type=EventType(kind),
        action=Action(fields["action"]),
        event_time=moment,
        event_time_zone_offset=fields["eventTimeZoneOffset"],
        event_id=fields.get("eventID"),
        biz_step=biz_step,
        disposition=disposition,
        read_point=fields.get("readPoint"),
        biz_location=fields.get("bizLocation"),
        epc_list=fields.get("epcList", ()),
        parent_id=fields.get("parentID"),
        child_epcs=fields.get("childEPCs", ()),
        quantity_list=fields.get("quantityList", ()),
        child_quantity_list=fields.get("childQuantityList", ()),
        source_list=fields.get("sourceList", ()),
        destination_list=fields.get("destinationList", ()),
        biz_transaction_list=fields.get("bizTransactionList", ()),
        extra=extra,
        namespaces=tuple(sorted(names.prefixes.items())),
    )


def _event_list(root: Any) -> Any:
    for body in root:
        if body.tag == "EPCISBody":
            for child in body:
                if child.tag == "EventList":
                    return child
    raise common.refuse("The document has no EPCISBody/EventList.", "文档缺少 EPCISBody/EventList。")


def parse_xml(data: bytes) -> EPCISDocument:
    """Read an EPCIS 1.2 or 2.0 XML document; raise ``EPCISRefused`` listing what is wrong."""
    root = _root(data)
    namespace, local = _local(root)
    if namespace not in EPCIS_NAMESPACES or local != "EPCISDocument":
        raise common.refuse("The document is not an EPCIS 1.2 or 2.0 EPCISDocument.",
                            "文档不是 EPCIS 1.2 或 2.0 的 EPCISDocument。")
    problems = common.Problems()
    events = []
    for index, element in enumerate(_children(_event_list(root))):
        event = _event(element, index, problems)
        if event is not None:
            events.append(event)
        if problems.full:
            break
    problems.raise_any()
    created = root.get("creationDate")
    return EPCISDocument(
        events=tuple(events),
        syntax="xml",
        schema_version=root.get("schemaVersion"),
        creation_date=None if created is None else common.event_time(created),
    )
