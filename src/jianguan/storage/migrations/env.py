"""Alembic environment: binds to the engine the caller passes, or to the configured URL."""

from __future__ import annotations

from alembic import context

from jianguan.models import metadata

config = context.config


def _engine():
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    from jianguan.config import Settings
    from jianguan.storage.engine import make_engine

    return make_engine(Settings().database_url)


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
