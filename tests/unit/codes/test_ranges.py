"""Serial ranges (codes.ranges) against the sets of serials they stand for."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from jianguan.codes.ranges import covers, merge_ranges, ranges_of, subtract

serial_ranges = st.lists(st.tuples(st.integers(0, 200), st.integers(0, 200)), max_size=12)


def members(ranges: list[tuple[int, int]]) -> set[int]:
    return {serial for start, end in ranges for serial in range(start, end)}


@given(serial_ranges)
def test_merging_keeps_the_serials_and_leaves_no_two_ranges_touching(ranges: list[tuple[int, int]]) -> None:
    merged = merge_ranges(ranges)
    assert members(merged) == members(ranges)
    assert all(start < end for start, end in merged)
    assert all(left[1] < right[0] for left, right in itertools.pairwise(merged))


@given(st.lists(st.integers(0, 10**18 - 1), max_size=50))
def test_serials_become_the_fewest_ranges(serials: list[int]) -> None:
    ranges = ranges_of(serials)
    assert all(covers(ranges, serial) for serial in serials)
    assert sum(end - start for start, end in ranges) == len(set(serials))
    assert ranges == merge_ranges(ranges)


@given(serial_ranges, st.integers(0, 200), st.integers(0, 200))
def test_subtracting_removes_exactly_the_range(ranges: list[tuple[int, int]], start: int, end: int) -> None:
    merged = merge_ranges(ranges)
    assert members(subtract(merged, start, end)) == members(merged) - set(range(start, end))


@given(serial_ranges, st.integers(0, 200))
def test_covers_is_membership(ranges: list[tuple[int, int]], serial: int) -> None:
    assert covers(ranges, serial) == (serial in members(ranges))


def test_a_million_codes_in_one_range() -> None:
    assert ranges_of(range(1_000_000)) == [(0, 1_000_000)]
    assert merge_ranges([(10, 20), (20, 30), (5, 6), (0, 0)]) == [(5, 6), (10, 30)]
