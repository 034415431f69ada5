"""A promotion from the manufacturer's form to a consumer's prize: 珍味 starts a draw on its
promotions page, a consumer on a phone checks a code of the lot on /v/{code}, wins, sees the
claim code once and claims the prize on the claim page; the manufacturer sees the win and the
claim by region, and ends the promotion (the live server is shared)."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Browser, Page, expect

from jianguan.timezone import today
from tests.browser.conftest import PHONE, log_in, screenshot
from tests.functional.test_promotions_web import CLAIM, LOT
from tests.functional.test_recalls import ZHENWEI, lot_codes
from tests.live import LiveServer


@pytest.mark.browser
def test_a_consumer_on_a_phone_wins_sees_the_claim_code_once_and_claims(page: Page, browser: Browser,
                                                                        live: LiveServer) -> None:
    [code] = lot_codes(live, ZHENWEI, LOT, 209)
    log_in(page, live, "zhenwei")
    page.goto(f"{live.base_url}/promotions")
    expect(page.locator("h1")).to_contain_text("促销活动")
    form = page.locator("#start-promotion")
    form.locator("input[name=name]").fill("浏览器测试 开瓶赢红包")
    form.locator("select[name=kind]").select_option("draw")
    form.locator("select[name=product_id]").select_option(index=0)
    form.locator("textarea[name=lots]").fill(LOT)
    form.locator("input[name=starts_on]").fill(today().isoformat())
    form.locator("input[name=ends_on]").fill(today().isoformat())
    form.locator("input[name=tier_name_0]").fill("特等奖 现金红包")
    form.locator("input[name=tier_probability_0]").fill("1")
    form.locator("input[name=tier_value_0]").fill("8.88")
    form.locator("input[name=tier_quantity_0]").fill("1")
    screenshot(page, "promotion-start-form")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/promotions/\d+$"))
    expect(page.locator("table.tiers")).to_contain_text("8.88")
    promotion_url = page.url
    try:
        time.sleep(1.1)  # the server's verifier sees a new promotion within a second
        consumer = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
        consumer.goto(f"{live.base_url}/v/{code}")
        panel = consumer.locator("section.promotion")
        expect(panel).to_contain_text("恭喜")
        expect(panel).to_contain_text("特等奖 现金红包")
        claim_code = consumer.locator(".claim-code").inner_text()
        assert CLAIM.fullmatch(claim_code), claim_code
        screenshot(consumer, "promotion-won-on-phone")
        consumer.reload()  # the code is shown once: checked again, no prize and no code
        expect(consumer.locator("body")).to_contain_text("已被查询")
        expect(consumer.locator(".claim-code")).to_have_count(0)
        consumer.goto(f"{live.base_url}/claim")
        consumer.locator("input[name=claim_code]").fill(claim_code)
        consumer.locator("#claim button[type=submit]").click()
        expect(consumer.locator("section.claimed")).to_contain_text("兑奖成功")
        expect(consumer.locator("section.claimed")).to_contain_text("8.88")
        screenshot(consumer, "promotion-claimed")
        consumer.locator("input[name=claim_code]").fill(claim_code)
        consumer.locator("#claim button[type=submit]").click()
        expect(consumer.locator(".alert.bad")).to_contain_text("已兑领")
        consumer.context.close()
        page.goto(promotion_url)
        expect(page.locator("table.by-region tfoot")).to_contain_text("1")
        expect(page.locator("table.by-region")).to_contain_text("地点未知")
        screenshot(page, "promotion-by-region")
    finally:
        page.goto(promotion_url)
        page.locator("form[action$='/end'] button").click()
        expect(page.locator("h1")).to_contain_text("已结束")
        time.sleep(1.1)
