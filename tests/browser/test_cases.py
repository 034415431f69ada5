"""A report walked in the browser: from a consumer's verification page (with a photo) to the
county regulator of the right agency, through assignment, investigation, resolution and feedback;
the reporter's text messages in the outbox, the manufacturer's notice without the reporter, and
the reporter's look-up page; and an alert that opens an enforcement action on its page, its
outcome seen by the manufacturer."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE, log_in, screenshot
from tests.functional.channel_helpers import hangzhou_number, rows
from tests.functional.test_cases import PNG
from tests.functional.test_enforcement import failed_check_alert
from tests.functional.test_verify_web import FENGSUI, fresh_codes
from tests.live import LiveServer

FINDING = "经查为假冒丰穗复合肥，来源为外省流入。"


def _page(browser: Browser, **options: object) -> Page:
    return browser.new_context(locale="zh-CN", **options).new_page()  # type: ignore[arg-type]  # context options


def test_a_report_from_the_verification_page_to_feedback(page: Page, browser: Browser, live: LiveServer) -> None:
    code, phone = fresh_codes(live, FENGSUI, 641)[0], hangzhou_number()
    # The consumer, on a phone: the verification page, the report form with a photo, the number and secret.
    page.goto(f"{live.base_url}/v/{code}")
    page.click("a.report")
    expect(page.locator("input[name=code]")).to_have_value(code)
    page.check("input[name=kind][value=report]")
    page.fill("input[name=place]", "栾城区冶河镇某农资店")
    page.fill("input[name=region_code]", "130111")
    page.fill("input[name=contact]", phone)
    page.fill("textarea[name=description]", "同样的码在邻村也查到过。")
    page.set_input_files("input[name=photos]", files=[{"name": "bag.png", "mimeType": "image/png", "buffer": PNG}])
    screenshot(page, "case-report-form-phone")
    page.click("form.stack button[type=submit]")
    number = page.locator(".reference").inner_text()
    secret = page.locator(".secret").inner_text()
    assert re.fullmatch(r"JB\d{14}", number) and re.fullmatch(r"\d{6}", secret)
    screenshot(page, "case-reported-phone")

    # The county's agriculture office (fertiliser) has it; the county's quality office does not.
    quality = _page(browser)
    log_in(quality, live, "luancheng.quality")
    quality.goto(f"{live.base_url}/manage/cases")
    expect(quality.locator("table.cases")).not_to_contain_text(number)
    regulator = _page(browser, viewport={"width": 1280, "height": 900})
    log_in(regulator, live, "luancheng.agri")
    regulator.goto(f"{live.base_url}/manage/cases")
    screenshot(regulator, "case-list-regulator")
    regulator.click(f"text={number}")
    expect(regulator.locator(".badge.stage")).to_have_text("受理")
    expect(regulator.locator("img[alt='照片 1']")).to_be_visible()
    expect(regulator.get_by_text(phone)).to_be_visible()
    # A step the stage cannot take is not offered; taken through the API it is refused (409).
    expect(regulator.locator("form.transition[data-action=investigate]")).to_have_count(0)
    regulator.select_option("form.transition[data-action=assign] select[name=user_id]",
                            label="栾城区农业局 农资站 贾站长（luancheng.agri）")
    regulator.click("form.transition[data-action=assign] button")
    expect(regulator.locator(".badge.stage")).to_have_text("转办")
    regulator.click("form.transition[data-action=investigate] button")
    expect(regulator.locator(".badge.stage")).to_have_text("调查")
    regulator.fill("form.transition[data-action=resolve] textarea[name=finding]", FINDING)
    regulator.fill("form.transition[data-action=resolve] textarea[name=measures]", "查封 40 袋，立案查处。")
    regulator.click("form.transition[data-action=resolve] button")  # no conclusion chosen: the browser asks
    expect(regulator.locator(".badge.stage")).to_have_text("调查")
    regulator.check("form.transition[data-action=resolve] input[name=upheld][value=yes]")
    regulator.click("form.transition[data-action=resolve] button")
    expect(regulator.locator(".badge.stage")).to_have_text("处理")
    expect(regulator.locator("#case-upheld")).to_have_text("成立")
    regulator.click("form.transition[data-action=inform] button")
    expect(regulator.locator(".badge.stage")).to_have_text("反馈")
    expect(regulator.locator("ol.steps li")).to_have_count(5)
    screenshot(regulator, "case-page-regulator")
    regulator.click("a.lang")
    expect(regulator.locator(".badge.stage")).to_have_text("reporter informed")
    expect(regulator.locator("form.transition[data-action=close] button")).to_have_text("close")
    screenshot(regulator, "case-page-regulator-en")

    # The reporter's messages: acceptance with the number and secret, then the outcome.
    told = [row.text for row in rows(live, 'SELECT text FROM outbound_sms WHERE "to" = :to ORDER BY id', to=phone)]
    assert len(told) == 2 and number in told[0] and secret in told[0] and FINDING in told[1]
    operator = _page(browser, viewport={"width": 1280, "height": 900})
    log_in(operator, live, "operator")
    operator.goto(f"{live.base_url}/manage/outbox")
    expect(operator.locator("body")).to_contain_text(FINDING)
    # The manufacturer's notice and view: the case and the outcome, never who reported.
    notices = [row.text for row in rows(live, 'SELECT text FROM outbound_sms WHERE text LIKE :n', n=f"%{number}%")
               if "贵企业" in row.text]
    assert len(notices) == 2 and all(phone not in text and secret not in text for text in notices)
    maker = _page(browser, viewport={"width": 1280, "height": 900})
    log_in(maker, live, "fengsui")
    maker.goto(f"{live.base_url}/manage/cases")
    maker.click(f"text={number}")
    expect(maker.locator(".finding")).to_have_text(FINDING)
    assert phone not in maker.content() and "img" not in maker.locator("section.panel").inner_html()
    assert "anonymous" not in maker.content() and "user:" not in maker.content()  # nor who acted
    screenshot(maker, "case-page-manufacturer")

    # The reporter looks the case up with the number and the secret.
    page.goto(f"{live.base_url}/cases/lookup")
    page.fill("input[name=number]", number)
    page.fill("input[name=secret]", secret)
    page.click("form.stack button[type=submit]")
    expect(page.locator("#case-status .stage")).to_have_text("反馈")
    expect(page.locator("#case-status .finding")).to_have_text(FINDING)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "case-lookup-phone")


def test_an_alert_opens_an_enforcement_action_whose_outcome_the_manufacturer_sees(
        page: Page, browser: Browser, live: LiveServer) -> None:
    alert = failed_check_alert(live)
    log_in(page, live, "sjz.quality")
    page.goto(f"{live.base_url}/manage/alerts/{alert['id']}")
    page.fill("#alert-to-enforcement input[name=basis]", "长安区抽查不合格批次流通排查")
    page.click("#alert-to-enforcement button")
    expect(page.locator("#alert-status")).to_have_text("已发起执法")
    expect(page.locator("#alert-to-enforcement")).to_have_count(0)
    form = page.locator("section.enforcement form.outcome-form")
    form.locator("input[name=goods_seized]").fill("不合格陈醋 12 箱")
    form.locator("input[name=goods_value]").fill("2160")
    form.locator("input[name=cases_filed]").fill("1")
    form.locator("input[name=penalty]").fill("10000")
    form.locator("button").click()
    expect(page.locator("section.enforcement dl.outcome .goods")).to_have_text("不合格陈醋 12 箱")
    screenshot(page, "alert-enforcement-regulator")

    maker = _page(browser)
    log_in(maker, live, "zhenwei")
    maker.goto(f"{live.base_url}/manage/alerts/{alert['id']}")
    expect(maker.locator("section.enforcement dl.outcome .goods")).to_have_text("不合格陈醋 12 箱")
    expect(maker.locator("section.enforcement form")).to_have_count(0)
