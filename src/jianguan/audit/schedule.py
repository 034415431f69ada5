"""Writing audit checkpoints on a schedule while the service runs (one thread a process)."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from jianguan.audit.checkpoints import write_checkpoint
from jianguan.audit.services import Actor
from jianguan.storage.tx import transaction

logger = logging.getLogger(__name__)


class Checkpointer:
    """At start and every ``minutes``, sign the chain's head if anything was logged since the last
    checkpoint.

    With several worker processes each runs one; the first to take the log's lock writes, the
    others then find nothing new and write nothing. A failure (the database away, no signing
    key yet) is logged once a kind and tried again at the next tick.
    """

    def __init__(self, sessions: sessionmaker[Session], minutes: int) -> None:
        self._sessions = sessions
        self._interval = minutes * 60.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-checkpoints", daemon=True)
        self._last_error = ""

    def start(self) -> None:
        self._thread.start()

    def tick(self) -> bool:
        """Write a checkpoint now if the head moved; return whether one was written."""
        try:
            with transaction(self._sessions) as session:
                written = write_checkpoint(session, actor=Actor.system("audit checkpoint schedule"),
                                           only_if_changed=True)
        except Exception as error:  # the schedule outlives any one failure; logged below
            kind = type(error).__name__
            if kind != self._last_error:
                logger.warning("audit checkpoint not written (%s: %s); trying again at the next interval",
                               kind, error)
                self._last_error = kind
            return False
        self._last_error = ""
        return written is not None

    def _run(self) -> None:
        # At start too: what commands logged while no server ran is signed without waiting an interval.
        self.tick()
        while not self._stop.wait(self._interval):
            self.tick()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
