"""A city regulator looks a code up from the dashboard and sees what is known of it; a county
regulator of another county is told it is not in its scope."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in, screenshot
from tests.live import LiveServer


def test_a_city_regulator_looks_a_code_up_from_the_dashboard(page: Page, live: LiveServer) -> None:
    code = live.seed.samples["case"][0]  # a case of 珍味 vinegar, in 长安区 of 石家庄
    log_in(page, live, "sjz.quality")
    page.get_by_role("link", name=re.compile("监管码查询")).click()
    expect(page).to_have_url(re.compile(r"/manage/codes$"))
    page.fill("input[name=code]", " ".join(code[i:i + 4] for i in range(0, 20, 4)))  # as printed, in groups
    page.get_by_role("button", name="查询").click()
    body = page.locator("main")
    expect(body).to_contain_text("石家庄珍味酿造集团有限公司")
    expect(body).to_contain_text("已激活")
    expect(body).to_contain_text("ZW-2026-1015")  # the lot
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide on a 390px phone"
    screenshot(page, "regulator-code-lookup")


def test_a_county_regulator_of_another_county_is_told_the_code_is_not_in_its_scope(page: Page,
                                                                                     live: LiveServer) -> None:
    code = live.seed.samples["case"][0]
    log_in(page, live, "luancheng.quality")
    response = page.goto(f"{live.base_url}/manage/codes?code={code}")
    assert response is not None and response.status == 404
    expect(page.locator("main")).to_contain_text("您的范围内没有监管码")
    expect(page.locator("main")).not_to_contain_text("珍味")
