"""Fixtures shared by the whole suite: databases on both backends, a live server, the demo network.

Every database a test gets is made by running the migrations (once per backend, then copied
from that template), so every run tests the migrations too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from jianguan.codes.keyring import KeyService
from jianguan.config import Settings
from jianguan.storage import make_engine, migrate, normalise_url, session_factory
from tests import pg
from tests.live import LiveServer, demo_seed, start_server

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    with pg.admin_url() as url:
        yield url


class DatabaseFactory:
    """Makes fresh, migrated databases of one backend by copying a template."""

    def __init__(self, backend: str, workdir: Path, pg_admin: str | None) -> None:
        self.backend = backend
        self.workdir = workdir
        self.pg_admin = pg_admin
        self.template: str | None = None
        self.made: list[str] = []

    def _pg_admin_engine(self) -> Engine:
        assert self.pg_admin is not None
        return create_engine(normalise_url(self.pg_admin), isolation_level="AUTOCOMMIT")

    def _pg_url(self, name: str) -> str:
        assert self.pg_admin is not None
        return make_url(normalise_url(self.pg_admin)).set(database=name).render_as_string(hide_password=False)

    def _build_template(self) -> str:
        if self.backend == "sqlite":
            path = self.workdir / "template.db"
            engine = make_engine(f"sqlite:///{path}")
            migrate.upgrade(engine)
            engine.dispose()
            return str(path)
        name = f"jg_tmpl_{uuid.uuid4().hex[:10]}"
        admin = self._pg_admin_engine()
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        engine = make_engine(self._pg_url(name))
        migrate.upgrade(engine)
        engine.dispose()
        self.made.append(name)
        return name

    def new_url(self) -> str:
        """The URL of a new migrated database, empty but for the reference data."""
        if self.template is None:
            self.template = self._build_template()
        if self.backend == "sqlite":
            path = self.workdir / f"{uuid.uuid4().hex[:12]}.db"
            shutil.copyfile(self.template, path)
            return f"sqlite:///{path}"
        name = f"jg_{uuid.uuid4().hex[:12]}"
        admin = self._pg_admin_engine()
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        admin.dispose()
        self.made.append(name)
        return self._pg_url(name)

    def drop(self, url: str) -> None:
        """Drop the PostgreSQL database of ``url`` now (a test's own, when it ends)."""
        name = make_url(url).database
        if self.backend != "postgresql" or name not in self.made:
            return
        self.made.remove(name)
        self._drop([name])

    def drop_all(self) -> None:
        if self.backend == "postgresql" and self.made:
            self._drop(list(reversed(self.made)))
            self.made.clear()

    def _drop(self, names: list[str]) -> None:
        """Drop ``names``, each waiting at most a minute: a database left behind by a stuck drop is
        reported, not waited for (the suite's time limit would otherwise fail the last test)."""
        admin = self._pg_admin_engine()
        with admin.connect() as connection:
            connection.execute(text("SET statement_timeout = '60s'"))
            for name in names:
                try:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                except OperationalError as error:
                    print(f"test database {name} not dropped: {error.orig}", file=sys.stderr)
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def databases(backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
              ) -> Iterator[DatabaseFactory]:
    pg_admin = request.getfixturevalue("pg_admin_url") if backend == "postgresql" else None
    factory = DatabaseFactory(backend, tmp_path_factory.mktemp(f"db-{backend}"), pg_admin)
    yield factory
    factory.drop_all()


@pytest.fixture
def database_url(databases: DatabaseFactory) -> Iterator[str]:
    """A fresh migrated database for one test, dropped when it ends."""
    url = databases.new_url()
    yield url
    databases.drop(url)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


TEST_MASTER = Settings().master_key_bytes()  # what the tests' servers and commands derive too


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """The session factory of a test's database, with a key service as the app and the commands make."""
    return session_factory(engine, keys=KeyService(TEST_MASTER))


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session on a fresh database; the test commits or not as it likes."""
    with sessions() as session:
        yield session


@pytest.fixture(scope="session")
def live(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real server (granian, as ``jianguan serve`` runs it) on a demo network, one per backend."""
    url = databases.new_url()
    seed = demo_seed(url)
    server = start_server(url, tmp_path_factory.mktemp(f"live-{databases.backend}"), seed)
    yield server
    server.stop()


def run_cli(database_url: str, *args: str, input: str | None = None, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    """Run the ``jianguan`` command against ``database_url``."""
    environment = {**os.environ, "JIANGUAN_DATABASE_URL": database_url, **(env or {})}
    return subprocess.run([sys.executable, "-m", "jianguan.cli", *args], capture_output=True, text=True,
                          input=input, env=environment, timeout=120)
