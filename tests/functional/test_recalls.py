"""Recalls, supervised destructions and diversion signals on a live server, on both databases:
every channel answers a recalled or destroyed code as such, a recall is seen only in scope (404
outside), it shows and ends in every worker process within two seconds, and bad input changes
nothing."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from jianguan.codes.codec import encode_serial
from jianguan.codes.keyring import KeyService
from jianguan.codes.models import Activation, CodeBatch
from jianguan.config import Settings
from jianguan.enterprises.models import Enterprise, Product
from jianguan.recalls.models import Destruction, Recall
from jianguan.storage import make_engine, reading, session_factory
from tests.conftest import DatabaseFactory
from tests.functional.channel_helpers import hangzhou_number, post_sms, rows
from tests.functional.test_ivr import fetch, spoken
from tests.live import LiveServer, demo_seed, start_server

LVDUN, HAIFENG, ZHENWEI = "宣化绿盾农药有限责任公司", "长乐海丰饲料有限公司", "石家庄珍味酿造集团有限公司"
LVDUN_GTIN = "06901234000023"
LOT = "HF261015"  # 海丰's feed lot, which the tests recall and end again (the demo's recall is 绿盾's)
VISIBLE_WITHIN = 2.0


def lot_codes(live: LiveServer, enterprise: str, lot: str, *offsets: int) -> list[str]:
    """Codes of ``enterprise``'s item batch activated with ``lot``, at ``offsets`` of its activation."""
    engine = make_engine(live.database_url)
    with reading(session_factory(engine)) as session:
        row = session.execute(
            select(CodeBatch.generation, Activation.serial_start).join(Activation, Activation.batch_id == CodeBatch.id)
            .join(Enterprise, Enterprise.id == CodeBatch.enterprise_id)
            .where(Enterprise.name == enterprise, Activation.lot == lot, CodeBatch.packaging_level == "item")
            .order_by(Activation.id)).first()
        assert row is not None
        keyring = KeyService(Settings(database_url=live.database_url).master_key_bytes()).keyring(session)
        codes = [encode_serial(keyring[row.generation], row.serial_start + offset) for offset in offsets]
    engine.dispose()
    return codes


def product_of(live: LiveServer, enterprise: str) -> int:
    engine = make_engine(live.database_url)
    with reading(session_factory(engine)) as session:
        found = session.scalar(select(func.min(Product.id)).join(Enterprise, Enterprise.id == Product.enterprise_id)
                               .where(Enterprise.name == enterprise))
    engine.dispose()
    assert found is not None
    return found


def count(live: LiveServer, model: Any) -> int:
    engine = make_engine(live.database_url)
    with reading(session_factory(engine)) as session:
        found = session.scalar(select(func.count()).select_from(model)) or 0
    engine.dispose()
    return found


def verdict(client: httpx.Client, code: str) -> str:
    response = client.get(f"/api/v1/verify/{code}")
    assert response.status_code == 200, response.text
    return str(response.json()["verdict"])


def recall_body(product: int, **changes: Any) -> dict[str, Any]:
    return {"product_ids": [product], "lots": [LOT], "level": "1", "reason": "饲料霉菌毒素超标",
            "instructions": "立即停止销售和饲喂，退回海丰饲料。", **changes}


# --- every channel ---------------------------------------------------------------------------

def test_the_demo_recall_is_answered_on_every_channel(live: LiveServer) -> None:
    code = live.seed.samples["recalled"][0]
    with live.client() as client:
        page = client.get(f"/v/{code}")
        assert page.status_code == 200 and "已被召回" in page.text and "LD-26-10-A" in page.text
        answer = client.get(f"/api/v1/verify/{code}").json()
        assert answer["verdict"] == "recalled" and answer["alarm"] is True
        assert "LD-26-10-A" in answer["details"]["recall_notice"] and "抽检" in answer["advice"]["zh"]
        link = client.get(f"/01/{LVDUN_GTIN}/21/{code}", headers={"Accept": "application/json"})
        assert link.status_code == 410 and link.json()["verdict"] == "recalled"
        sms = post_sms(client, hangzhou_number(), code).json()
        assert sms["verdict"] == "recalled" and "召回" in sms["reply"]
        ivr = fetch(client, f"/channels/ivr/verdict.vxml?digits={code}&caller={hangzhou_number()}")
        assert "召回" in spoken(ivr)
    with live.key_client(live.seed.apikeys["terminal"][0]) as terminal:
        scanned = terminal.get(f"/api/v1/terminal/verify/{code}").json()
    assert scanned["verdict"] == "recalled" and scanned["alarm"] is True


def test_a_destroyed_code_is_answered_destroyed_on_every_channel(live: LiveServer) -> None:
    code = live.seed.samples["destroyed"][0]
    with live.client() as client:
        assert "已登记销毁" in client.get(f"/v/{code}").text
        assert verdict(client, code) == "destroyed"
        assert post_sms(client, hangzhou_number(), code).json()["verdict"] == "destroyed"
        assert "销毁" in spoken(fetch(client, f"/channels/ivr/verdict.vxml?digits={code}&caller={hangzhou_number()}"))
    with live.key_client(live.seed.apikeys["terminal"][0]) as terminal:
        scanned = terminal.get(f"/api/v1/terminal/verify/{code}").json()
    assert scanned["verdict"] == "destroyed" and scanned["alarm"] is True


# --- opening, scope, progress, ending ----------------------------------------------------------

def test_a_manufacturer_opens_a_recall_its_holders_are_told_and_it_ends(live: LiveServer) -> None:
    haifeng = live.login("haifeng")
    enterprise = haifeng.get("/api/v1/me").json()["scope"]["enterprise"]["id"]
    mobile = "13911112222"
    assert haifeng.patch(f"/api/v1/enterprises/{enterprise}", json={"contact_phone": mobile}).status_code == 200
    [code] = lot_codes(live, HAIFENG, LOT, 150)
    with live.client() as client:
        assert verdict(client, code) in ("genuine", "queried_before")
        opened = haifeng.post("/api/v1/recalls", json=recall_body(product_of(live, HAIFENG)))
        assert opened.status_code == 201, opened.text
        recall = opened.json()
        try:
            assert recall["status"] == "open" and recall["codes"] == 200 and recall["level_label"]["zh"] == "一级召回"
            [party] = recall["parties"]
            assert party["name"] == HAIFENG and party["held"] == 200 and party["notified_by_sms"] is True
            [sms] = rows(live, "SELECT text FROM outbound_sms WHERE \"to\" = :to", to=mobile)
            assert "召回" in sms.text and "HF261015" in sms.text
            time.sleep(VISIBLE_WITHIN)
            answer = client.get(f"/api/v1/verify/{code}").json()
            assert answer["verdict"] == "recalled" and "霉菌毒素" in answer["details"]["recall_notice"]
            # Scope: the enterprise and the regulators over it; another enterprise or county: 404.
            for outsider in ("zhenwei", "sjz.quality", "luancheng.agri"):
                assert live.login(outsider).get(f"/api/v1/recalls/{recall['id']}").status_code == 404, outsider
                listed = live.login(outsider).get("/api/v1/recalls").json()["recalls"]
                assert recall["id"] not in [item["id"] for item in listed], outsider
                assert live.login(outsider).post(f"/api/v1/recalls/{recall['id']}/close", json={}).status_code in (
                    403, 404), outsider
            assert live.login("operator").get(f"/api/v1/recalls/{recall['id']}").status_code == 200
            page = haifeng.get(f"/recalls/{recall['id']}")
            assert page.status_code == 200 and "霉菌毒素" in page.text
        finally:
            closed = haifeng.post(f"/api/v1/recalls/{recall['id']}/close", json={"note": "已全部退回"})
        assert closed.status_code == 200 and closed.json()["status"] == "closed"
        again = haifeng.post(f"/api/v1/recalls/{recall['id']}/withdraw", json={})
        assert again.status_code == 409 and again.json()["error"]["code"] == "recall_ended"
        time.sleep(VISIBLE_WITHIN)
        assert verdict(client, code) == "queried_before"
    audit = rows(live, "SELECT action FROM audit_records WHERE target_type = 'recall' AND target_id = :id ORDER BY id",
                 id=str(recall["id"]))
    assert [row.action for row in audit] == ["recall:recall:opened", "recall:recall:closed"]


def test_a_regulator_out_of_scope_cannot_open_a_recall_and_bad_input_changes_nothing(live: LiveServer) -> None:
    product = product_of(live, HAIFENG)
    before = count(live, Recall)
    zhenwei, agri = live.login("zhenwei"), live.login("luancheng.agri")
    assert zhenwei.post("/api/v1/recalls", json=recall_body(product)).status_code == 404
    assert agri.post("/api/v1/recalls", json=recall_body(product)).status_code == 404
    haifeng = live.login("haifeng")
    for body, status, field in (
            (recall_body(product, reason="  "), 400, "reason"),
            (recall_body(product, lots=["NO-SUCH-LOT"]), 400, "lots"),
            (recall_body(product, level="4"), 400, "level"),
            (recall_body(product, product_ids=[]), 400, "product_ids"),
            (recall_body(product, extra="x"), 400, None),
            (recall_body(2**31 - 1), 404, None)):
        answer = haifeng.post("/api/v1/recalls", json=body)
        assert answer.status_code == status, (body, answer.text)
        error = answer.json()["error"]
        assert error["message"] and error["message_zh"]
        if field == "lots":
            assert error["code"] == "nothing_to_recall" and "批次" in error["message_zh"]
    assert count(live, Recall) == before
    assert haifeng.post("/recalls", data={"product_id": str(product), "lots": "", "level": "1", "reason": "",
                                          "instructions": "x"}).status_code == 400
    assert count(live, Recall) == before


def test_a_regulator_in_scope_opens_a_recall_and_only_a_regulator_ends_it(live: LiveServer) -> None:
    regulator, lvdun = live.login("hebei.agri"), live.login("lvdun")
    opened = regulator.post("/api/v1/recalls", json=recall_body(product_of(live, LVDUN), lots=["LD-26-10-A"],
                                                                level="2", reason="省级抽检不合格"))
    assert opened.status_code == 201, opened.text
    recall = opened.json()
    assert recall["opened_by"] == "user:hebei.agri" and recall["codes"] == 300
    held = {party["name"]: party["held"] for party in recall["parties"]}
    assert held["河北农资连锁有限公司"] > 0 and held["栾城农资服务站"] > 0  # the holders, from where the codes are
    assert lvdun.get(f"/api/v1/recalls/{recall['id']}").status_code == 200
    refused = lvdun.post(f"/api/v1/recalls/{recall['id']}/withdraw", json={})
    assert refused.status_code == 403 and "监管部门" in refused.json()["error"]["message_zh"]
    assert live.login("luancheng.shop").get(f"/api/v1/recalls/{recall['id']}").status_code == 200  # a holder
    assert live.login("luancheng.agri").get(f"/api/v1/recalls/{recall['id']}").status_code == 404
    withdrawn = regulator.post(f"/api/v1/recalls/{recall['id']}/withdraw", json={"note": "误发"})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"


def test_requests_ending_a_recall_at_once_end_it_once(live: LiveServer) -> None:
    haifeng = live.login("haifeng")
    opened = haifeng.post("/api/v1/recalls", json=recall_body(product_of(live, HAIFENG), lots=[LOT]))
    assert opened.status_code == 201, opened.text
    recall = opened.json()["id"]
    cookies = dict(haifeng.cookies)

    def end(index: int) -> int:
        with httpx.Client(base_url=live.base_url, cookies=cookies, headers=dict(haifeng.headers), timeout=30) as c:
            kind = "close" if index % 2 else "withdraw"
            return c.post(f"/api/v1/recalls/{recall}/{kind}", json={}).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(end, range(8)))
    assert statuses == [200] + [409] * 7, statuses
    audit = rows(live, "SELECT action FROM audit_records WHERE target_type = 'recall' AND target_id = :id",
                 id=str(recall))
    assert len(audit) == 2  # opened, and ended once


# --- destruction ---------------------------------------------------------------------------------

def test_a_distributor_destroys_recalled_goods_before_a_witness(live: LiveServer) -> None:
    recall = live.login("operator").get("/api/v1/recalls").json()["recalls"]
    demo = next(item for item in recall if "LD-26-10-A" in item["lots"] and item["opened_by"] == "system:demo seed")
    nongzi = live.login("nongzi")
    before = nongzi.get(f"/api/v1/recalls/{demo['id']}").json()
    held = lot_codes(live, LVDUN, "LD-26-10-A", 15, 16)
    elsewhere = lot_codes(live, LVDUN, "LD-26-10-A", 100)  # still at 绿盾
    body = {"codes": held, "reason": "recalled", "recall_id": demo["id"], "place": "河北农资连锁 长安仓 焚烧点",
            "performed_by": "仓储部 韩经理", "witness": "长安区市场监管局 王科员"}
    records = count(live, Destruction)
    refused = nongzi.post("/api/v1/destructions", json={**body, "codes": held + elsewhere})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "epcis_refused"
    assert nongzi.post("/api/v1/destructions", json={**body, "witness": ""}).status_code == 400
    assert nongzi.post("/api/v1/destructions", json={**body, "recall_id": None}).status_code == 400
    assert count(live, Destruction) == records
    made = nongzi.post("/api/v1/destructions", json=body)
    assert made.status_code == 201, made.text
    assert made.json()["codes"] == 2 and made.json()["witness"] == "长安区市场监管局 王科员"
    with live.client() as client:
        assert [verdict(client, code) for code in held] == ["destroyed", "destroyed"]
    after = nongzi.get(f"/api/v1/recalls/{demo['id']}").json()
    assert after["destroyed"] == before["destroyed"] + 2
    party = next(item for item in after["parties"] if item["name"] == "河北农资连锁有限公司")
    assert party["destroyed"] == 2 and party["returned"] == 5
    again = nongzi.post("/api/v1/destructions", json=body)
    assert again.status_code == 400 and "不能再流转" in again.text  # a destroyed code never moves again
    assert count(live, Destruction) == records + 1
    seen = live.login("hebei.agri").get("/api/v1/destructions").text
    assert "长安仓 焚烧点" in seen
    assert "长安仓 焚烧点" not in live.login("luancheng.shop").get("/api/v1/destructions").text
    assert "长安仓 焚烧点" not in live.login("zhenwei").get("/api/v1/destructions").text


# --- diversion ------------------------------------------------------------------------------------

def test_a_code_queried_outside_where_it_was_shipped_signals_its_manufacturer(live: LiveServer) -> None:
    """珍味's bottles received by 北国超市 (桥西区) and checked at the shop terminal in 栾城区."""
    engine = make_engine(live.database_url)
    with reading(session_factory(engine)) as session:
        zhenwei = session.scalar(select(Enterprise.id).where(Enterprise.name == ZHENWEI))
        batch = session.scalars(select(CodeBatch).where(CodeBatch.enterprise_id == zhenwei,
                                                        CodeBatch.packaging_level == "item").order_by(CodeBatch.id)).first()
        assert batch is not None
        keyring = KeyService(Settings(database_url=live.database_url).master_key_bytes()).keyring(session)
        code = encode_serial(keyring[batch.generation], batch.serial_start + 12 + 7)  # the demo's bottles[7]
    engine.dispose()
    signals = live.login("zhenwei")
    before = [item["id"] for item in signals.get("/api/v1/diversions?kind=queried").json()["diversions"]]
    with live.key_client(live.seed.apikeys["terminal"][0]) as terminal:
        scanned = terminal.get(f"/api/v1/terminal/verify/{code}")
    assert scanned.status_code == 200 and "divers" not in scanned.text and "串货" not in scanned.text
    with live.client() as client:
        consumer = client.get(f"/v/{code}")
        assert "串货" not in consumer.text and "divers" not in consumer.text.lower()
    deadline, new = time.monotonic() + 5, []
    while not new and time.monotonic() < deadline:
        found = signals.get("/api/v1/diversions?kind=queried").json()["diversions"]
        new = [item for item in found if item["id"] not in before and code in item["sample_codes"]]
        time.sleep(0.1)
    assert new, "no diversion signal"
    [signal] = new
    assert signal["expected"]["region_code"] == "130104" and signal["found"]["region_code"] == "130111"
    assert signal["expected"]["name"] == "北国超市 石家庄中山店"
    page = signals.get("/diversions")
    assert page.status_code == 200 and code in page.text
    assert code not in live.login("fengsui").get("/api/v1/diversions").text
    assert code not in live.login("luancheng.agri").get("/api/v1/diversions").text


# --- two worker processes -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def two_workers(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    url = databases.new_url()
    live = start_server(url, tmp_path_factory.mktemp("recall-workers"), demo_seed(url), JIANGUAN_WORKERS="2",
                        JIANGUAN_PUBLIC_RATE_LIMIT_PER_MINUTE="100000", JIANGUAN_ABUSE_SLOW_AFTER="100000",
                        JIANGUAN_ABUSE_BLOCK_AFTER="100000", JIANGUAN_REDIS_PREFIX=f"t{uuid.uuid4().hex[:8]}")
    yield live
    live.stop()


def _answers(live: LiveServer, code: str, times: int) -> list[str]:
    """What ``times`` consumers are told, each on a new connection (so both workers answer)."""
    with httpx.Client(base_url=live.base_url, timeout=30, limits=httpx.Limits(max_keepalive_connections=0)) as client:
        return [verdict(client, code) for _ in range(times)]


def test_a_recall_shows_and_ends_in_every_worker_within_two_seconds(two_workers: LiveServer) -> None:
    [code] = lot_codes(two_workers, HAIFENG, LOT, 42)
    assert "recalled" not in _answers(two_workers, code, 20)  # both workers have looked at the recalls now
    haifeng = two_workers.login("haifeng")
    opened = haifeng.post("/api/v1/recalls", json=recall_body(product_of(two_workers, HAIFENG)))
    assert opened.status_code == 201, opened.text
    committed = time.monotonic()
    first_seen = None
    while time.monotonic() - committed < VISIBLE_WITHIN:
        if first_seen is None and _answers(two_workers, code, 1) == ["recalled"]:
            first_seen = time.monotonic() - committed
        time.sleep(0.05)
    assert first_seen is not None and first_seen < VISIBLE_WITHIN
    assert set(_answers(two_workers, code, 30)) == {"recalled"}  # every worker, from two seconds on
    closed = haifeng.post(f"/api/v1/recalls/{opened.json()['id']}/close", json={})
    assert closed.status_code == 200
    time.sleep(VISIBLE_WITHIN)
    assert "recalled" not in _answers(two_workers, code, 30)
