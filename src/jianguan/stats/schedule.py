"""The roll-up job run on a schedule inside a serving process (``JIANGUAN_STATS_ROLLUP_INTERVAL_SECONDS``).

Every interval the thread recomputes the days since the last one rolled up (that day and today,
usually). Several processes may run it at once: each run is one transaction, and on PostgreSQL
the runs take an advisory lock in turn, so they write the same rows one after the other (SQLite
serialises writers already). A failed run is logged and the next one tries again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from jianguan.audit.services import Actor
from jianguan.stats.rollup import rollup
from jianguan.storage import transaction

logger = logging.getLogger(__name__)


class RollupSchedule:
    """A daemon thread that runs the roll-up job every ``interval`` seconds, the first time one
    interval after it starts (a server's start is not slowed by it)."""

    def __init__(self, sessions: sessionmaker[Session], interval: float,
                 job: Callable[[Session], Any] | None = None, name: str = "stats-rollup") -> None:
        """``job`` (a session in, one transaction) replaces the roll-up: the early-warning rules
        run on the same kind of schedule."""
        self._sessions = sessions
        self._interval = interval
        self._job = job
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def run_once(self) -> None:
        if self._job is not None:
            with transaction(self._sessions) as session:
                self._job(session)
            return
        with transaction(self._sessions) as session:
            result = rollup(session, actor=Actor.system("stats rollup (scheduled)"))
        logger.info("statistics rolled up: %s to %s, %d rows", result.first_day, result.last_day, result.rows)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.run_once()
            except Exception:  # a failed run must not end the schedule: the next one recomputes the same days
                logger.exception("the scheduled %s failed; it runs again in %s s", self._thread.name, self._interval)
