"""The abuse guard's sliding window, delay and block, on an injected clock."""

from __future__ import annotations

import threading

import pytest

from jianguan.counters import LocalCounters
from jianguan.errors import RateLimited
from jianguan.verify.abuse import (
    AbuseGuard,
    AbuseLimits,
    BlockStarted,
    SourceBlocked,
    Standing,
    blocked_message_zh,
)
from jianguan.verify.verdict import Verdict

LIMITS = AbuseLimits(window_seconds=60, slow_after=3, delay_seconds=0.5, block_after=5, block_seconds=100)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def guard(clock: Clock, blocks: list[BlockStarted] | None = None) -> AbuseGuard:
    return AbuseGuard(LIMITS, on_block=(blocks if blocks is not None else []).append, clock=clock)


def test_bad_queries_slow_then_block_and_only_bad_verdicts_count() -> None:
    clock, blocks = Clock(), []
    abuse = guard(clock, blocks)
    for verdict in (Verdict.GENUINE, Verdict.QUERIED_BEFORE, Verdict.RECALLED, Verdict.NOT_ACTIVATED):
        abuse.note("a", verdict, "130111")
    assert abuse.check("a") == 0.0
    abuse.note("a", Verdict.MALFORMED)
    abuse.note("a", "unknown", "130111")
    assert abuse.check("a") == 0.0  # two bad ones: below slow_after
    abuse.note("a", Verdict.MALFORMED)
    assert abuse.check("a") == 0.5  # the third: every further answer is delayed
    abuse.note("a", Verdict.UNKNOWN)
    assert blocks == []
    abuse.note("a", Verdict.UNKNOWN)  # the fifth starts the block
    assert len(blocks) == 1 and blocks[0].source_key == "a" and blocks[0].bad_queries == 5
    assert blocks[0].region_code == "130111"  # the last region a bad query named
    with pytest.raises(RateLimited) as refused:
        abuse.check("a")
    assert refused.value.retry_after == 100 and isinstance(refused.value, SourceBlocked)
    assert "分钟" in refused.value.message_zh and refused.value.code == "rate_limited"
    assert abuse.check("b") == 0.0  # another source is untouched


def test_the_window_slides() -> None:
    clock = Clock()
    abuse = guard(clock)
    for _ in range(3):
        abuse.note("a", Verdict.MALFORMED)
        clock.now += 10
    assert abuse.check("a") == 0.5  # bad at 1000, 1010, 1020; now 1030
    clock.now = 1060.0  # the first falls out of the 60 s window
    assert abuse.check("a") == 0.0
    abuse.note("a", Verdict.MALFORMED)  # 1010, 1020, 1060
    assert abuse.check("a") == 0.5
    clock.now = 1200.0
    assert abuse.check("a") == 0.0


def test_the_block_lasts_its_time_then_the_source_starts_afresh() -> None:
    clock, blocks = Clock(), []
    abuse = guard(clock, blocks)
    for _ in range(5):
        abuse.note("a", Verdict.MALFORMED)
    clock.now += 99.2
    with pytest.raises(RateLimited) as refused:
        abuse.check("a")
    assert refused.value.retry_after == 1  # rounded up, never 0
    abuse.note("a", Verdict.MALFORMED)  # answered during the block elsewhere: not counted again
    clock.now += 1
    assert abuse.check("a") == 0.0  # free again, with nothing counted
    for _ in range(4):
        abuse.note("a", Verdict.MALFORMED)
    assert len(blocks) == 1
    abuse.note("a", Verdict.MALFORMED)
    assert len(blocks) == 2  # a second block, a second alert


def test_one_alert_a_block_under_concurrency() -> None:
    blocks: list[BlockStarted] = []
    abuse = AbuseGuard(AbuseLimits(window_seconds=600, slow_after=10, delay_seconds=0, block_after=50,
                                   block_seconds=900), on_block=blocks.append)
    start = threading.Barrier(8)

    def hammer() -> None:
        start.wait()
        for _ in range(40):
            abuse.note("a", Verdict.UNKNOWN)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(blocks) == 1


def test_a_failing_alert_writer_does_not_fail_the_answer(caplog: pytest.LogCaptureFixture) -> None:
    def broken(block: BlockStarted) -> None:
        raise RuntimeError("database down")

    clock = Clock()
    abuse = AbuseGuard(LIMITS, on_block=broken, clock=clock)
    for _ in range(5):
        abuse.note("a", Verdict.MALFORMED)
    assert "could not write the alert" in caplog.text
    with pytest.raises(RateLimited):
        abuse.check("a")  # blocked all the same


def test_quiet_sources_are_forgotten() -> None:
    clock = Clock()
    abuse = guard(clock)
    for number in range(100):
        abuse.note(f"s{number}", Verdict.MALFORMED)
    clock.now += 61
    abuse.note("late", Verdict.MALFORMED)  # the sweep runs at most once a window
    assert abuse.counters.keys() == {"late"}  # type: ignore[attr-defined] - the local store here


def test_a_flood_of_bad_queries_costs_a_bounded_number_of_counters() -> None:
    """One source sending a hundred thousand bad queries is held as at most ten sub-window counters."""
    clock = Clock()
    abuse = AbuseGuard(AbuseLimits(window_seconds=600, slow_after=10**9, block_after=10**9), clock=clock)
    for _ in range(100_000):
        abuse.note("flood", Verdict.UNKNOWN)
        clock.now += 0.01
    held = abuse.counters._sliding["flood"]  # type: ignore[attr-defined] - the local store's table
    assert len(held) <= 10 and sum(held.values()) <= 100_000


def test_disabled_guard_and_missing_source_never_limit() -> None:
    clock = Clock()
    off = AbuseGuard.disabled()
    for _ in range(100):
        off.note("a", Verdict.MALFORMED)
    assert off.check("a") == 0.0
    abuse = guard(clock)
    for _ in range(100):
        abuse.note(None, Verdict.MALFORMED)
    assert abuse.check(None) == 0.0


def test_the_sms_and_voice_message_is_short_chinese() -> None:
    assert blocked_message_zh(900) == "查询过于频繁，请15分钟后再试。"
    assert blocked_message_zh(5) == "查询过于频繁，请1分钟后再试。"


def test_a_standing_read_with_the_request_is_decided_on_without_asking_again() -> None:
    class Unasked(LocalCounters):
        def standing(self, key: str, *, window: float, now: float) -> tuple[float, int]:
            raise AssertionError("the standing was read with the request already")

    abuse = AbuseGuard(LIMITS, counters=Unasked(), clock=Clock())
    assert abuse.check("a", Standing("a", 0.0, 0)) == 0.0
    assert abuse.check("a", Standing("a", 0.0, 3)) == 0.5  # slow_after reached
    with pytest.raises(SourceBlocked) as refused:
        abuse.check("a", Standing("a", 41.5, 0))
    assert refused.value.retry_after == 42
    with pytest.raises(AssertionError):  # another source's standing is not taken for this one's
        abuse.check("b", Standing("a", 0.0, 0))


def test_the_local_store_answers_hit_and_standing_as_the_two_questions_do() -> None:
    counters = LocalCounters()
    for _ in range(3):
        counters.add("source", window=60, now=1000.0)
    assert counters.hit_and_standing("rate:a", window=60, standing_key="source", standing_window=60,
                                     now=1000.0) == (1, 20.0, 0.0, 3)
    counters.start_block("source", seconds=30, now=1000.0)
    assert counters.hit_and_standing("rate:a", window=60, standing_key="source", standing_window=60,
                                     now=1010.0) == (2, 10.0, 20.0, 3)
