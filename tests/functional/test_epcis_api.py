"""The EPCIS API over a real server, on both databases: capture in JSON-LD, XML and CSV, the
capture's status (and a refused document's errors by event index), the size limit, queries in
scope and paging with ``nextPageToken``, places."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from jianguan.accounts import services as accounts
from jianguan.accounts.models import Role
from jianguan.codes import activation as activations
from jianguan.codes import issue as issuing
from jianguan.codes import lookup
from jianguan.codes.keyring import KeyService
from jianguan.enterprises.models import Enterprise
from jianguan.storage import make_engine, reading, session_factory, transaction
from jianguan.trace.captures import MAX_CAPTURE_BYTES, MAX_CAPTURE_EVENTS
from jianguan.trace.models import Event, EventRange, PartyKind
from jianguan.trace.places import PartyRef, register_location
from tests.conftest import TEST_MASTER
from tests.functional.registry_data import ACTOR, OPERATOR, make_product
from tests.functional.trace_data import LOT, Chain, gln, issue_codes, make_chain, sgln
from tests.live import LiveServer

URN = "urn:jianguan:code:"


@dataclass
class Net:
    sessions: sessionmaker[Session]
    chain: Chain
    factory: httpx.Client  # the chain's enterprise, by its API key
    rival: httpx.Client  # another enterprise, by its API key
    depot: httpx.Client  # the distributor, logged in
    shop: httpx.Client  # the shop, logged in


@pytest.fixture(scope="module")
def net(live: LiveServer) -> Iterator[Net]:
    engine = make_engine(live.database_url)
    sessions = session_factory(engine, keys=KeyService(TEST_MASTER))
    chain = make_chain(sessions)
    tag = secrets.token_hex(3)
    with transaction(sessions) as session:
        factory_key, _ = accounts.create_api_key(session, actor=ACTOR, name="赋码线", role=Role.MANUFACTURER,
                                                 enterprise_id=chain.enterprise)
        rival_key, _ = accounts.create_api_key(session, actor=ACTOR, name="对手", role=Role.MANUFACTURER,
                                               enterprise_id=chain.other_enterprise)
        for name, merchant in (("depot", chain.distributor), ("shop", chain.shop)):
            accounts.create_user(session, actor=ACTOR, username=f"{name}-{tag}", display_name=name,
                                 password="correct horse battery", role=Role.MERCHANT, merchant_id=merchant)
    yield Net(sessions, chain, live.key_client(factory_key), live.key_client(rival_key),
              live.login(f"depot-{tag}", "correct horse battery"), live.login(f"shop-{tag}", "correct horse battery"))
    engine.dispose()


def document(*events: dict[str, Any]) -> bytes:
    return json.dumps({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
                       "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-02T08:00:00+08:00",
                       "epcisBody": {"eventList": list(events)}}).encode()


def object_event(step: str, codes: list[str], *, hour: int = 9, action: str = "OBSERVE", where: str | None = None,
                 to: str | None = None, **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "ObjectEvent", "eventTime": f"2026-11-02T{hour:02d}:00:00+08:00",
                             "eventTimeZoneOffset": "+08:00", "epcList": [URN + code for code in codes],
                             "action": action, "bizStep": step, **extra}
    if where:
        event["bizLocation"] = {"id": sgln(where)}
    if to:
        event["destinationList"] = [{"type": "owning_party", "destination": sgln(to)}]
    return event


def post(client: httpx.Client, body: bytes, media: str = "application/ld+json") -> httpx.Response:
    return client.post("/api/v1/epcis/capture", content=body, headers={"Content-Type": media})


def counts(net: Net) -> tuple[int, int]:
    with reading(net.sessions) as session:
        return (session.scalar(select(func.count()).select_from(Event)) or 0,
                session.scalar(select(func.count()).select_from(EventRange)) or 0)


def commission_and_ship(net: Net, quantity: int = 6) -> list[str]:
    """Codes of the chain's enterprise, commissioned and shipped to the distributor over the API."""
    _batch, codes = issue_codes(net.sessions, net.chain, quantity, activate=False)
    places = net.chain.places
    response = post(net.factory, document(
        object_event("commissioning", codes, hour=8, action="ADD", where=places["warehouse"],
                     ilmd={"cbvmda:lotNumber": "L-9"}),
        object_event("shipping", codes, hour=9, where=places["warehouse"], to=places["depot"])))
    assert response.status_code == 202, response.text
    return codes


def test_a_json_ld_document_is_captured_and_sent_again_stores_nothing(net: Net) -> None:
    _batch, codes = issue_codes(net.sessions, net.chain, 4, activate=False)
    places = net.chain.places
    events = [object_event("commissioning", codes, hour=8, action="ADD", where=places["warehouse"],
                           ilmd={"cbvmda:lotNumber": "L-1"}),
              object_event("shipping", codes, where=places["warehouse"], to=places["depot"])]
    body = document(*events)
    response = post(net.factory, body)
    assert response.status_code == 202, response.text
    assert response.headers["GS1-EPCIS-Capture-Limit"] == str(MAX_CAPTURE_EVENTS)
    location = response.headers["location"]
    status = net.factory.get(location).json()
    assert (status["success"], status["events"], status["codes"], status["errors"]) == (True, 2, 8, [])
    before = counts(net)
    again = post(net.factory, body)  # the same bytes: the same capture
    assert again.status_code == 202 and again.headers["location"] == location and again.json()["repeatedDocument"]
    reordered = post(net.factory, document(*reversed(events)), media="application/json")  # the same events
    assert reordered.status_code == 202 and reordered.headers["location"] != location
    assert (reordered.json()["events"], reordered.json()["repeated"]) == (0, 2)
    assert counts(net) == before
    listed = net.factory.get("/api/v1/epcis/capture").json()
    assert {item["captureID"] for item in listed} >= {location.rsplit("/", 1)[1]}
    assert net.rival.get(location).status_code == 404
    assert location.rsplit("/", 1)[1] not in {item["captureID"] for item in net.rival.get("/api/v1/epcis/capture").json()}


def test_an_xml_document_is_captured(net: Net) -> None:
    codes = commission_and_ship(net, 3)
    places = net.chain.places
    epcs = "".join(f"<epc>{URN}{code}</epc>" for code in codes)
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" schemaVersion="1.2" creationDate="2026-11-02T12:00:00Z">
  <EPCISBody><EventList><ObjectEvent>
    <eventTime>2026-11-02T12:00:00+08:00</eventTime><eventTimeZoneOffset>+08:00</eventTimeZoneOffset>
    <epcList>{epcs}</epcList><action>OBSERVE</action>
    <bizStep>urn:epcglobal:cbv:bizstep:receiving</bizStep>
    <bizLocation><id>{sgln(places["depot"])}</id></bizLocation>
  </ObjectEvent></EventList></EPCISBody>
</epcis:EPCISDocument>""".encode()
    response = post(net.depot, body, media="application/xml")
    assert response.status_code == 202, response.text
    status = net.depot.get(response.headers["location"]).json()
    assert (status["source"], status["events"], status["party"]["kind"]) == ("xml", 1, "merchant")
    # EPCIS 2.0 XML: the distributor ships on to the shop (the destination no longer in an extension)
    version2 = f"""<?xml version="1.0" encoding="UTF-8"?>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0" creationDate="2026-11-02T13:00:00Z">
  <EPCISBody><EventList><ObjectEvent>
    <eventTime>2026-11-02T13:00:00+08:00</eventTime><eventTimeZoneOffset>+08:00</eventTimeZoneOffset>
    <epcList>{epcs}</epcList><action>OBSERVE</action>
    <bizStep>https://ref.gs1.org/cbv/BizStep-shipping</bizStep>
    <bizLocation><id>{sgln(places["depot"])}</id></bizLocation>
    <destinationList><destination type="https://ref.gs1.org/cbv/SDT-owning_party">{sgln(places["shop"])}</destination>
    </destinationList>
  </ObjectEvent></EventList></EPCISBody>
</epcis:EPCISDocument>""".encode()
    shipped = post(net.depot, version2, media="text/xml")
    assert shipped.status_code == 202, shipped.text
    sent = _event_list(net.shop.get(f"/api/v1/epcis/events?EQ_bizStep=shipping&MATCH_epc={URN}{codes[0]}"))
    assert [event["destinationList"][0]["destination"] for event in sent] == [sgln(places["shop"])]


def test_a_refused_document_lists_errors_by_event_and_stores_nothing(net: Net) -> None:
    _batch, codes = issue_codes(net.sessions, net.chain, 2)
    places = net.chain.places
    before = counts(net)
    response = post(net.rival, document(
        object_event("shipping", [], where=None),
        object_event("shipping", codes, where=places["warehouse"], to=places["depot"])))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "epcis_refused" and "nothing was stored" in error["message"]
    assert {item["index"] for item in error["details"]["errors"]} == {1}
    assert all(item["message_zh"] for item in error["details"]["errors"])
    status = net.rival.get(response.headers["location"]).json()
    assert (status["success"], status["status"], status["events"]) == (False, "refused", 0)
    assert status["errors"] == error["details"]["errors"]
    assert counts(net) == before
    malformed = post(net.factory, b'{"type": "EPCISDocument", ')
    assert malformed.status_code == 400 and malformed.json()["error"]["details"]["errors"][0]["index"] is None
    entity = post(net.factory, b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
                  media="application/xml")
    assert entity.status_code == 400
    assert post(net.factory, b"hello", media="application/pdf").status_code == 400
    assert counts(net) == before


def test_csv_events_are_captured_and_their_errors_given_by_row(net: Net) -> None:
    codes = commission_and_ship(net, 3)
    depot = net.chain.places["depot"]
    good = ("eventTime,action,bizStep,bizLocation,epcList\r\n"
            f"2026-11-02 12:00,OBSERVE,receiving,{depot},{' '.join(codes)}\r\n").encode()
    response = post(net.depot, good, media="text/csv")
    assert response.status_code == 202, response.text
    assert net.depot.get(response.headers["location"]).json()["source"] == "csv"
    before = counts(net)
    bad = ("eventTime,action,bizStep,bizLocation,epcList\r\n"
           f"2026-11-02 13:00,OBSERVE,shipping,{depot},{codes[0]}\r\n"
           ",,,,\r\n"
           f"2026-11-02 14:00,OBSERVE,selling,{depot},{codes[1]}\r\n"
           f"2026-11-02 15:00,OBSERVE,receiving,{gln()},{codes[2]}\r\n").encode("gb18030")
    refused = post(net.depot, bad, media="text/csv; charset=gb18030")
    assert refused.status_code == 400
    errors = refused.json()["error"]["details"]["errors"]
    assert [error["message"].split(":")[0] for error in errors] == ["Row 4"], errors
    assert errors[0]["message_zh"].startswith("第 4 行")
    # with the bizStep fixed, the rules speak: the unregistered place, row 5 (event index 2)
    fixed = bad.replace(b"selling", b"shipping")
    errors = post(net.depot, fixed, media="text/csv").json()["error"]["details"]["errors"]
    assert {(error["index"], error["message"].split(":")[0]) for error in errors} == {(2, "Row 5")}, errors
    assert counts(net) == before


def test_a_document_over_the_size_limit_is_413_and_the_limits_are_advertised(net: Net, live: LiveServer) -> None:
    options = live.client().options("/api/v1/epcis/capture")
    assert options.status_code == 204
    assert options.headers["GS1-EPCIS-Capture-File-Size-Limit"] == str(MAX_CAPTURE_BYTES)
    assert options.headers["GS1-EPCIS-Capture-Limit"] == str(MAX_CAPTURE_EVENTS)
    before = counts(net)
    response = post(net.factory, b" " * (MAX_CAPTURE_BYTES + 1))
    assert response.status_code == 413
    assert response.headers["GS1-EPCIS-Capture-File-Size-Limit"] == str(MAX_CAPTURE_BYTES)
    assert response.json()["error"]["code"] == "too_large"
    assert counts(net) == before


def _event_list(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/ld+json")
    body = response.json()
    assert body["type"] == "EPCISQueryDocument"
    events: list[dict[str, Any]] = body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return events


def test_queries_answer_in_scope_only(net: Net, live: LiveServer) -> None:
    codes = commission_and_ship(net, 5)
    shipped = f"MATCH_epc={URN}{codes[0]}"
    mine = _event_list(net.factory.get(f"/api/v1/epcis/events?{shipped}"))
    assert [event["bizStep"] for event in mine] == ["commissioning", "shipping"]
    assert mine[1]["epcList"] == [URN + code for code in codes]
    assert mine[1]["destinationList"][0]["type"] == "owning_party"
    assert _event_list(net.rival.get(f"/api/v1/epcis/events?{shipped}")) == []
    assert _event_list(net.depot.get(f"/api/v1/epcis/events?{shipped}&EQ_bizStep=shipping"))[0]["epcList"] == \
        [URN + code for code in codes]  # sent to it
    assert _event_list(net.shop.get(f"/api/v1/epcis/events?{shipped}")) == []
    assert _event_list(live.login("fuzhou.quality").get(f"/api/v1/epcis/events?{shipped}")) == []
    # a code's events, and one event by its hash
    own = _event_list(net.factory.get(f"/api/v1/epcis/epcs/{codes[0]}/events"))
    assert len(own) == 2
    assert net.rival.get(f"/api/v1/epcis/epcs/{codes[0]}/events").status_code == 404
    assert net.shop.get(f"/api/v1/epcis/epcs/{codes[0]}/events").status_code == 404
    with reading(net.sessions) as session:
        key = session.scalar(select(Event.event_key).where(Event.biz_step == "shipping").order_by(Event.id.desc()))
    one = net.factory.get(f"/api/v1/epcis/events/{quote(key, safe='')}")
    assert one.status_code == 200 and one.json()["bizStep"] == "shipping"
    assert net.rival.get(f"/api/v1/epcis/events/{quote(key, safe='')}").status_code == 404
    assert net.factory.get("/api/v1/epcis/events?EQ_action=JUMP").status_code == 400
    assert net.factory.get("/api/v1/epcis/events?GE_eventTime=yesterday").status_code == 400


def test_an_event_of_no_codes_is_seen_by_the_enterprise_that_captured_it(net: Net) -> None:
    """An event of a class and a quantity names no code to scope it by: its enterprise sees it
    (and the regulators of its county), another enterprise or a shop does not."""
    event_id = f"urn:uuid:{uuid.uuid4()}"
    counted = {"type": "ObjectEvent", "eventID": event_id, "eventTime": "2026-11-02T10:00:00+08:00",
               "eventTimeZoneOffset": "+08:00", "action": "OBSERVE", "bizStep": "shipping", "epcList": [],
               "bizLocation": {"id": sgln(net.chain.places["warehouse"])},
               "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": 200,
                                 "uom": "KGM"}]}
    response = post(net.factory, document(counted))
    assert response.status_code == 202, response.text
    assert net.factory.get(response.headers["location"]).json()["codes"] == 0
    one = net.factory.get(f"/api/v1/epcis/events/{quote(event_id, safe='')}")
    assert one.status_code == 200, one.text
    assert one.json()["quantityList"] == [{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877",
                                           "quantity": 200, "uom": "KGM"}]
    for other in (net.rival, net.shop):
        assert other.get(f"/api/v1/epcis/events/{quote(event_id, safe='')}").status_code == 404


def test_pages_follow_next_page_tokens(net: Net) -> None:
    commission_and_ship(net, 2)
    commission_and_ship(net, 2)
    everything = _event_list(net.factory.get("/api/v1/epcis/events?perPage=500&EQ_bizStep=shipping|commissioning"))
    assert len(everything) >= 4
    seen: list[dict[str, Any]] = []
    url: str | None = "/api/v1/epcis/events?perPage=3&EQ_bizStep=shipping|commissioning"
    while url:
        response = net.factory.get(url)
        seen += _event_list(response)
        link = response.headers.get("link")
        url = link.split(">", 1)[0].lstrip("<") if link else None
        if url:
            assert 'rel="next"' in link and "nextPageToken=" in url
    assert seen == everything
    first = net.factory.get("/api/v1/epcis/events?perPage=1")
    token = first.headers["link"].split("nextPageToken=", 1)[1].split(">", 1)[0]
    assert net.factory.get(f"/api/v1/epcis/events?perPage=1&nextPageToken={token}").status_code == 200
    assert net.factory.get(f"/api/v1/epcis/events?perPage=1&EQ_action=ADD&nextPageToken={token}").status_code == 400
    assert net.rival.get(f"/api/v1/epcis/events?perPage=1&nextPageToken={token}").status_code == 400
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert net.factory.get(f"/api/v1/epcis/events?nextPageToken={forged}").status_code == 400


def test_places_are_registered_and_listed_by_their_party(net: Net, live: LiveServer) -> None:
    number = gln()
    created = net.depot.post("/api/v1/places", json={"gln": number, "name": "二号仓", "region_code": "440106"})
    assert created.status_code == 201, created.text
    assert number in {place["gln"] for place in net.depot.get("/api/v1/places").json()}
    assert number not in {place["gln"] for place in net.shop.get("/api/v1/places").json()}
    assert net.shop.post("/api/v1/places", json={"gln": number, "name": "抢注", "region_code": "440305"}).status_code == 409
    bad = net.depot.post("/api/v1/places", json={"gln": number[:-1] + str((int(number[-1]) + 1) % 10),
                                                 "name": "错号", "region_code": "440106"})
    assert bad.status_code == 400 and bad.json()["error"]["message_zh"]


def test_the_context_is_served_locally(live: LiveServer) -> None:
    response = live.client().get("/api/v1/epcis/context")
    assert response.status_code == 200 and "@context" in response.json()


def test_values_longer_than_an_event_keeps_are_refused_by_index(net: Net) -> None:
    _batch, codes = issue_codes(net.sessions, net.chain, 1)
    where = net.chain.places["warehouse"]
    before = counts(net)
    response = post(net.factory, document(
        object_event("shipping", codes, where=where, to=net.chain.places["depot"]),
        object_event("shipping", codes, hour=10, where=where, eventID="urn:uuid:" + "a" * 300,
                     disposition="https://example.com/disp/" + "x" * 300)))
    assert response.status_code == 400, response.text
    errors = response.json()["error"]["details"]["errors"]
    assert {(error["index"], error["message"].split(" ")[0]) for error in errors} == {(1, "eventID"), (1, "disposition")}
    assert counts(net) == before


def rival_codes(net: Net) -> tuple[str, list[str]]:
    """A place of the other enterprise (a GLN), and two activated codes of a product of its own."""
    chain = net.chain
    rival = chain.principal("other")
    with transaction(net.sessions) as session:
        product = make_product(session, chain.other_enterprise)
        region = session.get(Enterprise, chain.other_enterprise).region_code
        place = register_location(session, actor=ACTOR, principal=OPERATOR, gln=gln(), name="对手仓库",
                                  region_code=region, party=PartyRef(PartyKind.ENTERPRISE, chain.other_enterprise)).gln
        made = issuing.request_codes(session, actor=ACTOR, principal=rival, product_id=product.id, quantity=2,
                                     packaging_level="item", printer_id=None)
        activations.activate(session, actor=ACTOR, principal=rival, batch_id=made.batch.id, data=LOT)
        batch_id = made.batch.id
    with reading(net.sessions) as session:
        return place, lookup.batch_codes(session, principal=OPERATOR, batch_id=batch_id, offset=0, limit=2)


def test_a_manufacturer_sees_only_its_own_codes_in_an_event_naming_others(net: Net) -> None:
    chain = net.chain
    ours = commission_and_ship(net, 2)
    place, theirs = rival_codes(net)
    shipped = post(net.rival, document(object_event("shipping", theirs, where=place, to=chain.places["depot"])))
    assert shipped.status_code == 202, shipped.text
    received = post(net.depot, document(object_event("receiving", ours + theirs, hour=12, where=chain.places["depot"])))
    assert received.status_code == 202, received.text
    query = "/api/v1/epcis/events?EQ_bizStep=receiving&MATCH_epc="
    assert _event_list(net.factory.get(query + URN + ours[0]))[0]["epcList"] == [URN + code for code in ours]
    assert _event_list(net.rival.get(query + URN + theirs[0]))[0]["epcList"] == [URN + code for code in theirs]
    assert _event_list(net.rival.get(query + URN + ours[0])) == []
    assert sorted(_event_list(net.depot.get(query + URN + ours[0]))[0]["epcList"]) == \
        sorted(URN + code for code in ours + theirs)


def test_a_pallet_of_another_scheme_is_found_by_its_parent_id_in_scope_only(net: Net) -> None:
    """A parentID that is no code of the network (a GRAI crate) is found by MATCH_parentID as an
    EPC URI or a Digital Link, in the events the caller sees and no others: two enterprises'
    events on one crate each stay their own."""
    chain = net.chain
    ours = commission_and_ship(net, 2)
    place, theirs = rival_codes(net)
    serial = secrets.token_hex(4)
    crate = f"urn:epc:id:grai:0614141.00074.{serial}"
    crate_link = f"https://id.gs1.org/8003/00614141000746{serial}"

    def crated(step: str, codes: list[str], where: str, parent: str, **extra: Any) -> dict[str, Any]:
        return {"type": "AggregationEvent", "eventTime": "2026-11-02T12:00:00+08:00", "eventTimeZoneOffset": "+08:00",
                "parentID": parent, "childEPCs": [URN + code for code in codes], "action": "OBSERVE",
                "bizStep": step, "bizLocation": {"id": sgln(where)}, **extra}

    received = post(net.depot, document(crated("receiving", ours, chain.places["depot"], crate)))
    assert received.status_code == 202, received.text
    shipped = post(net.rival, document(crated("shipping", theirs, place, crate_link, destinationList=[
        {"type": "owning_party", "destination": sgln(chain.places["far_shop"])}])))
    assert shipped.status_code == 202, shipped.text

    def steps(client: httpx.Client, parent: str) -> list[tuple[str, str, list[str]]]:
        found = _event_list(client.get("/api/v1/epcis/events", params={"MATCH_parentID": parent}))
        return [(event["bizStep"], event["parentID"], event["childEPCs"]) for event in found]

    for parent in (crate, crate_link, f"https://example.com/grai/00614141000746{serial}?s=1"):
        assert steps(net.factory, parent) == [("receiving", crate, [URN + code for code in ours])]
        assert steps(net.depot, parent) == [("receiving", crate, [URN + code for code in ours])]
        assert steps(net.rival, parent) == [("shipping", crate_link, [URN + code for code in theirs])]
        assert steps(net.shop, parent) == []
    other_crate = f"urn:epc:id:grai:0614141.00074.{secrets.token_hex(4)}"
    assert steps(net.factory, other_crate) == []
    assert steps(net.factory, f"{other_crate}|{URN}{ours[0]}") == []  # a code, but no container
    assert [step for step, _parent, _codes in steps(net.depot, f"{other_crate}|{crate_link}")] == ["receiving"]


def test_the_same_document_sent_at_once_from_eight_clients_is_stored_once(net: Net, live: LiveServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    _batch, codes = issue_codes(net.sessions, net.chain, 3)
    places = net.chain.places
    body = document(object_event("shipping", codes, where=places["warehouse"], to=places["depot"]))
    before = counts(net)
    key = net.factory.headers["authorization"]

    def send(_: int) -> int:
        with live.client(headers={"Authorization": key}) as client:
            return post(client, body).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(send, range(8)))
    assert set(statuses) <= {202, 409} and 202 in statuses, statuses
    assert counts(net) == (before[0] + 1, before[1] + 1)
    assert post(net.factory, body).status_code == 202  # and asked again, answered with its capture
    assert counts(net) == (before[0] + 1, before[1] + 1)


def test_the_upload_page_takes_a_csv_file_and_shows_errors_by_row(net: Net, live: LiveServer) -> None:
    codes = commission_and_ship(net, 2)
    depot = net.chain.places["depot"]
    page = net.depot.get("/epcis/upload")
    assert page.status_code == 200 and "eventTime" in page.text and "上报流向事件" in page.text
    before = counts(net)
    bad = f"eventTime,action,bizStep,bizLocation,epcList\n2026-11-02 12:00,OBSERVE,jumping,{depot},{codes[0]}\n"
    refused = net.depot.post("/epcis/upload", files={"file": ("到货.csv", bad.encode("gb18030"), "text/csv")})
    assert refused.status_code == 400 and "第 2 行" in refused.text
    assert counts(net) == before
    good = f"eventTime,action,bizStep,bizLocation,epcList\n2026-11-02 12:00,OBSERVE,receiving,{depot},{' '.join(codes)}\n"
    taken = net.depot.post("/epcis/upload", files={"text": (None, good)})  # pasted: a field, not a file
    assert taken.status_code == 303, taken.text[:300]
    done = net.depot.get(taken.headers["location"])
    assert done.status_code == 200 and "已接收" in done.text
    assert counts(net)[0] == before[0] + 1
    assert net.shop.get(taken.headers["location"]).status_code == 404
    empty = net.depot.post("/epcis/upload", files={"text": (None, " ")})
    assert empty.status_code == 400 and "请选择 CSV 文件" in empty.text
    assert "Upload supply-chain events" in net.depot.get("/epcis/upload?lang=en").text
    net.depot.get("/epcis/upload?lang=zh")
