"""The EPCIS event hash (CBV 2.0 section 8.9): one event's fingerprint, whatever its syntax.

The event is written as a *pre-hash string*: its fields in the canonical property order, each
``key=value`` with the value in canonical form (``gs1_uri``), lists sorted, no separators;
then ``ni:///sha-256;{hex}?ver=CBV2.0``. GS1 Germany's reference generator
(``epcis-event-hash-generator``) is the oracle the tests compare with, and this module
reproduces what it does, not only what its README says, where the two differ:

- ``certificationInfo`` and ``parentID`` come before the EPC lists; ``bizTransactionList``,
  ``sourceList``, ``destinationList`` and ``ilmd`` are not in the ordered part but sorted with
  the user extensions at the end;
- each source, destination and transaction is ``type=…`` then its id (a transaction without a
  type, which the reference cannot hash, is its id alone);
- user extensions inside ``readPoint``, ``bizLocation`` and the sensor elements join their
  parent only when their namespace IRI ends with ``/``; otherwise what is left of the parent
  goes to the end with the other extensions;
- a bare CBV word anywhere in the event's values (``in_transit``, ``Temperature``) is replaced
  by the Web URI of the CBV value the event uses that ends with it, when exactly one does;
  prefixes the document declares are expanded in keys and values; JSON ``true`` is ``True``.

Where the reference depends on more than the event, this module does not: it looks for bare
words among the event's own CBV values, not the whole document's, and it always writes a
source's type before its id, where the reference follows the JSON key order. Events are hashed
from their JSON-LD form, so the JSON and XML forms of one event hash alike.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Union, cast

from jianguan.trace.cbv import CBV_BASE, GS1_VOC_BASE, Vocabulary, vocabularies
from jianguan.trace.gs1_uri import RECENT_VALUES, canonical_value

if TYPE_CHECKING:
    from jianguan.trace.epcis_model import EPCISEvent, QuantityElement

# A field as the reference sees it: name, text and children; or a (type, id) pair of a list.
Node = tuple[str, str, list["Tree"]]
Pair = tuple[Node, Node]
Tree = Union[Node, Pair]  # noqa: UP007  (a string annotation inside a generic needs the old form)

_Order = tuple[tuple[str, "_Order | None"], ...]
_QUANTITY: _Order = (("epcClass", None), ("quantity", None), ("uom", None))
_SENSOR_METADATA: _Order = tuple((name, None) for name in (
    "time", "startTime", "endTime", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "bizRules"))
_SENSOR_REPORT: _Order = tuple((name, None) for name in (
    "type", "exception", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "time", "microorganism",
    "chemicalSubstance", "value", "component", "stringValue", "booleanValue", "hexBinaryValue", "uriValue",
    "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue", "uom", "coordinateReferenceSystem"))
# The canonical property order, as the reference applies it (see the module's docstring).
PROPERTY_ORDER: _Order = (
    ("eventTime", None),
    ("eventTimeZoneOffset", None),
    ("certificationInfo", None),
    ("parentID", None),
    ("epcList", (("epc", None),)),
    ("inputEPCList", (("epc", None),)),
    ("childEPCs", (("epc", None),)),
    ("quantityList", (("quantityElement", _QUANTITY),)),
    ("childQuantityList", (("quantityElement", _QUANTITY),)),
    ("inputQuantityList", (("quantityElement", _QUANTITY),)),
    ("outputEPCList", (("epc", None),)),
    ("outputQuantityList", (("quantityElement", _QUANTITY),)),
    ("action", None),
    ("transformationID", None),
    ("bizStep", None),
    ("disposition", None),
    ("persistentDisposition", (("set", None), ("unset", None))),
    ("readPoint", (("id", None),)),
    ("bizLocation", (("id", None),)),
    ("sensorElementList", (("sensorElement", (("sensorMetadata", _SENSOR_METADATA),
                                              ("sensorReport", _SENSOR_REPORT))),)),
)
_POSITION = {name: position for position, (name, _) in enumerate(PROPERTY_ORDER)}
_NOT_HASHED = frozenset({"recordTime", "eventID", "type", "errorDeclaration"})
_PAIR_LISTS = frozenset({"sourceList", "destinationList", "bizTransactionList"})
_UNSORTED = frozenset({"bizTransaction", "source", "destination"})
_HASHED_PREFIXES = ("https://ref.gs1.org/cbv", "https://gs1.org/voc")


def _canonical(text: str) -> str:
    return canonical_value(text) if text else text


def timestamp(moment: datetime) -> str:
    """A time as the hash writes it: UTC, milliseconds (rounded half to even), ``Z``."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    milliseconds = round(moment.microsecond, -3)
    if milliseconds == 1_000_000:  # the reference fails here; the next second is what it means
        moment = moment.replace(microsecond=0) + _ONE_SECOND
        milliseconds = 0
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:{moment.minute:02d}:"
            f"{moment.second:02d}.{milliseconds // 1000:03d}Z")


def _timestamp_text(text: str) -> str:
    """A time written in an event; text that is not an ISO 8601 time is kept as written."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return timestamp(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


_ONE_SECOND = datetime(2000, 1, 1, 0, 0, 1) - datetime(2000, 1, 1)


def _is_time(name: str) -> bool:
    lowered = name.lower()
    return "time" in lowered and "offset" not in lowered


# --- The reference's walk over a tree of fields -------------------------------------------

def _is_pair(tree: Tree) -> bool:
    return len(tree) == 2


def _generic(children: list[Tree]) -> str:
    """Fields outside the canonical order: ``name=value`` then their children, sorted."""
    values = []
    for child in children:
        if len(child) == 2:
            values.append(_generic(list(child)))
        else:
            name, text, grandchildren = child
            text = text.strip()
            values.append(name + ("=" + canonical_value(text) if text else "") + _generic(grandchildren))
    if len(children) > 1 and not any(len(child) == 3 and child[0] in _UNSORTED for child in children):
        values.sort()
    return "".join(values)


def _gathered_extensions(children: list[Tree]) -> list[Tree]:
    """The user extensions a field inside the event carries, which follow its own fields.

    The reference takes only those whose namespace IRI ends with ``/``, only where the field
    has more than one child, and none where a child's name contains ``eventTime`` or ``action``.
    """
    if len(children) <= 1:
        return []
    for child in children:
        if len(child) == 3 and ("eventTime" in child[0] or "action" in child[0]):
            return []
    return [child for child in children if len(child) == 3 and "{" in child[0] and "/}" in child[0]]


def _render(node: Node, order: _Order | None) -> tuple[str, list[Tree]]:
    """One field in the canonical order, and what of its children the order did not take."""
    name, text, children = node
    inner, left = _ordered(children, order, nested=True) if order else ("", children)
    if text:
        text = text.strip()
        text = _timestamp_text(text) if _is_time(name) else _canonical(text)
        if text:
            text = "=" + text
    return (name + text + inner if text or inner else ""), left


def _sections(children: list[Tree], order: _Order, *, nested: bool) -> tuple[dict[int, list[str]], str, list[Tree]]:
    """The children named in ``order``, rendered, by their position in it; the gathered user
    extensions; and the children left over (unnamed, or named but with children left)."""
    gathered = _gathered_extensions(children) if nested else []
    if gathered:
        children = [child for child in children if child not in gathered]
    positions = {name: position for position, (name, _) in enumerate(order)}
    rendered: dict[int, list[str]] = {}
    left: list[Tree] = []
    for child in children:
        position = positions.get(child[0]) if len(child) == 3 else None
        if position is None:
            left.append(child)
            continue
        node = cast(Node, child)  # a three-tuple: pairs have no position
        text, remainder = _render(node, order[position][1])
        if text:
            rendered.setdefault(position, []).append(text)
        if remainder:
            left.append((node[0], node[1], remainder))
    return rendered, (_generic(gathered) if gathered else ""), left


def _joined(rendered: dict[int, list[str]]) -> str:
    """Rendered fields in the canonical order, fields of one name sorted."""
    return "".join("".join(sorted(rendered[position])) for position in sorted(rendered))


def _ordered(children: list[Tree], order: _Order, *, nested: bool) -> tuple[str, list[Tree]]:
    rendered, gathered, left = _sections(children, order, nested=nested)
    return _joined(rendered) + gathered, left


# --- An event's extra fields as the reference's JSON reader sees them ---------------------

class _JsonReading:
    """Turns an event's JSON-LD fields into the reference's tree: prefixes expanded in names and
    values, bare CBV words replaced, lists named ``…List`` grouped as its XML model has them."""

    def __init__(self, namespaces: Mapping[str, str], bare_words: Mapping[str, set[str]]) -> None:
        self.namespaces = namespaces
        self.bare_words = bare_words

    def name(self, key: str) -> str:
        prefix, colon, rest = key.partition(":")
        if colon and prefix in self.namespaces:
            return "{" + self.namespaces[prefix] + "}" + rest
        return key

    def _bare(self, value: str) -> str:
        candidates = self.bare_words.get(value)
        return next(iter(candidates)) if candidates is not None and len(candidates) == 1 else value

    def text(self, value: Any) -> str:
        if not isinstance(value, str):
            return str(value)  # as the reference: True, None, 26.0 (numbers lose their zeros later)
        value = self._bare(value)
        prefix, colon, rest = value.partition(":")
        if colon and prefix in self.namespaces:
            return self.namespaces[prefix].replace("{", "").replace("}", "") + rest
        return value

    def nodes(self, key: str, value: Any) -> list[Tree]:
        """The fields one JSON member makes: one, or one per element of an array."""
        name = self.name(key)
        if isinstance(value, list):
            return [self.node(name, item) for item in value]
        return [self.node(name, value)]

    def node(self, name: str, value: Any) -> Node:
        if isinstance(value, dict):
            text = value.get("#text", "")
            children: list[Tree] = []
            for key, member in value.items():
                if key not in ("#text", "comment", "rdfs:comment"):
                    children.extend(self.nodes(key, member))
            return (name, self._bare(text) if isinstance(text, str) else text, children)
        if isinstance(value, list):
            return (name, "", [self.node("", item) for item in value])
        return (name, self.text(value), [])


def _grouped(children: list[Tree]) -> list[Tree]:
    """The reference's correction of its JSON model to its XML one, for one level and below:
    members named ``…List`` become one list of elements named without ``List``."""
    kept: list[Tree] = []
    lists: dict[str, list[Node]] = {}
    for child in children:
        if len(child) == 3 and child[0].endswith("List"):
            name, text, grandchildren = child
            lists.setdefault(name, []).append((name[:-4], text, grandchildren))
        else:
            kept.append(child)
    for name, elements in lists.items():
        if name in _PAIR_LISTS:
            kept.append((name, "", [cast(Pair, tuple(element[2][:2])) for element in elements]))
        else:
            kept.append((name, "", list[Tree](elements)))
    epcs = [child for child in kept if len(child) == 3 and child[0] == "childEPCs"]
    if epcs:
        kept = [child for child in kept if not (len(child) == 3 and child[0] == "childEPCs")]
        kept.append(("childEPCs", "", [("epc", child[1], []) for child in epcs]))
    return [child if len(child) == 2 or child[0] in _PAIR_LISTS else _corrected(child) for child in kept]


_RENAMED = {"inputEPC": "epc", "outputEPC": "epc", "inputQuantity": "quantityElement",
            "outputQuantity": "quantityElement", "childQuantity": "quantityElement"}


def _corrected(node: Node) -> Node:
    name, text, children = node
    children = _grouped(children)
    name = _RENAMED.get(name, "quantityElement" if name == "quantity" and children else name)
    return (name, text, children)


# --- Bare CBV words -------------------------------------------------------------------------

def _expansion(value: Any, vocabulary: Vocabulary) -> str | None:
    """What JSON-LD expansion makes of a CBV value, when it is a GS1 vocabulary URI."""
    if not isinstance(value, str):
        return None
    if value in vocabulary.words:
        return vocabulary.base + value
    if value.startswith("cbv:"):
        return CBV_BASE + value[4:]
    if value.startswith("gs1:"):
        return GS1_VOC_BASE + value[4:]
    return value if value.startswith(_HASHED_PREFIXES) else None


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _members(value: Any, key: str) -> list[Any]:
    """Every value of ``key`` in an object or a list of objects."""
    return [item[key] for item in _listed(value) if isinstance(item, dict) and key in item]


def _vocabulary_values(event: EPCISEvent) -> Iterable[tuple[Any, Vocabulary]]:
    words = vocabularies()
    if event.biz_step is not None:
        yield event.biz_step, words.biz_step
    if event.disposition is not None:
        yield event.disposition, words.disposition
    for kind, _ in (*event.source_list, *event.destination_list):
        yield kind, words.source_destination_type
    for transaction_type, _ in event.biz_transaction_list:
        if transaction_type is not None:
            yield transaction_type, words.biz_transaction_type
    extra = event.extra
    for persistent in _listed(extra.get("persistentDisposition", [])):
        if isinstance(persistent, dict):
            for key in ("set", "unset"):
                for value in _listed(persistent.get(key, [])):
                    yield value, words.disposition
    for reason in _members(extra.get("errorDeclaration", []), "reason"):
        yield reason, words.error_reason
    for element in _listed(extra.get("sensorElementList", [])):
        for report in _members(element, "sensorReport"):
            for item in _listed(report):
                if isinstance(item, dict):
                    for key, vocabulary in (("type", words.measurement_type), ("exception", words.sensor_alert),
                                            ("component", words.component)):
                        if key in item:
                            yield item[key], vocabulary


def _bare_words(event: EPCISEvent) -> dict[str, set[str]]:
    """Each tail a CBV URI of the event ends with (after a ``-`` or ``/``), and those URIs."""
    tails: dict[str, set[str]] = {}
    for value, vocabulary in _vocabulary_values(event):
        uri = _expansion(value, vocabulary)
        if uri is None:
            continue
        for at, character in enumerate(uri):
            if character in "-/":
                tails.setdefault(uri[at + 1:], set()).add(uri)
    return tails


# --- The pre-hash string --------------------------------------------------------------------

def _epcs(name: str, epcs: tuple[str, ...]) -> str:
    seen = RECENT_VALUES  # looked up here: this loop runs once a code, 100,000 times a large document
    values = ["epc=" + (seen.get(text) or canonical_value(text)) for text in map(str.strip, epcs) if text]
    values.sort()
    return name + "".join(values) if values else ""


def _field(name: str, value: str) -> str:
    value = value.strip()
    return name + "=" + canonical_value(value) if value else ""


def _quantities(name: str, elements: tuple[QuantityElement, ...]) -> str:
    rendered = []
    for element in elements:
        parts = [_field("epcClass", element.epc_class)]
        if element.quantity is not None:
            parts.append(_field("quantity", str(element.quantity)))
        if element.uom is not None:
            parts.append(_field("uom", element.uom))
        text = "".join(parts)
        if text:
            rendered.append("quantityElement" + text)
    return name + "".join(sorted(rendered)) if rendered else ""


def _pairs(name: str, item: str, pairs: Iterable[tuple[str | None, str]], vocabulary: Vocabulary) -> str:
    rendered = []
    for kind, identifier in pairs:
        typed = ""
        if kind is not None:
            kind = kind.strip()
            typed = "type=" + canonical_value(vocabulary.uri(kind)) if kind else "type"
        identifier = identifier.strip()
        rendered.append(typed + item + ("=" + canonical_value(identifier) if identifier else ""))
    return name + "".join(sorted(rendered)) if rendered else ""


def _vocabulary_field(name: str, value: str | None, vocabulary: Vocabulary) -> str:
    return "" if value is None else _field(name, vocabulary.uri(value))


def _extra_sections(event: EPCISEvent, places: tuple[tuple[str, str | None], ...]) -> tuple[dict[int, list[str]], list[Tree]]:
    """The ordered sections an event's extra fields make (with its readPoint and bizLocation,
    which may carry extensions), and the fields left for the end."""
    reading = _JsonReading(dict(event.namespaces), _bare_words(event))
    nodes: list[Tree] = []
    for key, value in event.extra.items():
        if key not in ("readPoint", "bizLocation"):
            nodes.extend(reading.nodes(key, value))
    for key, identifier in places:
        members = event.extra.get(key)
        if identifier is None and not members:
            continue
        children: list[Tree] = [] if identifier is None else [("id", identifier, [])]
        if isinstance(members, dict):
            children.extend(child for member, value in members.items() for child in reading.nodes(member, value))
        nodes.append((key, "", children))
    sections, _, left = _sections(_grouped(nodes), PROPERTY_ORDER, nested=False)
    return sections, left


def pre_hash_string(event: EPCISEvent) -> str:
    """The event's canonical pre-hash string (what is hashed; useful to see why two differ)."""
    words = vocabularies()
    sections: dict[int, list[str]] = {}
    left: list[Tree] = []
    places: tuple[tuple[str, str | None], ...] = (("readPoint", event.read_point), ("bizLocation", event.biz_location))
    if event.extra:
        sections, left = _extra_sections(event, places)
    else:  # the common case, and the fast one: no extension anywhere
        for key, identifier in places:
            text = "" if identifier is None else _field("id", identifier)
            if text:
                sections[_POSITION[key]] = [key + text]
    for name, text in (
        ("eventTime", "eventTime=" + timestamp(event.event_time)),
        ("eventTimeZoneOffset", _field("eventTimeZoneOffset", event.event_time_zone_offset)),
        ("parentID", "" if event.parent_id is None else _field("parentID", event.parent_id)),
        ("epcList", _epcs("epcList", event.epc_list)),
        ("childEPCs", _epcs("childEPCs", event.child_epcs)),
        ("quantityList", _quantities("quantityList", event.quantity_list)),
        ("childQuantityList", _quantities("childQuantityList", event.child_quantity_list)),
        ("action", _field("action", event.action.value)),
        ("bizStep", _vocabulary_field("bizStep", event.biz_step, words.biz_step)),
        ("disposition", _vocabulary_field("disposition", event.disposition, words.disposition)),
    ):
        if text:
            sections.setdefault(_POSITION[name], []).append(text)

    leftovers = [_generic([child]) for child in left if not (len(child) == 3 and child[0] in _NOT_HASHED)]
    for text in (
        _pairs("bizTransactionList", "bizTransaction", event.biz_transaction_list, words.biz_transaction_type),
        _pairs("sourceList", "source", event.source_list, words.source_destination_type),
        _pairs("destinationList", "destination", event.destination_list, words.source_destination_type),
    ):
        if text:
            leftovers.append(text)
    leftovers.sort()
    return "eventType=" + event.type.value + _joined(sections) + "".join(leftovers)


def hash_pre_hash_string(pre_hash: str) -> str:
    """The ``ni:`` URI (RFC 6920) of a pre-hash string, as CBV 2.0 names event hashes."""
    return "ni:///sha-256;" + hashlib.sha256(pre_hash.encode("utf-8")).hexdigest() + "?ver=CBV2.0"


def event_hash(event: EPCISEvent) -> str:
    """The EPCIS event hash of an event (``ni:///sha-256;…?ver=CBV2.0``)."""
    return hash_pre_hash_string(pre_hash_string(event))
