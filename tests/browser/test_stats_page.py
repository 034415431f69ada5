"""A province regulator drills from its statistics down to one county on a phone, and the numbers
shown are those counted directly from the rows; each table downloads as CSV."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import Page, expect
from sqlalchemy import select

from jianguan.audit.services import Actor
from jianguan.catalogue.models import Agency, Category
from jianguan.codes.models import CodeBatch
from jianguan.enterprises.models import Enterprise, Product
from jianguan.stats.rollup import rollup
from jianguan.storage import make_engine, reading, session_factory, transaction
from jianguan.timezone import local_date, today
from jianguan.verify.models import Query
from tests.browser.conftest import PHONE, log_in, screenshot
from tests.live import LiveServer


def roll_up(live: LiveServer) -> dict[str, int]:
    """Run the job, and count directly what 长安区's page must show: codes issued by its
    enterprises in the last 30 days and verifications asked there (all of the demo's categories in
    长安区 are the quality regulator's, and so are codes of no known product)."""
    engine = make_engine(live.database_url)
    sessions = session_factory(engine)
    first = today() - dt.timedelta(days=29)
    with transaction(sessions) as session:
        rollup(session, actor=Actor.system("test"), since=first)
    with reading(sessions) as session:
        issued = sum(batch.quantity for batch, region in session.execute(
            select(CodeBatch, Enterprise.region_code).join(Enterprise, Enterprise.id == CodeBatch.enterprise_id)
            .join(Product, Product.id == CodeBatch.product_id)
            .where(CodeBatch.generation > 0))  # registered codes of other schemes were not issued
            if region == "130102" and local_date(batch.issued_at) >= first)
        # Other tests check other agencies' codes in 长安区 too (a phone there checking fertiliser):
        # the quality office counts those of its categories and of no known product.
        agency_of = [(batch.generation, batch.serial_start, batch.serial_end, agency) for batch, agency in
                     session.execute(select(CodeBatch, Category.agency).join(Product, Product.id == CodeBatch.product_id)
                                     .join(Category, Category.id == Product.category_id))]

        def quality(query: Query) -> bool:
            found = next((agency for generation, start, end, agency in agency_of
                          if query.generation == generation and query.serial is not None and start <= query.serial < end),
                         None)
            return found is None or found == Agency.QUALITY

        queries = sum(1 for query in session.scalars(select(Query).where(Query.region_code == "130102"))
                      if local_date(query.at) >= first and quality(query))
    engine.dispose()
    return {"issued": issued, "queries": queries}


def cell(page: Page, table: str, column: int) -> str:
    return page.locator(f"table[data-table={table}] tbody tr.total td").nth(column).inner_text().strip()


def test_a_province_regulator_drills_down_to_a_county(page: Page, live: LiveServer) -> None:
    expected = roll_up(live)
    log_in(page, live, "hebei.quality")
    page.get_by_role("link", name="统计分析").first.click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("河北省")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width  # wide tables scroll inside their frame, the page does not
    screenshot(page, "statistics-province")

    page.locator("table[data-table=enrolment] a", has_text="石家庄市").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("石家庄市")
    expect(page.locator(".crumbs")).to_contain_text("河北省")
    page.locator("table[data-table=codes_by_region] a", has_text="长安区").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("长安区")
    assert cell(page, "codes_by_region", 1) == str(expected["issued"])
    assert cell(page, "queries_by_region", 7) == str(expected["queries"])
    assert expected["issued"] > 0
    screenshot(page, "statistics-county")

    with page.expect_download() as download:
        page.locator("#codes_by_region .csv-links a").first.click()
    path = download.value.path()
    text = path.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "区域,赋码量,激活量,首次查询,查询率（%，累计）"
    assert f"长安区（合计）,{expected['issued']}," in text

    page.locator("a.lang").click()
    expect(page.locator("h1")).to_contain_text("Statistics")
    expect(page.locator("table[data-table=codes_by_region] thead")).to_contain_text("Codes issued")

    # The way back up is the breadcrumb; the regulator's province is as far up as it goes.
    page.locator(".crumbs a", has_text="河北省").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("河北省")
    response = page.goto(f"{live.base_url}/manage/statistics?region=350000")
    assert response is not None and response.status == 404


def test_a_city_regulator_sets_a_target_and_sees_who_is_behind(page: Page, live: LiveServer) -> None:
    log_in(page, live, "sjz.quality")
    page.goto(f"{live.base_url}/manage/statistics")
    page.get_by_role("link", name="考核目标").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("石家庄市")
    form = page.locator("#set-targets form")
    form.locator("select[name=region_code]").select_option("130111")
    form.locator("input[name=signed]").fill("500")
    form.locator("input[name=rate_production_licence]").fill("60")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    row = page.locator("table[data-table=targets] tbody tr[data-region='130111']")
    expect(row).to_contain_text("落后")
    expect(row).to_contain_text("500")
    first = page.locator("table[data-table=targets] tbody tr").nth(1)  # after the city's own row
    expect(first).to_have_attribute("data-region", "130111")  # the furthest behind comes first
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    screenshot(page, "statistics-targets")
    form.locator("input[name=rate_production_licence]").fill("150")
    form.locator("button[type=submit]").click()
    expect(page.locator(".alert.bad")).to_contain_text("签约率")
