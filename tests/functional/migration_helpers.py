"""What the migration tests share: the rows a statement reads, as plain tuples."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine


def rows(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    """The rows ``sql`` reads on ``engine``, as tuples (comparable to literals in assertions)."""
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]
