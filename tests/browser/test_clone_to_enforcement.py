"""Issue #12's walk, end to end through pages: a genuine bag of 丰穗 fertiliser whose code was
copied is checked by consumers in three counties of Hebei, each of whom chose their county on
/place; the third is told the code is very likely copied; the query log's writer raises a
cloned-code alert; the agriculture office of the county where it was last checked (fertiliser is
its business) finds it on its alerts page, turns it into a case, assigns and investigates it,
opens an enforcement action from the case, records what was seized and resolves the case; and
丰穗 reads the outcome on its brand-protection page, on the case, and in its text message.

The code is 丰穗's first item batch at offset 751 (``fresh_codes``): reserved for this test, so
no other test's queries of the shared demo server count towards its counties.
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE, log_in, screenshot
from tests.functional.channel_helpers import rows
from tests.functional.test_verify_web import FENGSUI, fresh_codes
from tests.live import LiveServer

OFFSET = 751  # reserved here: 丰穗's first item batch, nobody else's queries
# The counties, in the order the code is checked; the last names the alert (its latest place).
COUNTIES = (("长安", "130102", "长安区"), ("竞秀", "130602", "竞秀区"), ("栾城", "130111", "栾城区"))
BASIS = "栾城区多地查询同一监管码，疑似克隆码，依法检查销售网点"
SEIZED = "假冒丰穗牌复合肥 86 袋"
FINDING = "查实克隆丰穗监管码的假冒复合肥，来源为外省窝点，已查封。"


def _context_page(browser: Browser, **options: object) -> Page:
    return browser.new_context(locale="zh-CN", **options).new_page()  # type: ignore[arg-type]  # context options


def _check_in(browser: Browser, live: LiveServer, code: str, search: str, region: str, name: str) -> Page:
    """A consumer's phone: choose the county on /place (found by ``search``, shown as ``name``),
    which returns to the code's page: one check, naming the county."""
    phone = _context_page(browser, viewport=PHONE)
    phone.goto(f"{live.base_url}/place?back=/v/{code}")
    phone.fill("#place-q", search)
    phone.click("form.code-search button[type=submit]")
    choice = phone.locator(f"ul.place-choices button[value='{region}']")
    expect(choice).to_contain_text(name)
    choice.click()
    expect(phone.locator("section.verdict")).to_be_visible()
    expect(phone.locator(".place-note")).to_contain_text("本次查询已记下您选择的地点")
    assert {cookie["name"]: cookie["value"] for cookie in phone.context.cookies()}["jg_place"] == region
    return phone


def _find_alert(page: Page, live: LiveServer, code: str) -> int:
    """The alert of ``code`` on the alerts page: raised after the log's write, so reload until it
    is listed (a few tenths of a second; ten seconds at most)."""
    row = page.locator(f"table.alerts tr[data-rule=cloned_code]:has(code[title='{code}'])")
    page.goto(f"{live.base_url}/manage/alerts")
    deadline = time.monotonic() + 10
    while row.count() == 0 and time.monotonic() < deadline:
        page.wait_for_timeout(200)
        page.reload()
    expect(row).to_have_count(1)
    return int(row.get_attribute("data-alert") or 0)


def test_a_cloned_code_from_three_counties_to_an_enforcement_outcome_the_maker_sees(
        browser: Browser, live: LiveServer) -> None:
    code = fresh_codes(live, FENGSUI, OFFSET)[0]

    # 1-2. Three consumers, three counties, each on their own phone.
    phones = []
    for index, (search, region, name) in enumerate(COUNTIES):
        phone = _check_in(browser, live, code, search, region, name)
        verdict = phone.locator("section.verdict")
        if index == 0:
            expect(verdict).to_have_attribute("data-verdict", "genuine")
        else:
            expect(verdict).to_have_attribute("data-verdict", "queried_before")
            expect(phone.locator("dd.history")).to_contain_text(f"此前已被查询 {index} 次")
        phones.append(phone)
    expect(phones[1].locator("dd.risk")).to_have_attribute("data-risk", "medium")
    third = phones[2]
    risk = third.locator("dd.risk")
    expect(risk).to_have_attribute("data-risk", "high")
    expect(risk).to_contain_text("先后在 3 个县区被查询")
    expect(risk).to_contain_text("很可能被复制")
    expect(third.locator("a.report")).to_be_visible()
    screenshot(third, "e2e-1-third-check-clone-risk-phone")
    for phone in phones:
        phone.context.close()

    # 3-4. 栾城区's agriculture office: the alert, then a case.
    officer = _context_page(browser, viewport={"width": 1280, "height": 900})
    log_in(officer, live, "luancheng.agri")
    alert_id = _find_alert(officer, live, code)
    screenshot(officer, "e2e-2-alerts-regulator")
    officer.click(f"tr[data-alert='{alert_id}'] a[href='/manage/alerts/{alert_id}'] >> nth=0")
    expect(officer.locator("#alert-rule")).to_contain_text("克隆码")
    evidence = officer.locator("dl.evidence")
    expect(evidence).to_contain_text("130111")
    for _, region, _ in COUNTIES:
        expect(evidence).to_contain_text(region)
    expect(evidence).to_contain_text("FS20261015")
    screenshot(officer, "e2e-3-alert-regulator")
    officer.click("#alert-to-case button")
    expect(officer.locator(".badge.stage")).to_have_text("受理")
    expect(officer.locator("section.panel dl.facts")).to_contain_text(FENGSUI)
    expect(officer.locator("section.panel dl.facts")).to_contain_text(f"预警 #{alert_id}")
    case_url = officer.url
    case_number = officer.locator("h1").inner_text().split()[-1]
    assert re.fullmatch(r"JB\d{14}", case_number), case_number
    officer.select_option("form.transition[data-action=assign] select[name=user_id]",
                          label="栾城区农业局 农资站 贾站长（luancheng.agri）")
    officer.click("form.transition[data-action=assign] button")
    expect(officer.locator(".badge.stage")).to_have_text("转办")
    officer.click("form.transition[data-action=investigate] button")
    expect(officer.locator(".badge.stage")).to_have_text("调查")

    # The enforcement action, from the case, and its outcome.
    officer.fill("form.open-enforcement input[name=basis]", BASIS)
    officer.click("form.open-enforcement button")
    action = officer.locator("section.enforcement", has_text=BASIS)
    expect(action).to_have_count(1)
    action_id = int(action.get_attribute("data-action-id") or 0)
    form = action.locator("form.outcome-form")
    form.locator("input[name=goods_seized]").fill(SEIZED)
    form.locator("input[name=goods_value]").fill("12040")
    form.locator("input[name=cases_filed]").fill("1")
    form.locator("input[name=penalty]").fill("50000")
    form.locator("textarea[name=outcome]").fill("没收假冒产品，移送公安机关。")
    form.locator("button").click()
    outcome = officer.locator(f"#enforcement-{action_id} dl.outcome")
    expect(outcome.locator(".goods")).to_have_text(SEIZED)
    expect(outcome).to_contain_text("12040")
    expect(outcome).to_contain_text("50000")
    officer.check("form.transition[data-action=resolve] input[name=upheld][value=yes]")
    officer.fill("form.transition[data-action=resolve] textarea[name=finding]", FINDING)
    officer.fill("form.transition[data-action=resolve] textarea[name=measures]", "查封假冒产品，立案查处。")
    officer.click("form.transition[data-action=resolve] button")
    expect(officer.locator(".badge.stage")).to_have_text("处理")
    expect(officer.locator("#case-upheld")).to_have_text("成立")
    expect(officer.locator("#no-reporter")).to_contain_text("没有举报人")  # an alert's case: no one to text
    screenshot(officer, "e2e-4-case-regulator")
    officer.goto(f"{live.base_url}/manage/alerts/{alert_id}")
    expect(officer.locator("#alert-status")).to_have_text("已立案")
    expect(officer.locator("#alert-case")).to_have_attribute("href", case_url.removeprefix(live.base_url))

    # 5. 丰穗 reads the outcome: the brand-protection page, then the case it links.
    maker = _context_page(browser, viewport=PHONE)
    log_in(maker, live, "fengsui")
    maker.goto(f"{live.base_url}/brand")
    counties = maker.locator("table[data-table=counties]")
    for _, region, _ in COUNTIES:
        expect(counties.locator(f"tr[data-region='{region}']")).to_have_count(1)
    expect(maker.locator(f"#alerts li[data-alert='{alert_id}']")).to_contain_text(code)
    told = maker.locator(f"#enforcement li[data-action='{action_id}']")
    expect(told).to_contain_text(BASIS)
    expect(told).to_contain_text(case_number)
    expect(told).to_contain_text(SEIZED)
    expect(told).to_contain_text("12040")
    expect(told).to_contain_text("50000")
    assert maker.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(maker, "e2e-5-brand-manufacturer-phone")
    told.locator("a").click()
    expect(maker.locator(f"#enforcement-{action_id} dl.outcome .goods")).to_have_text(SEIZED)
    expect(maker.locator(".finding")).to_have_text(FINDING)
    expect(maker.locator("main form, form.transition, form.outcome-form, form.open-enforcement")).to_have_count(0)
    screenshot(maker, "e2e-6-case-manufacturer-phone")
    # And its text message: the outcome, about its brand.
    notices = [row.text for row in rows(live, "SELECT text FROM outbound_sms WHERE text LIKE :seized",
                                        seized=f"%{SEIZED}%")]
    assert len(notices) == 1 and "贵企业品牌" in notices[0] and case_number in notices[0], notices
