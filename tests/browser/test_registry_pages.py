"""The operator's registry forms in the browser, on a phone: a printer's filing revoked and
renewed; an enterprise's quota set, a product edited and a qualification removed."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in, screenshot
from tests.functional.registry_data import credit_code
from tests.live import LiveServer


def _fits_the_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide on a 390px phone"


def _created(response: httpx.Response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()


def test_operator_revokes_and_renews_a_filing_on_a_phone(page: Page, live: LiveServer) -> None:
    api = live.login("operator")
    printer = _created(api.post("/api/v1/printers", json={
        "credit_code": credit_code(), "name": "浏览器测试印务有限公司", "region_code": "440305",
        "filing_number": "粤监码印备〔2026〕" + credit_code()[-4:] + " 号", "filing_valid_until": "2028-12-31"}))
    api.close()
    log_in(page, live, "operator")
    page.goto(f"{live.base_url}/manage/printers/{printer['id']}")
    expect(page.locator("#filing")).to_contain_text("有效")
    _fits_the_phone(page)
    page.fill("#revoke-filing textarea[name=reason]", "抽检发现重复印制监管码")
    page.click("#revoke-filing button[type=submit]")
    page.wait_for_load_state()
    filing = page.locator("#filing")
    expect(filing).to_contain_text("已撤销")
    expect(filing).to_contain_text("抽检发现重复印制监管码")
    expect(page.locator("#revoke-filing")).to_have_count(0)  # nothing left to revoke
    _fits_the_phone(page)
    screenshot(page, "printer-filing-revoked-phone")

    page.fill("#renew-filing input[name=valid_until]", "2030-06-30")
    page.click("#renew-filing button[type=submit]")
    page.wait_for_load_state()
    expect(filing).to_contain_text("有效 至 2030-06-30")
    expect(filing).not_to_contain_text("已撤销")
    page.goto(f"{live.base_url}/manage/printers")
    expect(page.locator("main")).to_contain_text("浏览器测试印务有限公司")
    _fits_the_phone(page)
    screenshot(page, "printers-list-phone")


def test_operator_edits_an_enterprise_on_a_phone(page: Page, live: LiveServer) -> None:
    api = live.login("operator")
    category = next(c["id"] for c in api.get("/api/v1/categories").json() if c["code"] == "appliance")
    enterprise = _created(api.post("/api/v1/enterprises", json={
        "credit_code": credit_code(), "name": "浏览器测试电器有限公司", "region_code": "440305",
        "category_id": category, "address": "科技园 9 号", "contact_name": "陈工", "contact_phone": "0755-26000009"}))
    _created(api.post(f"/api/v1/enterprises/{enterprise['id']}/products", json={
        "name": "电热水壶", "specification": "1.7 L", "category_id": category,
        "packaging": [{"level": "item"}, {"level": "case", "units_of_lower_level": 6}]}))
    _created(api.post(f"/api/v1/enterprises/{enterprise['id']}/qualifications", json={
        "kind": "production_licence", "number": "XK06-浏览器-01", "valid_from": "2020-01-01"}))
    api.close()
    log_in(page, live, "operator")
    page.goto(f"{live.base_url}/manage/enterprises/{enterprise['id']}")
    _fits_the_phone(page)

    page.fill("input[name=monthly_code_quota]", "250,000")
    page.get_by_role("button", name="修改配额").click()
    page.wait_for_load_state()
    expect(page.locator("#quota + section")).to_contain_text("250,000")

    page.get_by_text("修改产品：电热水壶").click()
    edit = page.locator("tr.edit-row form").first
    edit.locator("input[name=name]").fill("电热水壶 二代")
    edit.locator("input[name=pallet_units]").fill("40")
    _fits_the_phone(page)
    screenshot(page, "enterprise-product-edit-phone")
    edit.get_by_role("button", name="保存修改").click()
    page.wait_for_load_state()
    products = page.locator("#products + .table-wrap")
    expect(products).to_contain_text("电热水壶 二代")
    expect(products).to_contain_text("托盘 × 40")

    page.get_by_role("button", name="删除资质 XK06-浏览器-01").click()
    page.wait_for_load_state()
    expect(page.locator("#qualifications + .table-wrap")).not_to_contain_text("XK06-浏览器-01")
    _fits_the_phone(page)
    screenshot(page, "enterprise-edited-phone")
