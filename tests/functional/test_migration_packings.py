"""The supply-chain migration turns per-code packings into runs, and its downgrade turns them back."""

from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Engine

from jianguan.storage import migrate
from tests.functional.migration_helpers import rows


def test_packings_become_runs_and_back(engine: Engine) -> None:
    config = migrate.alembic_config(engine)
    command.downgrade(config, "0007")
    at = dt.datetime(2026, 11, 1, 8, 0)
    packed = [(1, serial, 1, 900) for serial in (10, 11, 12, 14)] + [(1, 13, 1, 901), (2, 10, 1, 900)]
    with engine.begin() as connection:
        for generation, serial, container_generation, container_serial in packed:
            connection.execute(text(
                "INSERT INTO packings (generation, serial, container_generation, container_serial, packed_by, packed_at)"
                " VALUES (:g, :s, :cg, :cs, 'test', :at)"), {"g": generation, "s": serial, "cg": container_generation,
                                                              "cs": container_serial, "at": at})
    migrate.upgrade(engine)
    assert rows(engine, "SELECT generation, serial_start, serial_end, container_serial, event_id FROM trace_packings "
                         "ORDER BY generation, serial_start") == [
        (1, 10, 13, 900, None), (1, 13, 14, 901, None), (1, 14, 15, 900, None), (2, 10, 11, 900, None)]
    command.downgrade(config, "0007")
    assert sorted(rows(engine, "SELECT generation, serial, container_generation, container_serial FROM packings")) \
        == sorted(packed)
    migrate.upgrade(engine)
