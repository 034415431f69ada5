"""Two worker processes serving one network: what a consumer is told and every limit hold for the
service as a whole, not per process (counts through the database, limits through Redis)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import DatabaseFactory
from tests.live import LiveServer, demo_seed, free_port, start_server
from tests.redis_server import redis_url

RATE_LIMIT = 40
BLOCK_AFTER = 6


@pytest.fixture(scope="module")
def two_workers(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    url = databases.new_url()
    with redis_url() as redis:
        live = start_server(url, tmp_path_factory.mktemp("workers"), demo_seed(url), JIANGUAN_WORKERS="2",
                            JIANGUAN_REDIS_URL=redis, JIANGUAN_REDIS_PREFIX=f"test-{uuid.uuid4().hex[:8]}",
                            JIANGUAN_PUBLIC_RATE_LIMIT_PER_MINUTE=str(RATE_LIMIT),
                            JIANGUAN_ABUSE_SLOW_AFTER=str(BLOCK_AFTER), JIANGUAN_ABUSE_DELAY_SECONDS="0",
                            JIANGUAN_ABUSE_BLOCK_AFTER=str(BLOCK_AFTER))
        yield live
        live.stop()


def fresh_connection(live: LiveServer, address: str) -> httpx.Client:
    """A client that opens a new connection for every request, so the requests spread over both
    workers, from its own loopback address (each test is its own client)."""
    return httpx.Client(base_url=live.base_url, timeout=30, limits=httpx.Limits(max_keepalive_connections=0),
                        transport=httpx.HTTPTransport(local_address=address))


def _not_near_a_minute_boundary() -> None:
    while time.time() % 60 > 45:  # a fixed one-minute window must not end during the test
        time.sleep(1)


def test_consumers_are_told_the_exact_count_whichever_worker_answers(two_workers: LiveServer) -> None:
    code = two_workers.seed.samples["genuine"][0]
    told = []
    with fresh_connection(two_workers, "127.0.0.3") as client:
        _not_near_a_minute_boundary()
        for _ in range(20):
            told.append(client.get(f"/api/v1/verify/{code}").json()["history"]["count_before"])
            time.sleep(0.12)  # longer than a flush interval (0.05 s): the other worker has written it
    assert told == list(range(told[0], told[0] + 20))


def test_the_rate_limit_holds_across_workers(two_workers: LiveServer) -> None:
    with fresh_connection(two_workers, "127.0.0.4") as client:
        _not_near_a_minute_boundary()
        statuses = [client.get("/api/v1/ping").status_code for _ in range(2 * RATE_LIMIT)]
    assert statuses.count(200) == RATE_LIMIT and statuses.count(429) == RATE_LIMIT


def test_a_probing_source_is_blocked_once_across_workers(two_workers: LiveServer) -> None:
    alerts_before = len(two_workers.login("operator").get("/api/v1/alerts").json()["alerts"])
    with fresh_connection(two_workers, "127.0.0.5") as client:
        _not_near_a_minute_boundary()
        answers = [client.get(f"/api/v1/verify/{'1' * 19}{digit}") for digit in range(BLOCK_AFTER)]
        assert [answer.status_code for answer in answers] == [200] * BLOCK_AFTER
        blocked = [client.get(f"/api/v1/verify/{two_workers.seed.samples['genuine'][0]}") for _ in range(6)]
    assert [answer.status_code for answer in blocked] == [429] * 6
    alerts = two_workers.login("operator").get("/api/v1/alerts").json()["alerts"]
    assert len(alerts) == alerts_before + 1  # one block, one alert, whichever worker started it


def test_health_names_the_shared_store_when_it_is_away(databases: DatabaseFactory, tmp_path: Path) -> None:
    """Rate limits that cannot be counted are not silently dropped: 503, and health says why."""
    url = databases.new_url()
    live = start_server(url, tmp_path, demo_seed(url), healthy=False,
                        JIANGUAN_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    try:
        client = live.client()
        health = client.get("/api/v1/health")
        assert health.status_code == 503 and health.json()["down"] == ["shared_counters"]
        answer = client.get("/api/v1/ping")
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
        assert answer.json()["error"]["code"] == "unavailable"
        assert "Traceback" not in live.log_path.read_text()
    finally:
        live.stop()
