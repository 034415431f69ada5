"""The standard's own examples: every one is read, hashes as the reference does, and round-trips."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from jianguan.trace.epcis import (
    CONTEXT_URL,
    Action,
    EPCISEvent,
    EventType,
    event_to_jsonld,
    parse_document,
    pre_hash_string,
)
from jianguan.trace.epcis_json import _validator
from tests.unit.trace.reference import reference_hashes, reference_pre_hashes

EXAMPLES = Path(__file__).parent / "examples"
JSON_EXAMPLES = sorted((EXAMPLES / "json").glob("*.jsonld"))
XML_EXAMPLES = sorted((EXAMPLES / "xml").glob("*.xml"))
MEDIA = {"json": "application/ld+json", "xml": "application/xml"}


def read(path: Path) -> tuple[bytes, str]:
    syntax = "json" if path.suffix == ".jsonld" else "xml"
    return path.read_bytes(), syntax


@pytest.mark.parametrize("path", JSON_EXAMPLES + XML_EXAMPLES, ids=lambda path: path.name)
def test_every_example_reads_and_hashes_as_the_reference(path: Path) -> None:
    data, syntax = read(path)
    document = parse_document(data, MEDIA[syntax])
    assert document.syntax == syntax
    assert document.events
    assert [pre_hash_string(event) for event in document.events] == reference_pre_hashes(data, syntax)
    assert [event.event_hash for event in document.events] == reference_hashes(data, syntax)
    for index, event in enumerate(document.events):
        assert event.index == index
        assert event.event_time.tzinfo is UTC


def test_the_values_of_an_example_event() -> None:
    document = parse_document((EXAMPLES / "json/Example_9.6.1-ObjectEvent.jsonld").read_bytes(), "application/json")
    event = document.events[1]
    assert event.type is EventType.OBJECT
    assert event.action is Action.OBSERVE
    assert event.event_time == datetime(2005, 4, 5, 2, 33, 31, 116000, tzinfo=UTC)
    assert event.event_time_zone_offset == "-06:00"
    assert event.event_id == "ni:///sha-256;00e1e6eba3a7cc6125be4793a631f0af50f8322e0ab5f2c0bab994a11cec1d79?ver=CBV2.0"
    assert (event.biz_step, event.disposition) == ("receiving", "in_progress")
    assert event.read_point == "urn:epc:id:sgln:0012345.11111.400"
    assert event.biz_location == "urn:epc:id:sgln:0012345.11111.0"
    assert event.epc_list == ("urn:epc:id:sgtin:0614141.107346.2018",)
    assert event.biz_transaction_list == (("po", "http://transaction.acme.com/po/12345678"),
                                          ("desadv", "urn:epcglobal:cbv:bt:0614141073467:1152"))
    assert event.extra == {"example:myField": "Example of a vendor/user extension"}
    assert event.namespaces == (("example", "http://ns.example.com/epcis/"),)
    assert document.schema_version == "2.0"


def test_the_json_and_xml_forms_of_one_event_are_equal_values() -> None:
    json_event = parse_document((EXAMPLES / "json/Example_9.6.1-ObjectEvent.jsonld").read_bytes(), "application/json").events[0]
    xml_event = parse_document((EXAMPLES / "xml/Example_9.6.1-ObjectEvent-2020_06_18a.xml").read_bytes(), "text/xml").events[0]
    # The JSON form carries an eventID, the XML form none: all else is the same event.
    assert dataclasses.replace(json_event, event_id=None) == xml_event
    assert json_event.event_hash == xml_event.event_hash


def test_the_same_event_spelt_three_ways_shares_its_hash() -> None:
    """The standard's hash examples: the EPCs shuffled (3) hash as the original (1); the same
    instant written in another time zone (2) differs only by its eventTimeZoneOffset, which the
    hash includes (the reference agrees), so it is a different hash."""
    first, second, third = (
        parse_document((EXAMPLES / f"xml/WithEventHashID_event_with_identical_hash_id_{n}.xml").read_bytes(),
                       "application/xml").events[0]
        for n in (1, 2, 3)
    )
    assert first.event_hash == third.event_hash
    assert first.event_time == second.event_time
    assert pre_hash_string(second) == pre_hash_string(first).replace("eventTimeZoneOffset=-06:00", "eventTimeZoneOffset=-05:00")
    assert second.event_hash != first.event_hash


def document_of(events: list[EPCISEvent]) -> dict[str, object]:
    return {"@context": [CONTEXT_URL], "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": "2025-01-01T00:00:00Z", "epcisBody": {"eventList": [event_to_jsonld(e) for e in events]}}


@pytest.mark.parametrize("path", JSON_EXAMPLES + XML_EXAMPLES, ids=lambda path: path.name)
def test_written_json_ld_is_valid_and_reads_back(path: Path) -> None:
    data, syntax = read(path)
    events = list(parse_document(data, MEDIA[syntax]).events)
    written = document_of(events)
    assert [error.message for error in _validator().iter_errors(written)] == []
    again = parse_document(json.dumps(written).encode(), "application/json").events
    if syntax == "json":
        assert list(again) == events
    else:
        # The XML binding gives sensor values as text; the JSON-LD written types them (26.0, true),
        # so only events with sensor data read back different (and hash so, as the reference).
        for before, after in zip(events, again, strict=True):
            if "sensorElementList" not in before.extra:
                assert after == before


def test_regenerated_epc_lists_are_written() -> None:
    event = parse_document((EXAMPLES / "json/Example_9.6.3-AggregationEvent.jsonld").read_bytes(),
                           "application/json").events[0]
    written = event_to_jsonld(event, child_epcs=["urn:jianguan:code:12345678901234567890"],
                              parent_id="urn:jianguan:code:00000000000000000001")
    assert written["childEPCs"] == ["urn:jianguan:code:12345678901234567890"]
    assert written["parentID"] == "urn:jianguan:code:00000000000000000001"
    assert written["eventTime"] == "2013-06-08T16:58:56.591+02:00"
    assert written["childQuantityList"][1] == {"epcClass": "urn:epc:class:lgtin:4012345.012345.998877",
                                               "quantity": 200.5, "uom": "KGM"}


def test_an_event_built_by_hand_gets_its_hash() -> None:
    parsed = parse_document((EXAMPLES / "xml/WithExtension_AggregationEvent.xml").read_bytes(), "text/xml").events[0]
    built = EPCISEvent(**{field.name: getattr(parsed, field.name) for field in dataclasses.fields(EPCISEvent)
                          if field.name != "event_hash"})
    assert built == parsed
    changed = dataclasses.replace(parsed, disposition="in_transit", event_hash="")
    assert changed.event_hash != parsed.event_hash
