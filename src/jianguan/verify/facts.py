"""The statements that read a code's facts for a verification: spoiled?, query state and the
active activation, as indexed look-ups only; for one code, and for many at once (the reads shared
on the event loop). Built once and compiled once per dialect: the hot path runs them on the
driver (storage/driver.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    bindparam,
    column,
    exists,
    func,
    literal,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY

from jianguan.codes.models import Activation, SpoiledCode
from jianguan.trace.models import Position
from jianguan.verify.models import CodeQueryState


def _facts_select(source: Any, g: Any, s: Any, b: Any, *leading: Any) -> Select[Any]:
    """Spoiled?, query state, the active activation and the supply-chain run (its state and end:
    the code is in it when its serial is below the end) of the code named by ``g``, ``s`` and
    ``b`` (bound values, or the columns of ``source``), outer-joined to ``source``: indexed
    look-ups only. ``leading`` columns come first."""
    state, activation, position = CodeQueryState.__table__, Activation.__table__, Position.__table__
    spoiled = exists().where((SpoiledCode.generation == g) & (SpoiledCode.serial == s))
    candidate = activation.alias("candidate")
    active_id = (select(candidate.c.id)
                 .where(candidate.c.batch_id == b, candidate.c.serial_start <= s, candidate.c.serial_end > s,
                        candidate.c.withdrawn_at.is_(None))
                 .order_by(candidate.c.serial_start.desc()).limit(1).correlate(source).scalar_subquery())
    # The run starting at or before the code (runs never overlap); not limited by its end, so
    # the look-up is one index probe whether or not the code is in it.
    run = position.alias("run")
    run_id = (select(run.c.id).where(run.c.generation == g, run.c.serial_start <= s)
              .order_by(run.c.serial_start.desc()).limit(1).correlate(source).scalar_subquery())
    return (
        select(*leading, spoiled.label("spoiled"), state.c.count, state.c.first_at, state.c.first_region_code,
               activation.c.id, activation.c.lot, activation.c.production_date, activation.c.expiry_date,
               activation.c.inspection_record, position.c.status, position.c.serial_end,
               state.c.last_region_code, state.c.last_region_at)
        .select_from(source.outerjoin(state, (state.c.generation == g) & (state.c.serial == s))
                     .outerjoin(activation, activation.c.id == active_id)
                     .outerjoin(position, position.c.id == run_id))
    )


def facts_statement() -> Select[Any]:
    """The facts of one code as one statement of indexed look-ups: one row. Built once and
    compiled once per dialect: the hot path runs it on the driver (storage/driver.py)."""
    one = select(literal(1).label("one")).subquery("one")
    return _facts_select(one, bindparam("g"), bindparam("s"), bindparam("b"))


def sqlite_size(count: int) -> int:
    """The number of look-ups SQLite's statement is built for, at least ``count``: exact up to 32,
    then a multiple of 32, so that at most 39 statements exist (the driver caches 128 a connection)."""
    return count if count <= 32 else -(-count // 32) * 32


def facts_of_many_statement(dialect_name: str, size: int = 0) -> Select[Any]:
    """The same facts for many codes at once, in one statement, each row led by the code's index
    in the request. PostgreSQL takes the codes as three arrays (read by ``unnest``), for any
    number. SQLite takes ``size`` look-ups as bound values of a VALUES list (``g0, s0, b0, g1,
    ...``) and gives its rows back as one JSON array of rows."""
    if dialect_name == "postgresql":
        return _facts_of_many_postgresql(CodeQueryState.__table__, Activation.__table__, Position.__table__)
    # Measured against reading the look-ups from one JSON parameter with json_each: 2.1 against
    # 4.5 µs a code (json_extract three times a code cost more than the index probes).
    rows = ", ".join(f"({i}, :g{i}, :s{i}, :b{i})" for i in range(size))
    keys = (text(f"SELECT column1 AS i, column2 AS g, column3 AS s, column4 AS b FROM (VALUES {rows})")  # noqa: S608 - no input in it
            .columns(column("i", Integer), column("g", Integer), column("s", BigInteger), column("b", Integer))
            .subquery("keys"))
    facts = _facts_select(keys, keys.c.g, keys.c.s, keys.c.b, keys.c.i).subquery("facts")
    # The rows folded into one JSON value, so the driver steps once for them all (it lets go of
    # the interpreter lock at every step, and each hand-over costs more than the row).
    return select(func.json_group_array(func.json_array(*facts.c)))


def _facts_of_many_postgresql(state: Any, activation: Any, position: Any) -> Select[Any]:
    """PostgreSQL's form: each look-up is a LATERAL subquery with LIMIT 1, which the planner cannot
    flatten into a join, so every code is an index probe whatever the statistics say. Written as
    joins, a prepared (generic) plan made while the tables were new and empty hashed a sequential
    scan of the whole query state table for every read, and kept it as the table grew."""
    keys = (func.unnest(bindparam("generations", type_=ARRAY(Integer)), bindparam("serials", type_=ARRAY(BigInteger)),
                        bindparam("batches", type_=ARRAY(Integer)))
            .table_valued("g", "s", "b", with_ordinality="i").render_derived(name="keys"))
    k = keys.c
    spoiled = (select(literal(True).label("spoiled")).where(SpoiledCode.generation == k.g, SpoiledCode.serial == k.s)
               .limit(1).lateral("spoiled"))
    seen = (select(state.c.count, state.c.first_at, state.c.first_region_code, state.c.last_region_code,
                   state.c.last_region_at)
            .where(state.c.generation == k.g, state.c.serial == k.s).limit(1).lateral("seen"))
    active = (select(activation.c.id, activation.c.lot, activation.c.production_date, activation.c.expiry_date,
                     activation.c.inspection_record)
              .where(activation.c.batch_id == k.b, activation.c.serial_start <= k.s, activation.c.serial_end > k.s,
                     activation.c.withdrawn_at.is_(None))
              .order_by(activation.c.serial_start.desc()).limit(1).lateral("active"))
    run = (select(position.c.status, position.c.serial_end)
           .where(position.c.generation == k.g, position.c.serial_start <= k.s)
           .order_by(position.c.serial_start.desc()).limit(1).lateral("run"))
    return (
        select(k.i, spoiled.c.spoiled.is_not(None), seen.c.count, seen.c.first_at, seen.c.first_region_code,
               active.c.id, active.c.lot, active.c.production_date, active.c.expiry_date, active.c.inspection_record,
               run.c.status, run.c.serial_end, seen.c.last_region_code, seen.c.last_region_at)
        .select_from(keys.outerjoin(spoiled, true()).outerjoin(seen, true())
                     .outerjoin(active, true()).outerjoin(run, true()))
    )
