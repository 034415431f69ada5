"""The enterprise, catalogue and registry API and pages on a live server (SQLite and PostgreSQL).

Each test makes its own data through the API as the operator, with fresh credit codes, so it
does not depend on the demo network's content.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.functional.registry_data import credit_code, gtin13
from tests.live import LiveServer


@pytest.fixture
def operator(live: LiveServer) -> Iterator[httpx.Client]:
    client = live.login("operator")
    yield client
    client.close()


def _category(client: httpx.Client, code: str) -> int:
    return next(c["id"] for c in client.get("/api/v1/categories").json() if c["code"] == code)


def _enterprise(client: httpx.Client, **overrides: Any) -> dict[str, Any]:
    body = {"credit_code": credit_code(overrides.get("region_code", "440305")), "name": "测试电器有限公司",
            "region_code": "440305", "category_id": _category(client, "appliance"), "address": "科技园 1 号",
            "contact_name": "李工", "contact_phone": "0755-26000001", "contact_email": "li@example.cn", **overrides}
    response = client.post("/api/v1/enterprises", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _user(live: LiveServer, operator: httpx.Client, username: str, **scope: Any) -> httpx.Client:
    response = operator.post("/api/v1/users", json={"username": username, "display_name": username,
                                                     "password": "a-long-test-password", **scope})
    assert response.status_code == 201, response.text
    return live.login(username, "a-long-test-password")


def _suffix() -> str:
    return credit_code()[-6:].lower()


def test_categories_are_public_and_only_the_operator_changes_them(live: LiveServer, operator: httpx.Client) -> None:
    with live.client() as anonymous:
        categories = anonymous.get("/api/v1/categories").json()
        assert {c["code"] for c in categories} >= {"food", "seed", "cosmetics", "produce"}
        assert anonymous.post("/api/v1/categories", json={}).status_code == 401
    code = "toys_" + _suffix()
    created = operator.post("/api/v1/categories", json={"code": code, "name_zh": "玩具", "name_en": "toys",
                                                        "agency": "quality"})
    assert created.status_code == 201, created.text
    duplicate = operator.post("/api/v1/categories", json={"code": code, "name_zh": "玩具", "name_en": "toys",
                                                          "agency": "quality"})
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["message_zh"]
    bad = operator.post("/api/v1/categories", json={"code": code + "x", "name_zh": "玩具", "name_en": "toys",
                                                    "agency": "police"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "validation_failed"
    assert "agency" in bad.json()["error"]["message"]
    changed = operator.patch(f"/api/v1/categories/{created.json()['id']}", json={"is_active": False})
    assert changed.status_code == 200 and changed.json()["is_active"] is False
    assert code not in {c["code"] for c in operator.get("/api/v1/categories").json()}


def test_register_sign_and_the_public_directory(live: LiveServer, operator: httpx.Client) -> None:
    name = "公开目录测试厂" + _suffix()
    enterprise = _enterprise(operator, name=name, contact_phone="0755-99990000", contact_email="hidden@example.cn")
    assert enterprise["stage"] == "registered"
    with live.client() as anonymous:
        assert anonymous.get(f"/api/v1/enterprises/{enterprise['id']}").status_code == 404
        assert operator.post(f"/api/v1/enterprises/{enterprise['id']}/sign", json={}).status_code == 201
        listing = anonymous.get("/api/v1/enterprises", params={"q": name})
        assert listing.status_code == 200
        assert [item["name"] for item in listing.json()["items"]] == [name]
        entry = anonymous.get(f"/api/v1/enterprises/{enterprise['id']}").json()
        assert entry["stage"] == "signed" and entry["region"]["name"] == "南山区"
        for text in (listing.text, entry.__repr__(), anonymous.get("/enterprises", params={"q": name}).text,
                     anonymous.get(f"/enterprises/{enterprise['id']}").text):
            assert "0755-99990000" not in text and "hidden@example.cn" not in text
        page = anonymous.get("/enterprises", params={"q": name})
        assert page.status_code == 200 and name in page.text
        assert anonymous.get("/api/v1/enterprises", params={"region": "440000", "q": name}).json()["total"] == 1
        assert anonymous.get("/api/v1/enterprises", params={"region": "330000", "q": name}).json()["total"] == 0
        assert anonymous.get("/api/v1/enterprises", params={"category": "food", "q": name}).json()["total"] == 0
    again = operator.post(f"/api/v1/enterprises/{enterprise['id']}/sign", json={})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_signed"


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"credit_code": "91350100M000100Y44"}, 400, "invalid_credit_code"),
        ({"region_code": "999999"}, 404, "unknown_region"),
        ({"region_code": "440000"}, 400, "region_too_coarse"),
        ({"name": ""}, 400, "validation_failed"),
        ({"name": "   "}, 400, "validation_failed"),
        ({"name": "厂" * 201}, 400, "validation_failed"),
        ({"description": "说" * 2001}, 400, "validation_failed"),
        ({"contact_phone": ""}, 400, "validation_failed"),
    ],
)
def test_bad_registrations_change_nothing(operator: httpx.Client, overrides: dict[str, Any], status: int,
                                          code: str) -> None:
    before = operator.get("/api/v1/manage/enterprises").json()
    body = {"credit_code": credit_code(), "name": "坏数据厂", "region_code": "440305",
            "category_id": _category(operator, "appliance"), "address": "一号", "contact_name": "王",
            "contact_phone": "13800000000", **overrides}
    response = operator.post("/api/v1/enterprises", json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and error["message_zh"]
    assert operator.get("/api/v1/manage/enterprises").json() == before


def test_duplicate_enterprise_is_refused(operator: httpx.Client) -> None:
    enterprise = _enterprise(operator)
    response = operator.post("/api/v1/enterprises", json={
        "credit_code": enterprise["credit_code"], "name": "冒名", "region_code": "440305",
        "category_id": enterprise["category"]["id"], "address": "一号", "contact_name": "王",
        "contact_phone": "13800000000"})
    assert response.status_code == 409
    assert enterprise["credit_code"] in response.json()["error"]["message_zh"]


def test_manufacturer_scope(live: LiveServer, operator: httpx.Client) -> None:
    own = _enterprise(operator)
    other = _enterprise(operator)
    suffix = _suffix()
    maker = _user(live, operator, f"maker{suffix}", role="manufacturer", enterprise_id=own["id"])
    category = own["category"]["id"]
    product = {"name": "电水壶", "specification": "1.5L", "category_id": category, "gtin": gtin13(),
               "packaging": [{"level": "item"}, {"level": "case", "units_of_lower_level": 12}]}
    created = maker.post(f"/api/v1/enterprises/{own['id']}/products", json=product)
    assert created.status_code == 201, created.text
    assert created.json()["packaging"] == [{"level": "item", "units_of_lower_level": 1},
                                           {"level": "case", "units_of_lower_level": 12}]
    assert maker.get(f"/api/v1/manage/enterprises/{own['id']}").status_code == 200
    assert maker.get(f"/api/v1/enterprises/{own['id']}/products").json()[0]["name"] == "电水壶"
    # Another enterprise does not exist as far as this manufacturer can tell.
    assert maker.get(f"/api/v1/manage/enterprises/{other['id']}").status_code == 404
    assert maker.get(f"/api/v1/enterprises/{other['id']}/products").status_code == 404
    assert maker.post(f"/api/v1/enterprises/{other['id']}/products",
                      json={**product, "gtin": None}).status_code == 404
    assert maker.post(f"/api/v1/enterprises/{other['id']}/qualifications",
                      json={"kind": "china_top_brand", "number": "X", "valid_from": "2020-01-01"}).status_code == 404
    assert maker.get(f"/manage/enterprises/{other['id']}").status_code == 404
    assert operator.get(f"/api/v1/enterprises/{other['id']}/products").json() == []
    # The registry list, signing and registering are not for manufacturers.
    assert maker.get("/api/v1/manage/enterprises").status_code == 403
    assert maker.post(f"/api/v1/enterprises/{own['id']}/sign", json={}).status_code == 403
    # A bad GTIN is explained and stores nothing.
    bad = maker.post(f"/api/v1/enterprises/{own['id']}/products",
                     json={**product, "name": "另一款", "gtin": "4006381333932"})
    assert bad.status_code == 400 and "应为 1" in bad.json()["error"]["message_zh"]
    duplicate = maker.post(f"/api/v1/enterprises/{own['id']}/products", json={**product, "name": "第三款"})
    assert duplicate.status_code == 409
    assert len(maker.get(f"/api/v1/enterprises/{own['id']}/products").json()) == 1
    maker.close()


def test_regulator_scope(live: LiveServer, operator: httpx.Client) -> None:
    nanshan = _enterprise(operator, region_code="440305")
    baoan = _enterprise(operator, region_code="440306")
    suffix = _suffix()
    regulator = _user(live, operator, f"reg{suffix}", role="regulator", region_code="440305", agency="quality")
    farm = _user(live, operator, f"farm{suffix}", role="regulator", region_code="440305", agency="agriculture")
    ids = {e["id"] for e in regulator.get("/api/v1/manage/enterprises").json()}
    assert nanshan["id"] in ids and baoan["id"] not in ids
    assert regulator.get(f"/api/v1/manage/enterprises/{baoan['id']}").status_code == 404
    assert regulator.get(f"/manage/enterprises/{baoan['id']}").status_code == 404
    assert regulator.get("/api/v1/enrolment", params={"region": "440306"}).status_code == 404
    assert regulator.get("/api/v1/enrolment").json()["region"]["code"] == "440305"
    # Agriculture supervises none of these appliance makers.
    assert nanshan["id"] not in {e["id"] for e in farm.get("/api/v1/manage/enterprises").json()}
    assert farm.get(f"/api/v1/manage/enterprises/{nanshan['id']}").status_code == 404
    # Regulators read; they do not register products.
    response = regulator.post(f"/api/v1/enterprises/{nanshan['id']}/products",
                              json={"name": "x", "specification": "y", "category_id": nanshan["category"]["id"]})
    assert response.status_code == 403
    page = regulator.get("/manage/enterprises")
    assert page.status_code == 200 and nanshan["name"] in page.text
    assert 'action="/manage/enterprises#register"' not in page.text
    regulator.close()
    farm.close()


def test_qualifications_and_the_detail_page_forms(live: LiveServer, operator: httpx.Client) -> None:
    enterprise = _enterprise(operator)
    added = operator.post(f"/api/v1/enterprises/{enterprise['id']}/qualifications",
                          json={"kind": "production_licence", "number": "XK08-" + _suffix(),
                                "valid_from": "2008-01-01", "valid_until": "2099-12-31"})
    assert added.status_code == 201, added.text
    bad = operator.post(f"/api/v1/enterprises/{enterprise['id']}/qualifications",
                        json={"kind": "production_licence", "number": "N", "valid_from": "2008-01-01",
                              "valid_until": "2007-01-01"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_validity"

    page = operator.get(f"/manage/enterprises/{enterprise['id']}")
    assert page.status_code == 200
    assert "签约入网" in page.text and "新增产品" in page.text
    csrf = operator.cookies["jg_csrf"]
    form = {"csrf_token": csrf, "name": "表单产品", "specification": "2L", "category_id": str(enterprise["category"]["id"]),
            "gtin": "123", "case_units": "6", "pallet_units": ""}
    refused = operator.post(f"/manage/enterprises/{enterprise['id']}/products", data=form)
    assert refused.status_code == 400
    assert "GTIN" in refused.text and 'value="表单产品"' in refused.text
    accepted = operator.post(f"/manage/enterprises/{enterprise['id']}/products", data={**form, "gtin": ""})
    assert accepted.status_code == 303
    signed = operator.post(f"/manage/enterprises/{enterprise['id']}/sign", data={"csrf_token": csrf, "signed_on": ""})
    assert signed.status_code == 303
    detail = operator.get(f"/api/v1/manage/enterprises/{enterprise['id']}").json()
    assert detail["signed_on"] and [p["name"] for p in detail["products"]] == ["表单产品"]
    assert detail["products"][0]["packaging"][1] == {"level": "case", "units_of_lower_level": 6}


def test_registration_form_keeps_values_on_error(operator: httpx.Client) -> None:
    csrf = operator.cookies["jg_csrf"]
    form = {"csrf_token": csrf, "credit_code": "91350100M000100Y44", "name": "表单企业", "region_code": "440305",
            "category_id": "1", "address": "一号", "contact_name": "王", "contact_phone": "13800000000"}
    refused = operator.post("/manage/enterprises", data=form)
    assert refused.status_code == 400
    assert "校验码错误" in refused.text and 'value="表单企业"' in refused.text
    english = operator.post("/manage/enterprises?lang=en", data=form)
    assert "check character" in english.text
    code = credit_code()
    accepted = operator.post("/manage/enterprises", data={**form, "credit_code": code})
    assert accepted.status_code == 303
    assert re.match(r"^/manage/enterprises/\d+$", accepted.headers["location"])


def test_printers_and_merchants(live: LiveServer, operator: httpx.Client) -> None:
    filing = "印备-" + _suffix()
    printer = operator.post("/api/v1/printers", json={"credit_code": credit_code(), "name": "测试印务",
                                                      "region_code": "440305", "filing_number": filing,
                                                      "filing_valid_until": "2099-01-01"})
    assert printer.status_code == 201, printer.text
    expired = operator.post("/api/v1/printers", json={"credit_code": credit_code(), "name": "过期印务",
                                                      "region_code": "440305", "filing_number": filing + "x",
                                                      "filing_valid_until": "2001-01-01"})
    assert expired.status_code == 201
    with live.client() as anonymous:
        public = anonymous.get("/api/v1/printers").json()
        numbers = {p["filing_number"] for p in public}
        assert filing in numbers and filing + "x" not in numbers
        assert "credit_code" not in public[0]
        assert anonymous.post("/api/v1/printers", json={}).status_code == 401
        assert anonymous.get("/api/v1/merchants").status_code == 401
    shop = operator.post("/api/v1/merchants", json={"credit_code": credit_code(), "name": "测试超市", "kind": "shop",
                                                    "region_code": "440305"})
    assert shop.status_code == 201, shop.text
    bad = operator.post("/api/v1/merchants", json={"credit_code": credit_code(), "name": "x", "kind": "bazaar",
                                                   "region_code": "440305"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "validation_failed"
    assert shop.json()["id"] in {m["id"] for m in operator.get("/api/v1/merchants").json()}
    for path in ("/manage/printers", "/manage/merchants", "/manage/catalogue"):
        assert operator.get(path).status_code == 200


def test_operator_pages_refuse_others(live: LiveServer, operator: httpx.Client) -> None:
    enterprise = _enterprise(operator)
    maker = _user(live, operator, f"mk{_suffix()}", role="manufacturer", enterprise_id=enterprise["id"])
    for path in ("/manage/catalogue", "/manage/printers", "/manage/merchants", "/manage/enterprises"):
        assert maker.get(path).status_code == 403, path
    assert maker.get(f"/manage/enterprises/{enterprise['id']}").status_code == 200
    assert maker.post("/api/v1/categories", json={"code": "zz", "name_zh": "z", "name_en": "z",
                                                  "agency": "quality"}).status_code == 403
    maker.close()
    with live.client() as anonymous:
        response = anonymous.get("/manage/catalogue")
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


def _printer(operator: httpx.Client, **overrides: Any) -> dict[str, Any]:
    body = {"credit_code": credit_code(), "name": "备案测试印务" + _suffix(), "region_code": "440305",
            "filing_number": "印备-" + _suffix(), "filing_valid_until": "2099-12-31", **overrides}
    response = operator.post("/api/v1/printers", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_the_operator_renews_and_revokes_a_filing_over_the_api(live: LiveServer, operator: httpx.Client) -> None:
    printer, other = _printer(operator), _printer(operator)
    filing = f"/api/v1/printers/{printer['id']}/filing"
    with live.client() as anonymous:
        def public() -> set[int]:
            return {p["id"] for p in anonymous.get("/api/v1/printers").json()}

        assert printer["id"] in public()
        revoked = operator.post(filing + "/revoke", json={"reason": "承印资质被吊销"})
        assert revoked.status_code == 200, revoked.text
        body = revoked.json()
        assert body["filing_revoked_reason"] == "承印资质被吊销" and body["filing_revoked_at"]
        assert body["filing_valid_today"] is False and body["filing_number"] == printer["filing_number"]
        assert printer["id"] not in public()
        again = operator.post(filing + "/revoke", json={"reason": "再撤销"})
        assert again.status_code == 409 and again.json()["error"]["code"] == "no_valid_filing"
        assert "已被撤销" in again.json()["error"]["message_zh"]

        for body, status, code in (
            ({"filing_number": other["filing_number"], "valid_until": "2099-01-01"}, 409, "duplicate_filing"),
            ({"filing_number": "印备-新", "valid_until": "2001-01-01"}, 400, "date_in_past"),
            ({"filing_number": "", "valid_until": "2099-01-01"}, 400, "validation_failed"),
            ({"filing_number": "印备-新"}, 400, "validation_failed"),
        ):
            refused = operator.post(filing, json=body)
            assert refused.status_code == status, (body, refused.text)
            assert refused.json()["error"]["code"] == code and refused.json()["error"]["message_zh"]
        assert printer["id"] not in public()
        renewed = operator.post(filing, json={"filing_number": printer["filing_number"], "valid_until": "2030-06-30"})
        assert renewed.status_code == 200, renewed.text
        assert renewed.json()["filing_valid_until"] == "2030-06-30" and renewed.json()["filing_revoked_at"] is None
        assert printer["id"] in public()
    assert operator.post("/api/v1/printers/999999/filing/revoke", json={"reason": "x"}).status_code == 404
    huayin = live.login("huayin")
    assert huayin.post(filing + "/revoke", json={"reason": "x"}).status_code == 403
    assert huayin.post(filing, json={"filing_number": "x", "valid_until": "2099-01-01"}).status_code == 403


def test_the_filing_forms_on_the_printer_page(live: LiveServer, operator: httpx.Client) -> None:
    printer = _printer(operator)
    page_url = f"/manage/printers/{printer['id']}"
    page = operator.get(page_url)
    assert page.status_code == 200 and "备案续期" in page.text and "撤销备案" in page.text
    csrf = operator.cookies["jg_csrf"]
    # A refusal is shown on the page, in the visitor's language, with the refusal's status.
    missing = operator.post(page_url + "/filing/revoke", data={"csrf_token": csrf, "reason": " "})
    assert missing.status_code == 400 and "请填写撤销备案的理由" in missing.text
    revoked = operator.post(page_url + "/filing/revoke", data={"csrf_token": csrf, "reason": "抽检发现漏码"})
    assert revoked.status_code == 303
    revoked_badge = '<span class="badge bad">已撤销'
    page = operator.get(page_url).text
    assert revoked_badge in page and "抽检发现漏码" in page
    listing = operator.get("/manage/printers").text
    row = listing[listing.index(printer["name"]):]
    assert revoked_badge in row[:row.index("</tr>")] and "抽检发现漏码" in row[:row.index("</tr>")]
    conflict = operator.post(page_url + "/filing/revoke", data={"csrf_token": csrf, "reason": "再撤销"})
    assert conflict.status_code == 409 and "没有可撤销的有效备案" in conflict.text
    past = operator.post(page_url + "/filing", data={"csrf_token": csrf, "filing_number": printer["filing_number"],
                                                     "valid_until": "2001-01-01"})
    assert past.status_code == 400 and "不能早于今天" in past.text
    assert 'value="2001-01-01"' in past.text  # what was typed stays in the form
    renewed = operator.post(page_url + "/filing", data={"csrf_token": csrf, "filing_number": "印备-续" + _suffix(),
                                                        "valid_until": "2031-01-31"})
    assert renewed.status_code == 303
    page = operator.get(page_url).text
    assert revoked_badge not in page and "2031-01-31" in page
    english = operator.post(page_url + "/filing/revoke?lang=en", data={"csrf_token": csrf, "reason": ""})
    assert english.status_code == 400 and "The reason for revoking is required" in english.text
    # Without the CSRF token nothing happens.
    assert operator.post(page_url + "/filing/revoke", data={"reason": "x"},
                         headers={"X-CSRF-Token": ""}).status_code == 403
    # The printer's own staff see their record, without the operator's forms.
    huayin = live.login("huayin")
    own = huayin.get("/manage/printers/1")
    assert own.status_code == 200 and "冀监码印备" in own.text and "备案续期" not in own.text
    assert huayin.post("/manage/printers/1/filing/revoke",
                       data={"csrf_token": huayin.cookies["jg_csrf"], "reason": "x"}).status_code == 403


def test_the_operator_sets_the_monthly_quota(live: LiveServer, operator: httpx.Client) -> None:
    enterprise = _enterprise(operator)
    assert enterprise["monthly_code_quota"] == 1_000_000
    url = f"/api/v1/enterprises/{enterprise['id']}/quota"
    changed = operator.post(url, json={"monthly_code_quota": 5000})
    assert changed.status_code == 200, changed.text
    assert changed.json()["monthly_code_quota"] == 5000
    assert operator.get(f"/api/v1/manage/enterprises/{enterprise['id']}").json()["monthly_code_quota"] == 5000
    for value in (-1, 10**12 + 1, True, "5000", 1.5, None):
        refused = operator.post(url, json={"monthly_code_quota": value})
        assert refused.status_code == 400, (value, refused.text)
        assert refused.json()["error"]["message_zh"]
    assert operator.post(url, json={}).status_code == 400
    assert operator.post("/api/v1/enterprises/99999999/quota", json={"monthly_code_quota": 1}).status_code == 404
    maker = _user(live, operator, f"quota{_suffix()}", role="manufacturer", enterprise_id=enterprise["id"])
    assert maker.post(url, json={"monthly_code_quota": 10**12}).status_code == 403
    # The page shows the quota and this month's codes to the enterprise; only the operator gets the form.
    own = maker.get(f"/manage/enterprises/{enterprise['id']}").text
    assert "5,000" in own and "本月已发码" in own and "/quota" not in own
    maker.close()

    page_url = f"/manage/enterprises/{enterprise['id']}"
    csrf = operator.cookies["jg_csrf"]
    for value, text in (("很多", "月度发码配额应为数字"), ("1000000000001", "0 至 1,000,000,000,000"),
                        ("", "请填写月度发码配额")):
        refused = operator.post(page_url + "/quota", data={"csrf_token": csrf, "monthly_code_quota": value})
        assert refused.status_code == 400 and text in refused.text, (value, refused.text[-2000:])
    accepted = operator.post(page_url + "/quota", data={"csrf_token": csrf, "monthly_code_quota": "2,000"})
    assert accepted.status_code == 303
    page = operator.get(page_url).text
    assert "2,000" in page and 'name="monthly_code_quota"' in page
    assert operator.get(f"/api/v1/manage/enterprises/{enterprise['id']}").json()["monthly_code_quota"] == 2000
    english = operator.post(page_url + "/quota?lang=en", data={"csrf_token": csrf, "monthly_code_quota": "²"})
    assert english.status_code == 400 and "must be a number" in english.text


def test_products_are_edited_and_qualifications_removed(live: LiveServer, operator: httpx.Client) -> None:
    own, other = _enterprise(operator), _enterprise(operator)
    maker = _user(live, operator, f"edit{_suffix()}", role="manufacturer", enterprise_id=own["id"])
    stranger = _user(live, operator, f"strange{_suffix()}", role="manufacturer", enterprise_id=other["id"])
    category = own["category"]["id"]
    gtin = gtin13()
    product = maker.post(f"/api/v1/enterprises/{own['id']}/products", json={
        "name": "电饭煲", "specification": "3L", "category_id": category, "gtin": gtin,
        "packaging": [{"level": "item"}, {"level": "case", "units_of_lower_level": 4}]}).json()
    qualification = maker.post(f"/api/v1/enterprises/{own['id']}/qualifications", json={
        "kind": "production_licence", "number": "XK-" + _suffix(), "valid_from": "2020-01-01"}).json()

    # Another enterprise's manufacturer is told there is no such product or qualification.
    assert stranger.patch(f"/api/v1/products/{product['id']}", json={"name": "冒名"}).status_code == 404
    assert stranger.delete(f"/api/v1/qualifications/{qualification['id']}").status_code == 404
    assert operator.patch("/api/v1/products/99999999", json={"name": "x"}).status_code == 404
    regulator = _user(live, operator, f"preg{_suffix()}", role="regulator", region_code="440305", agency="quality")
    assert regulator.patch(f"/api/v1/products/{product['id']}", json={"name": "x"}).status_code == 403

    changed = maker.patch(f"/api/v1/products/{product['id']}", json={
        "name": "智能电饭煲", "gtin": "", "packaging": [{"level": "item"}, {"level": "pallet", "units_of_lower_level": 60}]})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["name"], body["specification"], body["gtin"]) == ("智能电饭煲", "3L", None)
    assert body["packaging"] == [{"level": "item", "units_of_lower_level": 1},
                                 {"level": "pallet", "units_of_lower_level": 60}]
    bad = maker.patch(f"/api/v1/products/{product['id']}", json={"name": ""})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "validation_failed"
    assert maker.patch(f"/api/v1/products/{product['id']}", json={"colour": "red"}).status_code == 400
    by_operator = operator.patch(f"/api/v1/products/{product['id']}", json={"description": "运营中心补充说明"})
    assert by_operator.status_code == 200 and by_operator.json()["name"] == "智能电饭煲"

    removed = maker.delete(f"/api/v1/qualifications/{qualification['id']}")
    assert removed.status_code == 204 and removed.content == b""
    assert maker.delete(f"/api/v1/qualifications/{qualification['id']}").status_code == 404
    assert maker.get(f"/api/v1/manage/enterprises/{own['id']}").json()["qualifications"] == []
    for client in (maker, stranger, regulator):
        client.close()


def test_the_product_and_qualification_forms_on_the_enterprise_page(live: LiveServer, operator: httpx.Client) -> None:
    own, other = _enterprise(operator), _enterprise(operator)
    maker = _user(live, operator, f"form{_suffix()}", role="manufacturer", enterprise_id=own["id"])
    category = str(own["category"]["id"])
    product = maker.post(f"/api/v1/enterprises/{own['id']}/products", json={
        "name": "电暖器", "specification": "2000W", "category_id": int(category)}).json()
    other_product = operator.post(f"/api/v1/enterprises/{other['id']}/products", json={
        "name": "别家产品", "specification": "1", "category_id": int(category)}).json()
    qualification = maker.post(f"/api/v1/enterprises/{own['id']}/qualifications", json={
        "kind": "china_top_brand", "number": "MP-" + _suffix(), "valid_from": "2020-01-01"}).json()
    page_url = f"/manage/enterprises/{own['id']}"
    page = maker.get(page_url).text
    assert f'action="{page_url}/products/{product["id"]}"' in page
    assert f'action="{page_url}/qualifications/{qualification["id"]}/remove"' in page
    csrf = maker.cookies["jg_csrf"]
    form = {"csrf_token": csrf, "name": "电暖器 Pro", "specification": "2200W", "category_id": category,
            "gtin": "123", "case_units": "2", "pallet_units": "", "description": "新款"}
    refused = maker.post(f"{page_url}/products/{product['id']}", data=form)
    assert refused.status_code == 400 and "GTIN" in refused.text
    assert 'value="电暖器 Pro"' in refused.text and "<details open>" in refused.text
    accepted = maker.post(f"{page_url}/products/{product['id']}", data={**form, "gtin": ""})
    assert accepted.status_code == 303 and accepted.headers["location"].endswith(f"#product-{product['id']}")
    stored = maker.get(f"/api/v1/enterprises/{own['id']}/products").json()[0]
    assert (stored["name"], stored["specification"], stored["description"]) == ("电暖器 Pro", "2200W", "新款")
    assert stored["packaging"][1] == {"level": "case", "units_of_lower_level": 2}
    # Another enterprise's product, even under this enterprise's address, is not found.
    crossed = maker.post(f"{page_url}/products/{other_product['id']}", data=form)
    assert crossed.status_code == 404 and "别家产品" not in crossed.text
    crossed = operator.post(f"{page_url}/products/{other_product['id']}", data={**form, "csrf_token":
                                                                                operator.cookies["jg_csrf"]})
    assert crossed.status_code == 404
    assert operator.get(f"/api/v1/enterprises/{other['id']}/products").json()[0]["name"] == "别家产品"
    outsider = _user(live, operator, f"outs{_suffix()}", role="manufacturer", enterprise_id=other["id"])
    assert outsider.post(f"{page_url}/products/{product['id']}",
                         data={**form, "csrf_token": outsider.cookies["jg_csrf"]}).status_code == 404
    assert outsider.post(f"{page_url}/qualifications/{qualification['id']}/remove",
                         data={"csrf_token": outsider.cookies["jg_csrf"]}).status_code == 404

    removed = maker.post(f"{page_url}/qualifications/{qualification['id']}/remove", data={"csrf_token": csrf})
    assert removed.status_code == 303
    assert qualification["number"] not in maker.get(page_url).text
    gone = maker.post(f"{page_url}/qualifications/{qualification['id']}/remove?lang=en", data={"csrf_token": csrf})
    assert gone.status_code == 404 and f"No qualification {qualification['id']}" in gone.text
    for client in (maker, outsider):
        client.close()
