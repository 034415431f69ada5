"""A distributor uploads a delivery as CSV from its dashboard: a wrong row is named, in Chinese and
in English, and nothing is stored; fixed, the file is taken and listed among its uploads."""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import Page, expect

from jianguan.accounts import services as accounts
from jianguan.accounts.models import Role
from jianguan.codes.keyring import KeyService
from jianguan.storage import make_engine, session_factory, transaction
from tests.browser.conftest import screenshot
from tests.conftest import TEST_MASTER
from tests.functional.registry_data import ACTOR
from tests.functional.trace_data import event, issue_codes, make_chain, send
from tests.live import LiveServer

PASSWORD = "correct horse battery"


def test_a_distributor_uploads_a_delivery_and_is_told_what_is_wrong_by_row(page: Page, live: LiveServer) -> None:
    engine = make_engine(live.database_url)
    sessions = session_factory(engine, keys=KeyService(TEST_MASTER))
    chain = make_chain(sessions)
    _batch, codes = issue_codes(sessions, chain, 3)
    send(sessions, chain, "enterprise", [event(0, "shipping", codes, where=chain.places["warehouse"],
                                               to=chain.places["depot"])])
    username = f"depot-{secrets.token_hex(3)}"
    with transaction(sessions) as session:
        accounts.create_user(session, actor=ACTOR, username=username, display_name="广州经销商 收货员",
                             password=PASSWORD, role=Role.MERCHANT, merchant_id=chain.distributor)
    engine.dispose()

    page.goto(f"{live.base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.get_by_role("link", name=re.compile("上报流向事件")).click()
    expect(page).to_have_url(re.compile(r"/epcis/upload$"))
    header = "eventTime,action,bizStep,bizLocation,epcList\n"
    page.fill("textarea[name=text]", header + f"2026-11-02 12:00,OBSERVE,collecting,{chain.places['depot']},"
                                              f"{' '.join(codes)}\n")
    page.get_by_role("button", name="上报").click()
    refused = page.locator("#refused")
    expect(refused).to_contain_text("未保存任何事件")
    expect(refused).to_contain_text("第 2 行")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide on a 390px phone"
    screenshot(page, "epcis-upload-refused")

    page.fill("textarea[name=text]", header + f"2026-11-02 12:00,OBSERVE,receiving,{chain.places['depot']},"
                                              f"{' '.join(codes)}\n")
    page.get_by_role("button", name="上报").click()
    expect(page).to_have_url(re.compile(r"/epcis/upload\?done=\d+$"))
    expect(page.locator("#result")).to_contain_text("已接收：新事件 1 个")
    expect(page.locator("#recent")).to_contain_text("已拒收")
    screenshot(page, "epcis-upload-taken")

    page.goto(f"{live.base_url}/epcis/upload?lang=en")
    expect(page.locator("h1")).to_contain_text("Upload supply-chain events (CSV)")
    expect(page.locator("#recent")).to_contain_text("refused")
    page.goto(f"{live.base_url}/epcis/upload?lang=zh")
