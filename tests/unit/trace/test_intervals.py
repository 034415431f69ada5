"""The interval map against a model that keeps one value per serial."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from jianguan.trace.intervals import IntervalMap

SPAN = 40

edits = st.lists(st.tuples(st.integers(0, SPAN), st.integers(0, SPAN), st.sampled_from(["a", "b", None, "keep"])),
                 max_size=25)
stored = st.lists(st.tuples(st.integers(0, SPAN - 1), st.integers(1, 8), st.sampled_from(["a", "b", "c"])), max_size=6)


def _stored_rows(spec: list[tuple[int, int, str]]) -> list[tuple[int, int, int, str]]:
    """Non-overlapping stored rows made from ``spec``."""
    rows, taken = [], set()
    for row_id, (start, length, value) in enumerate(spec, 1):
        serials = set(range(start, min(start + length, SPAN)))
        if not serials or serials & taken:
            continue
        taken |= serials
        rows.append((row_id, start, max(serials) + 1, value))
    return rows


@settings(max_examples=200, deadline=None)
@given(stored, edits)
def test_the_map_agrees_with_a_value_per_serial(spec: list[tuple[int, int, str]],
                                               steps: list[tuple[int, int, str | None]]) -> None:
    rows = _stored_rows(spec)
    model: dict[int, str | None] = dict.fromkeys(range(SPAN))
    for _row, start, end, value in rows:
        for serial in range(start, end):
            model[serial] = value
    intervals: IntervalMap[str] = IntervalMap()
    assert intervals.missing(0, SPAN) == [(0, SPAN)]
    intervals.load([(0, SPAN)], rows)
    assert intervals.missing(0, SPAN) == []
    for low, high, value in steps:
        start, end = min(low, high), max(low, high)
        intervals.assign(start, end, lambda old, value=value: old if value == "keep" else value)
        for serial in range(start, end):
            model[serial] = model[serial] if value == "keep" else value
    assert [intervals.value_at(serial) for serial in range(SPAN)] == [model[serial] for serial in range(SPAN)]
    pieces = list(intervals.segments(0, SPAN))
    assert pieces[0][0] == 0 and pieces[-1][1] == SPAN
    held = intervals.intervals()
    for left, right in itertools.pairwise(held):
        assert left.end <= right.start
    deleted, inserted = intervals.changes()
    kept = {row_id for row_id, *_ in rows} - set(deleted)
    written = {(row_id, start, end, value) for row_id, start, end, value in rows if row_id in kept}
    written |= {(None, i.start, i.end, i.value) for i in inserted}
    after: dict[int, str | None] = dict.fromkeys(range(SPAN))
    for _row, start, end, value in written:
        for serial in range(start, end):
            assert after[serial] is None, "what is written never overlaps"
            after[serial] = value
    assert after == model


def test_an_unchanged_stored_row_is_neither_deleted_nor_inserted() -> None:
    intervals: IntervalMap[str] = IntervalMap()
    intervals.load([(0, 100)], [(7, 10, 20, "a"), (8, 30, 40, "b")])
    intervals.assign(30, 35, lambda old: "c")
    assert intervals.changes() == ([8], intervals.intervals()[1:])
    assert [(i.start, i.end, i.value) for i in intervals.intervals()] == [(10, 20, "a"), (30, 35, "c"), (35, 40, "b")]


def test_a_part_not_loaded_cannot_be_edited() -> None:
    intervals: IntervalMap[str] = IntervalMap()
    intervals.load([(0, 10)], [])
    assert intervals.missing(5, 15) == [(10, 15)]
    try:
        intervals.assign(5, 15, lambda old: "a")
    except LookupError:
        pass
    else:
        raise AssertionError("assigning outside what was loaded must fail")


def test_touching_equal_values_become_one_interval() -> None:
    intervals: IntervalMap[str] = IntervalMap()
    intervals.load([(0, 100)], [(1, 0, 10, "a"), (2, 10, 20, "b")])
    intervals.assign(10, 20, lambda old: "a")
    intervals.assign(20, 30, lambda old: "a")
    assert [(i.start, i.end, i.value) for i in intervals.intervals()] == [(0, 30, "a")]
    assert intervals.changes()[0] == [1, 2]
