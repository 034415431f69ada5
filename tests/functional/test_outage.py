"""When the database cannot be written or is away: bounded loss, 503 (not 500), one log line per
kind, a truthful health answer, and recovery, on a real server."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import DatabaseFactory
from tests.live import LiveServer, demo_seed, start_server

MAX_PENDING = 100


@pytest.fixture(scope="module")
def server(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    url = databases.new_url()
    live = start_server(url, tmp_path_factory.mktemp("outage"), demo_seed(url),
                        JIANGUAN_QUERY_LOG_MAX_PENDING=str(MAX_PENDING))
    yield live
    live.stop()


def _hold_write_lock(database_url: str):
    """Another connection that keeps the query log from being written (reads go on): SQLite's
    exclusive transaction, or PostgreSQL's EXCLUSIVE lock on the log table."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(url.database, isolation_level=None)
        connection.execute("BEGIN EXCLUSIVE")
        return connection
    connection = psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
    connection.execute("LOCK TABLE queries IN EXCLUSIVE MODE")
    return connection


def _wait_for(condition, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_while_the_log_cannot_be_written_verification_stops_at_the_bound(server: LiveServer) -> None:
    code = server.seed.samples["genuine"][0]
    client = server.client()
    before = client.get(f"/api/v1/verify/{code}").json()["history"]["count_before"]
    _wait_for(lambda: client.get("/api/v1/health").json()["parts"]["query_log"]["pending"] == 0)
    lock = _hold_write_lock(server.database_url)
    try:
        answers = [client.get(f"/api/v1/verify/{code}") for _ in range(MAX_PENDING)]
        assert [answer.status_code for answer in answers] == [200] * MAX_PENDING
        assert [answer.json()["history"]["count_before"] for answer in answers] == list(
            range(before + 1, before + 1 + MAX_PENDING))
        refused = client.get(f"/api/v1/verify/{code}")
        assert refused.status_code == 503 and int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["error"]["code"] == "query_log_full"
        assert "秒后再试" in refused.json()["error"]["message_zh"]
        page = client.get(f"/v/{code}")  # the page says so too, in the visitor's language
        assert page.status_code == 503 and "查询暂停" in page.text
        health = client.get("/api/v1/health")
        assert health.status_code == 503 and health.json()["down"] == ["query_log"]
        assert health.json()["parts"]["query_log"]["pending"] == MAX_PENDING
    finally:
        if isinstance(lock, psycopg.Connection):
            lock.rollback()
        else:
            lock.execute("ROLLBACK")
        lock.close()
    _wait_for(lambda: client.get("/api/v1/health").status_code == 200)
    resumed = client.get(f"/api/v1/verify/{code}").json()
    assert resumed["history"]["count_before"] == before + 1 + MAX_PENDING  # every held query was written
    log = Path(server.log_path).read_text()
    assert "Traceback" not in log and log.count("query log flush") <= 10


def test_a_postgresql_outage_answers_503_and_recovers(pg_admin_url: str, tmp_path: Path) -> None:
    """Connections refused while the database is away (as during a restart): every request is a
    503 with Retry-After, the log gets a line per kind per interval, health names the database;
    when it is back, so is the service, and nothing answered before the outage is lost."""
    factory = DatabaseFactory("postgresql", tmp_path, pg_admin_url)
    url = factory.new_url()
    live = start_server(url, tmp_path, demo_seed(url))
    name = make_url(url).database
    admin = psycopg.connect(make_url(pg_admin_url).set(drivername="postgresql").render_as_string(hide_password=False),
                            autocommit=True)
    try:
        client = live.client()
        code = live.seed.samples["genuine"][0]
        assert client.get(f"/api/v1/verify/{code}").status_code == 200
        operator = live.login("operator")
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        time.sleep(0.3)
        for path in (f"/api/v1/verify/{code}", "/api/v1/manage/enterprises", "/manage/enterprises", f"/v/{code}"):
            for _ in range(10):
                answer = (operator if "manage" in path else client).get(path)
                assert answer.status_code == 503, (path, answer.status_code, answer.text[:200])
                assert int(answer.headers["Retry-After"]) >= 1
        assert client.get(f"/api/v1/verify/{code}").json()["error"]["code"] == "unavailable"
        health = client.get("/api/v1/health")
        assert health.status_code == 503 and "database" in health.json()["down"]
        assert health.json()["parts"]["database"]["failing"] == "unreachable"
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        _wait_for(lambda: client.get("/api/v1/health").status_code == 200)
        assert client.get(f"/api/v1/verify/{code}").status_code == 200
        assert operator.get("/api/v1/manage/enterprises").status_code == 200
        log = Path(live.log_path).read_text()
        assert "Traceback" not in log
        assert 1 <= log.count("database unreachable") <= 6, log[-3000:]
    finally:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        admin.close()
        live.stop()
        factory.drop_all()
