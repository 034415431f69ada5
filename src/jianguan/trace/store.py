"""Reading and writing the trace area's runs of codes (positions, packings) for a capture.

A capture reads the runs that overlap the codes it touches into ``IntervalMap``s, edits them in
memory, and writes back only what changed. Runs of a generation never overlap, so the runs that
overlap ``[a, b)`` are those starting in it, and the one before ``a`` if it reaches past ``a``:
two indexed look-ups a range, however many runs a generation holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Table, and_, delete, or_, select, union_all
from sqlalchemy.orm import Session

from jianguan.codes.ranges import Range, merge_ranges
from jianguan.trace.bulk import insert_rows
from jianguan.trace.intervals import Interval, IntervalMap
from jianguan.trace.models import Packing, PartyKind, Position, Whereabouts
from jianguan.trace.moves import Place

V = TypeVar("V")
_POSITIONS = cast(Table, Position.__table__)
_PACKINGS = cast(Table, Packing.__table__)
_CHUNK = 200  # ranges read in one statement


@dataclass(frozen=True, slots=True)
class Held:
    """A position run's value: its batch and enterprise (runs never cross a batch), and its place."""

    batch: int
    enterprise: int
    place: Place


@dataclass(frozen=True, slots=True)
class Packed:
    """A packing run's value: the container ``(generation, serial)`` its codes are in, and the event
    (a stored id, or ``-1 - index`` in the capture in hand) that packed them, at ``at``."""

    container: tuple[int, int]
    event: int | None
    at: dt.datetime


class Runs(Generic[V]):
    """The runs of one table a capture has read, a map per generation."""

    def __init__(self, table: Any, value: Callable[[Any], V]) -> None:
        self._table = table
        self._value = value
        self.maps: dict[int, IntervalMap[V]] = {}

    def map(self, generation: int) -> IntervalMap[V]:
        return self.maps.setdefault(generation, IntervalMap())

    def load(self, session: Session, wanted: Iterable[tuple[int, int, int]]) -> None:
        """Read the runs overlapping ``(generation, start, end)`` not read yet."""
        by_generation: dict[int, list[Range]] = {}
        for generation, start, end in wanted:
            by_generation.setdefault(generation, []).append((start, end))
        table = self._table
        for generation, ranges in by_generation.items():
            runs = self.map(generation)
            missing = [part for start, end in merge_ranges(ranges) for part in runs.missing(start, end)]
            for at in range(0, len(missing), _CHUNK):
                chunk = missing[at:at + _CHUNK]
                starting = select(table).where(table.generation == generation, or_(*(
                    and_(table.serial_start >= start, table.serial_start < end) for start, end in chunk)))
                before = [select(table.id).where(table.generation == generation, table.serial_start < start)
                          .order_by(table.serial_start.desc()).limit(1).subquery() for start, _end in chunk]
                previous = select(table).where(table.id.in_(union_all(*(select(b.c.id) for b in before))))
                rows = {row.id: row for row in session.scalars(starting)}
                rows.update({row.id: row for row in session.scalars(previous)})
                runs.load(chunk, [(row.id, row.serial_start, row.serial_end, self._value(row))
                                  for row in rows.values()])

    def changes(self) -> Iterable[tuple[int, list[int], list[Interval[V]]]]:
        for generation, runs in self.maps.items():
            deleted, inserted = runs.changes()
            if deleted or inserted:
                yield generation, deleted, inserted


def _place(row: Position) -> Held:
    shipped_to = ((PartyKind(row.shipped_to_kind), row.shipped_to_id)
                  if row.shipped_to_kind is not None and row.shipped_to_id is not None else None)
    at = _aware(row.at)
    return Held(row.batch_id, row.enterprise_id, Place(
        Whereabouts(row.status), (PartyKind(row.holder_kind), row.holder_id), row.region_code, shipped_to,
        row.shipped_region, row.event_id, at))


def _aware(value: dt.datetime) -> dt.datetime:
    """A stored UTC time (SQLite gives it back naive) as an aware one."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def position_runs() -> Runs[Held]:
    return Runs(Position, _place)


def packing_runs() -> Runs[Packed]:
    return Runs(Packing, lambda row: Packed((row.container_generation, row.container_serial), row.event_id,
                                            _aware(row.at)))


def container_of(session: Session, generation: int, serial: int) -> tuple[int, int] | None:
    """The container ``(generation, serial)`` a code is packed in, or None."""
    row = session.execute(select(Packing.container_generation, Packing.container_serial, Packing.serial_end)
                          .where(Packing.generation == generation, Packing.serial_start <= serial)
                          .order_by(Packing.serial_start.desc()).limit(1)).first()
    if row is None or serial >= row.serial_end:
        return None
    return row.container_generation, row.container_serial


def contents_of(session: Session, containers: Sequence[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """The stored runs ``(generation, start, end)`` packed in the containers of the ranges
    ``(generation, start, end)``."""
    by_generation: dict[int, list[Range]] = {}
    for generation, start, end in containers:
        by_generation.setdefault(generation, []).append((start, end))
    merged = [(generation, start, end) for generation, ranges in by_generation.items()
              for start, end in merge_ranges(ranges)]
    found: list[tuple[int, int, int]] = []
    for at in range(0, len(merged), _CHUNK):
        chunk = merged[at:at + _CHUNK]
        condition = or_(*(and_(Packing.container_generation == generation, Packing.container_serial >= start,
                               Packing.container_serial < end) for generation, start, end in chunk))
        found.extend((row[0], row[1], row[2]) for row in session.execute(
            select(Packing.generation, Packing.serial_start, Packing.serial_end).where(condition)))
    return found


def write_positions(session: Session, runs: Runs[Held], event_ids: Sequence[int]) -> None:
    """Write what changed; a place made by event ``-1 - i`` of the capture names ``event_ids[i]``."""
    for generation, deleted, inserted in runs.changes():
        for at in range(0, len(deleted), 1000):
            session.execute(delete(Position).where(Position.id.in_(deleted[at:at + 1000])))
        if inserted:
            insert_rows(session, _POSITIONS, [_position_row(generation, run, event_ids) for run in inserted])


def _event_id(event: int | None, event_ids: Sequence[int]) -> int | None:
    return event_ids[-1 - event] if event is not None and event < 0 else event


def _position_row(generation: int, run: Interval[Held], event_ids: Sequence[int]) -> dict[str, Any]:
    held, place = run.value, run.value.place
    shipped_kind, shipped_id = place.shipped_to if place.shipped_to else (None, None)
    return {"generation": generation, "serial_start": run.start, "serial_end": run.end, "batch_id": held.batch,
            "enterprise_id": held.enterprise, "status": place.status, "holder_kind": place.holder[0],
            "holder_id": place.holder[1], "region_code": place.region, "shipped_to_kind": shipped_kind,
            "shipped_to_id": shipped_id, "shipped_region": place.shipped_region,
            "event_id": _event_id(place.event, event_ids), "at": place.at}


def write_packings(session: Session, runs: Runs[Packed], event_ids: Sequence[int]) -> None:
    """Write what changed, as ``write_positions`` does."""
    for generation, deleted, inserted in runs.changes():
        for at in range(0, len(deleted), 1000):
            session.execute(delete(Packing).where(Packing.id.in_(deleted[at:at + 1000])))
        if inserted:
            insert_rows(session, _PACKINGS, [
                {"generation": generation, "serial_start": run.start, "serial_end": run.end,
                 "container_generation": run.value.container[0], "container_serial": run.value.container[1],
                 "event_id": _event_id(run.value.event, event_ids), "at": run.value.at} for run in inserted])
