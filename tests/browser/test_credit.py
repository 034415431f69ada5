"""The credit record (诚信档案) in the browser: the county regulator reads 珍味's record on its
enterprise page (the score, its inputs and weights, the facts with their dates), on a phone and
in English; anyone reads the public part on the directory page."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import log_in, screenshot
from tests.functional.test_credit import credit_of, enterprise_id, resolved_complaint
from tests.live import LiveServer


def _fits_the_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide on a 390px phone"


def test_the_regulator_reads_the_record_with_its_inputs_and_weights(page: Page, live: LiveServer) -> None:
    resolved_complaint(live, upheld=True, measures="责令整改。")  # the demo's vinegar complaint was not upheld
    record = credit_of(live, "sjz.quality")
    log_in(page, live, "sjz.quality")
    page.goto(f"{live.base_url}/manage/enterprises/{enterprise_id(live)}")
    section = page.locator("#credit")
    expect(section.get_by_role("heading", name="诚信档案")).to_be_visible()
    expect(section.get_by_test_id("credit-score")).to_have_text(str(record["score"]["score"]))
    failed = section.locator("tr[data-input=failed_spot_check]")
    expect(failed).to_contain_text("监督抽查不合格")
    expect(failed).to_contain_text("-10")
    expect(section.locator("tr[data-report='SJZ-CC-2026-0417']")).to_contain_text("不合格")
    expect(section).not_to_contain_text("built-in method")  # each field shown as text
    expect(section).to_contain_text(record["upheld_complaints"][0]["finding"])
    expect(section).to_contain_text("打假保名优")  # the fake vinegar's seizure, not held against 珍味
    _fits_the_phone(page)
    section.scroll_into_view_if_needed()
    screenshot(page, "credit-record-regulator-phone")

    page.click("text=English")
    page.wait_for_load_state()
    expect(page.locator("#credit")).to_contain_text("Credit record")
    expect(page.locator("#credit")).to_contain_text("failed spot check")
    _fits_the_phone(page)


def test_the_record_on_a_desktop_and_the_public_part_in_the_directory(browser: Browser, live: LiveServer) -> None:
    resolved_complaint(live, upheld=True, measures="责令整改。")
    record = credit_of(live)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        log_in(page, live, "sjz.quality")
        page.goto(f"{live.base_url}/manage/enterprises/{enterprise_id(live)}#credit")
        expect(page.locator("#credit .credit-inputs")).to_contain_text("每项分值")
        page.locator("#credit").screenshot(path=str(screenshot(page, "credit-record-regulator-desktop-page")
                                                    .with_name("credit-record-regulator-desktop.png")))
        page.goto(f"{live.base_url}/enterprises/{enterprise_id(live)}")
        public = page.locator("#credit")
        expect(public.get_by_test_id("credit-score")).to_have_text(str(record["score"]["score"]))
        expect(public).to_contain_text("SJZ-CC-2026-0417")
        expect(public).not_to_contain_text(record["upheld_complaints"][0]["finding"])
        expect(public).not_to_contain_text("成立的投诉")
        public.screenshot(path=str(screenshot(page, "credit-record-public-page").with_name("credit-record-public.png")))
    finally:
        context.close()
