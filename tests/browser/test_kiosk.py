"""The in-store query terminal screen: set up with a key, scan a code, read the verdict, reset."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from jianguan.codes.codec import damm_digit
from tests.browser.conftest import screenshot
from tests.live import LiveServer

RESET = 3  # seconds a verdict stays (the page's ?reset=)
RED = "rgb(198, 40, 40)"


def terminal_key(live: LiveServer) -> str:
    operator = live.login("operator")
    shop = next(row["id"] for row in operator.get("/api/v1/merchants").json() if row["name"] == "栾城农资服务站")
    response = operator.post("/api/v1/terminals", json={
        "merchant_id": shop, "name": f"收银台 {uuid.uuid4().hex[:4]}", "contact_name": "小李",
        "contact_phone": "13800000000"})
    assert response.status_code == 201, response.text
    return response.json()["key"]


def set_up(page: Page, live: LiveServer, key: str) -> None:
    page.goto(f"{live.base_url}/kiosk?reset={RESET}")
    expect(page.locator("#setup")).to_be_visible()
    page.fill("#key-input", key)
    page.press("#key-input", "Enter")
    expect(page.locator("#code-input")).to_be_visible()
    expect(page.locator("#code-input")).to_be_focused()
    expect(page.locator("#where")).to_contain_text("栾城农资服务站")


def scan(page: Page, text: str) -> None:
    page.keyboard.type(text)  # a keyboard-wedge scanner types into whatever has the focus
    page.keyboard.press("Enter")


@pytest.mark.browser
def test_kiosk_verdicts_alarm_and_reset(page: Page, live: LiveServer) -> None:
    set_up(page, live, terminal_key(live))
    assert page.evaluate("localStorage.length") == 1

    scan(page, live.seed.samples["activated"][0])
    body = page.locator("body")
    expect(body).to_have_attribute("data-verdict", re.compile("genuine|queried_before"))
    expect(page.locator("#headline")).to_contain_text(re.compile("正品|已被查询"))
    expect(page.locator("#facts")).to_contain_text("生产企业")
    expect(body).not_to_have_class(re.compile(r"\balarm\b"))

    # The next scan may come while the verdict shows; an unknown code sounds the alarm.
    code = live.seed.samples["activated"][0]
    unknown = code[:5] + str((int(code[5]) + 1) % 10) + str((int(code[6]) + 3) % 10) + code[7:19]
    scan(page, unknown + damm_digit(unknown))
    expect(body).to_have_attribute("data-verdict", "unknown")
    expect(body).to_have_class(re.compile(r"\balarm\b"))
    expect(body).to_have_css("background-color", RED)  # after the short colour transition
    expect(page.locator("#headline")).to_contain_text("查无此码")
    expect(page.locator("#alarm-banner")).to_be_visible()
    expect(page.locator("#headline .en")).to_contain_text("Unknown code")

    # After the reset delay: the empty input, focused, and the screen no longer red.
    expect(page.locator("#code-input")).to_be_visible(timeout=(RESET + 3) * 1000)
    expect(page.locator("#code-input")).to_have_value("")
    expect(page.locator("#code-input")).to_be_focused()
    expect(body).not_to_have_class(re.compile(r"\balarm\b"))


@pytest.mark.browser
def test_kiosk_refuses_a_bad_key(page: Page, live: LiveServer) -> None:
    page.goto(f"{live.base_url}/kiosk")
    page.fill("#key-input", "jg_aaaaaaaaaa_" + "b" * 43)
    page.press("#key-input", "Enter")
    expect(page.locator("#setup-error")).to_contain_text("密钥无效")
    assert page.evaluate("localStorage.length") == 0


@pytest.mark.browser
def test_kiosk_screenshots(browser: Browser, live: LiveServer) -> None:
    key = terminal_key(live)
    for name, viewport in (("tablet", {"width": 1024, "height": 768}), ("phone", {"width": 390, "height": 844})):
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        page = context.new_page()
        set_up(page, live, key)
        screenshot(page, f"kiosk-{name}-ready")
        scan(page, live.seed.samples["activated"][0])
        expect(page.locator("body")).to_have_attribute("data-verdict", re.compile("genuine|queried_before"))
        screenshot(page, f"kiosk-{name}-genuine")
        scan(page, "98765432109876543210")
        expect(page.locator("body")).to_have_attribute("data-verdict", re.compile("malformed|unknown"))
        scan(page, live.seed.samples["spoiled"][0])
        expect(page.locator("body")).to_have_class(re.compile(r"\balarm\b"))
        expect(page.locator("body")).to_have_css("background-color", RED)
        screenshot(page, f"kiosk-{name}-alarm")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], width
        context.close()
