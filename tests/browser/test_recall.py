"""A recall from opening to the shelf: the manufacturer opens it on its recalls page, a consumer
checking a code of the lot on /v/{code} reads the notice, and the shop's query terminal turns
red and sounds its alarm. The recall is withdrawn at the end (the live server is shared)."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE, log_in, screenshot
from tests.browser.test_kiosk import RED, scan, set_up, terminal_key
from tests.functional.test_recalls import HAIFENG, LOT, lot_codes
from tests.live import LiveServer

REASON = "饲料霉菌毒素（黄曲霉毒素 B1）超标"


@pytest.mark.browser
def test_a_recall_from_the_manufacturer_to_the_consumer_and_the_terminal(page: Page, browser: Browser,
                                                                         live: LiveServer) -> None:
    [code] = lot_codes(live, HAIFENG, LOT, 77)
    log_in(page, live, "haifeng")
    page.goto(f"{live.base_url}/recalls")
    expect(page.locator("h1")).to_contain_text("产品召回")
    form = page.locator("#open-recall")
    form.locator("select[name=product_id]").select_option(index=0)
    form.locator("textarea[name=lots]").fill(LOT)
    form.locator("select[name=level]").select_option("1")
    form.locator("textarea[name=reason]").fill(REASON)
    form.locator("textarea[name=instructions]").fill("立即停止销售和饲喂，联系经销商退货。")
    screenshot(page, "recall-open-form")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/recalls/\d+$"))
    recall_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("#recall-status")).to_contain_text("召回中")
    expect(page.locator(".recall-notice")).to_contain_text(REASON)
    expect(page.locator("table.progress")).to_contain_text(HAIFENG)
    screenshot(page, "recall-opened")
    try:
        consumer = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
        deadline = time.monotonic() + 3
        consumer.goto(f"{live.base_url}/v/{code}")
        while "已被召回" not in consumer.content() and time.monotonic() < deadline:
            time.sleep(0.2)
            consumer.reload()
        expect(consumer.locator("body")).to_contain_text("该产品已被召回")
        expect(consumer.locator("body")).to_contain_text(REASON)
        screenshot(consumer, "recall-consumer")
        consumer.context.close()

        kiosk = browser.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN").new_page()
        set_up(kiosk, live, terminal_key(live))
        scan(kiosk, code)
        body = kiosk.locator("body")
        expect(body).to_have_attribute("data-verdict", "recalled")
        expect(body).to_have_class(re.compile(r"\balarm\b"))
        expect(body).to_have_attribute("data-alarm-sounding", "true")
        expect(body).to_have_css("background-color", RED)
        expect(kiosk.locator("#alarm-banner")).to_be_visible()
        expect(kiosk.locator("#advice")).to_contain_text(REASON)
        screenshot(kiosk, "recall-terminal-alarm")
        kiosk.context.close()
    finally:
        page.goto(f"{live.base_url}/recalls/{recall_id}")
        page.locator("#close-recall ~ form button").click()
        expect(page.locator("#recall-status")).to_contain_text("已撤销")


@pytest.mark.browser
def test_the_recall_destruction_and_diversion_pages(browser: Browser, live: LiveServer) -> None:
    """The distributor sees the demo recall of goods it held and the shop's destruction record; the
    fertiliser maker sees its diversion signal; an English switch on each."""
    for who, path, shown, name in (("nongzi", "/recalls", "绿盾吡虫啉可湿性粉剂", "recalls-distributor"),
                                   ("hebei.agri", "/recalls", "发起召回", "recalls-regulator"),
                                   ("luancheng.shop", "/destructions", "后院销毁点", "destructions-shop"),
                                   ("fengsui", "/diversions", "栾城农资服务站", "diversions-manufacturer")):
        page = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
        log_in(page, live, who)
        page.goto(f"{live.base_url}{path}")
        expect(page.locator("main")).to_contain_text(shown)
        screenshot(page, name)
        page.click("a.lang")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)
        page.context.close()
    page = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    log_in(page, live, "nongzi")
    page.goto(f"{live.base_url}/recalls")
    page.locator("table.recalls a").first.click()
    expect(page.locator("table.progress")).to_contain_text("河北农资连锁有限公司")
    expect(page.locator("#close-recall")).to_have_count(0)  # a holder reads it; it does not end it
    screenshot(page, "recall-distributor-progress")
    page.context.close()
