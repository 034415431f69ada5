"""Hot paths on the database driver: statements compiled once, and read connections kept ready.

SQLAlchemy's per-execution work (compiling or looking up the statement, processing every bound
value and result row, checking a connection out of the pool and back in) costs tens of
microseconds a call, more than an indexed look-up in SQLite. The verification path runs a few
statements per query at thousands of queries a second, and the query log writes hundreds of rows
a flush, so those few statements are written with SQLAlchemy Core as everywhere else, compiled
once per dialect here, and run on the driver's cursor. Everything else goes through the ORM.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import msgspec
from sqlalchemy import Connection, Engine, Table
from sqlalchemy.pool import NullPool
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from jianguan.storage.engine import make_engine


class DriverStatement:
    """A Core statement compiled once for ``dialect``, with its parameters in the driver's style.

    ``params(values)`` turns a mapping of bound names to values into what the driver's
    ``execute`` takes (a tuple for SQLite's ``?``, a dict for psycopg's ``%(name)s``), applying
    the column types' bind processing (a UTC timestamp becomes what the column stores) and the
    statement's own constants (a ``LIMIT 1``).
    """

    def __init__(self, statement: ClauseElement, dialect: Any) -> None:
        compiled = statement.compile(dialect=dialect)
        if not isinstance(compiled, SQLCompiler):  # a DDL statement has no bound parameters to place
            raise TypeError(f"not a SQL statement with parameters: {statement!r}")
        self.sql = str(compiled)
        self._positional = compiled.positional
        names = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.binds)
        defaults = dict(compiled.params)
        self._names = names
        self._slots: list[tuple[str, Any]] = []  # (key in the values, default)
        self._processors: list[tuple[int, Callable[[Any], Any]]] = []
        for index, name in enumerate(names):
            bind = compiled.binds[name]
            self._slots.append((bind.key, defaults.get(name)))
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self._processors.append((index, processor))

    def params(self, values: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        out = [values.get(key, default) for key, default in self._slots]
        for index, processor in self._processors:
            if out[index] is not None:
                out[index] = processor(out[index])
        return tuple(out) if self._positional else dict(zip(self._names, out, strict=True))


class BulkInsert:
    """Many rows inserted by one statement with one parameter, so one driver call in all.

    ``executemany`` runs the statement once per row, and the driver lets go of the interpreter
    lock at every row: with the query log flushing in a thread beside the event loop, each
    hand-over delayed an answer. Here the rows travel as one JSON array of rows, encoded in one
    call, read by ``json_each`` on SQLite and by ``json_array_elements`` with a cast to each
    column's type on PostgreSQL (arrays for ``unnest`` were dumped element by element in Python,
    a third of a flush's time). ``on_conflict`` is appended as it is (an upsert's
    ``ON CONFLICT ... DO UPDATE``, the same in both).
    """

    def __init__(self, table: Table, columns: Sequence[str], dialect: Any, on_conflict: str = "") -> None:
        self._columns = tuple(columns)
        self._postgresql = dialect.name == "postgresql"
        processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]
        self._processors = [(i, processor) for i, processor in enumerate(processors) if processor is not None]
        # PostgreSQL: the column's own type binds the array; SQLite stores what it is given.
        names = ", ".join(columns)
        if self._postgresql:
            fields = ", ".join(f"(value->>{i})::{table.c[name].type.compile(dialect)}" for i, name in enumerate(columns))
            source = f"SELECT {fields} FROM json_array_elements(%(rows)s::json)"  # noqa: S608 - names from the table metadata
        else:
            fields = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(columns)))
            # WHERE: an INSERT ... SELECT before ON CONFLICT needs one in SQLite grammar
            source = f"SELECT {fields} FROM json_each(?) WHERE true"  # noqa: S608 - fixed text
        self.sql = f"INSERT INTO {table.name} ({names}) {source} {on_conflict}".strip()

    def _processed(self, rows: Iterable[Mapping[str, Any]]) -> list[list[Any]]:
        columns, processors, out = self._columns, self._processors, []
        for row in rows:
            values = [row.get(name) for name in columns]
            for i, processor in processors:
                if values[i] is not None:
                    values[i] = processor(values[i])
            out.append(values)
        return out

    def execute(self, connection: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
        """Insert ``rows`` (mappings of column to value) in one statement on ``connection``."""
        processed = self._processed(rows)
        if not processed:
            return
        rows_json = msgspec.json.encode(processed).decode()
        connection.exec_driver_sql(self.sql, {"rows": rows_json} if self._postgresql else (rows_json,))


class DriverReader:
    """Read-only driver connections kept ready for the hot path, one per concurrent caller.

    They come from an engine of their own without a pool (so they never hold slots of the main
    pool), set to autocommit (a SELECT is then its own transaction: no BEGIN or ROLLBACK round
    trips), and wait in a small stack between calls. A connection that fails is closed and the
    statement is tried once more on a new one (a restarted server, a dropped socket).
    An in-memory SQLite database, private to each connection, reads through the main engine.
    """

    def __init__(self, engine: Engine, *, idle: int = 8) -> None:
        self._main = engine
        url = engine.url
        in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
        self._engine = engine if in_memory else make_engine(url.render_as_string(hide_password=False),
                                                             poolclass=NullPool)
        self._idle_limit = idle
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self._error = engine.dialect.loaded_dbapi.Error

    def _take(self) -> Any:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        fairy = self._engine.raw_connection()
        if self._engine.dialect.name == "postgresql":
            assert fairy.dbapi_connection is not None  # only a connection closed or detached has none
            fairy.dbapi_connection.autocommit = True
        return fairy

    def _give_back(self, fairy: Any) -> None:
        if self._engine is self._main:
            fairy.close()  # back to the main pool
            return
        with self._lock:
            if len(self._idle) < self._idle_limit:
                self._idle.append(fairy)
                return
        fairy.close()

    def fetchone(self, statement: DriverStatement, values: Mapping[str, Any]) -> Any:
        """The first row of ``statement`` for ``values`` (a driver row, or None)."""
        return self._run(statement, values, many=False)

    def fetchall(self, statement: DriverStatement, values: Mapping[str, Any]) -> list[Any]:
        """Every row of ``statement`` for ``values`` (driver rows)."""
        return self._run(statement, values, many=True)

    def _run(self, statement: DriverStatement, values: Mapping[str, Any], *, many: bool) -> Any:
        params = statement.params(values)
        for attempt in (1, 2):
            fairy = self._take()
            try:
                cursor = fairy.dbapi_connection.cursor()
                try:
                    cursor.execute(statement.sql, params)
                    result = cursor.fetchall() if many else cursor.fetchone()
                finally:
                    cursor.close()
                if self._engine is self._main:
                    fairy.rollback()  # a pooled connection may have opened a transaction
            except self._error:
                fairy.invalidate()  # closes the driver connection; a pooled one is not reused
                if attempt == 2:
                    raise
                continue
            self._give_back(fairy)
            return result
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for fairy in idle:
            fairy.close()
        if self._engine is not self._main:
            self._engine.dispose()
