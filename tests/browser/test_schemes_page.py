"""珍味's information office registers codes it already prints under other schemes, on a phone: the
demo's GS1 range is listed; a file of drug codes with a bad and a repeated row is refused with
the rows named and nothing registered; a good file and a GS1 range are registered, and a code of
each verifies as registered, not issued. A registration's batch page offers no code file, labels
or printing confirmation: it says the codes are registered and printed by the enterprise."""

from __future__ import annotations

import random
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, log_in, screenshot
from tests.live import LiveServer


def test_a_manufacturer_registers_gs1_serials_and_drug_codes(page: Page, live: LiveServer, tmp_path: Path) -> None:
    log_in(page, live, "zhenwei")
    page.goto(f"{live.base_url}/dashboard")
    page.get_by_role("link", name="其他编码体系").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("其他编码体系的注册码")
    expect(page.locator("table[data-table=registrations]")).to_contain_text("珍味特级酱油")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width

    start = random.randrange(10**12)
    codes = [f"82{start + n:018d}" for n in range(3)]
    bad = tmp_path / "bad.csv"
    bad.write_text(f"药品电子监管码\n{codes[0]}\n12345\n{codes[0]}\n", encoding="utf-8")
    form = page.locator("#import-drug-codes form")
    form.locator("input[name=file]").set_input_files(str(bad))
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".alert.bad")).to_contain_text("未导入")
    faults = page.locator("table[data-table=faults]")
    expect(faults).to_contain_text("不是药品电子监管码")
    expect(faults).to_contain_text("与第 2 行重复")
    screenshot(page, "schemes-refused")

    good = tmp_path / "good.csv"
    good.write_text("\n".join(codes) + "\n", encoding="utf-8")
    form = page.locator("#import-drug-codes form")
    form.locator("input[name=file]").set_input_files(str(good))
    form.locator("input[name=lot]").fill("ZW-LL-01")
    form.locator("input[name=production_date]").fill("2026-10-01")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".alert.good")).to_contain_text("已注册 3 个码")
    expect(page.locator("table[data-table=registrations] tr[data-scheme=drug]")).to_contain_text("good.csv")

    first = 500000 + random.randrange(10**6) * 100
    form = page.locator("#register-gs1 form")
    form.locator("input[name=first]").fill(str(first))
    form.locator("input[name=last]").fill(str(first + 49))
    form.locator("input[name=lot]").fill("ZW-JY-02")
    form.locator("input[name=production_date]").fill("2026-10-02")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".alert.good")).to_contain_text("已注册 50 个码")
    page.locator("a.lang").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("Codes of other schemes")
    screenshot(page, "schemes")

    gtin = page.locator("table[data-table=registrations] tr[data-scheme=gs1] td").nth(3).first.inner_text()
    page.goto(f"{live.base_url}/01/{gtin.strip()}/21/{first + 7}")
    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "genuine")
    expect(page.locator(".verdict-scheme")).to_contain_text("registered, not issued by this network")
    page.goto(f"{live.base_url}/v/{codes[1]}")
    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "genuine")
    screenshot(page, "schemes-verified")


def test_a_registered_batch_page_offers_no_code_file_or_labels(page: Page, live: LiveServer) -> None:
    client = live.login("zhenwei")
    batch_id = client.get("/api/v1/schemes/registrations").json()[-1]["batch_id"]  # the demo's GS1 range
    log_in(page, live, "zhenwei")
    page.goto(f"{live.base_url}/codes/batches/{batch_id}")
    expect(page.locator("h1")).to_contain_text("珍味特级酱油")
    expect(page.locator("dd[data-scheme=gs1]")).to_contain_text("非本网签发的注册码")
    expect(page.locator("#registered")).to_contain_text("本网不为其生成码文件或标签")
    expect(page.locator(".codes-list li").first).to_contain_text("(01)")
    for hidden in ("#downloads", "#printing", "form[action$='/file']", "form[action$='/labels.pdf']"):
        expect(page.locator(hidden)).to_have_count(0)
    expect(page.locator("#activate")).to_be_visible()  # activation applies as to ours
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    screenshot(page, "registered-batch")
    page.locator("a.lang").click()
    page.wait_for_load_state()
    expect(page.locator("dd[data-scheme=gs1]")).to_contain_text("registered, not issued by this network")
    expect(page.locator("dl.facts")).to_contain_text("printed by the enterprise itself")
    expect(page.locator("#registered")).to_contain_text("no code file or labels")
    screenshot(page, "registered-batch-en")
