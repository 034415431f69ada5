"""The verification page, the report of a fake, the GS1 Digital Link resolver and the
enterprise's message, on a real server over the demo network (both databases).

Codes whose query count matters are taken fresh from the demo batches, at offsets no other
test queries, so the order the tests run in does not change their verdicts.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from jianguan.cases.models import Case
from jianguan.codes.codec import damm_digit, decode_code, encode_serial
from jianguan.codes.keyring import KeyService
from jianguan.codes.models import CodeBatch
from jianguan.config import Settings
from jianguan.enterprises.models import Enterprise
from jianguan.storage import make_engine, reading, session_factory
from jianguan.verify.models import Query
from jianguan.verify.services import Answer
from jianguan.verify.verdict import CodeFacts, QueryHistory, decide
from jianguan.web.pages.verify import link_status
from tests.live import LiveServer

FENGSUI = "石家庄丰穗复合肥有限公司"
ZHENWEI = "石家庄珍味酿造集团有限公司"
FENGSUI_GTIN = "06901234000016"
ZHENWEI_GTIN = "06901234000030"


def fresh_codes(live: LiveServer, enterprise: str, *offsets: int) -> list[str]:
    """Codes of the enterprise's first item batch at ``offsets`` (each test uses its own: grep
    the tests for ``fresh_codes`` before taking one; 丰穗 751 is tests/browser/test_clone_to_enforcement.py's)."""
    engine = make_engine(live.database_url)
    with reading(session_factory(engine)) as session:
        enterprise_id = session.scalar(select(Enterprise.id).where(Enterprise.name == enterprise))
        batch = session.scalars(select(CodeBatch).where(CodeBatch.enterprise_id == enterprise_id,
                                                        CodeBatch.packaging_level == "item")
                                .order_by(CodeBatch.id)).first()
        keyring = KeyService(Settings(database_url=live.database_url).master_key_bytes()).keyring(session)
        codes = [encode_serial(keyring[batch.generation], batch.serial_start + offset) for offset in offsets]
    engine.dispose()
    return codes


def report_count(live: LiveServer) -> int:
    engine = make_engine(live.database_url)
    with reading(session_factory(engine)) as session:
        count = session.scalar(select(func.count()).select_from(Case)) or 0
    engine.dispose()
    return count


def verdict_on_page(response: httpx.Response) -> str:
    found = re.search(r'data-verdict="(\w+)"', response.text)
    assert found, response.text[:500]
    return found.group(1)


def tone_on_page(response: httpx.Response) -> str:
    found = re.search(r'class="verdict tone-(\w+)"', response.text)
    assert found
    return found.group(1)


def unknown_code(code: str) -> str:
    """A well-formed code that was never issued: two digits of a real one changed, check digit fixed."""
    body = code[:5] + str((int(code[5]) + 3) % 10) + code[6:11] + str((int(code[11]) + 7) % 10) + code[12:19]
    return body + damm_digit(body)


def typo_of(code: str) -> str:
    return code[:7] + str((int(code[7]) + 1) % 10) + code[8:]


# --- verdicts ---------------------------------------------------------------------------------


def test_a_fresh_genuine_code_then_queried_before(live: LiveServer) -> None:
    code = fresh_codes(live, FENGSUI, 611)[0]
    client = live.client()
    page = client.get(f"/v/{code}")
    assert page.status_code == 200
    assert verdict_on_page(page) == "genuine" and tone_on_page(page) == "good"
    text = page.text
    assert "正品，首次查询" in text
    assert " ".join(code[i:i + 4] for i in range(0, 20, 4)) in text  # the grouped code
    for fact in ("丰穗牌复合肥", "40 kg N-P-K 15-15-15", FENGSUI, "FS20261015", "2026-10-15", "出厂检验合格"):
        assert fact in text, fact
    entry = re.search(r'href="(/enterprises/\d+)"', text).group(1)
    assert FENGSUI in client.get(entry).text
    again = client.get(f"/api/v1/verify/{code}").json()
    assert again["verdict"] == "queried_before" and again["tone"] == "caution"
    assert again["history"]["count_before"] == 1
    page = client.get(f"/v/{code}")
    assert verdict_on_page(page) == "queried_before" and tone_on_page(page) == "caution"
    assert "此前已被查询 2 次" in page.text and "首次于" in page.text


@pytest.mark.parametrize(("state", "verdict", "tone"), [
    ("spoiled", "spoiled", "bad"),
    ("activated_in_part", "not_activated", "caution"),
    ("issued", "not_activated", "caution"),
])
def test_each_demo_sample_gets_its_verdict(live: LiveServer, state: str, verdict: str, tone: str) -> None:
    code = live.seed.samples[state][0]
    client = live.client()
    page = client.get(f"/v/{code}")
    assert page.status_code == 200
    assert (verdict_on_page(page), tone_on_page(page)) == (verdict, tone)
    answer = client.get(f"/api/v1/verify/{code}").json()
    assert (answer["verdict"], answer["tone"]) == (verdict, tone)


def test_an_unknown_code_is_red_and_a_typo_says_why(live: LiveServer) -> None:
    real = live.seed.samples["activated"][0]
    client = live.client()
    page = client.get(f"/v/{unknown_code(real)}")
    assert (verdict_on_page(page), tone_on_page(page)) == ("unknown", "bad")
    assert "查无此码" in page.text
    assert client.get(f"/api/v1/verify/{unknown_code(real)}").json()["verdict"] == "unknown"
    typo = typo_of(real)
    page = client.get(f"/v/{typo}")
    assert (verdict_on_page(page), tone_on_page(page)) == ("malformed", "caution")
    assert "校验位不符" in page.text
    english = client.get(f"/v/{typo}?lang=en")
    assert "The check digit does not match" in english.text
    answer = client.get(f"/api/v1/verify/{typo}").json()
    assert answer["verdict"] == "malformed" and answer["history"]["reason"] == "bad_check_digit"


GENERATION_NINE = "9" + "1" * 18 + damm_digit("9" + "1" * 18)
BAD_INPUTS = ["", "9" * 200, "abcdefghijklmnopqrst", "😀", "' OR 1=1 --", "<script>alert(1)</script>",
              GENERATION_NINE, "https://example.com/v/123", "1234 5678"]


@pytest.mark.parametrize("text", BAD_INPUTS, ids=["empty", "long", "letters", "emoji", "sql", "script",
                                                   "generation-9", "url", "short"])
def test_bad_input_gets_an_answer_page_never_an_error(live: LiveServer, text: str) -> None:
    client = live.client()
    page = client.get("/v/" + httpx.URL("/" + text).raw_path.decode()[1:])
    assert page.status_code == 200, page.text[:300]
    assert verdict_on_page(page) == "malformed"
    assert "<script>alert(1)</script>" not in page.text
    searched = client.get("/v", params={"code": text}, follow_redirects=True)
    assert searched.status_code == 200 and verdict_on_page(searched) == "malformed"
    assert "<script>alert(1)</script>" not in searched.text
    api = client.get("/api/v1/verify/" + httpx.URL("/" + text).raw_path.decode()[1:])
    assert api.status_code < 500
    assert api.headers["content-type"].startswith("application/json")
    if api.status_code == 200:
        assert api.json()["verdict"] == "malformed"


def test_the_reasons_of_bad_input(live: LiveServer) -> None:
    client = live.client()
    assert "未输入监管码" in client.get("/v/").text
    assert "此处为 200 位" in client.get("/v/" + "9" * 200).text
    assert "尚无第 9 代密钥的监管码" in client.get(f"/v/{GENERATION_NINE}").text
    escaped = client.get("/v/%3Cscript%3Ealert(1)%3C%2Fscript%3E").text
    assert "&lt;script&gt;" in escaped and "<script>alert" not in escaped
    assert client.get("/v/" + "8" * 8000).status_code == 200


def test_the_search_boxes_lead_to_the_answer(live: LiveServer) -> None:
    code = live.seed.samples["spoiled"][0]
    client = live.client()
    assert 'action="/v"' in client.get("/").text
    spaced = " ".join(code[i:i + 4] for i in range(0, 20, 4))
    found = client.get("/v", params={"code": f"  {spaced} "})
    assert found.status_code == 303 and found.headers["location"] == f"/v/{code}"
    assert verdict_on_page(client.get(found.headers["location"])) == "spoiled"


# --- GS1 Digital Link -------------------------------------------------------------------------


def test_a_digital_link_resolves_like_the_page_and_is_logged(live: LiveServer) -> None:
    code = fresh_codes(live, FENGSUI, 612)[0]
    client = live.client()
    page = client.get(f"/01/{FENGSUI_GTIN}/21/{code}")
    assert page.status_code == 200 and verdict_on_page(page) == "genuine"
    assert "丰穗牌复合肥" in page.text
    as_json = client.get(f"/01/6901234000016/21/{code}", headers={"Accept": "application/json"})  # GTIN-13
    assert as_json.status_code == 200
    assert as_json.json()["verdict"] == "queried_before" and as_json.json()["history"]["count_before"] == 1
    assert client.get(f"/api/v1/verify/{code}").json()["history"]["count_before"] == 2


def test_a_digital_link_answers_404_for_what_is_not_that_products_code(live: LiveServer) -> None:
    fengsui = fresh_codes(live, FENGSUI, 613)[0]
    zhenwei = fresh_codes(live, ZHENWEI, 213)[0]
    client = live.client()
    assert client.get(f"/01/{ZHENWEI_GTIN}/21/{zhenwei}").status_code == 200
    wrong = client.get(f"/01/{ZHENWEI_GTIN}/21/{fengsui}")
    assert wrong.status_code == 404 and "监管码与产品不符" in wrong.text
    assert "丰穗牌复合肥" not in wrong.text
    wrong_json = client.get(f"/01/{ZHENWEI_GTIN}/21/{fengsui}", headers={"Accept": "application/json"})
    assert wrong_json.status_code == 404 and wrong_json.json()["product"] is None
    assert client.get(f"/01/{FENGSUI_GTIN}/21/{unknown_code(fengsui)}").status_code == 404
    assert client.get(f"/01/{FENGSUI_GTIN}/21/{typo_of(fengsui)}").status_code == 404
    assert client.get(f"/01/{FENGSUI_GTIN}/21/not-a-code").status_code == 404
    assert client.get(f"/01/06901234000017/21/{fengsui}").status_code == 404  # a bad GTIN check digit
    assert client.get(f"/01/{FENGSUI_GTIN}/21/{unknown_code(fengsui)}",
                      headers={"Accept": "application/json"}).json()["verdict"] == "unknown"


def test_the_query_log_says_what_a_copied_code_was_told(live: LiveServer) -> None:
    """A code reached through another product's link is logged as the unknown it was answered."""
    fengsui = fresh_codes(live, FENGSUI, 614)[0]
    answer = live.client().get(f"/01/{ZHENWEI_GTIN}/21/{fengsui}", headers={"Accept": "application/json"}).json()
    assert answer["verdict"] == "unknown" and answer["details"]["reason"] == "gtin_mismatch"
    engine = make_engine(live.database_url)
    with reading(session_factory(engine)) as session:
        keyring = KeyService(Settings(database_url=live.database_url).master_key_bytes()).keyring(session)
    generation, serial = decode_code(keyring, fengsui)
    deadline, logged = time.monotonic() + 5, []
    while time.monotonic() < deadline and not logged:  # the log is written in batches every 0.05 s
        time.sleep(0.05)
        with reading(session_factory(engine)) as session:
            logged = list(session.scalars(select(Query.verdict).where(Query.generation == generation,
                                                                      Query.serial == serial)))
    engine.dispose()
    assert logged == ["unknown"]


def test_a_recalled_or_destroyed_code_is_gone() -> None:
    product = {"name": "丰穗牌复合肥", "specification": "40 kg", "gtin": FENGSUI_GTIN, "packaging_level": "item"}
    today = dt.date(2026, 11, 23)
    for facts in (CodeFacts(issued=True, activated=True, recalled=True, recall_notice="批次召回"),
                  CodeFacts(issued=True, activated=True, destroyed=True)):
        answer = Answer(decide(facts, QueryHistory(), today), input="x", code="1" * 20, product=product, gone=True)
        assert link_status(answer) == 410
    genuine = Answer(decide(CodeFacts(issued=True, activated=True), QueryHistory(), today), input="x",
                     code="1" * 20, product=product)
    assert link_status(genuine) == 200
    assert link_status(Answer(decide(CodeFacts(issued=False), QueryHistory(), today), input="x")) == 404


# --- reports of fakes -------------------------------------------------------------------------


def _report_form(client: httpx.Client, code: str, verdict: str) -> tuple[str, str]:
    page = client.get(f"/v/{code}")
    link = re.search(r'href="(/v/[^"]+/report\?verdict=\w+)"', page.text).group(1).replace("&amp;", "&")
    assert link == f"/v/{code}/report?verdict={verdict}"
    form = client.get(link)
    assert form.status_code == 200 and f'value="{code}"' in form.text
    action = re.search(r'<form method="post" action="([^"]+)"', form.text).group(1)
    return action, client.cookies["jg_csrf"]


def test_a_report_is_stored_with_csrf_and_seen_in_its_region(live: LiveServer) -> None:
    code = unknown_code(fresh_codes(live, FENGSUI, 614)[0])
    client = live.client()
    action, csrf = _report_form(client, code, "unknown")
    before = report_count(live)
    fields = {"code": code, "place": "栾城区某农资店（城关镇）", "region_code": "130111", "contact": "13900000000",
              "description": "包装印刷模糊", "verdict": "unknown"}
    assert client.post(action, data=fields).status_code == 403  # no CSRF token
    assert client.post(action, data={**fields, "csrf_token": "forged"}).status_code == 403
    assert report_count(live) == before
    missing = client.post(action, data={**fields, "place": "  ", "csrf_token": csrf})
    assert missing.status_code == 400 and "请填写购买地点。" in missing.text
    missing_en = client.post(action + "?lang=en", data={**fields, "place": "", "csrf_token": csrf})
    assert missing_en.status_code == 400 and "Please give the place of purchase." in missing_en.text
    bad_region = client.post(action, data={**fields, "region_code": "999999", "csrf_token": csrf})
    assert bad_region.status_code == 400
    assert report_count(live) == before
    done = client.post(action, data={**fields, "csrf_token": csrf})
    assert done.status_code == 200, done.text[:300]
    reference = re.search(r'class="reference">(JB\d+)<', done.text).group(1)
    assert report_count(live) == before + 1

    operator = live.login("operator").get("/manage/cases")
    assert operator.status_code == 200 and reference in operator.text and "13900000000" in operator.text
    assert "查无此码" in operator.text  # the verdict the reporter was shown
    assert reference in live.login("luancheng.quality").get("/manage/cases").text
    assert reference in live.login("hebei.quality").get("/manage/cases").text
    assert reference not in live.login("fuzhou.quality").get("/manage/cases").text
    fengsui = live.login("fengsui").get("/manage/cases")  # a manufacturer sees only cases about its products
    assert fengsui.status_code == 200 and reference not in fengsui.text
    assert live.client().get("/manage/cases").status_code == 303


def test_a_report_through_the_api_without_a_region_is_for_the_operator(live: LiveServer) -> None:
    code = live.seed.samples["spoiled"][0]
    client = live.client()
    missing = client.post("/api/v1/reports", json={"code": code, "place": ""})
    assert missing.status_code == 400
    error = missing.json()["error"]
    assert error["message_zh"] == "请求内容不符合要求：place: 不能为空" and "place" in error["message"]
    blank = client.post("/api/v1/reports", json={"code": code, "place": "  "}).json()["error"]
    assert blank["message_zh"] == "请求内容不符合要求：place: 不能只有空格"
    bad_contact = client.post("/api/v1/reports", json={"code": code, "place": "某超市", "contact": "call me"})
    assert bad_contact.status_code == 400 and bad_contact.json()["error"]["code"] == "invalid_contact"
    made = client.post("/api/v1/reports", json={"code": code, "place": "福州某超市", "contact": "a@example.com"})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["verdict"] == "spoiled" and body["status"] == "accepted" and body["reference"].startswith("JB")
    assert body["reference"] in live.login("operator").get("/manage/cases").text
    assert body["reference"] not in live.login("luancheng.quality").get("/manage/cases").text
    assert body["reference"] not in live.login("hebei.quality").get("/manage/cases").text


def test_a_report_with_a_nul_in_its_text_is_received(live: LiveServer) -> None:
    made = live.client().post("/api/v1/reports", json={"code": "12\u000034", "place": "某店\u0000", "description": "\u0000"})
    assert made.status_code == 201, made.text
    assert made.json()["verdict"] == "malformed"


def test_the_report_of_an_unusual_input_keeps_it(live: LiveServer) -> None:
    client = live.client()
    client.get("/")
    csrf = client.cookies["jg_csrf"]
    done = client.post("/v/%3Cb%3Ex%3C%2Fb%3E/report", data={"code": "<b>x</b>", "place": "某店", "csrf_token": csrf})
    assert done.status_code == 200 and "JB" in done.text
    listing = live.login("operator").get("/manage/cases").text
    assert "&lt;b&gt;x&lt;/b&gt;" in listing and "<b>x</b>" not in listing
    assert client.post("/v/123", data={"csrf_token": csrf}).status_code == 404


# --- the enterprise's message ------------------------------------------------------------------


def _enterprise_id(client: httpx.Client, code: str) -> int:
    answer: dict[str, Any] = client.get(f"/api/v1/verify/{code}").json()
    return answer["enterprise"]["id"]


def wait_for_message(client: httpx.Client, code: str, expected: str | None) -> None:
    """The verifier keeps enterprise messages for a few seconds: wait until it shows ``expected``."""
    deadline = time.monotonic() + 15
    while client.get(f"/api/v1/verify/{code}").json()["message"] != expected:
        assert time.monotonic() < deadline, f"the message did not become {expected!r}"
        time.sleep(0.5)


def test_the_enterprise_message_shows_on_a_genuine_answer_until_withdrawn(live: LiveServer) -> None:
    first, second, third, fourth, probe = fresh_codes(live, FENGSUI, 615, 616, 617, 618, 620)
    public = live.client()
    enterprise_id = _enterprise_id(public, first)
    fengsui = live.login("fengsui")
    text = "丰穗复合肥秋季促销：凭监管码查询结果到栾城农资服务站享九五折。"
    assert live.login("zhenwei").post(f"/api/v1/enterprises/{enterprise_id}/broadcast",
                                       json={"text": "冒名播报"}).status_code == 404
    assert live.login("luancheng.quality").post(f"/api/v1/enterprises/{enterprise_id}/broadcast",
                                                json={"text": "x"}).status_code == 403
    assert fengsui.post(f"/api/v1/enterprises/{enterprise_id}/broadcast",
                        json={"text": "长" * 141}).status_code == 400
    posted = fengsui.post(f"/api/v1/enterprises/{enterprise_id}/broadcast", json={"text": text})
    assert posted.status_code == 201 and posted.json()["text"] == text
    wait_for_message(public, probe, text)
    page = public.get(f"/v/{second}")
    assert verdict_on_page(page) == "genuine" and text in page.text and "企业信息播报" in page.text
    assert public.get(f"/api/v1/verify/{third}").json()["message"] == text
    assert fengsui.delete(f"/api/v1/enterprises/{enterprise_id}/broadcast").status_code == 204
    wait_for_message(public, probe, None)
    page = public.get(f"/v/{fourth}")
    assert text not in page.text and "企业信息播报" not in page.text


def test_the_enterprise_page_posts_and_withdraws_the_message(live: LiveServer) -> None:
    code = fresh_codes(live, FENGSUI, 619)[0]
    public = live.client()
    enterprise_id = _enterprise_id(public, code)
    fengsui = live.login("fengsui")
    csrf = fengsui.cookies["jg_csrf"]
    page = fengsui.get(f"/manage/enterprises/{enterprise_id}")
    assert "信息播报" in page.text and "发布播报" in page.text
    text = "新包装上市，请认准防伪监管码。"
    assert fengsui.post(f"/manage/enterprises/{enterprise_id}/broadcast",
                        data={"text": "字" * 141, "csrf_token": csrf}).status_code == 400
    posted = fengsui.post(f"/manage/enterprises/{enterprise_id}/broadcast", data={"text": text, "csrf_token": csrf})
    assert posted.status_code == 303
    page = fengsui.get(f"/manage/enterprises/{enterprise_id}")
    assert text in page.text and "撤回播报" in page.text
    assert live.login("zhenwei").post(f"/manage/enterprises/{enterprise_id}/broadcast",
                                      data={"text": "冒名", "csrf_token": csrf}).status_code == 404
    withdrawn = fengsui.post(f"/manage/enterprises/{enterprise_id}/broadcast/withdraw", data={"csrf_token": csrf})
    assert withdrawn.status_code == 303
    assert text not in fengsui.get(f"/manage/enterprises/{enterprise_id}").text
    wait_for_message(public, code, None)
