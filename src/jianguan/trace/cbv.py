"""The Core Business Vocabulary (CBV 2.0) words an EPCIS event may name, read from GS1's context.

A vocabulary value reaches us in one of four spellings: the bare word of EPCIS 2.0 JSON-LD
(``shipping``), the CBV 1.x URN of the XML bindings (``urn:epcglobal:cbv:bizstep:shipping``),
the GS1 Web URI (``https://ref.gs1.org/cbv/BizStep-shipping``) or a compact IRI
(``cbv:BizStep-shipping``). Events keep the bare word; a value outside the CBV is kept as given.
The word lists come from the vendored JSON-LD context (``gs1/epcis-context.jsonld``), so they
are the standard's and change with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

CBV_BASE = "https://ref.gs1.org/cbv/"
GS1_VOC_BASE = "https://gs1.org/voc/"
CONTEXT_URL = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"

# The bizSteps this network takes: what a code's life in the supply chain can be made of. Any
# other step (even a CBV one) is refused at capture, naming the step.
ACCEPTED_BIZ_STEPS = (
    "commissioning",
    "packing",
    "unpacking",
    "shipping",
    "receiving",
    "retail_selling",
    "returning",
    "destroying",
    "decommissioning",
)
# "returning" is not a CBV 2.0 bizStep (the CBV has the disposition "returned"), so JSON-LD
# cannot send it as a bare word: the schema refuses it. It is taken in the CBV's URI spellings,
# https://ref.gs1.org/cbv/BizStep-returning or urn:epcglobal:cbv:bizstep:returning, read as
# the word "returning", hashed as that URI (as the reference does), and written back as it.
NETWORK_BIZ_STEPS = frozenset({"returning"})


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """One CBV vocabulary: its words and how each is spelt as a URI and as a URN."""

    name: str
    base: str
    urn: str | None
    words: frozenset[str]
    outside_cbv: frozenset[str] = frozenset()  # words of this network's own, spelt as CBV URIs

    def written(self, word: str) -> str:
        """How JSON-LD writes a word: bare when the CBV has it, else as its URI."""
        return self.base + word if word in self.outside_cbv else word

    def word(self, value: str) -> str:
        """The bare word for any spelling of one of this vocabulary's words; else the value."""
        for prefix in (self.base, self.urn, _compact(self.base)):
            if prefix and value.startswith(prefix) and value[len(prefix):] in self.words:
                return value[len(prefix):]
        return value

    def uri(self, value: str) -> str:
        """The GS1 Web URI of a bare word of this vocabulary; any other value as given."""
        return self.base + value if value in self.words else value


def _compact(base: str) -> str:
    """The compact-IRI spelling of a vocabulary's base (``cbv:BizStep-``, ``gs1:``)."""
    if base.startswith(CBV_BASE):
        return "cbv:" + base[len(CBV_BASE):]
    return "gs1:" + base[len(GS1_VOC_BASE):]


def _load_context() -> dict[str, Any]:
    text = resources.files("jianguan.trace").joinpath("gs1/epcis-context.jsonld").read_text("utf-8")
    context: dict[str, Any] = json.loads(text)["@context"]
    return context


def _words(definition: dict[str, Any], base: str) -> frozenset[str]:
    """The words a term's scoped context maps into ``base`` (``"shipping": "cbv:BizStep-shipping"``)."""
    scoped = definition["@context"]
    compact = _compact(base)
    words = set()
    for part in scoped if isinstance(scoped, list) else [scoped]:
        for word, iri in part.items():
            if isinstance(iri, str) and iri == compact + word:
                words.add(word)
    return frozenset(words)


@dataclass(frozen=True, slots=True)
class Vocabularies:
    """Every CBV vocabulary an ObjectEvent or AggregationEvent may use."""

    biz_step: Vocabulary
    disposition: Vocabulary
    biz_transaction_type: Vocabulary
    source_destination_type: Vocabulary
    error_reason: Vocabulary
    measurement_type: Vocabulary
    sensor_alert: Vocabulary
    component: Vocabulary


@cache
def vocabularies() -> Vocabularies:
    """The vocabularies, read once a process from the vendored context."""
    context = _load_context()
    report = context["sensorElementList"]["@context"]["sensorReport"]

    def vocabulary(name: str, definition: dict[str, Any], base: str, urn: str | None) -> Vocabulary:
        return Vocabulary(name, base, urn, _words(definition, base))

    biz_step = vocabulary("bizStep", context["bizStep"], CBV_BASE + "BizStep-", "urn:epcglobal:cbv:bizstep:")
    return Vocabularies(
        biz_step=Vocabulary(biz_step.name, biz_step.base, biz_step.urn, biz_step.words | NETWORK_BIZ_STEPS,
                            NETWORK_BIZ_STEPS - biz_step.words),
        disposition=vocabulary("disposition", context["disposition"], CBV_BASE + "Disp-", "urn:epcglobal:cbv:disp:"),
        biz_transaction_type=vocabulary("bizTransaction type", context["bizTransactionList"]["@context"]["type"],
                                        CBV_BASE + "BTT-", "urn:epcglobal:cbv:btt:"),
        source_destination_type=vocabulary("source or destination type", context["sourceList"]["@context"]["type"],
                                           CBV_BASE + "SDT-", "urn:epcglobal:cbv:sdt:"),
        error_reason=vocabulary("error reason", context["errorDeclaration"]["@context"]["reason"],
                                CBV_BASE + "ER-", "urn:epcglobal:cbv:er:"),
        measurement_type=vocabulary("measurement type", report["@context"]["type"], GS1_VOC_BASE, None),
        sensor_alert=vocabulary("sensor alert", report["@context"]["exception"], GS1_VOC_BASE, None),
        component=vocabulary("component", report["@context"]["component"], CBV_BASE + "Comp-", None),
    )


# The CBV 1.x URNs become Web URIs wherever they stand in a value (the hash's rule 14).
URN_TO_WEB = (
    ("urn:epcglobal:cbv:bizstep:", CBV_BASE + "BizStep-"),
    ("urn:epcglobal:cbv:disp:", CBV_BASE + "Disp-"),
    ("urn:epcglobal:cbv:btt:", CBV_BASE + "BTT-"),
    ("urn:epcglobal:cbv:sdt:", CBV_BASE + "SDT-"),
    ("urn:epcglobal:cbv:er:", CBV_BASE + "ER-"),
)
