"""A city's quality regulator reads the coverage of the catalogue (百种产品目录) on its statistics
page, as the API counts it, in Chinese and English; the operator's catalogue page lists the
entries and shows a bad import's rows at fault."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from playwright.sync_api import Page, expect

from jianguan.audit.services import Actor
from jianguan.stats.rollup import rollup
from jianguan.storage import make_engine, session_factory, transaction
from jianguan.timezone import today
from tests.browser.conftest import log_in, screenshot
from tests.live import LiveServer


def test_the_statistics_page_shows_the_catalogue_coverage(page: Page, live: LiveServer) -> None:
    engine = make_engine(live.database_url)
    with transaction(session_factory(engine)) as session:
        rollup(session, actor=Actor.system("test"), since=today() - dt.timedelta(days=29))
    engine.dispose()
    api = live.login("sjz.quality").get("/api/v1/statistics").json()
    summary = api["catalogue"]
    rows = next(table for table in api["tables"] if table["name"] == "catalogue_coverage")["rows"]
    assert summary["covered"] >= 1 and summary["entries"] > summary["covered"]

    log_in(page, live, "sjz.quality")
    page.goto(f"{live.base_url}/manage/statistics")
    section = page.locator("section#catalogue_coverage")
    expect(section.locator("h2")).to_have_text("百种产品目录覆盖情况")
    expect(section.locator(".coverage-summary")).to_contain_text(
        f"已覆盖 {summary['covered']} / {summary['entries']} 类")
    section.locator("summary").click()  # more than 15 rows: folded under its summary
    body = section.locator("table[data-table=catalogue_coverage] tbody tr")
    expect(body).to_have_count(len(rows))
    first = body.first.locator("td")
    expect(first.nth(0)).to_have_text(rows[0]["number"])
    expect(first.nth(7)).to_have_text("未覆盖")  # not covered first
    covered = [index for index, row in enumerate(rows) if row["covered"] == "covered"]
    shown = body.nth(covered[0]).locator("td")
    expect(shown.nth(6)).to_have_text(str(rows[covered[0]]["activated_total"]))
    expect(shown.nth(7)).to_have_text("已覆盖")
    section.scroll_into_view_if_needed()
    section.screenshot(path=str(screenshot(page, "catalogue-coverage-zh-page").with_name("catalogue-coverage-zh.png")))

    page.goto(f"{live.base_url}/manage/statistics?lang=en")
    section = page.locator("section#catalogue_coverage")
    expect(section.locator("h2")).to_have_text("Coverage of the product catalogue")
    expect(section.locator(".coverage-summary")).to_contain_text(
        f"{summary['covered']} of {summary['entries']} entries covered")
    section.locator("summary").click()
    section.screenshot(path=str(screenshot(page, "catalogue-coverage-en-page").with_name("catalogue-coverage-en.png")))


def test_the_catalogue_page_lists_entries_and_a_bad_imports_rows(page: Page, live: LiveServer, tmp_path: Path) -> None:
    log_in(page, live, "operator")
    page.goto(f"{live.base_url}/manage/catalogue#entries")
    table = page.locator("table[data-table=catalogue-entries]")
    expect(table).to_contain_text("复混肥料（复合肥料）")
    bad = tmp_path / "目录.csv"
    bad.write_text("编号,产品名称,英文名称,产品类别\nT8-01,测试,test,不存在的类别\n", encoding="utf-8")
    page.set_input_files("#import-entries input[type=file]", str(bad))
    page.locator("#import-entries button[type=submit]").click()
    page.wait_for_load_state()
    faults = page.locator("table[data-table=faults]")
    expect(faults).to_contain_text("未知的产品类别“不存在的类别”")
    expect(faults.locator("tbody tr td").first).to_have_text("2")
    expect(table).not_to_contain_text("T8-01")
    page.locator("#import-entries").screenshot(path=str(screenshot(page, "catalogue-page").with_name("catalogue-import-refused.png")))


def test_a_maker_links_its_product_to_the_catalogue(page: Page, live: LiveServer) -> None:
    api = live.login("zhenwei")
    enterprise = api.get("/api/v1/me").json()["scope"]["enterprise"]["id"]
    food = next(c["id"] for c in api.get("/api/v1/categories").json() if c["code"] == "food")
    made = api.post(f"/api/v1/enterprises/{enterprise}/products",
                    json={"name": "浏览器目录测试酱油", "specification": "T8 1 L", "category_id": food})
    assert made.status_code == 201, made.text
    soy = next(e for e in api.get("/api/v1/catalogue/entries").json() if e["number"] == "14")
    log_in(page, live, "zhenwei")
    page.goto(f"{live.base_url}/manage/enterprises/{enterprise}#products")
    row = page.locator(f"tr#product-{made.json()['id']}")
    expect(row).to_contain_text("未关联")
    page.get_by_text("修改产品：浏览器目录测试酱油").click()
    edit = page.locator(f"form[action$='/products/{made.json()['id']}']")
    edit.locator("select[name=catalogue_entry_id]").select_option(str(soy["id"]))
    edit.scroll_into_view_if_needed()
    edit.screenshot(path=str(screenshot(page, "catalogue-product-link-page").with_name("catalogue-product-link.png")))
    edit.get_by_role("button", name="保存修改").click()
    page.wait_for_load_state()
    expect(page.locator(f"tr#product-{made.json()['id']}")).to_contain_text("14 酱油")
    linked = {p["id"]: p["catalogue_entry_id"] for p in api.get(f"/api/v1/enterprises/{enterprise}/products").json()}
    assert linked[made.json()["id"]] == soy["id"]
