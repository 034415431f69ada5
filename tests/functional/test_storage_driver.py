"""The driver-level hot paths on both databases: one-statement bulk inserts store exactly what
the ORM stores, and a read connection that breaks is replaced without the caller noticing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from jianguan.storage import reading, transaction
from jianguan.storage.driver import BulkInsert, DriverReader, DriverStatement
from jianguan.verify.models import CodeQueryState, Query

COLUMNS = ("at", "channel", "generation", "serial", "raw_input", "verdict", "region_code", "terminal_id",
           "caller_hash", "source_hash")


def test_bulk_insert_stores_what_the_orm_stores(sessions: sessionmaker[Session], engine: Engine) -> None:
    at = dt.datetime(2026, 11, 23, 8, 0, 0, tzinfo=dt.UTC)  # whole seconds: the format must not drop them
    rows = [{"at": at + dt.timedelta(microseconds=i), "channel": "api", "generation": 1, "serial": 10**17 + i,
             "raw_input": None if i else "引号 ' 和 \" 和 \\", "verdict": "genuine", "region_code": None,
             "terminal_id": None, "caller_hash": None, "source_hash": "ab" * 32} for i in range(3)]
    with transaction(sessions) as session:
        BulkInsert(Query.__table__, COLUMNS, engine.dialect).execute(session.connection(), rows)
        session.add(Query(**{**rows[0], "serial": 7}))
    with reading(sessions) as session:
        stored = session.scalars(select(Query).order_by(Query.id)).all()
        # The same instant compares equal and sorts in order whichever way the rows were written.
        assert [q.at for q in stored] == [row["at"] for row in rows] + [at]
        assert stored[0].raw_input == "引号 ' 和 \" 和 \\" and stored[1].raw_input is None
        assert [q.serial for q in stored] == [10**17, 10**17 + 1, 10**17 + 2, 7]
        assert session.scalar(select(Query.id).where(Query.at == at).order_by(Query.id.desc()).limit(1)) == stored[3].id


def test_text_with_a_nul_is_stored_and_found_on_both_databases(sessions: sessionmaker[Session],
                                                               engine: Engine) -> None:
    typed = "12\x0034"  # PostgreSQL text cannot hold U+0000: it is stored as U+FFFD there
    with transaction(sessions) as session:
        session.add(Query(at=dt.datetime(2026, 11, 30, tzinfo=dt.UTC), channel="api", raw_input=typed,
                          verdict="malformed"))
    with reading(sessions) as session:
        stored = session.scalar(select(Query.raw_input))
        assert stored == ("12\ufffd34" if engine.dialect.name == "postgresql" else typed)
        assert session.scalar(select(Query.id).where(Query.raw_input == typed)) is not None


def test_bulk_upsert_adds_counts(sessions: sessionmaker[Session], engine: Engine) -> None:
    upsert = BulkInsert(CodeQueryState.__table__, ("generation", "serial", "count", "first_at", "first_region_code",
                                                   "last_at"), engine.dialect,
                        on_conflict="ON CONFLICT (generation, serial) DO UPDATE SET "
                                    "count = code_query_states.count + excluded.count, last_at = excluded.last_at")
    first = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    later = first + dt.timedelta(days=1)
    for when in (first, later):
        with transaction(sessions) as session:
            upsert.execute(session.connection(), [
                {"generation": 1, "serial": s, "count": 2, "first_at": when, "first_region_code": "130111",
                 "last_at": when} for s in (5, 6)])
    with reading(sessions) as session:
        state = session.get(CodeQueryState, (1, 5))
        assert (state.count, state.first_at, state.last_at, state.first_region_code) == (4, first, later, "130111")


def test_a_broken_read_connection_is_replaced(engine: Engine) -> None:
    reader = DriverReader(engine)
    statement = DriverStatement(select(CodeQueryState.count).where(CodeQueryState.serial == -1).limit(1),
                                engine.dialect)
    assert reader.fetchone(statement, {}) is None
    for fairy in reader._idle:  # the server restarted, or a socket dropped
        fairy.dbapi_connection.close()
    assert reader.fetchone(statement, {}) is None
    reader.close()
