""""Use my location" on a phone (390x844): with the browser's permission the county is found and
the next check names it; without it, the page says to choose the county by name instead."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import PHONE, screenshot
from tests.functional.test_verify_web import FENGSUI, fresh_codes
from tests.live import LiveServer

CHANGAN = {"latitude": 38.0428, "longitude": 114.5149}  # 石家庄 长安区 (WGS-84, as a phone gives it)


@pytest.fixture
def allowed(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", geolocation=CHANGAN, permissions=["geolocation"])
    yield context
    context.close()


def test_a_shared_location_names_the_county_in_the_next_check(allowed: BrowserContext, live: LiveServer) -> None:
    code = fresh_codes(live, FENGSUI, 732)[0]
    page = allowed.new_page()
    page.goto(f"{live.base_url}/place?back=/v/{code}")
    button = page.get_by_role("button", name="使用我的位置")
    expect(button).to_be_visible()
    expect(page.get_by_text("不保存坐标")).to_be_visible()
    screenshot(page, "place-locate-phone")
    button.click()
    status = page.locator("[data-locate-status]")
    expect(status).to_have_attribute("data-place", "130102")
    expect(status).to_contain_text("河北省 石家庄市 长安区")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "place-located-phone")
    page.goto(f"{live.base_url}/v/{code}")  # the code's first check, here
    expect(page.locator(".place-note")).to_contain_text("本次查询已记下您选择的地点：长安区")
    page.reload()  # the next check's answer names where the first one was
    expect(page.locator("dd.history")).to_contain_text("地点 长安区")
    screenshot(page, "verify-place-named-phone")


def test_from_the_verify_page_and_without_permission(browser: Browser, live: LiveServer) -> None:
    code = fresh_codes(live, FENGSUI, 733)[0]
    context = browser.new_context(viewport=PHONE, locale="zh-CN", geolocation=CHANGAN)  # permission not given
    try:
        page: Page = context.new_page()
        page.goto(f"{live.base_url}/v/{code}?lang=en")
        expect(page.locator(".place-note")).to_contain_text("This check's place is unknown.")
        page.locator(".place-note").get_by_role("button", name="Use my location").click()
        status = page.locator(".place-note [data-locate-status]")
        expect(status).to_contain_text("search for your county or city instead")
        expect(status).to_have_attribute("data-tone", "bad")
        screenshot(page, "verify-locate-denied-phone-en")
        assert context.cookies() and not [c for c in context.cookies() if c["name"] == "jg_place"]
        # Once allowed, the same button on the verification page remembers the county there and then.
        context.grant_permissions(["geolocation"], origin=live.base_url)
        page.locator(".place-note").get_by_role("button", name="Use my location").click()
        expect(status).to_contain_text("Remembered your place: 河北省 石家庄市 长安区")
        screenshot(page, "verify-located-phone-en")
        assert [c["value"] for c in context.cookies() if c["name"] == "jg_place"] == ["130102"]
    finally:
        context.close()
