"""The recall index's segments: overlapping recalls made disjoint, the newest winning."""

from __future__ import annotations

import itertools
import random

from jianguan.recalls.index import segments


def covering(ranges: list[tuple[int, int, int]], serial: int) -> int | None:
    found = [recall for start, end, recall in ranges if start <= serial < end]
    return max(found) if found else None


def test_disjoint_overlapping_and_adjacent_ranges() -> None:
    starts, made = segments([(0, 10, 1), (5, 20, 2), (20, 30, 2), (40, 50, 1), (42, 45, 1)])
    assert made == [(0, 5, 1), (5, 30, 2), (40, 50, 1)]
    assert starts == [0, 5, 40]
    assert segments([]) == ([], [])


def test_segments_agree_with_the_ranges_everywhere() -> None:
    rng = random.Random(7)
    for _ in range(200):
        ranges = []
        for _ in range(rng.randint(1, 8)):
            start = rng.randint(0, 60)
            ranges.append((start, start + rng.randint(1, 20), rng.randint(1, 4)))
        _starts, made = segments(ranges)
        for (_s, end, _r), (start, _e, _q) in itertools.pairwise(made):
            assert end <= start
        for serial in range(-1, 85):
            in_segment = next((recall for start, end, recall in made if start <= serial < end), None)
            assert in_segment == covering(ranges, serial), (ranges, serial)
