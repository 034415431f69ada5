"""Receiving checks, sales, deliveries, stock and tracing through HTTP on a live demo network: bad
input is refused with a clear error in both languages and changes nothing; another party's record
is 404."""

from __future__ import annotations

from typing import Any

from tests.live import LiveServer


def _demo_receipt(client: Any) -> dict[str, Any]:
    listed = client.get("/api/v1/receipts").json()["receipts"]
    return next(r for r in listed if r["note"] == "一袋包装破损，拒收")


def test_a_shops_receiving_record_and_what_it_has(live: LiveServer) -> None:
    shop = live.login("luancheng.shop")
    receipt = _demo_receipt(shop)
    assert (receipt["merchant"], receipt["accepted"], receipt["refused"]) == ("栾城农资服务站", 4, 3)
    record = shop.get(f"/api/v1/receipts/{receipt['id']}").json()
    assert sorted((line["result"], line["accepted"]) for line in record["lines"]) == [
        ("not_shipped", False), ("not_shipped", False), ("ok", False), ("ok", True), ("ok", True), ("ok", True),
        ("ok", True)]
    assert all(line["enterprise"] == "石家庄丰穗复合肥有限公司" for line in record["lines"])
    for other in ("nongzi", "fuzhou.quality"):
        answer = live.login(other).get(f"/api/v1/receipts/{receipt['id']}")
        assert answer.status_code == 404 and "栾城" not in answer.text
    assert live.login("luancheng.agri").get(f"/api/v1/receipts/{receipt['id']}").status_code == 200
    deliveries = shop.get("/api/v1/deliveries").json()["deliveries"]
    assert any(d["sender"] == "河北农资连锁有限公司" for d in deliveries), "the bag it turned down is still on its way"
    stock = shop.get("/api/v1/stock").json()["stock"]
    assert any(row["product"] == "丰穗牌复合肥" and row["codes"] >= 40 for row in stock)


def test_bad_input_is_refused_in_both_languages_and_changes_nothing(live: LiveServer) -> None:
    shop = live.login("luancheng.shop")
    before = shop.get("/api/v1/receipts").json()["total"]
    genuine = live.seed.samples["genuine"][0]
    for body in ({"codes": [genuine, "1234 5678"]}, {"codes": []}, {"codes": [genuine], "extra": 1},
                 {"codes": [genuine], "note": "x" * 501}, {"codes": ["9" * 300]}):
        answer = shop.post("/api/v1/receipts", json=body)
        assert answer.status_code == 400, (body, answer.text)
        error = answer.json()["error"]
        assert error["message"] and error["message_zh"], error
    typo = genuine[:19] + str((int(genuine[19]) + 1) % 10)
    checked = shop.post("/api/v1/receipts/check", json={"codes": [genuine, typo]})
    assert checked.status_code == 400, checked.text
    error = checked.json()["error"]
    assert error["message_zh"].startswith(typo + "：校验位") and error["message"].startswith(typo + ": ")
    assert shop.get("/api/v1/receipts").json()["total"] == before
    sale = shop.post("/api/v1/sales", json={"code": genuine})
    assert sale.status_code == 200 and sale.json()["recorded"] is False
    assert sale.json()["line"]["result"] == "not_in_stock"


def test_a_codes_journey_and_a_lots_trace_for_the_manufacturer_only(live: LiveServer) -> None:
    bottle = live.seed.samples["packed"][0]
    zhenwei = live.login("zhenwei")
    journey = zhenwei.get(f"/api/v1/trace/codes/{bottle}").json()
    steps = [step["step"] for step in journey["steps"]]
    assert {"issued", "printed", "activated", "packing", "shipping", "receiving"} <= set(steps)
    assert journey["lot"] == "ZW-2026-1015"
    lot = zhenwei.get(f"/api/v1/trace/products/{journey['product_id']}/lots/ZW-2026-1015").json()
    assert lot["regions"][0]["code"] == "130000" and lot["regions"][0]["children"][0]["code"] == "130100"
    assert sum(h["codes"] for h in lot["holdings"] if h["level"] == "item") == lot["regions"][0]["codes"]
    fengsui = live.login("fengsui")
    assert fengsui.get(f"/api/v1/trace/codes/{bottle}").status_code == 404
    assert fengsui.get(f"/api/v1/trace/products/{journey['product_id']}/lots/ZW-2026-1015").status_code == 404
    assert zhenwei.get(f"/api/v1/trace/products/{journey['product_id']}/lots/{'L' * 65}").status_code == 400
    queried = live.login("operator").get(f"/api/v1/trace/codes/{live.seed.samples['queried_before'][0]}").json()
    queries = [step for step in queried["steps"] if step["step"] == "query"]
    assert queries and all(step["place"] and step["detail"] for step in queries), queried["steps"]
