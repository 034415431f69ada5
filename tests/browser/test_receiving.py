"""A delivery walked from the manufacturer's shipment (captured through the capture service) to the
shop's receiving check on the scan page, a sale there, and the county regulator's view of the record."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.services import Actor
from jianguan.codes import lookup
from jianguan.codes.keyring import KeyService
from jianguan.codes.models import CodeBatch
from jianguan.demo.chain import demo_gln
from jianguan.enterprises.models import Enterprise
from jianguan.storage import make_engine, session_factory, transaction
from jianguan.storage.base import utcnow
from jianguan.trace.capture import capture
from jianguan.trace.epcis_model import Action, EPCISEvent, EventType
from jianguan.trace.identifiers import code_uri
from jianguan.trace.places import register_location
from tests.browser.conftest import log_in, screenshot
from tests.conftest import TEST_MASTER
from tests.live import LiveServer


def _sgln(gln: str) -> str:
    return f"urn:epc:id:sgln:{gln[:7]}.{gln[7:12]}.0"


def ship_fertiliser(live: LiveServer) -> tuple[list[str], str]:
    """丰穗 ships six bags to 栾城农资服务站 and one to 河北农资连锁, through the capture service."""
    engine = make_engine(live.database_url)
    sessions = session_factory(engine, keys=KeyService(TEST_MASTER))
    with transaction(sessions) as session:
        fengsui = session.scalar(select(Enterprise.id).where(Enterprise.name == "石家庄丰穗复合肥有限公司"))
        batch = session.scalars(select(CodeBatch).where(CodeBatch.enterprise_id == fengsui)
                                .order_by(CodeBatch.id)).first()
        owner = Principal(kind="user", id=0, name="fengsui-shipping", role=Role.MANUFACTURER, enterprise_id=fengsui)
        bags = lookup.batch_codes(session, principal=owner, batch_id=batch.id, offset=900, limit=7)
        # From a warehouse of its own that the demo does not have, so that the access matrix's
        # marker of 丰穗's shipments (its finished-goods store) stays out of the shop's sight.
        register_location(session, actor=Actor("fengsui-shipping", "test"), principal=owner, gln=demo_gln(90),
                          name="丰穗复合肥 二号仓", region_code="130111")
        now = utcnow()
        events = [EPCISEvent(index=i, type=EventType.OBJECT, action=Action.OBSERVE, event_time=now,
                             event_time_zone_offset="+08:00", biz_step="shipping",
                             epc_list=tuple(code_uri(code) for code in codes), biz_location=_sgln(demo_gln(90)),
                             destination_list=(("owning_party", _sgln(demo_gln(to))),))
                  for i, (codes, to) in enumerate(((bags[:6], 12), (bags[6:], 11)))]
        capture(session, actor=Actor("fengsui-shipping", "test"), principal=owner, events=events, source="json")
    engine.dispose()
    return bags[:6], bags[6]


def scan(page: Page, code: str) -> None:
    page.fill("#scan-input", code)
    page.press("#scan-input", "Enter")


def test_a_delivery_from_shipment_to_receiving_check_to_the_regulator(page: Page, live: LiveServer) -> None:
    bags, elsewhere = ship_fertiliser(live)
    log_in(page, live, "luancheng.shop")
    page.get_by_role("link", name=re.compile("待收货")).first.click()
    expect(page.locator("table.deliveries")).to_contain_text("石家庄丰穗复合肥有限公司")
    page.goto(f"{live.base_url}/scan")
    lines = page.locator("#scan-lines li")
    for number, bag in enumerate(bags, start=1):
        scan(page, bag)
        expect(lines).to_have_count(number)
    expect(lines.first).to_contain_text("合格")
    assert page.locator("#scan-app").get_attribute("data-last-beep") in ("ok", "none")
    scan(page, elsewhere)
    expect(lines).to_have_count(7)
    expect(lines.first).to_contain_text("未发往本单位")
    expect(page.locator("#scan-status")).to_have_class(re.compile("bad"))
    scan(page, bags[0])  # scanned twice: told, not counted
    expect(page.locator("#scan-status")).to_contain_text("重复扫描")
    expect(page.locator("#count-all")).to_have_text("7")
    page.locator(f"#scan-lines li[data-code='{bags[5]}'] button.refuse").click()
    expect(page.locator("#count-refused")).to_have_text("1")
    page.fill("#receipt-note", "一袋受潮")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the scan page is {width}px wide on a 390px phone"
    screenshot(page, "scan-page-receiving")
    page.click("#confirm-receipt")
    done = page.locator("#receipt-done")
    expect(done).to_contain_text("接收 5 件，拒收 2 件")
    record = done.get_by_role("link").get_attribute("href")
    assert record is not None and re.fullmatch(r"/receipts/\d+", record)

    # a bag received is sold at the till
    page.check("input[name=mode][value=sell]")
    scan(page, bags[1])
    expect(lines.first).to_contain_text("已登记销售")
    scan(page, bags[5])  # refused at the door: not in stock
    expect(lines.first).to_contain_text("不在本单位库存")
    screenshot(page, "scan-page-selling")
    page.goto(f"{live.base_url}/stock")
    expect(page.locator("table.stock")).to_contain_text("丰穗牌复合肥")

    # the county regulator sees the record, with each bag's result
    page.context.clear_cookies()
    log_in(page, live, "luancheng.quality")
    page.get_by_role("link", name=re.compile("进货验收记录")).first.click()
    page.locator(f"a[href='{record}']").click()
    main = page.locator("main")
    expect(main).to_contain_text("栾城农资服务站")
    expect(main).to_contain_text("一袋受潮")
    expect(page.locator(f"tr[data-code='{elsewhere}']")).to_contain_text("未发往本单位")
    expect(page.locator(f"tr[data-code='{bags[5]}']")).to_contain_text("拒收")
    expect(page.locator(f"tr[data-code='{bags[0]}']")).to_contain_text("接收")
    screenshot(page, "regulator-receiving-record")
    # another county's regulator is not shown it
    page.context.clear_cookies()
    log_in(page, live, "fuzhou.quality")
    response = page.goto(f"{live.base_url}{record}")
    assert response is not None and response.status == 404
    expect(page.locator("main")).not_to_contain_text("栾城农资服务站")
    # the scan page in English: the results come in the page's language too
    page.context.clear_cookies()
    log_in(page, live, "luancheng.shop")
    page.goto(f"{live.base_url}/scan?lang=en")
    expect(page.locator("#receive-panel")).to_contain_text("Confirm the check")
    scan(page, elsewhere)
    expect(lines.first).to_contain_text("not shipped to you")
    screenshot(page, "scan-page-english")


def test_a_regulator_traces_a_bottle_and_its_lot(page: Page, live: LiveServer) -> None:
    bottle = live.seed.samples["packed"][0]  # a bottle of 珍味 vinegar in case 1, which went to 北国超市
    log_in(page, live, "sjz.quality")
    page.get_by_role("link", name=re.compile("追溯")).first.click()
    page.fill("input[name=code]", bottle)
    page.get_by_role("button", name="追溯").click()
    journey = page.locator("ol.journey")
    expect(journey.locator("li[data-step=shipping]").first).to_contain_text("随箱")
    expect(journey.locator("li[data-step=receiving]").last).to_contain_text("北国超市")
    expect(journey.locator("li[data-step=activated]")).to_contain_text("ZW-2026-1015")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the journey is {width}px wide on a 390px phone"
    screenshot(page, "trace-code-journey")
    page.get_by_role("link", name="该批号流向").click()
    regions = page.locator("table.regions")
    expect(regions.locator("tr[data-region='130000']")).to_be_visible()
    expect(regions.locator("tr[data-region='130100']")).to_be_visible()
    expect(regions.locator("tr[data-region='130104']")).to_be_visible()  # 北国超市's county
    expect(page.locator("table.holdings")).to_contain_text("北国超市")
    screenshot(page, "trace-lot")
