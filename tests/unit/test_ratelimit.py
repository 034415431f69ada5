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


def test_a_verification_over_the_limit_is_refused_with_its_standing_read_in_the_same_question() -> None:
    now = [120.0]
    limit = PublicRateLimit(2, clock=lambda: now[0])
    for _ in range(3):
        limit.counters.add("source", window=600, now=now[0])
    standing = limit.count_with_standing("10.0.0.1", "source", 600)
    assert (standing.source_key, standing.blocked_for, standing.bad) == ("source", 0.0, 3)
    limit.count("10.0.0.1")  # one limit for the verifications and the other public requests
    with pytest.raises(RateLimited) as refused:
        limit.count_with_standing("10.0.0.1", "source", 600)
    assert refused.value.retry_after == 60
