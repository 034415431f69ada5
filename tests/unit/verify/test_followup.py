"""The query log's follow-ups (verify/followup.py): condensed, merged, split, and never dropped."""

from __future__ import annotations

import threading
import time

from jianguan.alerts.rules import Batch
from jianguan.verify.followup import FollowUps, diversion_candidate, merge, split


def row(serial: int, verdict: str = "queried_before", region: str | None = None, count_before: int = 5,
        placed: bool | None = True) -> dict:
    return {"generation": 1, "serial": serial, "verdict": verdict, "region_code": region,
            "count_before": count_before, "regions_before": (None, None), "placed": placed, "at": None}


def test_merge_keeps_the_most_queries_told_and_any_new_county() -> None:
    into = Batch({(1, 1): (4, False), (1, 2): (9, False)}, {"110101"}, set(), False)
    merge(into, Batch({(1, 1): (6, False), (1, 2): (3, True), (1, 3): (2, False)}, {"120101"}, {"s"}, True))
    assert into.repeated == {(1, 1): (6, False), (1, 2): (9, True), (1, 3): (2, False)}
    assert (into.counties, into.sources, into.placed) == ({"110101", "120101"}, {"s"}, True)


def test_split_spreads_the_codes_and_keeps_the_rest_with_the_first_part() -> None:
    batch = Batch({(1, serial): (5, False) for serial in range(5)}, {"110101"}, {"s"}, True)
    parts = split(batch, 2)
    assert [sorted(part.repeated) for part in parts] == [[(1, 0), (1, 1)], [(1, 2), (1, 3)], [(1, 4)]]
    assert (parts[0].counties, parts[0].sources, parts[0].placed) == ({"110101"}, {"s"}, True)
    assert not any(part.counties or part.sources or part.placed for part in parts[1:])
    assert [sorted(part.repeated) for part in split(Batch({}, {"110101"}, set(), False), 2)] == [[]]


def test_only_rows_placed_in_a_county_can_flag_a_diversion() -> None:
    assert diversion_candidate(row(1, region="110101"))
    assert diversion_candidate(row(1, region="110101", placed=None))  # its run not read: the flagging looks
    assert not diversion_candidate(row(1, region="110101", placed=False))
    assert not diversion_candidate(row(1))
    assert not diversion_candidate({**row(1, region="110101"), "generation": None})


def test_without_a_thread_the_follow_ups_run_at_once_and_placed_needs_a_flagged_diversion() -> None:
    flagged, evaluated = [], []
    follow = FollowUps(lambda rows: flagged.append(rows) or False, evaluated.append)
    follow.submit([row(1, region="110101"), row(2), row(3, verdict="genuine")])
    assert [[r["serial"] for r in rows] for rows in flagged] == [[1]]
    assert len(evaluated) == 1 and sorted(evaluated[0].repeated) == [(1, 1), (1, 2)]
    assert evaluated[0].placed is False  # no diversion was flagged: the diversion rule is not run
    follow.submit([row(4, verdict="genuine")])  # nothing any rule looks at
    assert len(evaluated) == 1


def test_a_writer_waits_for_room_rather_than_drop_rows_and_close_follows_up_everything() -> None:
    release, seen = threading.Event(), []

    def flag(rows) -> bool:
        release.wait(10)
        seen.extend(r["serial"] for r in rows)
        return True

    follow = FollowUps(flag, lambda batch: None, max_rows=3)
    follow.start()
    follow.submit([row(serial, region="110101") for serial in range(3)])  # taken by the thread, which waits
    deadline = time.monotonic() + 5
    while follow.pending() != 1 and time.monotonic() < deadline:  # only the thread's share is left
        time.sleep(0.01)
    follow.submit([row(serial, region="110101") for serial in range(3, 6)])  # fills the room
    writer = threading.Thread(target=follow.submit, args=([row(6, region="110101")],))
    writer.start()
    writer.join(0.3)
    assert writer.is_alive()  # no room: the writer waits
    release.set()
    writer.join(5)
    assert not writer.is_alive()
    follow.close()
    assert sorted(seen) == list(range(7))
