"""The standard's own EPCIS examples (``tests/unit/trace/examples``), captured unmodified over the
real HTTP API, on both databases.

Each example names GS1 identifiers of GS1's documentation (GTINs 10614141073464 and
70614141123451, serials 2016 to 2018, the GLNs of company prefixes 0614141, 0012345, 0037000), so
each is captured into a network of its own in which they exist: an enterprise with products of
those GTINs whose serials it registered with their production data (activated, as registered
codes of another scheme are), the places the example names registered to the party that
captures it, and, for an example that only receives, a distributor to which the enterprise first
shipped the codes. The examples share identifiers and events (the 9.6.1 event written in JSON-LD
and in XML), so one network could not hold them all.

For each: the capture is accepted (202) and done; the events are stored under the standard's
event hashes (and the example's eventID where it has one); the codes are where the events put
them; and the same document sent again stores nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from jianguan.accounts import services as accounts
from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.codes.keyring import KeyService, key_service, keyring
from jianguan.merchants.services import register_merchant
from jianguan.schemes.services import locate_code, register_gs1
from jianguan.storage import make_engine, reading, session_factory, transaction
from jianguan.trace.epcis import parse_document
from jianguan.trace.gs1_uri import canonical_identifier
from jianguan.trace.identifiers import name_party
from jianguan.trace.models import Diversion, Event, EventRange, PartyKind, Position, Whereabouts
from jianguan.trace.places import PartyRef, register_location
from tests.conftest import TEST_MASTER, DatabaseFactory
from tests.functional.registry_data import ACTOR, OPERATOR, credit_code, make_enterprise, make_product
from tests.functional.trace_data import LOT, gln, sgln
from tests.live import DemoSeed, start_server

EXAMPLES = Path(__file__).parents[1] / "unit" / "trace" / "examples"
GTINS = ("10614141073464", "70614141123451")  # the GTINs of the examples' SGTINs and Digital Links
SERIALS = (2016, 2018)  # the serials they name, first and last
MEDIA = {".jsonld": "application/ld+json", ".xml": "application/xml"}
DEPOT_REGION = "440106"
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Example:
    """An example file, who captures it, and where its codes are afterwards."""

    path: str
    capturer: str  # "enterprise", or "distributor" (the codes were shipped to it first)
    # code (as the example names it) -> (status, holder) after the capture
    positions: dict[str, tuple[str, str]] = field(default_factory=dict)
    coded_events: int = 0  # events that name codes; the others are class-level (quantityList only)


def sgtin(serial: int) -> str:
    return f"urn:epc:id:sgtin:0614141.107346.{serial}"


def link(serial: int) -> str:
    return f"https://id.gs1.org/01/70614141123451/21/{serial}"


SHIPPED_ONE_RECEIVED_ONE = {sgtin(2017): ("in_transit", "enterprise"), sgtin(2018): ("in_stock", "enterprise")}
RECEIVED_BOTH = {sgtin(2017): ("in_stock", "distributor"), sgtin(2018): ("in_stock", "distributor")}
RECEIVED_ALL = {**RECEIVED_BOTH, sgtin(2016): ("in_stock", "distributor")}

CASES = [
    # 9.6.1: the enterprise ships 2017 and 2018 from one site and receives 2018 at another.
    Example("json/Example_9.6.1-ObjectEvent.jsonld", "enterprise", SHIPPED_ONE_RECEIVED_ONE, 2),
    Example("json/Example_9.6.1-ObjectEventWithDigitalLink.jsonld", "enterprise",
            {link(2017): ("in_transit", "enterprise"), link(2018): ("in_stock", "enterprise")}, 2),
    Example("xml/Example_9.6.1-ObjectEvent-2020_06_18a.xml", "enterprise", SHIPPED_ONE_RECEIVED_ONE, 2),
    # 9.6.2: a receiving of a quantity of a class, no serials: stored, moves no code.
    Example("json/Example_9.6.2-ObjectEvent.jsonld", "distributor", {}, 0),
    # 9.6.3: a pallet (an SSCC, no code of the network) observed received: its children move.
    Example("json/Example_9.6.3-AggregationEvent.jsonld", "distributor", RECEIVED_BOTH, 1),
    Example("json/Example_9.6.3-AggregationEventWithDigitalLink.jsonld", "distributor",
            {link(2017): ("in_stock", "distributor"), link(2018): ("in_stock", "distributor")}, 1),
    Example("xml/WithExtension_AggregationEvent.xml", "distributor", RECEIVED_BOTH, 1),
    Example("json/aggregation_event_all_possible_fields.jsonld", "distributor", RECEIVED_BOTH, 1),
    # Receivings that name source and destination parties the network does not know.
    Example("json/object_event_all_possible_fields.jsonld", "distributor",
            {sgtin(2018): ("in_stock", "distributor"), sgtin(2017): ("in_transit", "enterprise")}, 1),
    Example("xml/WithEventHashID_event_with_identical_hash_id_1.xml", "distributor", RECEIVED_ALL, 1),
    Example("xml/WithEventHashID_event_with_identical_hash_id_2.xml", "distributor", RECEIVED_ALL, 1),
    Example("xml/WithEventHashID_event_with_identical_hash_id_3.xml", "distributor", RECEIVED_ALL, 1),
    # A shipping, then a class-level commissioning (quantityList, ILMD without a lot).
    Example("xml/WithExtension_ObjectEvent.xml", "enterprise",
            {sgtin(2017): ("in_transit", "enterprise"), sgtin(2018): ("in_transit", "enterprise")}, 1),
]


def test_every_example_has_a_case() -> None:
    files = {str(path.relative_to(EXAMPLES)) for path in EXAMPLES.glob("*/*") if path.suffix in MEDIA}
    assert files == {case.path for case in CASES}
    assert len(files) == 13


@dataclass
class Network:
    sessions: sessionmaker[Session]
    enterprise: int
    distributor: int
    factory: httpx.Client
    depot: httpx.Client
    rival: httpx.Client  # another enterprise, which none of the examples' codes are of
    warehouse: str  # a GLN of the enterprise, where it ships from
    depot_place: str  # a GLN of the distributor, where the enterprise ships to
    enterprise_region: str

    def client(self, who: str) -> httpx.Client:
        return self.factory if who == "enterprise" else self.depot

    def party(self, who: str) -> tuple[str, int]:
        if who == "enterprise":
            return PartyKind.ENTERPRISE.value, self.enterprise
        return PartyKind.MERCHANT.value, self.distributor


@pytest.fixture
def network(databases: DatabaseFactory, tmp_path: Path) -> Iterator[Network]:
    """A fresh database and server with the examples' enterprise, products, serials and distributor."""
    url = databases.new_url()
    engine = make_engine(url)
    sessions = session_factory(engine, keys=KeyService(TEST_MASTER))
    with transaction(sessions) as session:
        keys = key_service(session)
        keys.ensure_keys(session, actor=ACTOR)
        keys.rotate_code_key(session, actor=ACTOR)  # a capture reads codes of the network by the code keys
        enterprise = make_enterprise(session, signed=True)
        owner = Principal(kind="user", id=0, name="factory", role=Role.MANUFACTURER, enterprise_id=enterprise.id)
        for gtin in GTINS:
            product = make_product(session, enterprise.id, gtin=gtin)
            register_gs1(session, actor=ACTOR, principal=owner, product_id=product.id, gtin=gtin, ranges=[SERIALS],
                         production=LOT)
        distributor = register_merchant(session, actor=ACTOR, credit_code=credit_code(DEPOT_REGION),
                                        name="广州经销商", kind="distributor", region_code=DEPOT_REGION)
        warehouse = register_location(session, actor=ACTOR, principal=OPERATOR, gln=gln(), name="仓库",
                                      region_code=enterprise.region_code,
                                      party=PartyRef(PartyKind.ENTERPRISE, enterprise.id)).gln
        depot_place = register_location(session, actor=ACTOR, principal=OPERATOR, gln=gln(), name="经销商仓库",
                                        region_code=DEPOT_REGION,
                                        party=PartyRef(PartyKind.MERCHANT, distributor.id)).gln
        factory_key, _ = accounts.create_api_key(session, actor=ACTOR, name="工厂", role=Role.MANUFACTURER,
                                                 enterprise_id=enterprise.id)
        rival_key, _ = accounts.create_api_key(session, actor=ACTOR, name="对手", role=Role.MANUFACTURER,
                                               enterprise_id=make_enterprise(session, signed=True).id)
        accounts.create_user(session, actor=ACTOR, username="depot", display_name="经销商", password=PASSWORD,
                             role=Role.MERCHANT, merchant_id=distributor.id)
        ids = enterprise.id, distributor.id
        region = enterprise.region_code
    server = start_server(url, tmp_path, DemoSeed())
    net = Network(sessions, *ids, server.key_client(factory_key), server.login("depot", PASSWORD),
                  server.key_client(rival_key), warehouse, depot_place, region)
    yield net
    net.factory.close()
    net.depot.close()
    net.rival.close()
    server.stop()
    engine.dispose()
    databases.drop(url)


def post(client: httpx.Client, body: bytes, media: str) -> httpx.Response:
    return client.post("/api/v1/epcis/capture", content=body, headers={"Content-Type": media})


def register_places(net: Network, who: str, glns: set[str]) -> None:
    """Register ``glns`` as places of ``who``: a party sends events only for places of its own."""
    kind, party = net.party(who)
    region = DEPOT_REGION if who == "distributor" else net.enterprise_region
    with transaction(net.sessions) as session:
        for number in sorted(glns):
            register_location(session, actor=ACTOR, principal=OPERATOR, gln=number, name=f"地点 {number}",
                              region_code=region, party=PartyRef(PartyKind(kind), party))


def ship_to_distributor(net: Network, codes: list[str]) -> None:
    """The enterprise ships ``codes`` to the distributor's depot, before the example receives them."""
    body = json.dumps({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], "type": "EPCISDocument",
        "schemaVersion": "2.0", "creationDate": "2005-01-01T00:00:00Z",
        "epcisBody": {"eventList": [{
            "type": "ObjectEvent", "eventTime": "2005-01-01T00:00:00Z", "eventTimeZoneOffset": "+00:00",
            "action": "OBSERVE", "bizStep": "shipping", "epcList": codes, "bizLocation": {"id": sgln(net.warehouse)},
            "destinationList": [{"type": "owning_party", "destination": sgln(net.depot_place)}]}]}}).encode()
    response = post(net.factory, body, "application/ld+json")
    assert response.status_code == 202, response.text


def position(session: Session, code: str) -> tuple[str, tuple[str, int]] | None:
    """Where ``code`` is: its status and holder, or None if it never moved."""
    _text, generation, serial = locate_code(session, keyring(session), code)
    row = session.scalar(select(Position).where(Position.generation == generation, Position.serial_start <= serial,
                                                Position.serial_end > serial))
    return None if row is None else (Whereabouts(row.status).value, (PartyKind(row.holder_kind).value, row.holder_id))


def element_string(code: str) -> str:
    """A GS1 code as a person types it, ``(01)…(21)…``: a Digital Link's slashes do not go in a path."""
    if code.startswith("https://id.gs1.org/01/"):
        gtin, serial = code.removeprefix("https://id.gs1.org/01/").split("/21/")
        return f"(01){gtin}(21){serial}"
    return code


def stored(net: Network) -> tuple[int, int]:
    with reading(net.sessions) as session:
        return (session.scalar(select(func.count()).select_from(Event)) or 0,
                session.scalar(select(func.count()).select_from(EventRange)) or 0)


@pytest.mark.parametrize("case", CASES, ids=[Path(case.path).stem for case in CASES])
def test_the_example_captures(network: Network, case: Example) -> None:
    net = network
    path = EXAMPLES / case.path
    data, media = path.read_bytes(), MEDIA[path.suffix]
    document = parse_document(data, media)
    places = {name.gln for event in document.events for uri in (event.read_point, event.biz_location)
              if uri is not None and (name := name_party(uri)) is not None and name.gln is not None}
    register_places(net, case.capturer, places)
    if case.capturer == "distributor" and case.positions:
        ship_to_distributor(net, sorted(case.positions))
    before = stored(net)
    client = net.client(case.capturer)

    response = post(client, data, media)
    assert response.status_code == 202, response.text
    status = client.get(response.headers["location"]).json()
    assert (status["running"], status["success"], status["errors"]) == (False, True, []), status
    assert status["events"] == len(document.events)

    with reading(net.sessions) as session:
        rows = {row.hash_id: row for row in session.scalars(select(Event).where(Event.capture_id == int(
            status["captureID"])))}
        assert set(rows) == {event.event_hash for event in document.events}
        for event in document.events:
            row = rows[event.event_hash]
            # The examples' own eventIDs are hash IDs the standard's tool made of earlier drafts; the
            # event is known by its eventID, and its hash is the reference's (test_examples.py).
            assert row.event_key == (event.event_id or event.event_hash)
            assert (PartyKind(row.party_kind).value, row.party_id) == net.party(case.capturer)
            # a pallet's SSCC, by which MATCH_parentID finds the event however it is spelled
            assert row.foreign_parent == (canonical_identifier(event.parent_id) if event.parent_id else None)
        assert sum(1 for row in rows.values() if row.codes) == case.coded_events
        for code, (status_now, holder) in case.positions.items():
            assert position(session, code) == (status_now, net.party(holder)), code
        assert session.scalar(select(func.count()).select_from(Diversion)) == 0

    for code in case.positions:  # the code's journey tells the example's events (dated 2005 and 2013)
        journey = net.factory.get(f"/api/v1/trace/codes/{quote(element_string(code), safe='')}")
        assert journey.status_code == 200, journey.text
        steps = [step["step"] for step in journey.json()["steps"] if step["step"] not in ("issued", "activated")]
        named = [event.biz_step for event in document.events if code in (*event.epc_list, *event.child_epcs)]
        assert steps[len(steps) - len(named):] == named, (code, steps)
    for event in document.events:  # each is queryable, as it was sent, codes or none
        found = client.get(f"/api/v1/epcis/events/{quote(event.event_id or event.event_hash, safe='')}")
        assert found.status_code == 200, found.text
        answer = found.json()
        assert (answer["type"], answer.get("parentID")) == (event.type.value, event.parent_id)
        assert len(answer.get("quantityList", [])) == len(event.quantity_list)
        assert len(answer.get("epcList", answer.get("childEPCs", []))) == len(event.epc_list or event.child_epcs)

    after = stored(net)
    again = post(client, data, media)
    assert again.status_code == 202, again.text
    assert stored(net) == after != before


def test_the_same_event_written_differently_stores_nothing_new(network: Network) -> None:
    """The standard's hash examples as three documents of one distributor: the third lists the
    EPCs in another order, the same event (nothing stored); the second is another time zone, so
    another event (stored), though its codes are received already."""
    net = network
    register_places(net, "distributor", {"0012345111112"})
    ship_to_distributor(net, [sgtin(serial) for serial in range(SERIALS[0], SERIALS[1] + 1)])
    answers = []
    for number in (1, 3, 2):
        data = (EXAMPLES / f"xml/WithEventHashID_event_with_identical_hash_id_{number}.xml").read_bytes()
        response = post(net.depot, data, "application/xml")
        assert response.status_code == 202, response.text
        status = net.depot.get(response.headers["location"]).json()
        answers.append((status["success"], status["events"], status["repeated"]))
    assert answers == [(True, 1, 0), (True, 0, 1), (True, 1, 0)]
    with reading(net.sessions) as session:
        assert position(session, sgtin(2016)) == ("in_stock", net.party("distributor"))


def test_an_example_outside_the_rules_is_refused_or_flagged(network: Network) -> None:
    """The rules stand for the examples as for any document: places not registered to the sender
    refuse it, by event index, in both languages, storing nothing; a pallet received by a party it
    was not shipped to is taken, and flagged to the enterprise as a diversion."""
    net = network
    data = (EXAMPLES / "json/Example_9.6.1-ObjectEvent.jsonld").read_bytes()
    before = stored(net)
    refused = post(net.factory, data, "application/ld+json")
    assert refused.status_code == 400, refused.text
    errors = refused.json()["error"]["details"]["errors"]
    assert [(error["index"], error["message"]) for error in errors] == [
        (0, "The readPoint urn:epc:id:sgln:0614141.07346.1234 is not a registered place."),
        (1, "The readPoint urn:epc:id:sgln:0012345.11111.400 is not a registered place."),
        (1, "The bizLocation urn:epc:id:sgln:0012345.11111.0 is not a registered place.")]
    assert errors[0]["message_zh"] == "读取点 urn:epc:id:sgln:0614141.07346.1234 不是已登记的地点。"
    assert stored(net) == before

    register_places(net, "distributor", {"0614141007776", "0614141008889"})
    pallet = post(net.depot, (EXAMPLES / "json/Example_9.6.3-AggregationEvent.jsonld").read_bytes(),
                  "application/ld+json")
    assert pallet.status_code == 202, pallet.text
    with reading(net.sessions) as session:
        flagged = session.scalars(select(Diversion)).all()
        assert [(row.enterprise_id, row.codes) for row in flagged] == [(net.enterprise, 2)]
        assert position(session, sgtin(2017)) == ("in_stock", net.party("distributor"))


SSCC = "urn:epc:id:sscc:0614141.1234567890"  # the pallet of example 9.6.3
SSCC_LINK = "https://id.gs1.org/00/106141412345678908"  # the same SSCC as a Digital Link


def by_parent(client: httpx.Client, parent: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/epcis/events", params={"MATCH_parentID": parent})
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return events


@pytest.mark.parametrize("path", ["json/Example_9.6.3-AggregationEvent.jsonld",
                                  "json/Example_9.6.3-AggregationEventWithDigitalLink.jsonld"])
def test_a_pallet_is_found_by_its_sscc_in_scope(network: Network, path: str) -> None:
    """The pallet of example 9.6.3 (an SSCC, no code of the network) is found by MATCH_parentID as
    an EPC URI or a Digital Link, on any host, by the distributor that received it and the
    enterprise whose codes it holds; not by another enterprise; another SSCC finds nothing."""
    net = network
    data = (EXAMPLES / path).read_bytes()
    document = parse_document(data, "application/ld+json")
    register_places(net, "distributor", {"0614141007776", "0614141008889"})
    ship_to_distributor(net, sorted(code for event in document.events for code in event.child_epcs))
    response = post(net.depot, data, "application/ld+json")
    assert response.status_code == 202, response.text
    assert net.depot.get(response.headers["location"]).json()["success"] is True
    (pallet,) = document.events
    children = [canonical_identifier(code) for code in pallet.child_epcs]  # registered codes are answered so
    spellings = (SSCC, SSCC_LINK, "https://example.com/sscc/106141412345678908", f"urn:epc:id:sscc:0614141.1|{SSCC}")
    for parent in spellings:
        for client in (net.depot, net.factory):
            found = by_parent(client, parent)
            assert [(event["parentID"], [canonical_identifier(code) for code in event["childEPCs"]])
                    for event in found] == [(SSCC, children)]
        assert by_parent(net.rival, parent) == []
    for other in ("urn:epc:id:sscc:0614141.1234567891", "https://id.gs1.org/00/106141412345678915", "sscc"):
        assert by_parent(net.depot, other) == []
