"""The counters shared through Redis, asked as few times as a request needs: a verification's
rate limit and its source's abuse standing go in one round trip (web/ratelimit.py), and what
the guard decides from that standing is what it decided when it read the standing itself."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from jianguan.counters import RedisCounters
from tests.conftest import DatabaseFactory
from tests.live import LiveServer, demo_seed, start_server
from tests.redis_server import redis_url

BLOCK_AFTER = 4


@pytest.fixture(scope="module")
def shared() -> Iterator[str]:
    with redis_url() as url:
        yield url


@pytest.fixture(scope="module")
def served(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory, shared: str) -> Iterator[LiveServer]:
    url = databases.new_url()
    live = start_server(url, tmp_path_factory.mktemp("shared"), demo_seed(url), JIANGUAN_REDIS_URL=shared,
                        JIANGUAN_REDIS_PREFIX=f"test-{uuid.uuid4().hex[:8]}", JIANGUAN_ABUSE_SLOW_AFTER=str(BLOCK_AFTER),
                        JIANGUAN_ABUSE_DELAY_SECONDS="0", JIANGUAN_ABUSE_BLOCK_AFTER=str(BLOCK_AFTER))
    yield live
    live.stop()


def _reads(client: redis.Redis) -> int:
    """The read events Redis has processed: one a round trip (a pipeline arrives in one)."""
    return int(client.info("stats")["total_reads_processed"])


def test_a_verification_asks_redis_once(served: LiveServer, shared: str) -> None:
    code = served.seed.samples["genuine"][0]
    client, store = served.client(), redis.Redis.from_url(shared)
    assert client.get(f"/api/v1/verify/{code}").status_code == 200  # keys and caches read
    before = _reads(store)
    for _ in range(5):
        assert client.get(f"/api/v1/verify/{code}").status_code == 200
    assert _reads(store) - before == 5 + 1  # and the INFO that counted them
    before = _reads(store)
    for _ in range(5):
        assert client.get("/api/v1/ping").status_code == 200
    assert _reads(store) - before == 5 + 1


def test_a_verification_on_the_page_asks_redis_once(served: LiveServer, shared: str) -> None:
    code = served.seed.samples["genuine"][0]
    client, store = served.client(), redis.Redis.from_url(shared)
    assert client.get(f"/v/{code}").status_code == 200
    before = _reads(store)
    for _ in range(3):
        assert client.get(f"/v/{code}").status_code == 200
    assert _reads(store) - before == 3 + 1


def test_the_standing_read_with_the_rate_limit_still_blocks_a_prober(served: LiveServer) -> None:
    with served.client() as client:
        answers = [client.get(f"/api/v1/verify/{'2' * 19}{digit}") for digit in range(BLOCK_AFTER)]
        assert [answer.status_code for answer in answers] == [200] * BLOCK_AFTER
        blocked = client.get(f"/api/v1/verify/{served.seed.samples['genuine'][0]}")
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert blocked.json()["error"]["code"] == "rate_limited"


def test_hit_and_standing_answer_as_the_two_questions_do(shared: str) -> None:
    counters = RedisCounters(shared, prefix=f"unit-{uuid.uuid4().hex[:8]}")
    now = time.time()
    for _ in range(3):
        counters.add("source", window=600, now=now)
    counters.start_block("blocked", seconds=30, now=now)
    count, left, blocked_for, bad = counters.hit_and_standing("rate:a", window=60, standing_key="source",
                                                              standing_window=600, now=now)
    assert (count, blocked_for, bad) == (1, 0.0, 3) and 0 < left <= 60
    assert counters.hit("rate:a", window=60, now=now)[0] == 2
    assert counters.standing("source", window=600, now=now) == (0.0, 3)
    _count, _left, blocked_for, bad = counters.hit_and_standing("rate:a", window=60, standing_key="blocked",
                                                                standing_window=600, now=now)
    assert _count == 3 and 29 < blocked_for <= 30 and bad == 0
