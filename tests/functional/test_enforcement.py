"""Enforcement linkage (执法打假联动) on a live server: a case or an alert opens an action, its outcome is
recorded once and fed back to the manufacturer whose brand was faked, and counted; outside scope
is 404, a closed case opens none, and bad numbers change nothing."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.functional.channel_helpers import rows
from tests.functional.test_cases import FENGSUI_PHONE, audited, fengsui_code, open_report
from tests.functional.test_recalls import ZHENWEI, product_of
from tests.functional.test_warnings_live import check_body
from tests.live import LiveServer

OUTCOME = {"goods_seized": "假冒丰穗复合肥 80 袋", "goods_value": 9600, "cases_filed": 2, "penalty": 50000}


def test_an_action_from_a_case_its_outcome_fed_back_to_the_brand_and_counted(live: LiveServer) -> None:
    case = open_report(live, code=fengsui_code(live, 13))
    agri, quality = live.login("luancheng.agri"), live.login("luancheng.quality")
    body = {"case_id": case["id"], "basis": "窦妪镇假冒复合肥线索"}
    assert quality.post("/api/v1/enforcement-actions", json=body).status_code == 404
    assert live.login("fengsui").post("/api/v1/enforcement-actions", json=body).status_code == 403
    assert agri.post("/api/v1/enforcement-actions", json={**body, "basis": " "}).status_code == 400
    opened = agri.post("/api/v1/enforcement-actions", json=body)
    assert opened.status_code == 201, opened.text
    action_id = opened.json()["id"]
    assert opened.json()["concluded_at"] is None and opened.json()["enterprise_id"] is not None  # 丰穗's brand

    before = live.login("fengsui").get("/api/v1/enforcement-actions").json()["totals"]
    for wrong in ({**OUTCOME, "goods_value": -1}, {**OUTCOME, "penalty": 10**13}, {**OUTCOME, "goods_seized": ""},
                  {**OUTCOME, "cases_filed": "2"}):
        assert agri.post(f"/api/v1/enforcement-actions/{action_id}/outcome", json=wrong).status_code == 400
    assert quality.post(f"/api/v1/enforcement-actions/{action_id}/outcome", json=OUTCOME).status_code == 404
    done = agri.post(f"/api/v1/enforcement-actions/{action_id}/outcome", json=OUTCOME)
    assert done.status_code == 200 and done.json()["goods_value"] == 9600 and done.json()["concluded_at"]
    again = agri.post(f"/api/v1/enforcement-actions/{action_id}/outcome", json=OUTCOME)
    assert again.status_code == 409 and again.json()["error"]["message_zh"] == "该执法行动的结果已记录。"

    told = [row.text for row in rows(live, 'SELECT text FROM outbound_sms WHERE "to" = :to', to=FENGSUI_PHONE)
            if case["number"] in row.text and "打假联动" in row.text]
    assert len(told) == 1 and "货值9600元" in told[0] and "罚款50000元" in told[0]
    maker = live.login("fengsui").get("/api/v1/enforcement-actions").json()
    assert any(action["id"] == action_id for action in maker["actions"])
    after = maker["totals"]
    assert after["concluded"] == before["concluded"] + 1 and after["goods_value"] == before["goods_value"] + 9600
    assert after["penalty"] == before["penalty"] + 50000 and after["cases_filed"] == before["cases_filed"] + 2
    assert live.login("zhenwei").get(f"/api/v1/enforcement-actions/{action_id}").status_code == 404
    assert all(action["id"] != action_id for action in
               live.login("zhenwei").get("/api/v1/enforcement-actions").json()["actions"])
    page = live.login("fengsui").get(f"/manage/cases/{case['id']}")
    assert "假冒丰穗复合肥 80 袋" in page.text and "outcome-form" not in page.text
    actions = [row.action for row in rows(live, "SELECT action FROM audit_records WHERE target_type = "
                                                "'enforcement_action' AND target_id = :id ORDER BY id", id=str(action_id))]
    assert actions == ["enforcement:action:opened", "enforcement:outcome:recorded"]


def test_a_closed_case_opens_no_action_and_the_pages_take_the_forms(live: LiveServer) -> None:
    sjz = live.login("sjz.quality")
    closed = next(case for case in sjz.get("/api/v1/cases").json()["cases"] if case["stage"] == "closed")
    refused = sjz.post("/api/v1/enforcement-actions", json={"case_id": closed["id"], "basis": "x"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "case_closed"

    case = open_report(live, code=fengsui_code(live, 14))
    agri = live.login("luancheng.agri")
    assert agri.post(f"/manage/cases/{case['id']}/enforcement", data={"basis": "集市流动摊贩"},
                     follow_redirects=False).status_code == 303
    page = agri.get(f"/manage/cases/{case['id']}").text
    action_id = int(re.search(r'data-action-id="(\d+)"', page).group(1))
    bad = agri.post(f"/manage/enforcement-actions/{action_id}/outcome",
                    data={"goods_seized": "复合肥 3 袋", "goods_value": "很多", "cases_filed": "0", "penalty": "0"})
    assert bad.status_code == 400 and "货值（元）应为数字。" in bad.text
    done = agri.post(f"/manage/enforcement-actions/{action_id}/outcome", follow_redirects=False,
                     data={"goods_seized": "复合肥 3 袋", "goods_value": "360", "cases_filed": "0", "penalty": "2,000"})
    assert done.status_code == 303
    assert "复合肥 3 袋" in agri.get(f"/manage/cases/{case['id']}").text
    assert audited(live, case["id"]) == ["case:case:opened"]  # the case's own steps are untouched


ZHENWEI_PHONE_SQL = "SELECT contact_phone FROM enterprises WHERE name = '石家庄珍味酿造集团有限公司'"


def failed_check_alert(live: LiveServer) -> dict[str, Any]:
    """A fresh alert of a failed spot check of 珍味's vinegar in 长安区 (石家庄's quality office's)."""
    made = live.login("sjz.quality").post("/api/v1/spot-checks", json=check_body(product_of(live, ZHENWEI)))
    assert made.status_code == 201, made.text
    return dict(made.json()["alert"])


def test_an_alert_opens_an_action_recorded_against_it_and_its_outcome_reaches_the_maker(live: LiveServer) -> None:
    alert = failed_check_alert(live)
    sjz, outside = live.login("sjz.quality"), live.login("luancheng.quality")
    body = {"alert_id": alert["id"], "basis": "抽查不合格批次流入长安区"}
    assert outside.post("/api/v1/enforcement-actions", json=body).status_code == 404  # not in its scope
    assert live.login("zhenwei").post("/api/v1/enforcement-actions", json=body).status_code == 403
    for wrong in ({**body, "basis": " "}, {"basis": "x"}, {**body, "case_id": alert["case_id"] or 1}):
        refused = sjz.post("/api/v1/enforcement-actions", json=wrong)
        assert refused.status_code == 400 and refused.json()["error"]["message_zh"], wrong
    assert sjz.get(f"/api/v1/alerts/{alert['id']}").json()["status"] == "open"  # refusals change nothing
    opened = sjz.post("/api/v1/enforcement-actions", json=body)
    assert opened.status_code == 201, opened.text
    action = opened.json()
    assert action["alert_id"] == alert["id"] and action["case_id"] is None
    assert action["region_code"] == "130102" and action["agency"] == "quality" and action["enterprise_id"]
    shown = sjz.get(f"/api/v1/alerts/{alert['id']}").json()
    assert shown["status"] == "enforcement" and shown["handled_by"]
    again = sjz.post("/api/v1/enforcement-actions", json=body)
    assert again.status_code == 409 and again.json()["error"]["code"] == "alert_handled"
    assert sjz.post(f"/api/v1/alerts/{alert['id']}/case").status_code == 409  # handled once
    assert sjz.post(f"/api/v1/alerts/{alert['id']}/dismiss", json={"reason": "误报"}).status_code == 409

    # In scope like the alert: 珍味 sees the action about its products, 丰穗 and 栾城 do not.
    for who in ("operator", "hebei.quality", "sjz.quality", "zhenwei"):
        assert live.login(who).get(f"/api/v1/enforcement-actions/{action['id']}").status_code == 200, who
    for who in ("luancheng.quality", "hebei.agri", "fengsui", "fuzhou.quality"):
        assert live.login(who).get(f"/api/v1/enforcement-actions/{action['id']}").status_code == 404, who
    assert outside.post(f"/api/v1/enforcement-actions/{action['id']}/outcome", json=OUTCOME).status_code == 404

    # The outcome goes the way a case's does: recorded once, told to the maker, counted.
    before = live.login("zhenwei").get("/api/v1/enforcement-actions").json()["totals"]
    outcome = {"goods_seized": "不合格珍味陈醋 30 箱", "goods_value": 5400, "cases_filed": 1, "penalty": 20000}
    done = sjz.post(f"/api/v1/enforcement-actions/{action['id']}/outcome", json=outcome)
    assert done.status_code == 200 and done.json()["concluded_at"], done.text
    assert sjz.post(f"/api/v1/enforcement-actions/{action['id']}/outcome", json=outcome).status_code == 409
    phone = "".join(ch for ch in rows(live, ZHENWEI_PHONE_SQL)[0].contact_phone if ch.isdigit() or ch == "+")
    told = [row.text for row in rows(live, 'SELECT text FROM outbound_sms WHERE "to" = :to', to=phone)
            if f"预警#{alert['id']}" in row.text]
    assert len(told) == 1 and "打假联动" in told[0] and "货值5400元" in told[0] and "罚款20000元" in told[0]
    after = live.login("zhenwei").get("/api/v1/enforcement-actions").json()["totals"]
    assert after["concluded"] == before["concluded"] + 1 and after["penalty"] == before["penalty"] + 20000

    # On the credit record: a failed spot check's action is against the maker, listed by its alert.
    ident = rows(live, "SELECT id FROM enterprises WHERE name = :n", n=ZHENWEI)[0].id
    record = sjz.get(f"/api/v1/enterprises/{ident}/credit").json()
    entry = next(e for e in record["enforcement_outcomes"] if e["id"] == action["id"])
    assert entry["alert_id"] == alert["id"] and entry["case_number"] is None and entry["against_enterprise"]
    assert entry["counted"]
    brand = live.login("zhenwei").get("/api/v1/brand").json()["enforcement"]  # the brand owner's view lists it
    listed = next(e for e in brand if e["id"] == action["id"])
    assert listed["alert_id"] == alert["id"] and listed["case_id"] is None and not listed["protecting_brand"]
    assert f"/manage/alerts/{alert['id']}#enforcement-{action['id']}" in live.login("zhenwei").get("/brand").text

    audited_alert = [row.action for row in rows(live, "SELECT action FROM audit_records WHERE target_type = 'alert' "
                                                      "AND target_id = :id ORDER BY id", id=str(alert["id"]))]
    assert audited_alert == ["alert:alert:raised", "alert:enforcement:opened"]
    audited_action = [(row.action, row.after) for row in rows(
        live, "SELECT action, after FROM audit_records WHERE target_type = 'enforcement_action' AND target_id = :id "
              "ORDER BY id", id=str(action["id"]))]
    assert [name for name, _after in audited_action] == ["enforcement:action:opened", "enforcement:outcome:recorded"]
    opened_after = audited_action[0][1]
    assert (json.loads(opened_after) if isinstance(opened_after, str) else opened_after)["alert_id"] == alert["id"]


def test_the_alert_page_opens_an_action_and_records_its_outcome(live: LiveServer) -> None:
    alert = failed_check_alert(live)
    sjz = live.login("sjz.quality")
    page = sjz.get(f"/manage/alerts/{alert['id']}")
    assert page.status_code == 200 and "alert-to-enforcement" in page.text and "直接发起执法行动" in page.text
    assert "Open an enforcement action" in live.login("sjz.quality").get(f"/manage/alerts/{alert['id']}?lang=en").text
    empty = sjz.post(f"/manage/alerts/{alert['id']}/enforcement", data={"basis": ""})
    assert empty.status_code == 400 and "执法依据" in empty.text
    assert live.login("luancheng.quality").post(f"/manage/alerts/{alert['id']}/enforcement",
                                                data={"basis": "x"}).status_code == 404
    done = sjz.post(f"/manage/alerts/{alert['id']}/enforcement", data={"basis": "长安区抽查不合格批次"},
                    follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/manage/alerts/{alert['id']}"
    page = sjz.get(f"/manage/alerts/{alert['id']}").text
    assert "长安区抽查不合格批次" in page and "alert-to-enforcement" not in page and "已发起执法" in page
    action_id = int(re.search(r'data-action-id="(\d+)"', page).group(1))
    bad = sjz.post(f"/manage/enforcement-actions/{action_id}/outcome",
                   data={"goods_seized": "陈醋 5 箱", "goods_value": "很多", "cases_filed": "0", "penalty": "0"})
    assert bad.status_code == 400 and "货值（元）应为数字。" in bad.text and "长安区抽查不合格批次" in bad.text
    recorded = sjz.post(f"/manage/enforcement-actions/{action_id}/outcome", follow_redirects=False,
                        data={"goods_seized": "陈醋 5 箱", "goods_value": "900", "cases_filed": "0", "penalty": "3000"})
    assert recorded.status_code == 303 and recorded.headers["location"] == f"/manage/alerts/{alert['id']}"
    maker = live.login("zhenwei").get(f"/manage/alerts/{alert['id']}").text
    assert "陈醋 5 箱" in maker and "outcome-form" not in maker and "alert-to-enforcement" not in maker
