"""The open recalls' codes, in memory, for the verifier of one process.

A verification must answer ``recalled`` (with the notice) within two seconds of a recall being
opened in any process, and stop within two seconds of it being closed. Each process keeps the
open recalls' ranges as disjoint segments sorted by serial (finding a code is a bisection) and,
at most once every ``interval`` seconds, when a verification comes, reads one small row: the
number of recalls, of those ended, and their newest change (``Recall.changed_at``). Only when that
differs are the ranges read again (a few rows a lot). So the hot path costs a clock read and a
bisection, and a change shows within ``interval`` seconds of its commit in every process.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, func, select

from jianguan.recalls.models import Recall, RecallRange, RecallStatus

DEFAULT_INTERVAL = 1.0

# How many recalls, how many ended, and the newest change: an opening or an ending moves a count
# whatever the clocks of the hosts that wrote them say.
_STAMP = select(func.count(Recall.id), func.count(Recall.ended_at), func.max(Recall.changed_at))
_OPEN_RANGES = (select(RecallRange.generation, RecallRange.serial_start, RecallRange.serial_end, Recall.id,
                       Recall.notice)
                .join(Recall, Recall.id == RecallRange.recall_id).where(Recall.status == RecallStatus.OPEN.value))


def segments(ranges: list[tuple[int, int, int]]) -> tuple[list[int], list[tuple[int, int, int]]]:
    """Disjoint ``(start, end, recall)`` segments covering ``(start, end, recall)`` ranges that
    may overlap, the newest recall winning where they do; and the segments' starts. A sweep over
    the ranges' ends: the recalls covering each stretch are counted as they open and close."""
    edges = sorted([(start, 1, recall) for start, _end, recall in ranges]
                   + [(end, -1, recall) for _start, end, recall in ranges])
    active: Counter[int] = Counter()
    made: list[tuple[int, int, int]] = []
    at = 0
    for where, step, recall in edges:
        if active and where > at:
            newest = max(active)
            if made and made[-1][1] == at and made[-1][2] == newest:
                made[-1] = (made[-1][0], where, newest)  # one stretch of one recall stays one segment
            else:
                made.append((at, where, newest))
        active[recall] += step
        if not active[recall]:
            del active[recall]
        at = where
    return [start for start, _end, _recall in made], made


class RecallIndex:
    """What is recalled now, by code (see the module doc)."""

    def __init__(self, connect: Callable[[], Connection], *, interval: float = DEFAULT_INTERVAL) -> None:
        self._connect = connect
        self._interval = interval
        self._lock = threading.Lock()
        self._checked = -interval
        self._stamp: tuple[Any, ...] | None = None
        # (starts, segments, notices), replaced whole: a reader takes one snapshot.
        self._snapshot: tuple[dict[int, list[int]], dict[int, list[tuple[int, int, int]]], dict[int, str]] = (
            {}, {}, {})

    def notice(self, generation: int, serial: int) -> tuple[int, str] | None:
        """``(recall id, notice)`` of the open recall of the code, or None."""
        if time.monotonic() - self._checked >= self._interval:
            self._refresh()
        all_starts, all_segments, notices = self._snapshot
        starts = all_starts.get(generation)
        if not starts:
            return None
        at = bisect.bisect_right(starts, serial) - 1
        if at < 0:
            return None
        start, end, recall = all_segments[generation][at]
        if not start <= serial < end:
            return None
        return recall, notices[recall]

    def _refresh(self) -> None:
        with self._lock:
            if time.monotonic() - self._checked < self._interval:  # another thread just did
                return
            with self._connect() as connection:
                stamp = tuple(connection.execute(_STAMP).one())
                if stamp != self._stamp:
                    rows = connection.execute(_OPEN_RANGES).all()
                    by_generation: dict[int, list[tuple[int, int, int]]] = {}
                    notices = {}
                    for generation, start, end, recall, text in rows:
                        by_generation.setdefault(generation, []).append((start, end, recall))
                        notices[recall] = text
                    starts: dict[int, list[int]] = {}
                    made: dict[int, list[tuple[int, int, int]]] = {}
                    for generation, ranges in by_generation.items():
                        starts[generation], made[generation] = segments(ranges)
                    self._snapshot = (starts, made, notices)
                    self._stamp = stamp
            self._checked = time.monotonic()
