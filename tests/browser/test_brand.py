"""Brand protection (保名优) in the browser: 珍味 goes from its dashboard to /brand on a phone and
reads where its codes are checked, on the map and in the table under it, its clone warnings, its
cases by stage and the enforcement outcome of the fake vinegar; the page fits the phone, in
Chinese and in English, and the map (every county queried, by code, in Hebei and out of it) is
drawn on a desktop too."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in, screenshot
from tests.live import LiveServer


def _fits_the_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide on a 390px phone"


def _map(page: Page) -> dict[str, Any]:
    """The map's series read back from ECharts, with only the areas it was given numbers for (it
    lists every other area of the map without one)."""
    expect(page.locator(".brand-map .chart svg path").first).to_be_visible()
    series = page.evaluate("""() => echarts.getInstanceByDom(document.querySelector('.brand-map .chart'))
                                    .getOption().series[0]""")
    return {"name": series["name"], "areas": [area for area in series["data"] if "value" in area]}


def _the_map_is_the_table(page: Page, found: dict[str, Any]) -> None:
    """Every county of the table is drawn by its code with the table's number, in Hebei and out of
    it (the outlines cover the country), and not the unknown place; the demo's two 石家庄 counties
    are drawn, in the city split into its counties; the counties a clone alert names are the ones
    outlined."""
    table = {row["region_code"]: row["queries"] for row in found["counties"] if row["region_code"]}
    areas = _map(page)["areas"]
    drawn = {area["name"]: area["value"] for area in areas}
    assert len(drawn) == len(areas) and drawn == table, (drawn, table)
    assert {"130102", "130104"} <= drawn.keys()
    assert all(area["label"].startswith("河北省 石家庄市 ") for area in areas if area["name"] in ("130102", "130104"))
    outlines = page.evaluate("() => echarts.getMap('brand').geoJSON.features.map((f) => f.properties.code)")
    assert "130100" not in outlines and "130000" not in outlines and "130200" in outlines  # split only where queried
    named = {code for alert in found["clone_alerts"]
             for code in [alert["region_code"], *alert["details"].get("regions", [])] if code}
    outlined = {area["name"] for area in areas if area.get("clones")}
    assert outlined == named & drawn.keys() and outlined, (outlined, named)
    assert all(area["itemStyle"]["borderColor"] for area in areas if area.get("clones"))
    for code in outlined:
        expect(page.locator(f"table[data-table=counties] tr[data-region='{code}'] .clone-mark")).to_be_visible()


def test_the_brand_owner_reads_its_brand_protection_on_a_phone(page: Page, live: LiveServer) -> None:
    found = live.login("zhenwei").get("/api/v1/brand").json()
    log_in(page, live, "zhenwei")
    page.goto(f"{live.base_url}/dashboard")
    page.click("a[href='/brand']")
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_contain_text("品牌保护")
    table = page.locator("table[data-table=counties]")
    for row in found["counties"]:
        region = row["region_code"] or "unknown"
        expect(table.locator(f"tr[data-region='{region}'] td").nth(1)).to_have_text(str(row["queries"]))
    _the_map_is_the_table(page, found)
    expect(page.locator(".brand-map figcaption")).to_contain_text("未知地点")
    assert _map(page)["name"] == "查询"
    expect(page.locator("#cases")).to_contain_text(str(found["cases_total"]))
    action = found["enforcement"][0]
    expect(page.locator(f"li[data-action='{action['id']}']")).to_contain_text(action["basis"])
    _fits_the_phone(page)
    screenshot(page, "brand-protection-phone")

    page.click(f"li[data-action='{action['id']}'] a")
    page.wait_for_load_state()
    expect(page.locator(f"#enforcement-{action['id']}")).to_be_visible()

    page.goto(f"{live.base_url}/brand?from=2026-11-20&to=2026-11-01")
    expect(page.get_by_role("alert")).to_contain_text("起始日期")
    page.click("text=English")
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Brand protection")
    expect(page.locator(".brand-map figcaption")).to_contain_text("The unknown place")
    assert _map(page)["name"] == "Queries"
    _the_map_is_the_table(page, found)
    _fits_the_phone(page)
    screenshot(page, "brand-protection-phone-en")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live.base_url}/brand")
    _the_map_is_the_table(page, found)
    screenshot(page, "brand-protection-desktop")
