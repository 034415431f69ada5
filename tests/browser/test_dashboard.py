"""The regulators' dashboard (/manage/statistics with its charts and map): a province regulator
walks from the landing page down to one county, and the numbers in the tables, the charts and the
map equal counts made directly from the rows; screenshots on a phone and on a desktop."""

from __future__ import annotations

import datetime as dt
from typing import Any

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, or_, select

from jianguan.audit.services import Actor
from jianguan.cases.models import Case, CaseStage
from jianguan.catalogue.models import Category
from jianguan.codes.models import CodeBatch
from jianguan.enterprises.models import Enterprise, Product
from jianguan.stats.rollup import rollup
from jianguan.storage import make_engine, reading, session_factory, transaction
from jianguan.storage.base import utcnow
from jianguan.terminals.models import Terminal, TerminalStatus
from jianguan.timezone import local_date, today
from tests.browser.conftest import PHONE, log_in, screenshot
from tests.live import LiveServer

CITY, COUNTY, COUNTY_NAME = "130100", "130111", "栾城区"  # 栾城区 of 石家庄市: the demo's terminal and open cases
AGENCY = "quality"  # hebei.quality's


def counted(live: LiveServer) -> dict[str, int]:
    """Run the roll-up job, then count from the rows what 栾城区's page must show to hebei.quality:
    codes issued in the last 30 days for products of the quality agency's categories, there and in
    石家庄市 (the fertiliser maker in 栾城区 is the agriculture agency's: none), active terminals, and cases not closed
    that are the quality agency's by routing or by category, and of those the overdue."""
    engine = make_engine(live.database_url)
    sessions = session_factory(engine)
    first = today() - dt.timedelta(days=29)
    with transaction(sessions) as session:
        rollup(session, actor=Actor.system("test"), since=first)
    with reading(sessions) as session:
        issued = {region: 0 for region in (COUNTY, CITY)}
        for batch, region in session.execute(
                select(CodeBatch, Enterprise.region_code).join(Enterprise, Enterprise.id == CodeBatch.enterprise_id)
                .join(Product, Product.id == CodeBatch.product_id).join(Category, Category.id == Product.category_id)
                .where(Category.agency == AGENCY, CodeBatch.generation > 0)):  # registered codes: not issued
            if local_date(batch.issued_at) >= first:
                issued[COUNTY] += batch.quantity if region == COUNTY else 0
                issued[CITY] += batch.quantity if region.startswith(CITY[:4]) else 0
        terminals = session.scalar(select(func.count()).select_from(Terminal).where(
            Terminal.region_code == COUNTY, Terminal.status == TerminalStatus.ACTIVE))
        cases = list(session.scalars(select(Case).outerjoin(Category, Category.id == Case.category_id).where(
            Case.region_code == COUNTY, Case.stage != CaseStage.CLOSED.value,
            or_(Case.agency == AGENCY, Category.agency == AGENCY))))
    engine.dispose()
    now = utcnow()
    return {"issued": issued[COUNTY], "city_issued": issued[CITY], "terminals": int(terminals or 0), "cases": len(cases),
            "overdue": sum(1 for case in cases if case.due_at is not None and case.due_at < now)}


def total(page: Page, table: str, key: str) -> str:
    """The figure ``key`` of ``table``'s first row (the region's own), as the page shows it."""
    index = page.locator(f"table[data-table={table}] thead th").evaluate_all(
        f"(ths) => ths.findIndex((th) => th.dataset.key === {key!r})")
    return page.locator(f"table[data-table={table}] tbody tr").first.locator("td").nth(index).inner_text().strip()


def chart_series(page: Page, table: str) -> list[dict[str, Any]]:
    """The series the chart above ``table`` draws, read back from ECharts."""
    return page.evaluate(
        """(name) => echarts.getInstanceByDom(document.querySelector('#' + name + ' .chart'))
                         .getOption().series.map((s) => ({name: s.name, data: s.data}))""", table)


def map_areas(page: Page) -> dict[str, dict[str, Any]]:
    """The areas the dashboard's map was given numbers for, by division code, read back from ECharts,
    once its outlines (/maps/<code>.json) are drawn."""
    expect(page.locator(".stats-map svg path").first).to_be_visible()
    areas = page.evaluate("""() => echarts.getInstanceByDom(document.querySelector('.stats-map .chart'))
                                   .getOption().series[0].data""")
    return {area["name"]: area for area in areas if "value" in area}


def charts_drawn(page: Page) -> None:
    expect(page.locator(".stats-table .chart svg").first).to_be_visible()
    assert page.locator(".stats-table .chart").count() >= 8


def test_a_province_regulator_walks_the_dashboard_down_to_a_county(page: Page, live: LiveServer) -> None:
    expected = counted(live)
    log_in(page, live, "hebei.quality")
    page.goto(f"{live.base_url}/dashboard")
    page.get_by_role("link", name="统计分析").first.click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("河北省")
    charts_drawn(page)

    # The map of Hebei, coloured by the chosen figure: 石家庄市's area (by its code) holds its table's number.
    expect(page.locator(".stats-map")).to_be_visible()
    expect(page.locator(".stats-map svg path").first).to_be_visible()
    page.locator(".stats-map select").select_option(label="查询终端在线情况（当前） · 在用")
    row = page.locator("table[data-table=terminals_online] tr", has_text="石家庄市")
    shown = row.locator("td").nth(1).inner_text().strip()
    areas = map_areas(page)
    assert {"name": CITY, "label": "石家庄市", "value": int(shown)}.items() <= areas[CITY].items()
    assert set(areas) == set(page.locator("table[data-table=terminals_online] tbody tr[data-region]").evaluate_all(
        "(trs) => trs.slice(1).map((tr) => tr.dataset.region)"))  # every city of the table, not the province's own row
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    screenshot(page, "dashboard-province-phone")

    page.locator("table[data-table=enrolment] a", has_text="石家庄市").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("石家庄市")
    expect(page.locator(".stats-map svg path").first).to_be_visible()  # the city by county
    assert COUNTY in map_areas(page)
    assert total(page, "codes_by_region", "issued") == str(expected["city_issued"])
    first_region = page.locator("table[data-table=casework] tbody tr").nth(1)
    expect(first_region).to_have_attribute("data-region", COUNTY)  # the county with overdue cases first
    first_region.locator("a", has_text=COUNTY_NAME).click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text(COUNTY_NAME)
    charts_drawn(page)

    assert total(page, "codes_by_region", "issued") == str(expected["issued"])
    assert total(page, "terminals_online", "installed") == str(expected["terminals"])
    assert total(page, "casework", "cases_open") == str(expected["cases"])
    assert total(page, "casework", "cases_overdue") == str(expected["overdue"])
    assert expected["city_issued"] > 0 and expected["terminals"] > 0 and expected["cases"] > 0 and expected["overdue"] > 0
    # Each chart draws the numbers of its table.
    online = chart_series(page, "terminals_online")
    assert sum(series["data"][0] for series in online) == expected["terminals"]
    assert chart_series(page, "casework")[1]["data"] == [expected["cases"]]
    screenshot(page, "dashboard-county-phone")

    with page.expect_download() as download:
        page.locator("#casework .csv-links a").first.click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "区域,超期案件,未办结案件,待处理预警"
    assert f"{COUNTY_NAME}（合计）,{expected['overdue']},{expected['cases']}," in text
    with page.expect_download() as download:  # the targets' table downloads from /api/v1/targets.csv
        page.locator("#targets .csv-links a").first.click()
    assert download.value.path().read_text(encoding="utf-8-sig").splitlines()[1].startswith(f"{COUNTY_NAME},")


def test_the_dashboard_on_a_desktop_and_without_javascript(browser: Browser, live: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    log_in(page, live, "hebei.quality")
    page.goto(f"{live.base_url}/manage/statistics")
    charts_drawn(page)
    expect(page.locator(".stats-map svg path").first).to_be_visible()
    screenshot(page, "dashboard-province-desktop")
    context.close()

    # Without JavaScript the tables are the dashboard: every number is there, the charts are not.
    context = browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    log_in(page, live, "hebei.quality")
    page.goto(f"{live.base_url}/manage/statistics?region={COUNTY}")
    expect(page.locator("table[data-table=casework]")).to_be_visible()
    assert page.locator(".chart svg").count() == 0
    expect(page.locator(".stats-map")).to_be_hidden()
    context.close()


def test_regions_outside_hebei_are_mapped(browser: Browser, live: LiveServer) -> None:
    """The operator's dashboard maps the country by province, and 福州's regulator's maps 福州市 by
    county: the outlines cover the whole country, matched to the tables by code."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    log_in(page, live, "operator")
    page.goto(f"{live.base_url}/manage/statistics")
    areas = map_areas(page)
    assert {"130000", "330000", "350000", "650000"} <= areas.keys() and len(areas) == 34
    assert areas["350000"]["label"] == "福建省"
    drawn = page.evaluate("""() => echarts.getMap('region:100000').geoJSON.features.length""")
    assert drawn == 34
    screenshot(page, "dashboard-country-desktop")
    context.close()

    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    log_in(page, live, "fuzhou.quality")
    page.goto(f"{live.base_url}/manage/statistics")
    expect(page.locator("h1")).to_contain_text("福州市")
    areas = map_areas(page)
    assert "350102" in areas and areas["350102"]["label"] == "鼓楼区"  # 福州's, not the other 鼓楼区s
    assert all(code.startswith("3501") for code in areas)
    screenshot(page, "dashboard-fuzhou-phone")
    context.close()
