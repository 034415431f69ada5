"""What a capture refuses, whole, with the list of errors by event index; and that XML entities
are never expanded nor anything fetched."""

from __future__ import annotations

import copy
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jianguan.errors import ValidationFailed
from jianguan.trace.epcis import EPCISRefused, event_to_jsonld, parse_document, pre_hash_string
from tests.unit.trace.reference import reference_hashes

EXAMPLES = Path(__file__).parent / "examples"
AGGREGATION = json.loads((EXAMPLES / "json/Example_9.6.3-AggregationEvent.jsonld").read_text())
XML = (EXAMPLES / "xml/Example_9.6.1-ObjectEvent-2020_06_18a.xml").read_bytes()


def refusal(data: bytes, content_type: str = "application/json") -> EPCISRefused:
    with pytest.raises(EPCISRefused) as caught:
        parse_document(data, content_type)
    return caught.value


def with_events(*events: dict[str, object]) -> bytes:
    document = copy.deepcopy(AGGREGATION)
    document["epcisBody"]["eventList"] = list(events)
    return json.dumps(document).encode()


EVENT = AGGREGATION["epcisBody"]["eventList"][0]


def test_a_refusal_is_a_validation_failure_in_both_languages() -> None:
    error = refusal(b"{not json")
    assert isinstance(error, ValidationFailed)
    assert error.status_code == 400
    assert error.code == "epcis_refused"
    assert "refused" in error.message and "未被接收" in error.message_zh
    assert error.details["errors"] == [item.as_dict() for item in error.errors]
    [item] = error.errors
    assert item.index is None
    assert "not well-formed JSON" in item.message and "JSON" in item.message_zh


@pytest.mark.parametrize("data", [b"", b"[1, 2", b"NaN", b'{"a": 1,}', b"\xff\xfe{}", b"null", b"[]"])
def test_malformed_json_is_refused(data: bytes) -> None:
    assert refusal(data).errors[0].index is None


def test_nesting_beyond_any_event_is_refused_before_validation() -> None:
    event = dict(EVENT, **{"example:deep": json.loads("[" * 200 + "]" * 200)})
    [error] = refusal(with_events(event)).errors
    assert "deeper" in error.message


def test_schema_violations_name_their_events() -> None:
    bad_action = dict(EVENT, action="MOVE")
    no_time = {key: value for key, value in EVENT.items() if key != "eventTime"}
    bad_epc = dict(EVENT, childEPCs=["not a uri"])
    error = refusal(with_events(EVENT, bad_action, EVENT, no_time, bad_epc))
    by_index = {item.index for item in error.errors}
    assert {1, 3, 4} <= by_index
    assert 0 not in by_index and 2 not in by_index
    assert any(item.index == 1 and "/action" in item.message and "模式" in item.message_zh for item in error.errors)
    assert any(item.index == 3 and "eventTime" in item.message for item in error.errors)


def test_a_document_that_is_not_an_epcis_document_is_refused() -> None:
    assert "EPCISDocument" in refusal(b'{"type": "Something"}').errors[0].message
    document = copy.deepcopy(AGGREGATION)
    del document["@context"]
    assert refusal(json.dumps(document).encode()).errors[0].index is None


def test_event_types_other_than_object_and_aggregation_are_refused() -> None:
    transformation = {
        "type": "TransformationEvent", "eventTime": "2025-01-01T00:00:00Z", "eventTimeZoneOffset": "+00:00",
        "inputEPCList": ["urn:jianguan:code:12345678901234567890"],
        "outputEPCList": ["urn:jianguan:code:12345678901234567891"],
    }
    [error] = refusal(with_events(EVENT, transformation)).errors
    assert error.index == 1
    assert "TransformationEvent" in error.message and "TransformationEvent" in error.message_zh


def test_a_bizstep_this_network_does_not_take_is_named() -> None:
    error = refusal(with_events(EVENT, dict(EVENT, bizStep="inspecting"), dict(EVENT, bizStep="https://example.com/x")))
    assert [item.index for item in error.errors] == [1, 2]
    assert "'inspecting'" in error.errors[0].message and "shipping" in error.errors[0].message
    assert "inspecting" in error.errors[0].message_zh
    assert "https://example.com/x" in error.errors[1].message


def test_every_bizstep_this_network_takes_is_taken() -> None:
    steps = ["commissioning", "packing", "unpacking", "shipping", "receiving", "retail_selling",
             "https://ref.gs1.org/cbv/BizStep-returning", "destroying", "decommissioning"]
    document = parse_document(with_events(*(dict(EVENT, bizStep=step) for step in steps)), "application/json")
    assert [event.biz_step for event in document.events] == [step.rpartition("-")[2] for step in steps]


def test_returning_which_the_cbv_lacks_is_taken_in_its_uri_spellings() -> None:
    """CBV 2.0 has no bizStep "returning" (JSON-LD cannot send it bare: the schema refuses it);
    its URI spellings are read as the word and hashed as the URI, as the reference does."""
    assert refusal(with_events(dict(EVENT, bizStep="returning"))).errors[0].index == 0
    data = XML.replace(b"urn:epcglobal:cbv:bizstep:shipping", b"urn:epcglobal:cbv:bizstep:returning")
    event = parse_document(data, "text/xml").events[0]
    assert event.biz_step == "returning"
    assert "bizStep=https://ref.gs1.org/cbv/BizStep-returning" in pre_hash_string(event)
    assert event_to_jsonld(event)["bizStep"] == "https://ref.gs1.org/cbv/BizStep-returning"
    assert event.event_hash == reference_hashes(data, "xml")[0]


def test_an_unknown_content_type_is_refused() -> None:
    assert "text/csv" in refusal(b"a,b", "text/csv").errors[0].message


def test_the_media_type_parameters_are_ignored() -> None:
    assert parse_document(XML, "text/xml; charset=utf-8").events


def test_the_listed_errors_are_bounded() -> None:
    error = refusal(with_events(*[dict(EVENT, bizStep="inspecting")] * 250))
    assert len(error.errors) == 100
    assert error.details["error_count"] >= 100


@pytest.mark.parametrize("data", [b"<a>", b"<a></b>", b"not xml", b"<a>&undefined;</a>"])
def test_malformed_xml_is_refused(data: bytes) -> None:
    [error] = refusal(data, "application/xml").errors
    assert error.index is None and "XML" in error.message


def test_xml_that_is_not_an_epcis_document_is_refused() -> None:
    assert "EPCISDocument" in refusal(b"<foo/>", "text/xml").errors[0].message


def test_xml_events_are_checked_by_index() -> None:
    data = XML.replace(b"<action>OBSERVE</action>", b"<action>MOVE</action>", 1).replace(
        b"urn:epcglobal:cbv:bizstep:receiving", b"urn:epcglobal:cbv:bizstep:inspecting")
    error = refusal(data, "text/xml")
    assert [item.index for item in error.errors] == [0, 1]
    assert "MOVE" in error.errors[0].message and "inspecting" in error.errors[1].message


def test_a_billion_laughs_is_refused_at_once() -> None:
    entities = b"".join(
        b'<!ENTITY lol%d "%s">' % (level, b"&lol%d;" % (level - 1) * 10 if level > 1 else b"lol" * 10)
        for level in range(1, 12))
    bomb = b'<?xml version="1.0"?><!DOCTYPE lolz [' + entities + b"]><lolz>&lol11;</lolz>"
    started = time.perf_counter()
    [error] = refusal(bomb, "application/xml").errors
    assert time.perf_counter() - started < 1
    assert "entities" in error.message and "实体" in error.message_zh


@pytest.fixture
def listener() -> Iterator[tuple[str, list[bytes]]]:
    """A local TCP server that records whoever connects: nothing may."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    connections: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            connections.append(connection.recv(1024))
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", connections
    stop.set()
    thread.join()
    server.close()


def epcis_xml_with(doctype: bytes, body: bytes = b"") -> bytes:
    return XML.replace(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
                       b'<?xml version="1.0" encoding="UTF-8"?>' + doctype, 1).replace(
        b"<EPCISBody>", b"<EPCISBody>" + body, 1)


def test_external_entities_are_refused_and_nothing_is_read_or_fetched(
        tmp_path: Path, listener: tuple[str, list[bytes]]) -> None:
    url, connections = listener
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    for doctype, reference in [
        (f'<!DOCTYPE d [<!ENTITY xxe SYSTEM "file://{secret}">]>'.encode(), b"&xxe;"),
        (f'<!DOCTYPE d [<!ENTITY xxe SYSTEM "{url}/entity">]>'.encode(), b"&xxe;"),
        (f'<!DOCTYPE d [<!ENTITY % remote SYSTEM "{url}/dtd"> %remote;]>'.encode(), b""),
        (f'<!DOCTYPE d SYSTEM "{url}/external.dtd">'.encode(), b""),
        (f'<!DOCTYPE d PUBLIC "-//X//EN" "{url}/public.dtd">'.encode(), b""),
    ]:
        started = time.perf_counter()
        error = refusal(epcis_xml_with(doctype, reference), "application/xml")
        assert time.perf_counter() - started < 1
        assert "TOP-SECRET" not in repr(error.details)
        assert error.errors[0].index is None
    time.sleep(0.3)
    assert connections == []


def test_a_bare_doctype_is_harmless_and_read() -> None:
    assert parse_document(epcis_xml_with(b"<!DOCTYPE project>"), "application/xml").events
