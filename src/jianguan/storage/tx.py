"""One transaction per state change: the unit every service call runs in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from jianguan.storage.engine import READ_ONLY_OPTION


def session_factory(engine: Engine, **services: object) -> sessionmaker[Session]:
    """The session maker for ``engine``; objects stay readable after commit.

    ``services`` are the process's long-lived services (``keys=`` the ``KeyService``), made once at
    start and found by the code that needs them through ``session.info``.
    """
    return sessionmaker(engine, expire_on_commit=False, info=dict(services))


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """Open a session, commit when the block ends normally, roll back when it raises."""
    with sessions() as session, session.begin():
        yield session


@contextmanager
def reading(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """Open a session for reads only; on SQLite it does not take the write lock.

    Closing the session ends its transaction without committing and detaches what it loaded,
    which stays readable after the block.
    """
    with sessions() as session:
        session.connection(execution_options={READ_ONLY_OPTION: True})
        yield session
