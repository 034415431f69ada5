"""Writing many rows at once, as a capture does: PostgreSQL's COPY, SQLite's executemany.

A capture of a large document writes thousands of event, range, position and packing rows. On
PostgreSQL a multi-row INSERT of that size spends more time having its placeholders parsed by the
driver than the server spends storing the rows (measured: 1.3 of 1.4 s for 8,000 rows), so rows
go through COPY; ids that other rows refer to are taken from the table's sequence first. SQLite
inserts through executemany, which its driver does natively, and hands out ids after the largest
(the writer holds the database's write lock for the whole transaction).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from enum import Enum
from typing import Any

import psycopg
from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


def new_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` unused ids of ``table``'s integer primary key, in increasing order."""
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                                    "FROM generate_series(1, :count)"), {"table": table.name, "count": count})
        return sorted(row[0] for row in rows)
    largest = session.scalar(select(func.max(table.c.id))) or 0
    return list(range(largest + 1, largest + 1 + count))


def _copy_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``, applying no column defaults but
    those the rows leave out, which must have none (pass every value)."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    connection = session.connection().connection.driver_connection
    names = ", ".join(f'"{name}"' for name in columns)
    statement = f'COPY "{table.name}" ({names}) FROM STDIN'
    try:
        with connection.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row([_copy_value(row[name]) for name in columns])
    except psycopg.IntegrityError as error:  # as SQLAlchemy says it: a race past a check (web/errors: 409)
        raise IntegrityError(statement, None, error) from error
