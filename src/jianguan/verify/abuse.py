"""Slowing and then blocking a source that probes for codes.

Someone who sends many malformed or unknown codes is guessing (looking for a valid code to copy
onto fakes) or flooding. ``AbuseGuard`` counts a source's bad queries (verdict ``malformed`` or
``unknown``) in a sliding window: after ``slow_after`` of them every further answer to that
source is delayed, and at ``block_after`` the source is refused for ``block_seconds`` and one
alert is written for the regulators (one a block, not one a query). When the block ends the
source starts afresh.

A source is the keyed hash of the caller's phone number (SMS, voice) or of the client address
(web, API, terminals), as the query log stores it; the guard never sees the number or address.

The counts and blocks live in a ``Counters`` store (counters.py): this process's memory by
default, where each of several worker processes counts on its own (a source spreading its
queries over them is blocked later, up to workers × the limit) and a restart forgets them; or
Redis when ``JIANGUAN_REDIS_URL`` is set, shared by every process and host, so the limit holds
for the whole service and exactly one process raises a block's alert. Either way a source costs
a bounded number of counters, however many bad queries it sends.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jianguan.counters import MAX_LOCAL_KEYS, Counters, LocalCounters, counters_from_url
from jianguan.errors import RateLimited
from jianguan.verify.verdict import Verdict

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from jianguan.config import Settings

logger = logging.getLogger("jianguan.verify.abuse")

BAD_VERDICTS = frozenset({Verdict.MALFORMED, Verdict.UNKNOWN})


@dataclass(frozen=True)
class AbuseLimits:
    """The thresholds, from the ``abuse_*`` settings (see docs/settings.md)."""

    window_seconds: float = 600
    slow_after: int = 20
    delay_seconds: float = 1.0
    block_after: int = 50
    block_seconds: float = 900

    @classmethod
    def from_settings(cls, settings: Settings) -> AbuseLimits:
        return cls(window_seconds=settings.abuse_window_seconds, slow_after=settings.abuse_slow_after,
                   delay_seconds=settings.abuse_delay_seconds, block_after=settings.abuse_block_after,
                   block_seconds=settings.abuse_block_seconds)


class SourceBlocked(RateLimited):
    """A source blocked for sending too many invalid codes (HTTP 429 with Retry-After)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        minutes = max(1, math.ceil(retry_after / 60))
        self.message = (f"Too many invalid or unknown codes came from your address; queries are paused for "
                        f"{retry_after} seconds.")
        self.message_zh = f"您的网络地址提交了过多无效或不存在的监管码，查询已暂停，请 {minutes} 分钟后再试。"


def blocked_message_zh(retry_after: int) -> str:
    """The short Chinese answer for SMS and voice while the caller is blocked."""
    return f"查询过于频繁，请{max(1, math.ceil(retry_after / 60))}分钟后再试。"


@dataclass(frozen=True)
class BlockStarted:
    """What the alert of a new block says."""

    source_key: str
    region_code: str | None
    bad_queries: int
    blocked_seconds: float
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class Standing:
    """A source's standing as read before its request was handled: the public rate limit asks for
    it with the request's count, in one question to the counters' store (one round trip to Redis
    rather than two; web/ratelimit.py)."""

    source_key: str
    blocked_for: float
    bad: int


class AbuseGuard:
    """The counter ``Verifier.verify`` consults (see the module doc).

    ``counters`` is where the counts and blocks live (this process's memory by default, Redis when
    configured: see counters.py); ``clock`` gives seconds (wall-clock time, so that processes
    sharing Redis name the same windows; tests inject their own with the local store);
    ``on_block`` is called once when a block starts (by the one process that started it), and a
    failure in it is logged, never raised at the caller.
    """

    def __init__(self, limits: AbuseLimits | None, *, counters: Counters | None = None,
                 on_block: Callable[[BlockStarted], None] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.limits = limits
        self.counters: Counters = counters if counters is not None else LocalCounters()
        self._on_block = on_block
        self._clock = clock
        self._lock = threading.Lock()
        self._regions: OrderedDict[str, str] = OrderedDict()  # the last region a source's bad query named

    @classmethod
    def disabled(cls) -> AbuseGuard:
        """A guard that never slows or blocks (commands and tools that verify in bulk)."""
        return cls(None)

    def standing_window(self) -> float | None:
        """The sliding window a source's standing is counted in; None when the guard is off."""
        return self.limits.window_seconds if self.limits is not None else None

    def check(self, source_key: str | None, standing: Standing | None = None) -> float:
        """Before answering: raise ``SourceBlocked`` while the source is blocked; otherwise return
        the seconds to delay the answer (0 for a source in good standing). ``standing`` is the
        source's standing when it was already read for this request (the public rate limit asks
        for it with the request's count); else it is read here."""
        limits = self.limits
        if limits is None or not source_key:
            return 0.0
        if standing is not None and standing.source_key == source_key:
            blocked_for, bad = standing.blocked_for, standing.bad
        else:
            blocked_for, bad = self.counters.standing(source_key, window=limits.window_seconds, now=self._clock())
        if blocked_for > 0:
            raise SourceBlocked(max(1, math.ceil(blocked_for)))
        return limits.delay_seconds if bad >= limits.slow_after else 0.0

    def _region(self, source_key: str, region_code: str | None) -> str | None:
        with self._lock:
            if region_code:
                self._regions[source_key] = region_code
                self._regions.move_to_end(source_key)
                while len(self._regions) > MAX_LOCAL_KEYS:
                    self._regions.popitem(last=False)
                return region_code
            return self._regions.get(source_key)

    def note(self, source_key: str | None, verdict: Verdict | str, region_code: str | None = None) -> None:
        """After answering: count a malformed or unknown code against the source, and start a block
        (and its one alert) when the count reaches the limit."""
        limits = self.limits
        if limits is None or not source_key or verdict not in BAD_VERDICTS:  # a Verdict equals its value
            return
        now = self._clock()
        region = self._region(source_key, region_code)
        bad = self.counters.add(source_key, window=limits.window_seconds, now=now, unless_blocked=True)
        if bad < limits.block_after or not self.counters.start_block(source_key, seconds=limits.block_seconds,
                                                                      now=now):
            return  # below the limit, or blocked already (by this answer's twin in another thread or process)
        self.counters.forget(source_key, window=limits.window_seconds, now=now)  # after the block: afresh
        if self._on_block is not None:
            try:
                self._on_block(BlockStarted(source_key, region, bad, limits.block_seconds, dt.datetime.now(dt.UTC)))
            except Exception:  # the answer must not fail because the alert could not be written
                logger.exception("could not write the alert for a blocked source")


def alert_writer(sessions: sessionmaker[Session]) -> Callable[[BlockStarted], None]:
    """``on_block`` for the app: the alert of a new block, written in its own transaction."""

    def write(block: BlockStarted) -> None:
        from jianguan.alerts.models import AlertKind, AlertSeverity, WarningRule
        from jianguan.alerts.rules import block_key
        from jianguan.alerts.services import raise_alert
        from jianguan.audit.services import Actor
        from jianguan.storage.tx import transaction

        until = block.at + dt.timedelta(seconds=block.blocked_seconds)
        with transaction(sessions) as session:  # the enumeration rule's alert (one a block)
            raise_alert(session, actor=Actor.system("abuse-guard"), kind=AlertKind.ABUSE_SOURCE_BLOCKED.value,
                        severity=AlertSeverity.WARNING, subject=block.source_key, region_code=block.region_code,
                        rule=WarningRule.ENUMERATION, dedup_key=f"{block_key(session, block.source_key)}:block",
                        details={"bad_queries": block.bad_queries, "blocked_seconds": block.blocked_seconds,
                                 "blocked_until": until.isoformat()})

    return write


def abuse_guard_for(settings: Settings, sessions: sessionmaker[Session], counters: Counters | None = None
                    ) -> AbuseGuard:
    """The app's guard: limits from ``settings``, counts in ``counters`` (the store the settings
    choose, by default), alerts written through ``sessions``."""
    return AbuseGuard(AbuseLimits.from_settings(settings),
                      counters=counters if counters is not None
                      else counters_from_url(settings.redis_url, prefix=settings.redis_prefix),
                      on_block=alert_writer(sessions))
