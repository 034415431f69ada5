"""Telling a database (or the shared Redis store) that is away from a bug, and saying so once,
not for every request.

When PostgreSQL restarts, a network link drops or an SQLite disk fills up, every request that
touches the database fails the same way. Such a failure is not the caller's fault and not a
bug: the service answers 503 with ``Retry-After`` and logs one line per kind of failure per
interval (with how many were left unsaid), instead of a 500 and a traceback per request.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

from sqlalchemy import exc as sa_exc

logger = logging.getLogger("jianguan.storage")

RETRY_AFTER_SECONDS = 5  # what a 503 asks callers to wait: a restart or a cleared disk takes seconds


def _psycopg_errors() -> tuple[type[BaseException], ...]:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return ()
    return (psycopg.OperationalError, psycopg.InterfaceError)


def _redis_errors() -> tuple[type[BaseException], ...]:
    try:
        from redis import exceptions
    except ImportError:  # pragma: no cover - redis is a dependency
        return ()
    return (exceptions.ConnectionError, exceptions.TimeoutError)


_DRIVER_OUTAGES: tuple[type[BaseException], ...] = (sqlite3.OperationalError, *_psycopg_errors())
_STORE_OUTAGES = _redis_errors()


def outage_kind(error: BaseException) -> str | None:
    """What kind of outage ``error`` is (``disk_full``, ``locked``, ``unreachable``), or None when it
    is not one (then it is a bug or bad input, and answered as such)."""
    if isinstance(error, sa_exc.TimeoutError):
        return "pool_exhausted"
    if isinstance(error, _STORE_OUTAGES):
        return "shared_store_unreachable"
    if isinstance(error, sa_exc.DBAPIError):
        if not isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError) and not error.connection_invalidated:
            return None
        error = error.orig if error.orig is not None else error
    elif not isinstance(error, _DRIVER_OUTAGES):
        return None
    text = str(error).lower()
    if ("disk" in text and "full" in text) or "no space" in text:
        return "disk_full"
    if "locked" in text or "busy" in text:
        return "locked"
    if "readonly" in text or "read-only" in text:
        return "read_only"
    return "unreachable"


class OutageLog:
    """Logs an outage once per kind per ``interval`` seconds, with the count of those not logged."""

    def __init__(self, interval: float = 10.0) -> None:
        self._interval = interval
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._unsaid: dict[str, int] = {}

    def note(self, kind: str, where: str, error: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            last = self._last.get(kind)
            if last is not None and now - last < self._interval:
                self._unsaid[kind] = self._unsaid.get(kind, 0) + 1
                return
            self._last[kind] = now
            unsaid = self._unsaid.pop(kind, 0)
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        logger.error("database %s at %s: %s (%d more in the last %.0f s)", kind, where, first_line[:300], unsaid,
                     self._interval)


OUTAGES = OutageLog()
