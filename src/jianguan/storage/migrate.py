"""Running Alembic from the code: ``jianguan db upgrade`` and ``jianguan db check``.

The schema exists only through migrations. After upgrading, reference data that ships with
the package (the administrative divisions) is brought up to date in the same command.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration bound to ``engine`` (no alembic.ini needed at run time)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` and load the shipped reference data."""
    from jianguan.regions.services import sync_regions
    from jianguan.regions.tree import forget_region_tree
    from jianguan.storage.tx import session_factory, transaction

    command.upgrade(alembic_config(engine), revision)
    with transaction(session_factory(engine)) as session:
        sync_regions(session)
    forget_region_tree(engine)  # this process reads the divisions as they are now


def check(engine: Engine) -> None:
    """Raise if the models and the migrations disagree (alembic's autogenerate diff is empty)."""
    command.check(alembic_config(engine))


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from sqlalchemy import inspect, text

    from jianguan.storage.engine import READ_ONLY_OPTION

    # Read-only: on SQLite it must not wait for the write lock (health asks this while a writer holds it).
    with engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def head_revision() -> str:
    """The newest revision the code ships."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config_without_engine()).get_current_head()
    assert head is not None
    return head


def alembic_config_without_engine() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


class DatabaseNotMigrated(RuntimeError):
    """The database is empty or behind the code: ``jianguan db upgrade`` must run first."""


def require_current(engine: Engine) -> None:
    """Raise DatabaseNotMigrated, with a message in both languages, unless the database is at head."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise DatabaseNotMigrated(
            f"The database at {engine.url.render_as_string(hide_password=True)} is at revision {current or 'none'}, "
            f"the code needs {head}: run `jianguan db upgrade` first. "
            f"/ 数据库版本为 {current or '空'}，程序需要 {head}：请先运行 `jianguan db upgrade`。"
        )
