"""A county agriculture regulator opens the industry rosters from its statistics on a phone: the
demo roster's figures equal a count made directly from the rows; a file with a bad row is
refused with the row named; a good one is imported, shown and deleted."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from jianguan.demo.seed import demo_credit_code
from jianguan.enterprises.models import Enterprise
from jianguan.rosters.models import Roster, RosterMember
from jianguan.storage import make_engine, reading, session_factory
from tests.browser.conftest import PHONE, log_in, screenshot
from tests.live import LiveServer


def demo_roster(live: LiveServer) -> dict[str, int]:
    """The demo roster's members, and those of them signed: the registry's enterprises with their
    credit codes (all of the demo's fertiliser makers in 栾城区 are agriculture's)."""
    engine = make_engine(live.database_url)
    with reading(session_factory(engine)) as session:
        roster = session.scalars(select(Roster).where(Roster.industry == "复混肥料生产企业")).one()
        codes = set(session.scalars(select(RosterMember.credit_code).where(RosterMember.roster_id == roster.id)))
        signed = [e for e in session.scalars(select(Enterprise).where(Enterprise.credit_code.in_(codes)))
                  if e.signed_on is not None and e.region_code == "130111"]
    engine.dispose()
    return {"id": roster.id, "members": len(codes), "signed": len(signed)}


def test_a_county_regulator_reads_and_imports_a_roster(page: Page, live: LiveServer, tmp_path: Path) -> None:
    expected = demo_roster(live)
    log_in(page, live, "luancheng.agri")
    page.goto(f"{live.base_url}/manage/statistics")
    page.get_by_role("link", name="行业名录与渗透率").click()
    page.wait_for_load_state()
    row = page.locator(f"table[data-table=rosters] tr[data-roster='{expected['id']}']")
    expect(row).to_contain_text("复混肥料生产企业")
    expect(row.locator("td").nth(3)).to_have_text(str(expected["members"]))
    expect(row.locator("td").nth(4)).to_have_text(str(expected["signed"]))
    row.get_by_role("link").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("复混肥料生产企业")
    expect(page.locator("[data-figure=signed]")).to_have_text(str(expected["signed"]))
    expect(page.locator("[data-figure=members]")).to_have_text(str(expected["members"]))
    rate = f"{100.0 * expected['signed'] / expected['members']:.1f} %"
    expect(page.locator("[data-figure=rate]")).to_have_text(rate)
    expect(page.locator("table[data-table=signing] tr[data-kind=provincial_brand]")).to_contain_text("省名牌")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    screenshot(page, "roster")

    page.goto(f"{live.base_url}/manage/rosters")
    code = demo_credit_code(990, "130111")
    bad = tmp_path / "bad.csv"
    bad.write_text(f"企业名称,统一社会信用代码\n栾城浏览器厂,{code}\n栾城浏览器厂二,{code}\n", encoding="utf-8")
    form = page.locator("#import-roster form")
    form.locator("select[name=region_code]").select_option("130111")
    form.locator("input[name=industry]").fill("浏览器测试企业")
    form.locator("input[name=file]").set_input_files(str(bad))
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".alert.bad")).to_contain_text("名录未导入")
    expect(page.locator("table[data-table=faults]")).to_contain_text("与第 2 行重复")
    screenshot(page, "roster-refused")

    good = tmp_path / "good.csv"
    good.write_text(f"企业名称,统一社会信用代码\n栾城浏览器厂,{code}\n", encoding="utf-8")
    form.locator("input[name=industry]").fill("浏览器测试企业")
    form.locator("input[name=file]").set_input_files(str(good))
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("浏览器测试企业")
    expect(page.locator("[data-figure=members]")).to_have_text("1")
    expect(page.locator("table[data-table=members]")).to_contain_text("未入库")
    page.locator("a.lang").click()
    expect(page.locator("table[data-table=members]")).to_contain_text("not registered")
    page.locator("#delete-roster button").click()
    page.wait_for_load_state()
    expect(page.locator("table[data-table=rosters]")).not_to_contain_text("浏览器测试企业")
