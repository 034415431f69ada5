"""Cases on a live server: intake on the API, the web form (with photos), SMS and the phone;
routing; the workflow and its refusals; who sees what (404 outside scope, a manufacturer without
the reporter); the reporter's look-up; the notices in the outbox; deadlines and escalation."""

from __future__ import annotations

import datetime as dt
import json
import re
import struct
import threading
import zlib
from typing import Any

import httpx
import pytest

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.cases.models import Case
from jianguan.codes import lookup
from jianguan.codes.keyring import KeyService
from jianguan.storage import make_engine, reading, session_factory
from jianguan.storage.base import utcnow
from tests.conftest import TEST_MASTER, run_cli
from tests.functional.channel_helpers import hangzhou_number, post_sms, rows
from tests.live import LiveServer


def _png(width: int = 24, height: int = 16) -> bytes:
    """A real PNG (a red block), so that a browser shows it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xb3\x26\x1e" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


PNG = _png()
FENGSUI_PHONE = "031185012345"


def fengsui_code(live: LiveServer, offset: int) -> str:
    """A code of 丰穗's first batch (fertiliser, supervised by agriculture)."""
    engine = make_engine(live.database_url)
    try:
        with reading(session_factory(engine, keys=KeyService(TEST_MASTER))) as session:
            batch = rows(live, "SELECT b.id FROM code_batches b JOIN enterprises e ON e.id = b.enterprise_id "
                               "WHERE e.name = '石家庄丰穗复合肥有限公司' ORDER BY b.id")[0].id
            operator = Principal(kind="system", id=0, name="test", role=Role.OPERATOR)
            return lookup.batch_codes(session, principal=operator, batch_id=batch, offset=offset, limit=1)[0]
    finally:
        engine.dispose()


def user_id(live: LiveServer, username: str) -> int:
    return rows(live, "SELECT id FROM users WHERE username = :name", name=username)[0].id


def outbox(live: LiveServer, to: str) -> list[str]:
    return [row.text for row in rows(live, 'SELECT text FROM outbound_sms WHERE "to" = :to ORDER BY id', to=to)]


def audited(live: LiveServer, case_id: int) -> list[str]:
    return [row.action for row in rows(live, "SELECT action FROM audit_records WHERE target_type = 'case' "
                                             "AND target_id = :id ORDER BY id", id=str(case_id))]


def move(client: httpx.Client, case_id: int, **body: Any) -> httpx.Response:
    return client.post(f"/api/v1/cases/{case_id}/transitions", json=body)


def open_report(live: LiveServer, **body: Any) -> dict[str, Any]:
    made = live.client().post("/api/v1/cases", json={"place": "栾城区某农资店", "region_code": "130111", **body})
    assert made.status_code == 201, made.text
    return made.json()


def test_a_report_goes_to_the_county_agency_through_every_stage_and_the_people_are_told(live: LiveServer) -> None:
    phone = hangzhou_number()
    made = open_report(live, code=fengsui_code(live, 11), contact=phone, description="包装粗糙")
    case_id, number, secret = made["id"], made["number"], made["secret"]
    assert made["agency"] == "agriculture" and made["stage"] == "accepted" and re.fullmatch(r"\d{6}", secret)
    told = outbox(live, phone)
    assert len(told) == 1 and number in told[0] and secret in told[0]
    maker = [text for text in outbox(live, FENGSUI_PHONE) if number in text]
    assert len(maker) == 1 and phone not in maker[0] and secret not in maker[0]

    agri, quality = live.login("luancheng.agri"), live.login("luancheng.quality")
    listed = agri.get("/api/v1/cases").json()["cases"]
    mine = next(case for case in listed if case["id"] == case_id)
    assert mine["assigned_region"] == "130111" and mine["contact"] == phone and mine["actions"] == ["assign", "pass"]
    assert quality.get(f"/api/v1/cases/{case_id}").status_code == 404  # another agency
    assert live.login("fuzhou.quality").get(f"/api/v1/cases/{case_id}").status_code == 404
    assert live.login("zhenwei").get(f"/api/v1/cases/{case_id}").status_code == 404  # another enterprise
    seen = live.login("fengsui").get(f"/api/v1/cases/{case_id}")
    assert seen.status_code == 200 and "contact" not in seen.json() and phone not in seen.text  # 保密
    assert move(quality, case_id, action="assign", user_id=user_id(live, "luancheng.quality")).status_code == 404
    assert live.login("fengsui").post(f"/api/v1/cases/{case_id}/transitions",
                                      json={"action": "investigate"}).status_code == 403

    early = move(agri, case_id, action="investigate")
    assert early.status_code == 409
    error = early.json()["error"]
    assert error["code"] == "unreachable_stage" and "受理" in error["message_zh"] and "accepted" in error["message"]
    wrong = move(agri, case_id, action="assign", user_id=user_id(live, "luancheng.quality"))
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "invalid_assignee"
    assert audited(live, case_id) == ["case:case:opened"]  # refused steps change nothing

    assert move(agri, case_id, action="assign", user_id=user_id(live, "luancheng.agri")).json()["stage"] == "assigned"
    assert move(agri, case_id, action="investigate").json()["stage"] == "investigating"
    no_finding = move(agri, case_id, action="resolve", upheld=True, finding="  ")
    assert no_finding.status_code == 400 and no_finding.json()["error"]["message_zh"] == "请填写处理结果。"
    no_conclusion = move(agri, case_id, action="resolve", finding="经查为假冒丰穗复合肥。", measures="查封 40 袋。")
    error = no_conclusion.json()["error"]
    assert no_conclusion.status_code == 400 and error["code"] == "missing_field" and error["details"]["field"] == "upheld"
    assert error["message_zh"] == "请选择处理结论：成立或不成立。" and "upheld" in error["message"]
    assert move(agri, case_id, action="resolve", upheld="yes", finding="经查为假冒丰穗复合肥。").status_code == 400
    assert audited(live, case_id)[-1] == "case:investigation:started"  # refused: nothing changed
    assert live.login("operator").get(f"/api/v1/cases/{case_id}").json()["upheld"] is None
    resolved = move(agri, case_id, action="resolve", upheld=True, finding="经查为假冒丰穗复合肥。",
                    measures="查封 40 袋，立案查处。")
    assert resolved.json()["stage"] == "resolved" and resolved.json()["upheld"] is True
    looked = live.client().get("/api/v1/cases/lookup", params={"number": number, "secret": secret}).json()
    assert looked["stage"] == "resolved" and looked["finding"] is None  # not before the reporter is told
    assert move(agri, case_id, action="inform").json()["stage"] == "informed"
    assert any("经查为假冒丰穗复合肥" in text for text in outbox(live, phone))
    assert any(number in text and "查封 40 袋" in text for text in outbox(live, FENGSUI_PHONE))
    assert move(agri, case_id, action="close").json()["stage"] == "closed"
    assert move(agri, case_id, action="close").status_code == 409

    looked = live.client().get("/api/v1/cases/lookup", params={"number": number, "secret": secret}).json()
    assert looked["stage"] == "closed" and looked["finding"] == "经查为假冒丰穗复合肥。"
    assert [step["stage"] for step in looked["steps"]] == ["accepted", "assigned", "investigating", "resolved",
                                                          "informed", "closed"]
    assert "contact" not in looked and phone not in json.dumps(looked)
    assert audited(live, case_id) == ["case:case:opened", "case:case:assigned", "case:investigation:started",
                                      "case:case:resolved", "case:reporter:informed", "case:case:closed"]
    page = agri.get(f"/manage/cases/{case_id}")
    assert page.status_code == 200 and number in page.text and "经查为假冒丰穗复合肥" in page.text


def test_a_wrong_secret_is_answered_like_an_unknown_number(live: LiveServer) -> None:
    made = open_report(live, code=live.seed.samples["unknown"][0])
    client = live.client()
    wrong_secret = "000000" if made["secret"] != "000000" else "111111"
    answers = [client.get("/api/v1/cases/lookup", params=params) for params in (
        {"number": made["number"], "secret": wrong_secret}, {"number": "JB20261201999999", "secret": "123456"},
        {"number": "not a number", "secret": "123456"}, {"number": made["number"], "secret": ""})]
    assert [answer.status_code for answer in answers] == [404, 404, 404, 404]
    assert len({answer.json()["error"]["message_zh"] for answer in answers}) == 1
    assert client.get("/api/v1/cases/lookup", params={"number": made["number"], "secret": "1" * 13}).status_code == 400
    page = client.get("/cases/lookup", params={"number": made["number"], "secret": made["secret"]})
    assert page.status_code == 200 and "受理" in page.text and made["number"] in page.text
    assert client.get("/cases/lookup", params={"number": made["number"], "secret": wrong_secret}).status_code == 404


def test_a_report_without_a_place_goes_to_the_region_of_the_reporters_number(live: LiveServer) -> None:
    made = live.client().post("/api/v1/cases", json={"code": live.seed.samples["unknown"][0], "place": "网上商城",
                                                     "contact": hangzhou_number(), "kind": "complaint"})
    assert made.status_code == 201, made.text
    case = live.login("operator").get(f"/api/v1/cases/{made.json()['id']}").json()
    assert case["region_code"] == "330100" and case["region_from_phone"] and case["kind"] == "complaint"
    assert case["agency"] == "quality" and case["assigned_region"] == "330100"


def test_a_case_passed_to_another_agency_is_seen_there(live: LiveServer) -> None:
    made = open_report(live, code=live.seed.samples["unknown"][0])
    operator = live.login("operator")
    no_reason = move(operator, made["id"], action="pass", agency="agriculture")
    assert no_reason.status_code == 400 and no_reason.json()["error"]["message_zh"] == "请填写移送理由。"
    assert live.login("luancheng.agri").get(f"/api/v1/cases/{made['id']}").status_code == 404
    passed = move(operator, made["id"], action="pass", agency="agriculture", reason="系农资经营问题")
    assert passed.json()["agency"] == "agriculture" and passed.json()["stage"] == "accepted"
    assert live.login("luancheng.agri").get(f"/api/v1/cases/{made['id']}").status_code == 200
    assert "case:case:passed" in audited(live, made["id"])
    # Passed to the same agency of another place: 藁城区 (130109) is outside 栾城.
    elsewhere = move(operator, made["id"], action="pass", region_code="130109", reason="购买地实为藁城区")
    assert elsewhere.json()["region_code"] == "130109" and elsewhere.json()["assigned_region"] == "130109"
    assert live.login("luancheng.agri").get(f"/api/v1/cases/{made['id']}").status_code == 404
    assert move(operator, made["id"], action="pass", region_code="999999", reason="x").status_code == 400


def test_a_report_and_a_look_up_by_text_message(live: LiveServer) -> None:
    sender, client = hangzhou_number(), live.client()
    reply = post_sms(client, sender, f"举报 {live.seed.samples['unknown'][0]} 在某集市买到，标签模糊").json()["reply"]
    number, secret = re.search(r"编号(JB\d+)，查询码(\d{6})", reply).groups()
    assert outbox(live, sender) == [reply]  # the reply is the acceptance notice, sent once
    case = rows(live, "SELECT channel, reply_to, place, region_code FROM cases WHERE reply_to = :to", to=sender)[0]
    assert (case.channel, case.place, case.region_code) == ("sms", "短信举报", "330100")
    status = post_sms(client, sender, f"查询 {number} {secret}").json()
    assert status["reply"].startswith("【电子监管】编号" + number) and "受理" in status["reply"]
    assert "不正确" in post_sms(client, sender, f"{number} 999999" if secret != "999999" else f"{number} 000000"
                                ).json()["reply"]
    assert "举报 监管码" in post_sms(client, sender, "举报 假货").json()["reply"]  # no code: how to report


def test_a_report_by_phone_is_told_by_text_message(live: LiveServer) -> None:
    caller = hangzhou_number()
    spoken = live.client().get("/channels/ivr/report.vxml", params={
        "digits": live.seed.samples["unknown"][0], "verdict": "unknown", "caller": caller}).text
    number = re.search(r"编号(JB\d+)", spoken).group(1)
    case = rows(live, "SELECT channel, reply_to, place, region_from_phone FROM cases WHERE reply_to = :to", to=caller)
    assert [(row.channel, row.place, bool(row.region_from_phone)) for row in case] == [("phone", "电话举报", True)]
    assert any(number in text for text in outbox(live, caller))


def test_the_web_form_takes_photos_by_their_bytes(live: LiveServer) -> None:
    code = live.seed.samples["unknown"][0]
    client = live.client()
    client.get("/")
    csrf = client.cookies["jg_csrf"]
    fields = {"code": code, "place": "栾城区某店", "region_code": "130111", "kind": "report", "csrf_token": csrf}
    before = len(rows(live, "SELECT id FROM cases"))
    disguised = client.post(f"/v/{code}/report", data=fields,
                            files=[("photos", ("photo.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg"))])
    assert disguised.status_code == 400 and "照片须为 JPEG、PNG 或 WebP 图片。" in disguised.text
    assert len(rows(live, "SELECT id FROM cases")) == before
    done = client.post(f"/v/{code}/report", data=fields, files=[("photos", ("a.png", PNG, "image/png"))])
    assert done.status_code == 200, done.text[:300]
    number = re.search(r'class="reference">(JB\d+)<', done.text).group(1)
    case_id = int(number[10:])
    photo = rows(live, "SELECT id, media_type, size FROM case_photos WHERE case_id = :id", id=case_id)
    assert [(row.media_type, row.size) for row in photo] == [("image/png", len(PNG))]
    regulator = live.login("luancheng.quality")
    page = regulator.get(f"/manage/cases/{case_id}")
    assert f"/manage/cases/{case_id}/photos/{photo[0].id}" in page.text
    assert regulator.get(f"/manage/cases/{case_id}/photos/{photo[0].id}").content == PNG
    assert live.login("fuzhou.quality").get(f"/manage/cases/{case_id}/photos/{photo[0].id}").status_code == 404


def test_deadlines_are_the_operators_and_a_nonsensical_one_is_refused(live: LiveServer) -> None:
    operator = live.login("operator")
    for body in ({"stage": "assigned", "days": 0}, {"stage": "assigned", "days": 366}, {"stage": "closed", "days": 3}):
        assert operator.put("/api/v1/case-deadlines", json=body).status_code == 400
    assert live.login("sjz.quality").put("/api/v1/case-deadlines", json={"stage": "assigned", "days": 4}
                                         ).status_code == 403
    assert operator.put("/api/v1/case-deadlines", json={"stage": "assigned", "days": 4}).json()["deadlines"][
        "assigned"] == 4
    assert operator.get("/api/v1/case-deadlines").json()["deadlines"]["assigned"] == 4
    assert operator.post("/manage/case-deadlines", data={"stage": "assigned", "days": "3"},
                         follow_redirects=False).status_code == 303
    assert operator.get("/api/v1/case-deadlines").json()["deadlines"]["assigned"] == 3
    refused = operator.post("/manage/case-deadlines", data={"stage": "assigned", "days": "0"})
    assert refused.status_code == 400 and "期限应为 1 至 365 天。" in refused.text


def test_an_overdue_case_is_escalated_once_and_lists_first(live: LiveServer) -> None:
    made = open_report(live, code=live.seed.samples["unknown"][0])
    engine = make_engine(live.database_url)
    with session_factory(engine)() as session, session.begin():  # the case has waited ten days
        case = session.get(Case, made["id"])
        assert case is not None
        case.due_at = utcnow() - dt.timedelta(days=10)
    engine.dispose()
    first = run_cli(live.database_url, "cases", "escalate")
    assert first.returncode == 0, first.stderr
    assert made["number"] in json.loads(first.stdout)["escalated"]
    again = run_cli(live.database_url, "cases", "escalate")
    assert json.loads(again.stdout) == {"escalated": []}
    case = live.login("sjz.quality").get("/api/v1/cases").json()["cases"][0]
    assert case["id"] == made["id"] and case["overdue"] and case["escalations"] == 1
    assert case["assigned_region"] == "130100"
    assert audited(live, made["id"]).count("case:case:escalated") == 1


def test_sixteen_regulators_taking_the_same_step_at_once_move_the_case_once(live: LiveServer) -> None:
    made = open_report(live, code=live.seed.samples["unknown"][0])
    operator = live.login("operator")
    move(operator, made["id"], action="assign", user_id=user_id(live, "luancheng.quality"))
    clients = [live.login("luancheng.quality") for _ in range(16)]
    start, answers = threading.Barrier(16), []

    def investigate(client: httpx.Client) -> None:
        start.wait()
        answers.append(move(client, made["id"], action="investigate").status_code)

    threads = [threading.Thread(target=investigate, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200] + [409] * 15
    assert audited(live, made["id"]).count("case:investigation:started") == 1


@pytest.mark.parametrize("body", [{"action": "fly"}, {"action": "assign", "user_id": 0},
                                  {"action": "resolve", "upheld": True, "finding": "x" * 2001}, {"action": "pass", "agency": "police"},
                                  {"action": "investigate", "extra": 1}])
def test_a_bad_transition_body_is_a_400(live: LiveServer, body: dict[str, Any]) -> None:
    made = open_report(live, code=live.seed.samples["unknown"][0])
    assert move(live.login("operator"), made["id"], **body).status_code == 400
    assert audited(live, made["id"]) == ["case:case:opened"]
