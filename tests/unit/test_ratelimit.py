"""The public rate limit's window arithmetic, with an injected clock."""

from __future__ import annotations

import pytest

from jianguan.errors import RateLimited
from jianguan.web.ratelimit import PublicRateLimit


def test_a_client_over_the_limit_waits_for_the_next_minute() -> None:
    now = [120.0]
    limit = PublicRateLimit(3, clock=lambda: now[0])
    for _ in range(3):
        limit.count("10.0.0.1")
    now[0] = 150.5
    with pytest.raises(RateLimited) as refused:
        limit.count("10.0.0.1")
    assert refused.value.retry_after == 30  # the window ends at 180 s
    limit.count("10.0.0.2")  # another client is not affected
    now[0] = 180.0
    limit.count("10.0.0.1")  # a new minute
    assert limit.counters.keys() == {"rate:10.0.0.1"}  # type: ignore[attr-defined] - earlier minutes' go
