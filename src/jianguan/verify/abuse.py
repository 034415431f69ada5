"""Slowing and then blocking a source that probes for codes.

Someone who sends many malformed or unknown codes is guessing (looking for a valid code to copy
onto fakes) or flooding. ``AbuseGuard`` counts a source's bad queries (verdict ``malformed`` or
``unknown``) in a sliding window: after ``slow_after`` of them every further answer to that
source is delayed, and at ``block_after`` the source is refused for ``block_seconds`` and one
alert is written for the regulators (one a block, not one a query). When the block ends the
source starts afresh.

A source is the keyed hash of the caller's phone number (SMS, voice) or of the client address
(web, API, terminals), as the query log stores it; the guard never sees the number or address.

The counts live in this process's memory, behind one lock. With several worker processes each
counts on its own, so a source spreading its queries over them is blocked later (up to
workers × the limit); a store shared by the processes (a database table, Redis) could follow if
that matters. A restart forgets every count and block.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

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


@dataclass
class _Source:
    bad: deque[float] = field(default_factory=deque)  # clock times of the bad queries in the window
    blocked_until: float | None = None
    region_code: str | None = None  # the last region a bad query named: where the alert belongs


class AbuseGuard:
    """The per-process sliding-window counter ``Verifier.verify`` consults (see the module doc).

    ``clock`` is a monotonic clock in seconds (injected by tests); ``on_block`` is called once when
    a block starts, outside the lock, and a failure in it is logged, never raised at the caller.
    """

    def __init__(self, limits: AbuseLimits | None, *, on_block: Callable[[BlockStarted], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._on_block = on_block
        self._clock = clock
        self._lock = threading.Lock()
        self._sources: dict[str, _Source] = {}
        self._next_sweep = clock()

    @classmethod
    def disabled(cls) -> AbuseGuard:
        """A guard that never slows or blocks (commands and tools that verify in bulk)."""
        return cls(None)

    def check(self, source_key: str | None) -> float:
        """Before answering: raise ``SourceBlocked`` while the source is blocked; otherwise return
        the seconds to delay the answer (0 for a source in good standing)."""
        if self.limits is None or not source_key:
            return 0.0
        now = self._clock()
        with self._lock:
            source = self._sources.get(source_key)
            if source is None:
                return 0.0
            if source.blocked_until is not None:
                if now < source.blocked_until:
                    raise SourceBlocked(max(1, math.ceil(source.blocked_until - now)))
                source.blocked_until = None
            self._expire(source, now)
            return self.limits.delay_seconds if len(source.bad) >= self.limits.slow_after else 0.0

    def note(self, source_key: str | None, verdict: Verdict | str, region_code: str | None = None) -> None:
        """After answering: count a malformed or unknown code against the source, and start a block
        (and its one alert) when the count reaches the limit."""
        limits = self.limits
        if limits is None or not source_key or verdict not in BAD_VERDICTS:  # a Verdict equals its value
            return
        now = self._clock()
        started: BlockStarted | None = None
        with self._lock:
            self._sweep(now)
            source = self._sources.setdefault(source_key, _Source())
            if source.blocked_until is not None:
                if now < source.blocked_until:
                    return  # answered while the block began in another thread: already counted
                source.blocked_until = None
            self._expire(source, now)
            source.bad.append(now)
            source.region_code = region_code or source.region_code
            if len(source.bad) >= limits.block_after:
                started = BlockStarted(source_key, source.region_code, len(source.bad), limits.block_seconds,
                                       dt.datetime.now(dt.UTC))
                source.blocked_until = now + limits.block_seconds
                source.bad.clear()  # after the block the source starts afresh
        if started is not None and self._on_block is not None:
            try:
                self._on_block(started)
            except Exception:  # the answer must not fail because the alert could not be written
                logger.exception("could not write the alert for a blocked source")

    def _expire(self, source: _Source, now: float) -> None:
        assert self.limits is not None
        horizon = now - self.limits.window_seconds
        while source.bad and source.bad[0] <= horizon:
            source.bad.popleft()

    def _sweep(self, now: float) -> None:
        """Forget sources with nothing in the window and no block, once a window, so that the table
        holds only sources seen lately however many addresses pass by."""
        assert self.limits is not None
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.limits.window_seconds
        for key in list(self._sources):
            source = self._sources[key]
            self._expire(source, now)
            if not source.bad and (source.blocked_until is None or source.blocked_until <= now):
                del self._sources[key]


def alert_writer(sessions: sessionmaker[Session]) -> Callable[[BlockStarted], None]:
    """``on_block`` for the app: the alert of a new block, written in its own transaction."""

    def write(block: BlockStarted) -> None:
        from jianguan.alerts.models import AlertKind, AlertSeverity
        from jianguan.alerts.services import raise_alert
        from jianguan.audit.services import Actor
        from jianguan.storage.tx import transaction

        until = block.at + dt.timedelta(seconds=block.blocked_seconds)
        with transaction(sessions) as session:
            raise_alert(session, actor=Actor.system("abuse-guard"), kind=AlertKind.ABUSE_SOURCE_BLOCKED.value,
                        severity=AlertSeverity.WARNING, subject=block.source_key, region_code=block.region_code,
                        details={"bad_queries": block.bad_queries, "blocked_seconds": block.blocked_seconds,
                                 "blocked_until": until.isoformat()})

    return write


def abuse_guard_for(settings: Settings, sessions: sessionmaker[Session]) -> AbuseGuard:
    """The app's guard: limits from ``settings``, alerts written through ``sessions``."""
    return AbuseGuard(AbuseLimits.from_settings(settings), on_block=alert_writer(sessions))
