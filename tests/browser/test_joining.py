"""Joining online walked in the browser: an enterprise applies on a phone (with its business
licence), follows its application, is asked for corrections, corrects and resubmits; the county's
agriculture office approves it (签约); the first user logs in with the password sent by text
message and sees its enterprise (its credentials: tests/functional/test_applications.py)."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from jianguan.demo.seed import demo_credit_code
from tests.browser.conftest import log_in, screenshot
from tests.functional.channel_helpers import rows
from tests.functional.test_applications import PDF, outbox
from tests.live import LiveServer

MOBILE = "13800000099"
NAME = "栾城沃土肥业有限公司"


def test_an_enterprise_applies_online_and_is_signed(page: Page, browser: Browser, live: LiveServer) -> None:
    credit_code = demo_credit_code(900, "130111")
    page.goto(f"{live.base_url}/apply")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    page.fill("input[name=credit_code]", credit_code)
    page.fill("input[name=name]", NAME)
    page.fill("input[name=region_code]", "130111")
    page.select_option("select[name=category_id]", label="化肥")
    page.fill("input[name=address]", "栾城区南高乡 8 号")
    page.fill("input[name=licence_number]", "XK13-001-09900")
    page.fill("input[name=contact_name]", "刘青")
    page.fill("input[name=mobile]", MOBILE)
    page.fill("input[name=email]", "wotu@example.com")
    page.fill("input[name=product_name_0]", "沃土牌复合肥")
    page.fill("input[name=product_spec_0]", "40 kg")
    page.select_option("select[name=product_category_0]", label="化肥")
    page.set_input_files("input[name=business_licence]",
                         files=[{"name": "licence.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    screenshot(page, "apply-form-phone")
    page.click("form.application-form button[type=submit]")
    number = page.locator(".reference").inner_text()
    secret = page.locator(".secret").inner_text()
    assert re.fullmatch(r"SQ\d{14}", number) and secret
    assert any(number in text for text in outbox(live, MOBILE))

    # The county's agriculture office asks for corrections.
    office = browser.new_context(locale="zh-CN").new_page()
    log_in(office, live, "luancheng.agri")
    office.goto(f"{live.base_url}/manage/applications")
    office.click(f"text={number}")
    office.fill("form[data-decision=corrections] textarea[name=reason]", "请补充生产许可证扫描件。")
    office.click("form[data-decision=corrections] button[type=submit]")
    expect(office.locator(".badge.stage")).to_have_text("待补正")

    # The applicant, on the phone: the status page shows what to correct; it adds the licence and resubmits.
    page.click("a:has-text('查询审核进度')")
    expect(page.locator(".stage")).to_have_text("待补正")
    expect(page.locator(".note")).to_have_text("请补充生产许可证扫描件。")
    page.set_input_files("input[name=production_licence]",
                         files=[{"name": "xk.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    screenshot(page, "apply-corrections-phone")
    page.click("form.application-form button[type=submit]")
    expect(page.locator(".stage")).to_have_text("待审核")

    # The office approves: 签约.
    office.reload()
    expect(office.locator("ul.documents li")).to_have_count(2)
    office.click("form[data-decision=approve] button[type=submit]")
    expect(office.locator(".badge.stage")).to_have_text("已签约入网")
    screenshot(office, "application-approved")
    signed = rows(live, "SELECT signed_on FROM enterprises WHERE credit_code = :code", code=credit_code)
    assert signed and signed[0].signed_on is not None

    # The first user logs in with the password from the text message.
    password = re.search(r"初始密码(\S+?)（", outbox(live, MOBILE)[-1]).group(1)
    own = browser.new_context(locale="zh-CN").new_page()
    own.goto(f"{live.base_url}/login")
    own.fill("input[name=username]", credit_code.lower())
    own.fill("input[name=password]", password)
    own.click("button[type=submit]")
    own.wait_for_load_state()
    expect(own.locator("body")).to_contain_text(NAME)
    page.goto(f"{live.base_url}/apply/status?number={number}&secret={secret}")
    expect(page.locator(".stage")).to_have_text("已签约入网")
