"""A regulator and a manufacturer log in through the browser and see their own scope only."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in, screenshot
from tests.live import LiveServer


def test_county_agriculture_regulator_sees_only_its_county_and_agency(page: Page, live: LiveServer) -> None:
    log_in(page, live, "luancheng.agri")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.locator("body")).to_contain_text("栾城区")
    page.goto(f"{live.base_url}/manage/enterprises")
    body = page.locator("main")
    expect(body).to_contain_text("石家庄丰穗复合肥有限公司")  # fertiliser in 栾城: agriculture
    expect(body).not_to_contain_text("栾城恒温电热毯厂")  # electric blankets: quality supervision
    expect(body).not_to_contain_text("石家庄珍味酿造集团有限公司")  # another county
    expect(body).not_to_contain_text("宣化绿盾农药有限责任公司")  # another city
    screenshot(page, "regulator-county-enterprises")


def test_province_quality_regulator_sees_the_province(page: Page, live: LiveServer) -> None:
    log_in(page, live, "hebei.quality")
    page.goto(f"{live.base_url}/manage/enterprises")
    body = page.locator("main")
    expect(body).to_contain_text("石家庄珍味酿造集团有限公司")
    expect(body).to_contain_text("冀中电线电缆股份有限公司")
    expect(body).not_to_contain_text("福州闽江燃气具有限公司")  # 福建
    expect(body).not_to_contain_text("宣化绿盾农药有限责任公司")  # pesticide: agriculture


def test_manufacturer_sees_its_own_enterprise_and_not_another(page: Page, live: LiveServer) -> None:
    log_in(page, live, "fengsui")
    page.goto(f"{live.base_url}/dashboard")
    page.get_by_role("link", name=re.compile("丰穗")).first.click()
    page.wait_for_load_state()
    body = page.locator("main")
    expect(body).to_contain_text("丰穗牌复合肥")
    own_url = page.url
    screenshot(page, "manufacturer-own-enterprise")
    other_id = int(own_url.rstrip("/").rsplit("/", 1)[1]) + 3  # the demo's 珍味酿造
    response = page.goto(f"{live.base_url}/manage/enterprises/{other_id}")
    assert response is not None and response.status in (403, 404)
    expect(page.locator("main")).not_to_contain_text("珍味")
    page.goto(f"{live.base_url}/manage/enterprises")
    expect(page.locator("main")).not_to_contain_text("珍味")


def test_english_switch_and_phone_layout(page: Page, live: LiveServer) -> None:
    page.goto(f"{live.base_url}/")
    expect(page.locator("h1")).to_contain_text("一物一码")
    page.get_by_role("link", name="English").click()
    expect(page.locator("h1")).to_contain_text("One item, one code")
    page.goto(f"{live.base_url}/enterprises")
    expect(page.locator("main")).to_contain_text("enterprises", ignore_case=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide on a 390px phone"
    screenshot(page, "directory-phone-en")
