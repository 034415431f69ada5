"""Serial ranges: half-open ``[start, end)`` intervals of one generation's serials. Pure.

A batch, an activation, a scanned list of codes: each is stored as ranges, so what is kept grows
with ranges and never with the number of codes.
"""

from __future__ import annotations

from collections.abc import Iterable

Range = tuple[int, int]


def merge_ranges(ranges: Iterable[Range]) -> list[Range]:
    """Sorted, merged ranges: overlapping or touching ranges become one, empty ones vanish."""
    merged: list[Range] = []
    for start, end in sorted(ranges):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def ranges_of(serials: Iterable[int]) -> list[Range]:
    """Serials (in any order, repeats allowed) as the fewest sorted ranges."""
    return merge_ranges((serial, serial + 1) for serial in serials)


def subtract(ranges: Iterable[Range], start: int, end: int) -> list[Range]:
    """``ranges`` without ``[start, end)``."""
    result: list[Range] = []
    for low, high in ranges:
        if high <= start or end <= low:
            result.append((low, high))
            continue
        if low < start:
            result.append((low, start))
        if end < high:
            result.append((end, high))
    return result


def covers(ranges: Iterable[Range], serial: int) -> bool:
    """Whether ``serial`` lies in one of ``ranges``."""
    return any(start <= serial < end for start, end in ranges)
