"""Logins and the last operator through a real server: the login form answers 429 with the wait in
Chinese (or English) and ``Retry-After``, parallel wrong logins never answer 500, and disabling the
last active operator is refused by the API (409) and the page (the list with the message).

A server of its own (SQLite; the services are tested on both databases in test_logins.py): the
shared demo server must not see its address throttled nor its operators disabled."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from jianguan.accounts import login as logins
from jianguan.accounts import services as accounts
from jianguan.accounts.models import Role
from jianguan.audit.models import AuditRecord
from jianguan.audit.services import Actor
from jianguan.codes.keyring import KeyService
from jianguan.storage import make_engine, session_factory, transaction
from tests.conftest import TEST_MASTER, DatabaseFactory
from tests.live import DemoSeed, LiveServer, start_server

PASSWORD = "web-login-password"


@pytest.fixture(scope="module")
def server(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    if databases.backend != "sqlite":
        pytest.skip("the web layer is the same on both databases; the services are tested on both")
    url = databases.new_url()
    engine = make_engine(url)
    with transaction(session_factory(engine, keys=KeyService(TEST_MASTER))) as session:
        for username in ("chief", "victim", *(f"staff{index}" for index in range(8))):
            accounts.create_user(session, actor=Actor.system("test"), username=username, display_name="测试",
                                 password=PASSWORD, role=Role.OPERATOR if username == "chief" else Role.REGULATOR,
                                 **({} if username == "chief" else {"region_code": "130100", "agency": "quality"}))
    engine.dispose()
    seed = DemoSeed()
    seed.logins["operator"].append(("chief", PASSWORD))
    live = start_server(url, tmp_path_factory.mktemp("logins-web"), seed, JIANGUAN_TRUSTED_PROXIES="127.0.0.1")
    yield live
    live.stop()


def _post_login(client: httpx.Client, username: str, password: str, query: str = "",
                forwarded_for: str | None = None) -> httpx.Response:
    client.get("/login")
    return client.post(f"/login{query}", data={"username": username, "password": password,
                                               "csrf_token": client.cookies["jg_csrf"], "next": "/dashboard"},
                       headers={"X-Forwarded-For": forwarded_for} if forwarded_for else None)


def test_behind_a_trusted_proxy_the_backoff_counts_the_forwarded_address(server: LiveServer) -> None:
    client = server.client()
    for index in range(logins.ADDRESS_FREE):
        assert _post_login(client, f"nobody{index}", "wrong-password", forwarded_for="203.0.113.7").status_code == 400
    assert _post_login(client, "chief", PASSWORD, forwarded_for="203.0.113.7").status_code == 429
    assert _post_login(client, "chief", PASSWORD, forwarded_for="198.51.100.9").status_code == 303
    engine = make_engine(server.database_url)
    with engine.connect() as connection:
        sources = set(connection.scalars(select(AuditRecord.source_address).where(
            AuditRecord.action == "account:login:failed")))
    engine.dispose()
    assert "203.0.113.7" in sources


def test_the_login_form_backs_off_with_the_wait_in_both_languages(server: LiveServer, tmp_path: Path) -> None:
    client = server.client()
    for _ in range(logins.ACCOUNT_FREE):
        assert _post_login(client, "victim", "wrong-password").status_code == 400
    throttled = _post_login(client, "victim", PASSWORD)
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) >= 1
    assert re.search(r"请在 \d+ 秒后（北京时间 \d\d:\d\d:\d\d 之后）再试", throttled.text)
    english = _post_login(client, "victim", PASSWORD, "?lang=en")
    assert english.status_code == 429 and "Too many failed logins" in english.text
    assert "Wrong username" not in english.text  # it says to wait, not that the password is wrong


def test_parallel_wrong_logins_never_answer_500(server: LiveServer) -> None:
    start = threading.Barrier(8)
    statuses: list[int] = []

    def wrong(index: int) -> None:
        with server.client() as client:
            client.get("/login")
            start.wait()
            statuses.append(_post_login(client, f"staff{index}", "wrong-password").status_code)

    threads = [threading.Thread(target=wrong, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == [400] * 8
    assert "database is locked" not in server.log_path.read_text()


def test_the_last_active_operator_cannot_be_disabled_over_the_api_or_the_page(server: LiveServer) -> None:
    chief = server.login("chief")
    me = chief.get("/api/v1/me").json()
    refused = chief.post(f"/api/v1/users/{me['id']}/disable")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "last_operator"
    page = chief.post(f"/manage/users/{me['id']}/disable", data={"csrf_token": chief.cookies["jg_csrf"]})
    assert page.status_code == 409 and "最后一个启用的运营中心账户" in page.text and "chief" in page.text
    assert chief.get("/api/v1/me").status_code == 200  # still logged in, still active
