"""Early warning and spot checks on a live server, on both databases: a failed spot check raises an
alert the regulators in scope and the manufacturer see (404 to everyone else) and links the recall
form; the alert is acknowledged, made a case, and refuses a step it cannot reach (409); a code
queried from three places raises one cloned-code alert from the query log's writer, however often
it is queried again; the operator's thresholds refuse nonsense in both languages."""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Any

from sqlalchemy import select

from jianguan.codes.codec import encode_serial
from jianguan.codes.keyring import KeyService
from jianguan.codes.models import CodeBatch
from jianguan.config import Settings
from jianguan.enterprises.models import Enterprise
from jianguan.storage import make_engine, reading, session_factory
from tests.functional.channel_helpers import hangzhou_number, post_sms, rows
from tests.functional.test_recalls import ZHENWEI, product_of
from tests.live import LiveServer


def check_body(product: int, **changes: Any) -> dict[str, Any]:
    return {"product_id": product, "lot": "ZW-2026-1015", "region_code": "130102", "place": "长安区万象城超市",
            "sampled_on": "2026-11-20", "items": "总酸、菌落总数", "passed": False,
            "report_number": f"T-{uuid.uuid4().hex[:12]}", **changes}


def test_a_failed_spot_check_raises_an_alert_seen_in_scope_and_handled_once(live: LiveServer) -> None:
    product = product_of(live, ZHENWEI)
    sjz = live.login("sjz.quality")
    body = check_body(product)
    made = sjz.post("/api/v1/spot-checks", json=body)
    assert made.status_code == 201, made.text
    check, alert = made.json(), made.json()["alert"]
    assert check["recall_form"] == f"/recalls?product_id={product}&lots=ZW-2026-1015"
    assert alert["rule"] == "spot_check_failed" and alert["region_code"] == "130102"
    assert alert["details"]["report_number"] == body["report_number"] and alert["status"] == "open"
    for who in ("zhenwei", "hebei.quality", "operator"):
        client = live.login(who)
        assert client.get(f"/api/v1/alerts/{alert['id']}").status_code == 200, who
        assert client.get(f"/api/v1/spot-checks/{check['id']}").status_code == 200, who
    assert body["report_number"] in live.login("zhenwei").get("/api/v1/alerts").text
    for who in ("fengsui", "luancheng.quality", "hebei.agri", "fuzhou.quality"):
        client = live.login(who)
        assert client.get(f"/api/v1/alerts/{alert['id']}").status_code == 404, who
        assert client.get(f"/api/v1/spot-checks/{check['id']}").status_code == 404, who
        assert body["report_number"] not in client.get("/api/v1/alerts").text, who
    # A regulator outside the region cannot act on it, nor record a check there.
    assert live.login("luancheng.quality").post(f"/api/v1/alerts/{alert['id']}/acknowledge").status_code == 404
    assert live.login("luancheng.quality").post("/api/v1/spot-checks", json=check_body(product)).status_code == 404
    assert live.login("zhenwei").post(f"/api/v1/alerts/{alert['id']}/acknowledge").status_code == 403
    # The page offers the recall form, filled in.
    page = sjz.get(f"/manage/alerts/{alert['id']}")
    assert page.status_code == 200 and f"/recalls?product_id={product}&amp;lots=ZW-2026-1015" in page.text
    form = sjz.get(f"/recalls?product_id={product}&lots=ZW-2026-1015")
    assert form.status_code == 200 and "ZW-2026-1015</textarea>" in form.text

    url = f"/api/v1/alerts/{alert['id']}"
    assert sjz.post(f"{url}/acknowledge").json()["status"] == "acknowledged"
    again = sjz.post(f"{url}/acknowledge")
    assert again.status_code == 409 and again.json()["error"]["message_zh"]
    assert sjz.post(f"{url}/dismiss", json={"reason": ""}).status_code == 400
    cased = sjz.post(f"{url}/case")
    assert cased.status_code == 201 and cased.json()["status"] == "case_opened" and cased.json()["case_id"]
    assert sjz.post(f"{url}/dismiss", json={"reason": "误报"}).status_code == 409
    case = sjz.get(f"/api/v1/cases/{cased.json()['case_id']}")
    assert case.status_code == 200 and case.json()["region_code"] == "130102"
    actions = [row.action for row in rows(live, "SELECT action FROM audit_records WHERE target_type = 'alert' "
                                                "AND target_id = :id ORDER BY id", id=str(alert["id"]))]
    assert actions == ["alert:alert:raised", "alert:alert:acknowledged", "alert:case:opened"]


def test_bad_spot_checks_are_refused_and_change_nothing(live: LiveServer) -> None:
    product = product_of(live, ZHENWEI)
    sjz = live.login("sjz.quality")
    before = rows(live, "SELECT count(*) AS n FROM spot_checks")[0].n
    taken = check_body(product, passed=True)
    assert sjz.post("/api/v1/spot-checks", json=taken).status_code == 201
    for changes in ({"sampled_on": "2999-01-01"}, {"region_code": "999999"}, {"lot": ""},
                    {"report_number": taken["report_number"]}, {"passed": "no"}, {"agency": "nobody"}):
        refused = sjz.post("/api/v1/spot-checks", json=check_body(product, **changes))
        assert refused.status_code in (400, 409), (changes, refused.text)
        if refused.status_code == 409 or "error" in refused.json():
            assert refused.json()["error"]["message_zh"], changes
    assert rows(live, "SELECT count(*) AS n FROM spot_checks")[0].n == before + 1


def test_the_operator_edits_thresholds_and_nonsense_is_refused(live: LiveServer) -> None:
    operator = live.login("operator")
    listed = operator.get("/api/v1/alert-rules").json()["rules"]
    assert {rule["rule"] for rule in listed} >= {"cloned_code", "unknown_cluster", "enumeration", "diversion",
                                                 "complaint_cluster", "spot_check_failed", "recall_opened"}
    refused = operator.put("/api/v1/alert-rules/cloned_code", json={"threshold": 1})
    assert refused.status_code == 400 and "阈值" in refused.json()["error"]["message_zh"]
    assert operator.put("/api/v1/alert-rules/nothing", json={"threshold": 3}).status_code == 400
    assert operator.put("/api/v1/alert-rules/recall_opened", json={"window_minutes": 5}).status_code == 400
    assert live.login("sjz.quality").put("/api/v1/alert-rules/cloned_code", json={"threshold": 4}).status_code == 403
    after = {rule["rule"]: rule for rule in operator.get("/api/v1/alert-rules").json()["rules"]}
    assert after["cloned_code"]["threshold"] == 3
    page = operator.post("/manage/alert-rules/unknown_cluster", data={"threshold": "0", "window_minutes": "60",
                                                                     "enabled": "on"})
    assert page.status_code == 400 and "阈值" in page.text


def unqueried_zhenwei_code(live: LiveServer) -> str:
    """A bottle of 珍味 vinegar (activated) nobody has queried yet."""
    engine = make_engine(live.database_url)
    with reading(session_factory(engine)) as session:
        batch = session.scalars(select(CodeBatch).join(Enterprise, Enterprise.id == CodeBatch.enterprise_id)
                                .where(Enterprise.name == ZHENWEI).order_by(CodeBatch.id)).first()
        assert batch is not None
        keyring = KeyService(Settings(database_url=live.database_url).master_key_bytes()).keyring(session)
        generation, start, quantity = batch.generation, batch.serial_start, batch.quantity
    engine.dispose()
    for _ in range(50):  # offsets 100-199 are this helper's: other tests take fixed ones at 200 and after
        serial = start + 100 + secrets.randbelow(min(quantity, 200) - 100)
        if not rows(live, "SELECT 1 FROM code_query_states WHERE generation = :g AND serial = :s", g=generation,
                    s=serial):
            return encode_serial(keyring[generation], serial)
    raise AssertionError("no unqueried code left")


def test_a_code_queried_in_three_places_raises_one_cloned_code_alert(live: LiveServer) -> None:
    code = unqueried_zhenwei_code(live)
    client, terminal = live.client(), live.key_client(live.seed.apikeys["terminal"][0])
    assert post_sms(client, "13803115555", f"查询{code}").status_code == 200  # 石家庄
    assert post_sms(client, hangzhou_number(), f"查询{code}").status_code == 200  # 杭州
    assert terminal.get(f"/api/v1/terminal/verify/{code}").status_code == 200  # 栾城区's shop
    operator = live.login("operator")
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not found:
        found = [alert for alert in operator.get("/api/v1/alerts").json()["alerts"]
                 if alert["rule"] == "cloned_code" and alert["subject"] == code]
        time.sleep(0.2)
    assert len(found) == 1, "the query log's writer raised no cloned-code alert"
    alert = found[0]
    assert alert["details"]["counties"] == 3 and "130111" in alert["details"]["regions"]
    assert alert["details"]["lot"] == "ZW-2026-1015" and alert["severity"] == "critical"
    assert live.login("zhenwei").get(f"/api/v1/alerts/{alert['id']}").status_code == 200
    assert live.login("fengsui").get(f"/api/v1/alerts/{alert['id']}").status_code == 404
    for _ in range(3):  # queried again: the same window's alert is not raised again
        terminal.get(f"/api/v1/terminal/verify/{code}")
    time.sleep(1)
    evaluated = operator.get("/api/v1/alerts").json()["alerts"]
    assert len([a for a in evaluated if a["rule"] == "cloned_code" and a["subject"] == code]) == 1
