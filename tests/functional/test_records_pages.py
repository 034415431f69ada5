"""Every page the dashboard links to exists for that role, and a printer's or shop's record
is shown to its own staff and the operator only."""

from __future__ import annotations

import re

from tests.live import LiveServer


def test_every_dashboard_link_opens(live: LiveServer) -> None:
    for username in ("operator", "luancheng.quality", "fengsui", "huayin", "luancheng.shop"):
        client = live.login(username)
        page = client.get("/dashboard")
        assert page.status_code == 200
        links = set(re.findall(r'<a class="card" href="([^"]+)"', page.text))
        assert links, username
        for link in links:
            assert client.get(link).status_code == 200, (username, link)


def test_printer_and_merchant_records_are_their_own(live: LiveServer) -> None:
    printer = live.login("huayin")
    assert "冀监码印备" in printer.get("/manage/printers/1").text
    assert printer.get("/manage/printers/2").status_code == 404
    shop = live.login("luancheng.shop")
    own = shop.get("/dashboard").text
    merchant_id = int(re.search(r'href="/manage/merchants/(\d+)"', own).group(1))
    assert "栾城农资服务站" in shop.get(f"/manage/merchants/{merchant_id}").text
    assert shop.get(f"/manage/merchants/{merchant_id - 1}").status_code == 404
    assert live.login("operator").get(f"/manage/merchants/{merchant_id}").status_code == 200


def test_a_revoked_key_is_refused_even_on_public_routes(live: LiveServer) -> None:
    response = live.client(headers={"Authorization": "Bearer jg_aaaaaaaaaa_" + "A" * 43}).get("/api/v1/categories")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
