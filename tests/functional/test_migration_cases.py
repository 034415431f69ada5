"""The cases migration: every complaint kept becomes a case accepted when it was received (its
number unchanged), and the downgrade gives the complaints back."""

from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Engine

from jianguan.storage import migrate
from tests.functional.migration_helpers import rows


def test_complaints_become_cases_and_back(engine: Engine) -> None:
    config = migrate.alembic_config(engine)
    command.downgrade(config, "0008")
    at = dt.datetime(2026, 11, 20, 8, 0)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO complaints (kind, created_at, code_input, channel, place, region_code, contact, description,"
            " status) VALUES ('report', :at, '1234', 'web', '某超市', '130111', '13800000000', '假货', 'received')"),
            {"at": at})
    migrate.upgrade(engine)
    assert rows(engine, "SELECT id, stage, place, region_code, contact, escalations, secret_hash, due_at FROM cases") \
        == [(1, "accepted", "某超市", "130111", "13800000000", 0, None, None)]
    assert rows(engine, "SELECT case_id, action, stage, actor FROM case_steps") == [
        (1, "opened", "accepted", "system:migration")]
    with engine.begin() as connection:  # the sequence follows the renamed table
        connection.execute(text(
            "INSERT INTO cases (kind, created_at, code_input, channel, place, contact, description, stage,"
            " stage_since) VALUES ('complaint', :at, '5678', 'api', '某店', '', '', 'accepted', :at)"), {"at": at})
    assert rows(engine, "SELECT id FROM cases ORDER BY id") == [(1,), (2,)]
    command.downgrade(config, "0008")
    assert rows(engine, "SELECT id, status, place FROM complaints ORDER BY id") == [
        (1, "received", "某超市"), (2, "received", "某店")]
    migrate.upgrade(engine)
