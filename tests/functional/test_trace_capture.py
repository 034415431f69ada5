"""Capturing supply-chain events on a real database: the rules, all-or-nothing, idempotence."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from jianguan.codes import lookup
from jianguan.codes.models import Activation
from jianguan.storage import reading
from jianguan.trace.epcis_model import EPCISRefused
from jianguan.trace.models import (
    Capture,
    Diversion,
    DiversionKind,
    Event,
    EventRange,
    Packing,
    Position,
    Whereabouts,
)
from tests.functional.trace_data import Chain, event, issue_codes, make_chain, send


@pytest.fixture
def chain(sessions: sessionmaker[Session]) -> Chain:
    return make_chain(sessions)


def _counts(sessions: sessionmaker[Session]) -> tuple[int, ...]:
    with reading(sessions) as session:
        return tuple(session.scalar(select(func.count()).select_from(table)) or 0
                     for table in (Capture, Event, EventRange, Position, Packing, Diversion))


def _where(sessions: sessionmaker[Session], code: str) -> Position | None:
    from jianguan.codes.codec import decode_code
    from jianguan.codes.keyring import keyring

    with reading(sessions) as session:
        generation, serial = decode_code(keyring(session), code)
        row = session.scalars(select(Position).where(Position.generation == generation, Position.serial_start <= serial)
                              .order_by(Position.serial_start.desc()).limit(1)).first()
        return row if row is not None and serial < row.serial_end else None


def _refused(excinfo: pytest.ExceptionInfo[EPCISRefused]) -> list[tuple[int | None, str]]:
    return [(error.index, error.message) for error in excinfo.value.errors]


def test_commission_pack_and_ship_in_one_document_store_ranges(sessions, chain) -> None:
    _items, items = issue_codes(sessions, chain, 50, activate=False)
    _cases, cases = issue_codes(sessions, chain, 2, level="case", activate=False)
    ilmd = {"ilmd": {"cbvmda:lotNumber": "L-77", "cbvmda:itemExpirationDate": "2028-01-31"}}
    result = send(sessions, chain, "enterprise", [
        event(0, "commissioning", items, action="ADD", where=chain.places["warehouse"], **ilmd),
        event(1, "commissioning", cases, action="ADD", where=chain.places["warehouse"], **ilmd),
        event(2, "packing", items[:25], minutes=1, action="ADD", kind="AggregationEvent", parent=cases[0]),
        event(3, "packing", items[25:], minutes=1, action="ADD", kind="AggregationEvent", parent=cases[1]),
        event(4, "shipping", cases, minutes=2, where=chain.places["warehouse"], to=chain.places["depot"]),
    ])
    assert (result.capture.events, result.capture.repeated, result.capture.codes) == (5, 0, 2 * 52 + 2)
    with reading(sessions) as session:
        assert session.scalar(select(Activation.lot).limit(1)) == "L-77"
        assert lookup.code_status(session, code=items[30])["container"] == cases[1]
        # storage grows with events: one range an event role, a run a position
        assert session.scalar(select(func.count()).select_from(EventRange)) == 1 + 1 + 2 * 2 + 1
    shipped = _where(sessions, items[7])
    assert shipped is not None and shipped.status == Whereabouts.IN_TRANSIT and shipped.shipped_to_id == chain.distributor
    assert shipped.shipped_region == "440106"
    before = _counts(sessions)
    again = send(sessions, chain, "enterprise", [
        event(0, "commissioning", items, action="ADD", where=chain.places["warehouse"], **ilmd),
        event(1, "shipping", cases, minutes=2, where=chain.places["warehouse"], to=chain.places["depot"]),
    ])
    assert (again.capture.events, again.capture.repeated) == (0, 2)
    assert _counts(sessions)[1:] == before[1:], "a document sent twice stores nothing new"


def test_goods_move_down_the_chain_and_a_stray_receipt_is_a_diversion(sessions, chain) -> None:
    _batch, items = issue_codes(sessions, chain, 20)
    send(sessions, chain, "enterprise", [event(0, "shipping", items[:10], where=chain.places["warehouse"],
                                               to=chain.places["depot"])])
    send(sessions, chain, "distributor", [event(0, "receiving", items[:10], minutes=60, where=chain.places["depot"])])
    held = _where(sessions, items[3])
    assert held is not None and (held.status, held.holder_id, held.region_code) == (Whereabouts.IN_STOCK,
                                                                                    chain.distributor, "440106")
    send(sessions, chain, "distributor", [event(0, "shipping", items[:5], minutes=120, where=chain.places["depot"],
                                                to=chain.places["shop"])])
    result = send(sessions, chain, "shop", [event(0, "receiving", items[:5], minutes=180, where=chain.places["shop"])])
    assert result.diversions == []
    # the far shop receives what went to the distributor, and what was never shipped at all
    stray = send(sessions, chain, "far_shop", [
        event(0, "receiving", items[5:8], minutes=200, where=chain.places["far_shop"]),
        event(1, "receiving", items[15:17], minutes=200, where=chain.places["far_shop"])])
    kinds = sorted((d.kind, d.codes, d.expected_id, d.expected_region) for d in stray.diversions)
    assert kinds == [(DiversionKind.RECEIVED, 2, chain.enterprise, None),
                     (DiversionKind.RECEIVED, 3, chain.distributor, "440106")]
    assert all(d.enterprise_id == chain.enterprise and d.found_region == "110105" for d in stray.diversions)
    assert {len(d.sample_codes) for d in stray.diversions} == {2, 3}
    sold = send(sessions, chain, "shop", [event(0, "retail_selling", items[:1], minutes=240,
                                                where=chain.places["shop"])])
    assert sold.diversions == []
    assert _where(sessions, items[0]).status == Whereabouts.SOLD


def test_what_is_wrong_is_listed_by_event_and_nothing_is_stored(sessions, chain) -> None:
    _batch, items = issue_codes(sessions, chain, 10)
    _idle, idle = issue_codes(sessions, chain, 3, activate=False)
    before = _counts(sessions)
    with pytest.raises(EPCISRefused) as refused:
        send(sessions, chain, "enterprise", [
            event(0, "shipping", items[:2], where=chain.places["warehouse"]),
            event(1, "shipping", idle[:1], where=chain.places["warehouse"]),
            event(2, "shipping", ["12345678901234567890"], where=chain.places["warehouse"]),
            event(3, "shipping", items[2:3], where=chain.places["depot"]),
        ])
    listed = _refused(refused)
    assert [index for index, _message in listed] == [1, 2, 3]
    assert "not activated" in listed[0][1] and "depot" not in listed[2][1]
    assert "not one of your places" in listed[2][1]
    assert _counts(sessions) == before
    with pytest.raises(EPCISRefused) as foreign:  # another enterprise's codes are not the rival's to move
        send(sessions, chain, "other", [event(0, "shipping", items[:1])])
    assert "not a code of yours" in foreign.value.errors[0].message
    assert _counts(sessions) == before


def test_a_destroyed_code_never_moves_again(sessions, chain) -> None:
    _batch, items = issue_codes(sessions, chain, 4)
    send(sessions, chain, "enterprise", [event(0, "destroying", items[:2], where=chain.places["warehouse"])])
    assert _where(sessions, items[0]).status == Whereabouts.DESTROYED
    with pytest.raises(EPCISRefused) as refused:
        send(sessions, chain, "enterprise", [event(0, "shipping", items[1:3], minutes=5)])
    assert "never moves again" in refused.value.errors[0].message


def test_a_shop_moves_only_what_it_holds(sessions, chain) -> None:
    _batch, items = issue_codes(sessions, chain, 4)
    with pytest.raises(EPCISRefused) as refused:
        send(sessions, chain, "shop", [event(0, "retail_selling", items[:1], where=chain.places["shop"])])
    assert "not in your stock" in refused.value.errors[0].message
    with pytest.raises(EPCISRefused):
        send(sessions, chain, "shop", [event(0, "commissioning", items[:1], action="ADD")])


def test_an_event_id_reused_for_another_event_is_refused(sessions, chain) -> None:
    _batch, items = issue_codes(sessions, chain, 4)
    send(sessions, chain, "enterprise", [event(0, "shipping", items[:1], event_id="urn:uuid:1")])
    with pytest.raises(EPCISRefused) as refused:
        send(sessions, chain, "enterprise", [event(0, "shipping", items[1:2], event_id="urn:uuid:1")])
    assert "already names another event" in refused.value.errors[0].message


def test_a_case_moves_with_its_items_and_an_item_sold_alone_leaves_its_case(sessions, chain) -> None:
    _items, items = issue_codes(sessions, chain, 25)
    _cases, cases = issue_codes(sessions, chain, 1, level="case")
    send(sessions, chain, "enterprise", [
        event(0, "packing", items, action="ADD", kind="AggregationEvent", parent=cases[0]),
        event(1, "shipping", cases, minutes=1, to=chain.places["shop"])])
    send(sessions, chain, "shop", [event(0, "receiving", cases, minutes=30, where=chain.places["shop"])])
    assert _where(sessions, items[24]).holder_id == chain.shop
    send(sessions, chain, "shop", [event(0, "retail_selling", items[:1], minutes=40, where=chain.places["shop"])])
    with reading(sessions) as session:
        assert lookup.code_status(session, code=items[0])["container"] is None
        assert lookup.code_status(session, code=items[1])["container"] == cases[0]
    send(sessions, chain, "shop", [event(0, "returning", cases, minutes=50, where=chain.places["shop"])])
    assert _where(sessions, items[0]).status == Whereabouts.SOLD
    assert _where(sessions, items[1]).status == Whereabouts.RETURNED


def test_a_pallet_the_network_does_not_code_is_followed_through_its_children(sessions, chain) -> None:
    """A parentID that is no code at all (an SSCC) is kept with the event: observed, its children
    move; packed into or unpacked from, it is refused, as the network could not follow it."""
    _batch, items = issue_codes(sessions, chain, 3)
    sscc = "urn:epc:id:sscc:0614141.1234567890"
    send(sessions, chain, "enterprise", [event(0, "shipping", items, where=chain.places["warehouse"],
                                               to=chain.places["depot"])])
    received = dataclasses.replace(event(0, "receiving", items[:2], minutes=30, kind="AggregationEvent",
                                         where=chain.places["depot"]), parent_id=sscc)
    result = send(sessions, chain, "distributor", [received])
    assert (result.capture.events, result.diversions) == (1, [])
    assert [_where(sessions, code).status for code in items] == [Whereabouts.IN_STOCK] * 2 + [Whereabouts.IN_TRANSIT]
    with reading(sessions) as session:
        assert session.scalar(select(func.count()).select_from(Packing)) == 0
        assert session.scalar(select(Event.fields).order_by(Event.id.desc()).limit(1))["parentID"] == sscc
    before = _counts(sessions)
    for action, step in (("ADD", "packing"), ("DELETE", "unpacking"), ("ADD", None)):
        packing = dataclasses.replace(event(1, step, items[2:], minutes=40, action=action, kind="AggregationEvent",
                                            where=chain.places["depot"]), parent_id=sscc)
        with pytest.raises(EPCISRefused) as refused:
            send(sessions, chain, "distributor", [event(0, "receiving", items[2:], minutes=35,
                                                        where=chain.places["depot"]), packing])
        assert [(error.index, error.message.split(";")[0]) for error in refused.value.errors] == [
            (1, f"The container {sscc} is not a code of the network")]
        assert refused.value.errors[0].message_zh.startswith(f"包装 {sscc} 不是监管网的监管码")
    for mistyped in ("urn:jianguan:code:1234", "urn:epc:id:sscc:0614141.123456789", "urn:uuid:1"):  # no GS1 key
        observed = dataclasses.replace(event(0, "receiving", items[2:], minutes=35, kind="AggregationEvent",
                                             where=chain.places["depot"]), parent_id=mistyped)
        with pytest.raises(EPCISRefused) as refused:
            send(sessions, chain, "distributor", [observed])
        assert refused.value.errors[0].message == f"{mistyped} is not a supervision code."
    assert _counts(sessions) == before


def test_a_document_sent_again_is_answered_with_its_capture(sessions, chain) -> None:
    import json

    from jianguan.storage import transaction
    from jianguan.trace.capture import capture_document
    from jianguan.trace.epcis import CONTEXT_URL
    from tests.functional.trace_data import ACTOR, sgln

    _batch, items = issue_codes(sessions, chain, 3)
    data = json.dumps({"@context": [CONTEXT_URL], "type": "EPCISDocument", "schemaVersion": "2.0",
                       "creationDate": "2026-11-02T10:30:00Z", "epcisBody": {"eventList": [{
                           "type": "ObjectEvent", "eventTime": "2026-11-02T10:30:00+08:00",
                           "eventTimeZoneOffset": "+08:00", "action": "OBSERVE", "bizStep": "shipping",
                           "epcList": [f"https://jg.example.cn/v/{code}" for code in items],
                           "bizLocation": {"id": sgln(chain.places["warehouse"])},
                           "destinationList": [{"type": "owning_party",
                                                "destination": sgln(chain.places["depot"])}]}]}}).encode()
    owner = chain.principal("enterprise")
    with transaction(sessions) as session:
        first = capture_document(session, actor=ACTOR, principal=owner, data=data, content_type="application/ld+json")
    assert not first.repeated and first.capture.events == 1
    before = _counts(sessions)
    with transaction(sessions) as session:
        again = capture_document(session, actor=ACTOR, principal=owner, data=data, content_type="application/ld+json")
    assert again.repeated and again.capture.id == first.capture.id
    assert _counts(sessions) == before
    # another party's document is its own: read, and its event, already stored, stores nothing
    with transaction(sessions) as session:
        other = capture_document(session, actor=ACTOR, principal=chain.principal("other"), data=data,
                                 content_type="application/ld+json")
    assert not other.repeated and (other.capture.events, other.capture.repeated) == (0, 1)
    assert _counts(sessions)[1:] == before[1:]
    assert _where(sessions, items[0]).shipped_to_id == chain.distributor
