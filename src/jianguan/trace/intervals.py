"""Serial intervals with values, as the trace area stores where codes are and what they are
packed in: pure, no I/O.

An ``IntervalMap`` holds the non-overlapping intervals of one key generation's serials that a
capture has read, each with a value (a position, a container), and the edits the capture makes
to them. Assigning a value to ``[start, end)`` splits the intervals it cuts, and neighbours that
end up with equal values are merged, so a pallet of consecutive codes shipped together stays one
interval. ``changes`` then says which stored rows to delete and which intervals to insert.

Only what was loaded may be edited: ``missing`` names the parts of a range not loaded yet, which
the caller reads and hands to ``load`` before assigning. Parts loaded and found empty hold None.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from jianguan.codes.ranges import Range, merge_ranges, subtract

V = TypeVar("V")


@dataclass(slots=True)
class Interval(Generic[V]):
    """``[start, end)`` with a value; ``row`` is the id of the stored row it came from, if any."""

    start: int
    end: int
    value: V
    row: int | None = None


class IntervalMap(Generic[V]):
    """One generation's intervals as read, and edited in memory."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._intervals: list[Interval[V]] = []
        self._loaded: list[Range] = []
        self._stored: dict[int, tuple[int, int, V]] = {}  # row id -> what it holds in the store

    # --- reading ----------------------------------------------------------------------------

    def missing(self, start: int, end: int) -> list[Range]:
        """The parts of ``[start, end)`` not loaded yet."""
        parts = [(start, end)]
        at = max(bisect.bisect_right(self._loaded, (start, start)) - 1, 0)
        for low, high in self._loaded[at:]:
            if low >= end:
                break
            parts = subtract(parts, low, high)
        return parts

    def load(self, ranges: list[Range], rows: list[tuple[int, int, int, V]]) -> None:
        """Take the stored rows ``(row id, start, end, value)`` that overlap ``ranges``, which are
        now loaded. Rows already held are skipped; the parts of a row outside ``ranges`` are held
        too (a row is never split on reading)."""
        extents = list(ranges)
        for row, start, end, value in rows:
            if row in self._stored:
                continue
            self._stored[row] = (start, end, value)
            at = bisect.bisect_left(self._starts, start)
            self._starts.insert(at, start)
            self._intervals.insert(at, Interval(start, end, value, row))
            extents.append((start, end))
        self._loaded = merge_ranges([*self._loaded, *extents])

    def segments(self, start: int, end: int) -> Iterator[tuple[int, int, V | None]]:
        """``[start, end)`` cut where its values change: ``(start, end, value)``, None where no
        interval lies. The range must be loaded."""
        position = start
        at = max(bisect.bisect_right(self._starts, start) - 1, 0)
        while position < end:
            interval = self._intervals[at] if at < len(self._intervals) else None
            if interval is None or interval.start >= end:
                yield position, end, None
                return
            if interval.end <= position:
                at += 1
                continue
            if interval.start > position:
                yield position, interval.start, None
                position = interval.start
                continue
            stop = min(interval.end, end)
            yield position, stop, interval.value
            position = stop
            at += 1

    def value_at(self, serial: int) -> V | None:
        """The value of one serial (loaded), None if no interval holds it."""
        at = bisect.bisect_right(self._starts, serial) - 1
        if at >= 0 and serial < self._intervals[at].end:
            return self._intervals[at].value
        return None

    def intervals(self) -> list[Interval[V]]:
        """Every interval held, in order."""
        return list(self._intervals)

    # --- editing ----------------------------------------------------------------------------

    def _cut(self, serial: int) -> int:
        """Split the interval holding ``serial`` there; the index of the first interval that starts
        at or after ``serial``."""
        at = bisect.bisect_left(self._starts, serial)
        before = at - 1
        if before >= 0 and self._intervals[before].end > serial:
            left = self._intervals[before]
            right = Interval(serial, left.end, left.value)
            left.end = serial  # its row is rewritten: ``changes`` compares contents
            self._starts.insert(at, serial)
            self._intervals.insert(at, right)
        return at

    def assign(self, start: int, end: int, value: Callable[[V | None], V | None]) -> None:
        """Give each part of ``[start, end)`` the value ``value(old)`` of its old value (None: no
        interval there). The range must be loaded."""
        if start >= end:
            return
        if self.missing(start, end):
            raise LookupError(f"[{start}, {end}) is not loaded")
        first = self._cut(start)
        last = self._cut(end)
        old = self._intervals[first:last]
        made: list[Interval[V]] = []
        for low, high, was in self._with_gaps(old, start, end):
            new = value(was)
            if new is None:
                continue
            if made and made[-1].end == low and made[-1].value == new:
                made[-1].end = high
            else:
                made.append(Interval(low, high, new))
        self._starts[first:last] = [interval.start for interval in made]
        self._intervals[first:last] = made
        self._merge_around(first, first + len(made))

    @staticmethod
    def _with_gaps(old: list[Interval[V]], start: int, end: int) -> Iterator[tuple[int, int, V | None]]:
        position = start
        for interval in old:
            if interval.start > position:
                yield position, interval.start, None
            yield interval.start, interval.end, interval.value
            position = interval.end
        if position < end:
            yield position, end, None

    def _merge_around(self, first: int, stop: int) -> None:
        """Merge touching neighbours with equal values among the intervals ``first - 1`` to ``stop``."""
        at = max(first - 1, 0)
        while at + 1 < len(self._intervals) and at <= stop:
            left, right = self._intervals[at], self._intervals[at + 1]
            if left.end == right.start and left.value == right.value:
                left.end = right.end
                del self._intervals[at + 1]
                del self._starts[at + 1]
                stop -= 1
            else:
                at += 1

    def changes(self) -> tuple[list[int], list[Interval[V]]]:
        """What to write: the ids of stored rows to delete, and the intervals to insert. A stored
        row whose interval is unchanged is neither."""
        kept: set[int] = set()
        inserted: list[Interval[V]] = []
        for interval in self._intervals:
            stored = self._stored.get(interval.row) if interval.row is not None else None
            if stored is not None and stored == (interval.start, interval.end, interval.value) \
                    and interval.row not in kept:
                kept.add(interval.row)  # type: ignore[arg-type]
            else:
                inserted.append(interval)
        return sorted(set(self._stored) - kept), inserted
