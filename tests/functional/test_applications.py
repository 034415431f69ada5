"""Joining online (网上申请入网) on a live server, on both databases: routing to the agency of the
category in the county, scope (404 outside), the corrections loop, approval (the enterprise, its
signing, products and first user, who logs in with the password sent by SMS), refusal, bad input
(nothing changed), the web form with its uploads, and the applicant's status look-up."""

from __future__ import annotations

import base64
import re
from concurrent.futures import ThreadPoolExecutor
from itertools import count
from typing import Any

import httpx

from jianguan.demo.seed import demo_credit_code
from tests.functional.channel_helpers import rows
from tests.live import LiveServer

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
_serials = count(500)


def category(live: LiveServer, code: str) -> int:
    return rows(live, "SELECT id FROM categories WHERE code = :code", code=code)[0].id


def body(live: LiveServer, *, county: str = "130111", kind: str = "fertiliser", mobile: str = "13800000001",
         **changes: Any) -> dict[str, Any]:
    serial = next(_serials)
    category_id = category(live, kind)
    return {"credit_code": demo_credit_code(serial, county), "name": f"测试申请企业{serial}", "region_code": county,
            "category_id": category_id, "address": "某街 1 号", "licence_number": f"XK-{serial}",
            "contact_name": "张三", "mobile": mobile, "email": f"a{serial}@example.com",
            "products": [{"name": f"产品{serial}", "specification": "40 kg", "category_id": category_id}],
            "documents": [{"kind": "business_licence", "content": base64.b64encode(PDF).decode()}], **changes}


def apply(live: LiveServer, payload: dict[str, Any]) -> dict[str, Any]:
    made = live.client().post("/api/v1/applications", json=payload)
    assert made.status_code == 201, made.text
    return made.json()


def outbox(live: LiveServer, to: str) -> list[str]:
    return [row.text for row in rows(live, 'SELECT text FROM outbound_sms WHERE "to" = :to ORDER BY id', to=to)]


def emails(live: LiveServer, to: str) -> list[str]:
    return [f"{row.subject} {row.body}" for row in rows(
        live, 'SELECT subject, body FROM outbound_emails WHERE "to" = :to ORDER BY id', to=to)]


def audited(live: LiveServer, application_id: int) -> list[str]:
    return [row.action for row in rows(live, "SELECT action FROM audit_records WHERE target_type = 'application' "
                                             "AND target_id = :id ORDER BY id", id=str(application_id))]


def decide(client: httpx.Client, application_id: int, decision: str, reason: str | None = None) -> httpx.Response:
    return client.post(f"/api/v1/applications/{application_id}/decision",
                       json={"decision": decision, **({"reason": reason} if reason else {})})


def test_an_application_goes_to_the_agency_of_its_category_in_its_county(live: LiveServer) -> None:
    made = apply(live, body(live, county="130111", kind="fertiliser", mobile="13800000011"))
    assert (made["agency"], made["assigned_region"], made["stage"]) == ("agriculture", "130111", "submitted")
    number, secret, ident = made["number"], made["secret"], made["id"]
    assert re.fullmatch(r"SQ\d{14}", number)
    assert any(number in text and secret in text for text in outbox(live, "13800000011"))
    for seer in ("luancheng.agri", "hebei.agri", "operator"):
        client = live.login(seer)
        assert number in client.get("/api/v1/applications").text
        assert client.get(f"/api/v1/applications/{ident}/review").json()["number"] == number
        assert number in client.get(f"/manage/applications/{ident}").text
    for outsider in ("luancheng.quality", "sjz.quality", "fuzhou.quality"):
        client = live.login(outsider)
        assert number not in client.get("/api/v1/applications").text
        assert client.get(f"/api/v1/applications/{ident}/review").status_code == 404
        assert decide(client, ident, "refuse", "不归你管").status_code == 404
        assert client.get(f"/manage/applications/{ident}").status_code == 404
    assert live.login("fengsui").get("/api/v1/applications").status_code == 403
    # The applicant follows it with the number and secret only; a wrong secret is as an unknown number.
    status = live.client().get(f"/api/v1/applications/{number}", params={"secret": secret})
    assert status.status_code == 200 and status.json()["stage"] == "submitted"
    assert live.client().get(f"/api/v1/applications/{number}", params={"secret": "x" + secret}).status_code == 404
    assert audited(live, ident) == ["application:application:submitted"]
    after = rows(live, "SELECT after FROM audit_records WHERE target_type = 'application' AND target_id = :id",
                 id=str(ident))[0].after
    assert secret not in str(after) and "13800000011" not in str(after)


def test_corrections_then_resubmission_then_approval_makes_the_enterprise_and_its_user(live: LiveServer) -> None:
    payload = body(live, county="130102", kind="food", mobile="13800000022")
    made = apply(live, payload)
    assert made["agency"] == "quality"
    ident, number, secret = made["id"], made["number"], made["secret"]
    regulator = live.login("sjz.quality")
    assert decide(regulator, ident, "corrections").status_code == 400  # saying what to correct is required
    asked = decide(regulator, ident, "corrections", "请上传生产许可证。")
    assert asked.status_code == 200 and asked.json()["stage"] == "corrections"
    assert decide(regulator, ident, "approve").status_code == 409  # not as it stands
    assert any("请上传生产许可证" in text for text in outbox(live, "13800000022"))
    status = live.client().get(f"/api/v1/applications/{number}", params={"secret": secret}).json()
    assert status["stage"] == "corrections" and status["note"] == "请上传生产许可证。"
    corrected = {**payload, "name": payload["name"] + "（更正）", "documents": [
        {"kind": "production_licence", "content": base64.b64encode(PNG).decode()}]}
    changed_code = {**corrected, "credit_code": demo_credit_code(next(_serials), "130102")}
    assert live.client().put(f"/api/v1/applications/{number}", params={"secret": secret},
                             json=changed_code).status_code == 400
    assert live.client().put(f"/api/v1/applications/{number}", params={"secret": "wrong"},
                             json=corrected).status_code == 404
    again = live.client().put(f"/api/v1/applications/{number}", params={"secret": secret}, json=corrected)
    assert again.status_code == 200 and again.json()["stage"] == "submitted", again.text
    assert live.client().put(f"/api/v1/applications/{number}", params={"secret": secret},
                             json=corrected).status_code == 409  # no corrections asked now
    review = regulator.get(f"/api/v1/applications/{ident}/review").json()
    assert sorted(d["kind"] for d in review["documents"]) == ["business_licence", "production_licence"]
    assert regulator.get(review["documents"][1]["url"]).content == PNG

    approved = decide(regulator, ident, "approve")
    assert approved.status_code == 200, approved.text
    username = approved.json()["username"]
    assert username == payload["credit_code"].lower() and approved.json()["stage"] == "approved"
    enterprise = rows(live, "SELECT id, name, signed_on, region_code FROM enterprises WHERE credit_code = :code",
                      code=payload["credit_code"])[0]
    assert enterprise.name == corrected["name"] and enterprise.signed_on is not None
    assert [row.name for row in rows(live, "SELECT name FROM products WHERE enterprise_id = :id",
                                     id=enterprise.id)] == [payload["products"][0]["name"]]
    assert decide(regulator, ident, "approve").status_code == 409
    assert decide(regulator, ident, "refuse", "晚了").status_code == 409
    # Each step was also e-mailed; the password went by text message only.
    mails = emails(live, payload["email"])
    assert [mail.split("（")[0] for mail in mails] == [
        "【电子监管】入网申请已提交", "【电子监管】入网申请需要补正", "【电子监管】入网申请已重新提交",
        "【电子监管】入网申请已批准"]
    assert "请上传生产许可证" in mails[1] and username in mails[3]
    outbox_page = live.login("operator").get("/manage/outbox")
    assert "入网申请需要补正" in outbox_page.text and payload["email"] not in outbox_page.text  # masked
    # The first user logs in with the password sent to the applicant's mobile, and sees its enterprise.
    sms = outbox(live, "13800000022")[-1]
    password = re.search(r"初始密码(\S+?)（", sms).group(1)
    assert password not in " ".join(emails(live, payload["email"]))
    own = live.login(username, password)
    assert corrected["name"] in own.get(f"/manage/enterprises/{enterprise.id}").text
    key = own.post("/api/v1/apikeys", json={"name": "ERP", "enterprise_id": enterprise.id})  # its credentials
    assert key.status_code == 201, key.text
    stage = rows(live, "SELECT credentials_issued_on FROM enterprises WHERE id = :id", id=enterprise.id)[0]
    assert stage.credentials_issued_on is not None
    assert audited(live, ident) == ["application:application:submitted", "application:corrections:asked",
                                    "application:application:resubmitted", "application:application:approved"]
    signed = rows(live, "SELECT action FROM audit_records WHERE target_type = 'enterprise' AND target_id = :id "
                        "ORDER BY id", id=str(enterprise.id))
    assert [row.action for row in signed][:2] == ["enterprise:enterprise:registered", "enterprise:stage:reached"]
    assert live.client().get(f"/api/v1/applications/{number}", params={"secret": secret}).json()["stage"] == "approved"


def entry_of(live: LiveServer, kind: str, *, other: bool = False) -> Any:
    """An entry of the product catalogue in use of the category ``kind`` (or, ``other``, of another)."""
    found = rows(live, "SELECT e.id, e.number, c.code FROM catalogue_entries e JOIN categories c "
                       "ON c.id = e.category_id WHERE e.is_active ORDER BY e.id")
    return next(row for row in found if (row.code != kind) == other)


def test_an_applicant_names_the_catalogue_entry_and_the_signed_product_is_linked(live: LiveServer) -> None:
    entry, foreign = entry_of(live, "fertiliser"), entry_of(live, "fertiliser", other=True)
    payload = body(live, mobile="13800000055")
    product = payload["products"][0]
    before = len(rows(live, "SELECT id FROM applications"))
    mismatch = live.client().post("/api/v1/applications", json={
        **payload, "products": [{**product, "catalogue_entry_id": foreign.id}]})
    assert mismatch.status_code == 400 and mismatch.json()["error"]["code"] == "catalogue_category_mismatch"
    assert "与产品类别不符" in mismatch.json()["error"]["message_zh"]
    unknown = live.client().post("/api/v1/applications", json={
        **payload, "products": [{**product, "catalogue_entry_id": 999_999}]})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "unknown_catalogue_entry"
    assert len(rows(live, "SELECT id FROM applications")) == before
    made = apply(live, {**payload, "products": [{**product, "catalogue_entry_id": entry.id}]})
    regulator = live.login("luancheng.agri")
    review = regulator.get(f"/api/v1/applications/{made['id']}/review").json()
    assert review["products"][0]["catalogue_entry_id"] == entry.id
    assert f"目录产品 {entry.number}" in regulator.get(f"/manage/applications/{made['id']}").text
    assert decide(regulator, made["id"], "approve").status_code == 200
    linked = rows(live, "SELECT p.catalogue_entry_id FROM products p JOIN enterprises e ON e.id = p.enterprise_id "
                        "WHERE e.credit_code = :code", code=payload["credit_code"])
    assert [row.catalogue_entry_id for row in linked] == [entry.id]


def test_a_refusal_says_why_and_ends_the_application(live: LiveServer) -> None:
    made = apply(live, body(live, mobile="13800000033"))
    client = live.login("luancheng.agri")
    refused = decide(client, made["id"], "refuse", "生产许可证已过期。")
    assert refused.status_code == 200 and refused.json()["stage"] == "refused"
    assert any("生产许可证已过期" in text for text in outbox(live, "13800000033"))
    assert decide(client, made["id"], "corrections", "再看看").status_code == 409


def test_bad_applications_are_refused_and_change_nothing(live: LiveServer) -> None:
    before = len(rows(live, "SELECT id FROM applications"))
    audit_before = len(rows(live, "SELECT id FROM audit_records"))
    client = live.client()
    good = body(live)
    bad_code = {**good, "credit_code": good["credit_code"][:-1] + ("0" if good["credit_code"][-1] != "0" else "1")}
    answer = client.post("/api/v1/applications", json=bad_code)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_credit_code"
    answer = client.post("/api/v1/applications", json={**good, "documents": []})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "missing_document"
    disguised = [{"kind": "business_licence", "content": base64.b64encode(b"<html>licence</html>").decode()}]
    answer = client.post("/api/v1/applications", json={**good, "documents": disguised})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "document_type"
    assert "PDF" in answer.text
    answer = client.post("/api/v1/applications", json={**good, "mobile": "12345"})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_mobile"
    answer = client.post("/api/v1/applications", json={**good, "region_code": "130100"})  # a city with counties
    assert answer.status_code == 400
    fengsui = rows(live, "SELECT credit_code FROM enterprises WHERE name = '石家庄丰穗复合肥有限公司'")[0].credit_code
    answer = client.post("/api/v1/applications", json={**good, "credit_code": fengsui})
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "duplicate_enterprise"
    assert len(rows(live, "SELECT id FROM applications")) == before
    assert len(rows(live, "SELECT id FROM audit_records")) == audit_before
    made = apply(live, good)  # the same application twice while the first is under review
    answer = client.post("/api/v1/applications", json=good)
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "duplicate_application"
    assert made["stage"] == "submitted"


def test_the_web_form_takes_documents_by_their_bytes_and_shows_the_number_once(live: LiveServer) -> None:
    client = live.client()
    assert "网上申请入网" in client.get("/apply").text
    payload = body(live, mobile="13800000044")
    product = payload["products"][0]
    fields = {key: str(value) for key, value in payload.items() if key not in ("products", "documents")}
    entry = entry_of(live, "fertiliser")
    assert f'<option value="{entry.id}"' in client.get("/apply").text  # the catalogue is offered
    fields.update(product_name_0=product["name"], product_spec_0=product["specification"],
                  product_category_0=str(product["category_id"]), product_entry_0=str(entry.id),
                  csrf_token=client.cookies["jg_csrf"])
    before = len(rows(live, "SELECT id FROM applications"))
    disguised = client.post("/apply", data=fields,
                            files=[("business_licence", ("licence.pdf", b"<html><script>x</script></html>",
                                                         "application/pdf"))])
    assert disguised.status_code == 400 and "营业执照须为 PDF、JPEG 或 PNG 文件。" in disguised.text
    assert payload["name"] in disguised.text  # the form keeps what was typed
    assert len(rows(live, "SELECT id FROM applications")) == before
    done = client.post("/apply", data=fields, files=[("business_licence", ("licence.pdf", PDF, "application/pdf"))])
    assert done.status_code == 200, done.text[:500]
    number = re.search(r'class="reference">(SQ\d+)<', done.text).group(1)
    secret = re.search(r'class="secret">([^<]+)<', done.text).group(1)
    page = client.get("/apply/status", params={"number": number, "secret": secret})
    assert page.status_code == 200 and "待审核" in page.text
    assert client.get("/apply/status", params={"number": number, "secret": "nope"}).status_code == 404
    # The agency asks for corrections on its page; the applicant corrects on the status page.
    regulator = live.login("luancheng.agri")
    ident = int(number[10:])
    asked = regulator.post(f"/manage/applications/{ident}/decision",
                           data={"decision": "corrections", "reason": "请补充地址门牌号。"})
    assert asked.status_code == 303
    page = client.get("/apply/status", params={"number": number, "secret": secret})
    assert "请补充地址门牌号。" in page.text and "重新提交" in page.text
    resent = client.post("/apply/status", data={**fields, "number": number, "secret": secret,
                                                "address": "某街 1 号 3 单元"})
    assert resent.status_code == 200 and "待审核" in resent.text, resent.text[:500]
    assert rows(live, "SELECT address FROM applications WHERE id = :id", id=ident)[0].address == "某街 1 号 3 单元"
    assert [row.catalogue_entry_id for row in rows(live, "SELECT catalogue_entry_id FROM application_products "
                                                         "WHERE application_id = :id", id=ident)] == [entry.id]
    wrong_stage = regulator.post(f"/manage/applications/{ident}/decision",
                                 data={"decision": "corrections", "reason": ""})
    assert wrong_stage.status_code == 400 and "请填写理由" in wrong_stage.text


def test_the_demo_network_holds_applications_in_two_states(live: LiveServer) -> None:
    lines = [line.split() for line in live.seed.output.splitlines() if line.startswith("application ")]
    stages = {row.name: row.stage for row in rows(live, "SELECT name, stage FROM applications WHERE name IN "
                                                        "('栾城鑫农生物肥料有限公司', '石家庄福味食品有限公司')")}
    assert stages == {"栾城鑫农生物肥料有限公司": "submitted", "石家庄福味食品有限公司": "corrections"}
    assert len(lines) == 2
    for _, number, secret in lines:
        assert live.client().get(f"/api/v1/applications/{number}", params={"secret": secret}).status_code == 200


def test_the_enrolment_funnel_counts_the_applications_in_scope(live: LiveServer) -> None:
    agri = live.login("luancheng.agri").get("/api/v1/enrolment").json()["applications"]
    assert agri["submitted"] >= 1  # 鑫农 waits (福味, food, is not agriculture's)
    quality = live.login("sjz.quality").get("/api/v1/enrolment", params={"region": "130102"}).json()["applications"]
    assert quality["corrections"] >= 1
    page = live.login("sjz.quality").get("/manage/enterprises")
    assert "网上入网申请" in page.text and "待补正" in page.text


def test_the_statistics_enrolment_table_counts_applications(live: LiveServer) -> None:
    table = live.login("operator").get("/api/v1/statistics", params={"region": "130000", "table": "enrolment"})
    assert table.status_code == 200, table.text
    assert "applied_total" in table.text and "网上申请（累计）" in table.text


def test_sixteen_at_once_one_application_a_credit_code_and_one_approval(live: LiveServer) -> None:
    """The same application sent sixteen times at once is accepted once (the others 409), and two
    approvals at once sign it once (the other 409): on both databases."""
    payload = body(live, mobile="13800000055")

    def send(_: int) -> int:
        with httpx.Client(base_url=live.base_url, timeout=60) as client:
            return client.post("/api/v1/applications", json=payload).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = sorted(pool.map(send, range(16)))
    assert statuses == [201] + [409] * 15, statuses
    made = rows(live, "SELECT id FROM applications WHERE credit_code = :code", code=payload["credit_code"])
    assert len(made) == 1
    regulators = [live.login("luancheng.agri"), live.login("hebei.agri")]

    def approve(client: httpx.Client) -> int:
        return decide(client, made[0].id, "approve").status_code

    with ThreadPoolExecutor(2) as pool:
        assert sorted(pool.map(approve, regulators)) == [200, 409]
    assert len(rows(live, "SELECT id FROM enterprises WHERE credit_code = :code", code=payload["credit_code"])) == 1
    assert audited(live, made[0].id).count("application:application:approved") == 1
