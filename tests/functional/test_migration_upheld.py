"""Migration 0021: cases resolved before it take their conclusion from their measures (upheld when
measures were recorded), cases not yet resolved stay without one; an enforcement action names a
case or an alert, never both nor neither; the downgrade gives the old tables back."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from jianguan.storage import migrate
from tests.functional.migration_helpers import rows


def _case(connection: object, stage: str, measures: str) -> None:
    connection.execute(text(  # type: ignore[attr-defined]
        "INSERT INTO cases (kind, created_at, code_input, channel, place, contact, description, stage, stage_since,"
        " finding, measures) VALUES ('complaint', :at, '1234', 'web', '某超市', '', '', :stage, :at, :finding,"
        " :measures)"), {"at": dt.datetime(2026, 11, 20, 8, 0), "stage": stage, "measures": measures,
                         "finding": "经查。" if stage != "investigating" else ""})


def test_resolved_cases_take_their_conclusion_from_their_measures_and_back(engine: Engine) -> None:
    config = migrate.alembic_config(engine)
    command.downgrade(config, "0020")
    with engine.begin() as connection:
        _case(connection, "resolved", "责令整改。")
        _case(connection, "closed", "")
        _case(connection, "informed", "")
        _case(connection, "investigating", "")
    migrate.upgrade(engine)
    upheld = [(stage, None if value is None else bool(value))
              for stage, value in rows(engine, "SELECT stage, upheld FROM cases ORDER BY id")]
    assert upheld == [("resolved", True), ("closed", False), ("informed", False), ("investigating", None)]
    at = dt.datetime(2026, 11, 21, 8, 0)
    action = text("INSERT INTO enforcement_actions (case_id, alert_id, basis, opened_at, opened_by, goods_seized,"
                  " goods_value, cases_filed, penalty, outcome) VALUES (:case, :alert, '线索', :at, 'test', '', 0, 0,"
                  " 0, '')")
    with engine.begin() as connection:
        connection.execute(action, {"case": 1, "alert": None, "at": at})
        connection.execute(text("INSERT INTO alerts (kind, severity, subject, details, created_at, status, reason)"
                                " VALUES ('warning:cloned_code', 'warning', '', '{}', :at, 'open', '')"), {"at": at})
    for case, alert in ((None, None), (1, 1)):  # an action names exactly one of the two
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(action, {"case": case, "alert": alert, "at": at})
    command.downgrade(config, "0020")
    assert rows(engine, "SELECT id, case_id FROM enforcement_actions") == [(1, 1)]
    assert len(rows(engine, "SELECT id, measures FROM cases")) == 4
    migrate.upgrade(engine)
