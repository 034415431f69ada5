"""Query terminals on the live server: registering with a key, heartbeats, scoped lists, verifying
at a terminal (logged in the terminal's county), and retiring."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from jianguan.audit.models import AuditRecord
from jianguan.merchants.models import Merchant
from jianguan.storage import make_engine, reading, session_factory, transaction
from jianguan.terminals.models import Terminal
from jianguan.verify.models import Query
from tests.live import LiveServer


@pytest.fixture(scope="module")
def db(live: LiveServer) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(live.database_url)
    yield session_factory(engine)
    engine.dispose()


def merchant_id(db: sessionmaker[Session], name: str) -> int:
    with reading(db) as session:
        found = session.scalar(select(Merchant.id).where(Merchant.name == name))
    assert found is not None, name
    return found


def register(live: LiveServer, shop: int, **extra: Any) -> dict[str, Any]:
    """Register a terminal as the operator; the answer carries its key."""
    operator = live.login("operator")
    body = {"merchant_id": shop, "name": f"收银台 {uuid.uuid4().hex[:6]}", "contact_name": "维护员 小李",
            "contact_phone": "0311-85012345", **extra}
    response = operator.post("/api/v1/terminals", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def listed(client: Any) -> dict[int, dict[str, Any]]:
    response = client.get("/api/v1/terminals")
    assert response.status_code == 200, response.text
    return {row["id"]: row for row in response.json()["terminals"]}


def logged_queries(db: sessionmaker[Session], terminal_id: int, expected: int) -> list[Query]:
    """The terminal's query log rows, waiting for the batched writer to flush them."""
    deadline = time.monotonic() + 10
    while True:
        with reading(db) as session:
            rows = list(session.scalars(select(Query).where(Query.terminal_id == terminal_id).order_by(Query.id)))
        if len(rows) >= expected or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def test_register_heartbeat_online_offline_and_verify_in_the_terminals_county(
        live: LiveServer, db: sessionmaker[Session]) -> None:
    shop = merchant_id(db, "栾城农资服务站")
    terminal = register(live, shop)
    assert terminal["key"].startswith("jg_") and terminal["region_code"] == "130111"
    with reading(db) as session:
        actions = list(session.scalars(select(AuditRecord.action).where(
            AuditRecord.target_id == str(terminal["id"]), AuditRecord.target_type == "terminal")))
    assert actions == ["terminal:terminal:registered"]

    operator = live.login("operator")
    assert listed(operator)[terminal["id"]]["online"] is False  # never heard from

    key = live.key_client(terminal["key"])
    beat = key.post("/api/v1/terminal/heartbeat", json={"version": "kiosk-web/test"})
    assert beat.status_code == 200, beat.text
    assert beat.json()["merchant_name"] == "栾城农资服务站"
    row = listed(operator)[terminal["id"]]
    assert row["online"] is True and row["software_version"] == "kiosk-web/test"

    # Silent for longer than the setting (180 s by default): offline, in the API and on the page.
    with transaction(db) as session:
        session.execute(update(Terminal).where(Terminal.id == terminal["id"]).values(
            last_heartbeat_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=181)))
    assert listed(operator)[terminal["id"]]["online"] is False
    page = operator.get("/manage/terminals")
    assert page.status_code == 200
    row_html = page.text.split(f'data-terminal="{terminal["id"]}"', 1)[1].split("</tr>", 1)[0]
    assert "badge bad offline" in row_html

    code = live.seed.samples["activated"][0]
    answer = key.get(f"/api/v1/terminal/verify/{code}")
    assert answer.status_code == 200, answer.text
    assert answer.json()["verdict"] in ("genuine", "queried_before") and answer.json()["alarm"] is False
    typo = key.get("/api/v1/terminal/verify/" + code[:-1] + str((int(code[-1]) + 1) % 10))
    assert typo.status_code == 200 and typo.json()["verdict"] == "malformed"  # a typo: check digit

    rows = logged_queries(db, terminal["id"], 2)
    assert [(r.channel, r.region_code, r.terminal_id) for r in rows] == [("terminal", "130111", terminal["id"])] * 2
    assert rows[0].source_hash is not None


def test_a_scanned_link_is_parsed_by_the_server(live: LiveServer, db: sessionmaker[Session]) -> None:
    terminal = register(live, merchant_id(db, "栾城农资服务站"))
    key = live.key_client(terminal["key"])
    code = live.seed.samples["activated"][0]
    from urllib.parse import quote

    answer = key.get("/api/v1/terminal/verify/" + quote(f"https://jianguan.example/v/{code}", safe=""))
    assert answer.status_code == 200 and answer.json()["code"] == code


def test_a_merchant_sees_its_own_terminals_and_another_countys_regulator_none(
        live: LiveServer, db: sessionmaker[Session]) -> None:
    own = register(live, merchant_id(db, "栾城农资服务站"))
    other = register(live, merchant_id(db, "北国超市 石家庄中山店"))
    assert other["region_code"] == "130104"

    shop = listed(live.login("luancheng.shop"))
    assert own["id"] in shop and other["id"] not in shop
    assert {row["merchant_name"] for row in shop.values()} == {"栾城农资服务站"}
    page = live.login("luancheng.shop").get("/manage/terminals").text
    assert own["name"] in page and other["name"] not in page and 'action="/manage/terminals"' not in page

    county = listed(live.login("luancheng.quality"))
    assert own["id"] in county and other["id"] not in county
    city = listed(live.login("sjz.quality"))
    assert own["id"] in city and other["id"] in city
    assert listed(live.login("fuzhou.quality")) == {}  # another province's regulator: none of them
    assert live.login("fengsui").get("/api/v1/terminals").status_code == 403


def test_a_retired_terminals_key_is_refused(live: LiveServer, db: sessionmaker[Session]) -> None:
    terminal = register(live, merchant_id(db, "栾城农资服务站"))
    key = live.key_client(terminal["key"])
    assert key.post("/api/v1/terminal/heartbeat", json={}).status_code == 200
    retired = live.login("operator").post(f"/api/v1/terminals/{terminal['id']}/retire")
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    assert key.post("/api/v1/terminal/heartbeat", json={}).status_code == 401
    refused = key.get(f"/api/v1/terminal/verify/{live.seed.samples['activated'][0]}")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "not_authenticated"
    assert listed(live.login("operator"))[terminal["id"]]["online"] is False


def test_a_terminal_key_without_a_registry_row_gets_403(live: LiveServer, db: sessionmaker[Session]) -> None:
    shop = merchant_id(db, "栾城农资服务站")
    issued = live.login("operator").post("/api/v1/apikeys", json={"name": "未登记终端", "role": "terminal",
                                                                   "merchant_id": shop})
    assert issued.status_code == 201, issued.text
    key = live.key_client(issued.json()["key"])
    for response in (key.post("/api/v1/terminal/heartbeat", json={}),
                     key.get(f"/api/v1/terminal/verify/{live.seed.samples['activated'][0]}")):
        assert response.status_code == 403
        error = response.json()["error"]
        assert "registered query terminal" in error["message"] and "查询终端" in error["message_zh"]


def test_registration_is_validated(live: LiveServer, db: sessionmaker[Session]) -> None:
    operator = live.login("operator")
    shop = merchant_id(db, "栾城农资服务站")
    bad_phone = operator.post("/api/v1/terminals", json={"merchant_id": shop, "name": "x", "contact_name": "y",
                                                         "contact_phone": "call me"})
    assert bad_phone.status_code == 400 and bad_phone.json()["error"]["code"] == "invalid_phone"
    missing = operator.post("/api/v1/terminals", json={"merchant_id": 999999, "name": "x", "contact_name": "y",
                                                       "contact_phone": "13800000000"})
    assert missing.status_code == 404
    coarse = operator.post("/api/v1/terminals", json={"merchant_id": shop, "name": "x", "contact_name": "y",
                                                      "contact_phone": "13800000000", "region_code": "130100"})
    assert coarse.status_code == 400


def test_the_operator_registers_on_the_page_and_sees_the_key_once(live: LiveServer, db: sessionmaker[Session]
                                                                  ) -> None:
    operator = live.login("operator")
    page = operator.post("/manage/terminals", data={
        "merchant_id": str(merchant_id(db, "栾城农资服务站")), "name": "页面登记终端", "contact_name": "小李",
        "contact_phone": "13800000000", "csrf_token": operator.cookies["jg_csrf"]})
    assert page.status_code == 201
    assert 'class="key-once"' in page.text and "jg_" in page.text.split('class="key-once"', 1)[1]
    again = operator.get("/manage/terminals").text
    assert "页面登记终端" in again and 'class="key-once"' not in again


def test_registered_codes_of_other_schemes_verify_at_a_terminal(live: LiveServer, db: sessionmaker[Session]) -> None:
    """A shop's scanner reads a registered GS1 code as its Digital Link or its element string, and a
    registered drug code as its 20 digits: the terminal is answered as every channel is."""
    from urllib.parse import quote

    terminal = register(live, merchant_id(db, "栾城农资服务站"))
    key = live.key_client(terminal["key"])
    link, drug = live.seed.samples["gs1"][0], live.seed.samples["drug"][0]
    gtin, serial = link.split("/01/", 1)[1].split("/21/")
    for scanned in (link, f"(01){gtin}(21){serial}"):
        answer = key.get("/api/v1/terminal/verify/" + quote(scanned, safe=""))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["scheme"]["name"] == "gs1" and body["scheme"]["registered"] and not body["scheme"]["issued"]
        assert body["verdict"] in ("genuine", "queried_before")
    body = key.get(f"/api/v1/terminal/verify/{drug}").json()
    assert body["scheme"]["name"] == "drug" and body["verdict"] in ("genuine", "queried_before")
    unknown = key.get("/api/v1/terminal/verify/" + quote(f"(01){gtin}(21)99", safe="")).json()
    assert unknown["verdict"] == "unknown"
    rows = logged_queries(db, terminal["id"], 4)
    assert len(rows) == 4 and {row.region_code for row in rows} == {rows[0].region_code} != {None}
