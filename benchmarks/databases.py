"""Fresh, migrated databases for the benchmarks: an SQLite file, and a PostgreSQL database on
the server named by JIANGUAN_TEST_POSTGRES_URL or a throwaway one (as the tests do)."""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tests import pg

from jianguan.storage import make_engine, migrate, normalise_url


@contextlib.contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="jianguan-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url


@contextlib.contextmanager
def postgresql_database() -> Iterator[str]:
    with pg.admin_url() as admin:
        name = f"jg_bench_{uuid.uuid4().hex[:10]}"
        admin_engine = create_engine(normalise_url(admin), isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(normalise_url(admin)).set(database=name).render_as_string(hide_password=False)
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        try:
            yield url
        finally:
            with admin_engine.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin_engine.dispose()


DATABASES = {"sqlite": sqlite_database, "postgresql": postgresql_database}
