"""The verification page on a phone (390x844): the verdict is the first thing seen, in its
colour; the English switch; and a report of a fake from the answer to its thank-you page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, screenshot
from tests.functional.test_verify_web import FENGSUI, fresh_codes, unknown_code
from tests.live import LiveServer

GREEN = "rgb(27, 127, 59)"
RED = "rgb(179, 38, 30)"


def _above_the_fold(page: Page, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"], box


def test_a_genuine_code_is_green_above_the_fold(page: Page, live: LiveServer) -> None:
    code = fresh_codes(live, FENGSUI, 621)[0]
    page.goto(f"{live.base_url}/v/{code}")
    verdict = page.locator(".verdict")
    expect(verdict).to_have_attribute("data-verdict", "genuine")
    expect(page.locator(".verdict-headline")).to_have_text("正品，首次查询")
    assert verdict.evaluate("el => getComputedStyle(el).backgroundColor") == GREEN
    _above_the_fold(page, ".verdict")
    expect(page.get_by_text("丰穗牌复合肥", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing overflows sideways
    screenshot(page, "verify-genuine-phone")


def test_an_unknown_code_is_red_and_switches_to_english(page: Page, live: LiveServer) -> None:
    code = unknown_code(fresh_codes(live, FENGSUI, 622)[0])
    page.goto(f"{live.base_url}/v/{code}")
    verdict = page.locator(".verdict")
    expect(verdict).to_have_attribute("data-verdict", "unknown")
    assert verdict.evaluate("el => getComputedStyle(el).backgroundColor") == RED
    _above_the_fold(page, ".verdict")
    _above_the_fold(page, "a.report")
    screenshot(page, "verify-unknown-phone")
    page.click("a.lang")
    expect(page.locator(".verdict-headline")).to_have_text("Unknown code: beware of a fake")
    expect(page.locator("a.report")).to_have_text("Report a fake")
    screenshot(page, "verify-unknown-phone-en")


def test_a_malformed_input_is_amber_with_its_reason(page: Page, live: LiveServer) -> None:
    page.goto(f"{live.base_url}/")
    page.fill("input[name=code]", "1234 5678 <script>")
    page.click("form[role=search] button")
    expect(page.locator(".verdict")).to_have_attribute("data-verdict", "malformed")
    expect(page.locator(".verdict-advice")).to_contain_text("监管码只含数字")
    expect(page.locator(".verdict-input")).to_have_text("1234 5678 <script>")
    screenshot(page, "verify-malformed-phone")


def test_a_report_from_the_answer_page(page: Page, live: LiveServer) -> None:
    code = unknown_code(fresh_codes(live, FENGSUI, 623)[0])
    page.goto(f"{live.base_url}/v/{code}")
    page.click("a.report")
    expect(page.locator("input[name=code]")).to_have_value(code)
    screenshot(page, "verify-report-form-phone")
    page.fill("input[name=place]", "栾城区城关镇某农资店")
    page.fill("input[name=region_code]", "130111")
    page.fill("input[name=contact]", "13900000001")
    page.fill("textarea[name=description]", "袋子缝线粗糙，与以往不同。")
    page.click("form.stack button[type=submit]")
    expect(page.locator(".reference")).to_have_text(re.compile(r"^JB\d{14}$"))
    screenshot(page, "verify-report-done-phone")
