"""A source sending many malformed or unknown codes is slowed, then blocked, and one alert is written;
another source is not affected; the alert is filed where the server knows the queries came from, not
where the client says. A server of its own with low limits."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from jianguan.audit.models import AuditRecord
from jianguan.codes.codec import damm_digit
from jianguan.storage import make_engine, reading, session_factory
from tests.conftest import DatabaseFactory
from tests.live import LiveServer, demo_seed, start_server

DELAY = 0.6
LIMITS = {"JIANGUAN_ABUSE_WINDOW_SECONDS": "600", "JIANGUAN_ABUSE_SLOW_AFTER": "3",
          "JIANGUAN_ABUSE_DELAY_SECONDS": str(DELAY), "JIANGUAN_ABUSE_BLOCK_AFTER": "6",
          "JIANGUAN_ABUSE_BLOCK_SECONDS": "300"}


@pytest.fixture(scope="module")
def strict(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    url = databases.new_url()
    server = start_server(url, tmp_path_factory.mktemp("abuse"), demo_seed(url), **LIMITS)
    yield server
    server.stop()


def unknown_code(code: str) -> str:
    """A well-formed code that was never issued: two digits of ``code`` changed, check digit fixed."""
    body = code[:5] + str((int(code[5]) + 1) % 10) + str((int(code[6]) + 3) % 10) + code[7:19]
    return body + damm_digit(body)


def timed(client: httpx.Client, code: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    # The prober names a county, as a client once could to choose where its queries and alert were filed.
    response = client.get(f"/api/v1/verify/{code}", params={"region": "130111"})
    return response, time.monotonic() - started


def test_a_probing_source_is_slowed_then_blocked_with_one_alert(strict: LiveServer, tmp_path: Path) -> None:
    prober = strict.client()
    genuine = strict.seed.samples["activated"][0]
    operator = strict.login("operator")
    demo_alerts = {alert["id"] for alert in operator.get("/api/v1/alerts").json()["alerts"]}
    engine = make_engine(strict.database_url)
    with reading(session_factory(engine)) as session:
        raised_before = session.scalar(select(func.count()).select_from(AuditRecord)
                                       .where(AuditRecord.action == "alert:alert:raised"))
    bad = ["123", unknown_code(genuine), "not-a-code", unknown_code(genuine[::-1][:19] + "1"), "4" * 20, "x"]

    answers = [timed(prober, code) for code in bad]
    assert [response.status_code for response, _ in answers] == [200] * 6
    assert {response.json()["verdict"] for response, _ in answers} <= {"malformed", "unknown"}
    assert "unknown" in {response.json()["verdict"] for response, _ in answers}
    fast = [elapsed for _, elapsed in answers[:3]]
    slowed = [elapsed for _, elapsed in answers[3:]]  # after three bad codes every answer waits
    assert min(slowed) >= DELAY
    assert min(slowed) > max(fast)

    blocked, _ = timed(prober, genuine)  # six bad codes: blocked, even for a good code
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= 300
    error = blocked.json()["error"]
    assert error["code"] == "rate_limited" and "分钟" in error["message_zh"] and "paused" in error["message"]
    assert timed(prober, "123")[0].status_code == 429

    # Another address (loopback 127.0.0.2) is not affected.
    other = httpx.Client(base_url=strict.base_url, timeout=30,
                         transport=httpx.HTTPTransport(local_address="127.0.0.2"))
    fine, _ = timed(other, genuine)
    assert fine.status_code == 200 and fine.json()["verdict"] in ("genuine", "queried_before")
    assert timed(other, "123")[0].json()["verdict"] == "malformed"

    # Exactly one alert, for the block. Where an API query comes from is not known, whatever the client
    # says, so the alert names no region: the operator sees it, and no county's regulator.
    alerts = [alert for alert in operator.get("/api/v1/alerts").json()["alerts"] if alert["id"] not in demo_alerts]
    assert [alert["kind"] for alert in alerts] == ["abuse:source_blocked"]
    assert alerts[0]["region_code"] is None and alerts[0]["details"]["bad_queries"] == 6
    assert len(alerts[0]["subject"]) == 64 and "127.0.0.1" not in str(alerts[0])  # a keyed hash only
    for regulator in ("luancheng.quality", "fuzhou.quality"):
        assert [a["id"] for a in strict.login(regulator).get("/api/v1/alerts").json()["alerts"]
                if a["id"] not in demo_alerts] == []
    assert strict.login("luancheng.shop").get("/api/v1/alerts").status_code == 403
    page = operator.get("/manage/alerts")
    assert page.status_code == 200 and "abuse:source_blocked" in page.text

    with reading(session_factory(engine)) as session:
        raised = list(session.scalars(select(AuditRecord).where(AuditRecord.action == "alert:alert:raised")
                                      .order_by(AuditRecord.id).offset(raised_before)))
    engine.dispose()
    assert len(raised) == 1 and raised[0].actor == "system:abuse-guard"
