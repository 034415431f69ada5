"""Public endpoints are rate limited per client; authenticated ones are not."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import DatabaseFactory
from tests.live import DemoSeed, start_server


def test_public_endpoint_answers_429_with_retry_after(databases: DatabaseFactory, tmp_path: Path) -> None:
    server = start_server(databases.new_url(), tmp_path, DemoSeed(), JIANGUAN_PUBLIC_RATE_LIMIT_PER_MINUTE="5")
    try:
        client = server.client()
        assert all(client.get("/api/v1/health").status_code == 200 for _ in range(8))  # not throttled
        statuses = [client.get("/api/v1/regions/130000").status_code for _ in range(7)]
        assert statuses[:5] == [200] * 5
        assert statuses[5:] == [429, 429]
        limited = client.get("/api/v1/regions/130000")
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) > 0
        error = limited.json()["error"]
        assert error["code"] == "rate_limited" and error["message_zh"]
    finally:
        server.stop()
