"""What a write of the query log leads to, done beside the writer rather than in its way.

After every write the verifier flags the codes queried where they were not shipped (the
diversion signals, trace/diversions.py), then runs the early-warning rules over what the write
held (alerts/rules.py ``evaluate_rows``). Most writes hold nothing the rules look at, but some
hold a great deal: when many codes pass the cloned-code rule at once (a copied lot, or every code
of a busy shop queried past ``max_queries``), each alert is an insert, an audit record and a few
look-ups. Done on the writer's thread, measured on PostgreSQL at full load, the writer spent
94 % of its time raising alerts, the query log's unwritten rows reached their bound and
verification answered 503 for a third of a 10-second run. So the writer hands each write's rows
here and goes on writing:

- the rows are condensed at once into what the follow-ups read: the rows a diversion may be
  flagged from (issued codes queried in a named county, kept as they are), and the rules'
  ``Batch`` (one entry a code, a county, a source: merged with the batches still waiting, so it
  grows with the codes involved, not with the queries);
- a thread of its own takes everything waiting, flags the diversions, then evaluates the rules,
  ``CODES_A_TRANSACTION`` suspect codes a transaction (SQLite has one writer: the query log's
  next write waits for one such transaction, not for all of them);
- nothing is dropped: when ``max_rows`` rows wait for their diversions to be flagged, the writer
  waits for the thread to take them (the query log then fills and verification answers 503, as
  when the database cannot be written).

Without ``start`` (a command, a test) ``submit`` does the follow-ups at once, on the caller's
thread, as before. ``close`` does what is left.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from jianguan.alerts.rules import Batch, triage
from jianguan.storage.outage import OUTAGES, outage_kind

CODES_A_TRANSACTION = 200  # suspect codes of the cloned-code rule evaluated in one transaction
MAX_ROWS = 100_000  # rows waiting for their diversions to be flagged before the writer waits


def diversion_candidate(row: dict[str, Any]) -> bool:
    """Whether a query log row may flag a diversion: a code queried in a named county, read with
    a run that places it (or with no reading of its run: then the flagging looks). The flagging
    reads these rows only (trace/diversions.py ``QueriedDiversions.flag``)."""
    return (row.get("region_code") is not None and row.get("generation") is not None
            and row.get("serial") is not None and row.get("placed") is not False)


def merge(into: Batch, more: Batch) -> None:
    """Add ``more`` to ``into``: per code the most queries told, and whether any was in a new county."""
    repeated = into.repeated
    for code, (queries, new_county) in more.repeated.items():
        held = repeated.get(code)
        repeated[code] = (queries, new_county) if held is None else (max(held[0], queries), held[1] or new_county)
    into.counties |= more.counties
    into.sources |= more.sources
    into.placed = into.placed or more.placed


def split(batch: Batch, size: int) -> list[Batch]:
    """``batch`` as batches of at most ``size`` codes each; the counties, sources and placed flag
    go with the first."""
    codes = list(batch.repeated.items())
    parts = [Batch(dict(codes[at:at + size]), set(), set(), False) for at in range(size, len(codes), size)]
    return [Batch(dict(codes[:size]), batch.counties, batch.sources, batch.placed), *parts]


class FollowUps:
    """Flags diversions and evaluates the query rules after the query log's writes (see the module
    doc). ``flag(rows)`` adds the diversion signals of rows and says whether it added any;
    ``evaluate(batch)`` runs the rules over a batch in a transaction of its own."""

    def __init__(self, flag: Callable[[list[dict[str, Any]]], bool], evaluate: Callable[[Batch], None], *,
                 max_rows: int = MAX_ROWS, codes_a_transaction: int = CODES_A_TRANSACTION) -> None:
        self._flag = flag
        self._evaluate = evaluate
        self._max_rows = max_rows
        self._codes_a_transaction = codes_a_transaction
        self._condition = threading.Condition()
        self._rows: list[dict[str, Any]] = []
        self._batch = Batch({}, set(), set(), False)
        self._busy = False  # the thread holds follow-ups it took and has not finished
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="jianguan-query-followups", daemon=True)
            self._thread.start()

    def submit(self, rows: list[dict[str, Any]]) -> None:
        """Hand over the rows of a committed write (on the writer's thread)."""
        candidates = [row for row in rows if diversion_candidate(row)]
        batch = triage(rows, diverted=True)  # whether a diversion was flagged is known after flagging
        if self._thread is None:
            self._follow(candidates, batch)
            return
        with self._condition:
            while len(self._rows) >= self._max_rows and self._thread is not None:
                self._condition.wait(1.0)  # the thread is behind: wait for it rather than drop
            self._rows += candidates
            merge(self._batch, batch)
            self._condition.notify_all()

    def pending(self) -> int:
        """Rows waiting for their diversions, and suspect codes for the rules (a thread's share included)."""
        with self._condition:
            return len(self._rows) + len(self._batch.repeated) + int(self._busy)

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until everything handed over has been followed up; whether it was within ``timeout``."""
        with self._condition:
            return self._condition.wait_for(lambda: not (self._rows or self._batch or self._busy), timeout)

    def _run(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._rows or self._batch or self._stopping)
                if self._stopping and not (self._rows or self._batch):
                    return
                rows, self._rows = self._rows, []
                batch, self._batch = self._batch, Batch({}, set(), set(), False)
                self._busy = True
                self._condition.notify_all()  # a writer waiting for room may go on
            try:
                self._follow(rows, batch)
            except Exception as error:  # noted once an interval; the schedule's evaluation reads the window again
                OUTAGES.note(outage_kind(error) or "after_write_failed", "query log follow-up", error)
            finally:
                with self._condition:
                    self._busy = False
                    self._condition.notify_all()

    def _follow(self, rows: list[dict[str, Any]], batch: Batch) -> None:
        diverted = True  # a failed flagging may have left signals: the diversion rule looks
        try:
            diverted = bool(rows) and self._flag(rows)
        finally:
            batch.placed = batch.placed and diverted
            if batch:  # most writes hold nothing the rules look at
                for part in split(batch, self._codes_a_transaction):
                    self._evaluate(part)

    def close(self) -> None:
        """Follow up what is left, then stop the thread."""
        thread = self._thread
        if thread is None:
            return
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        thread.join(timeout=60)
        self._thread = None
