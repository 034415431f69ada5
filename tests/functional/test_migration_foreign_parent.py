"""Migration 0026: events captured before it whose parentID is no code of the network (an SSCC, a
GRAI, kept in their fields) get it in canonical form, as captures after it do; other events get
none; the downgrade drops the column and keeps the fields."""

from __future__ import annotations

import datetime as dt
import json

from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from jianguan.storage import migrate
from tests.functional.migration_helpers import rows

SSCC = "urn:epc:id:sscc:0614141.1234567890"
SSCC_LINK = "https://id.gs1.org/00/106141412345678908"
GRAI = "https://example.com/grai/00614141000746A1"  # a Digital Link on another host, short name
GRAI_LINK = "https://id.gs1.org/8003/00614141000746A1"


def test_foreign_parents_are_filled_from_the_fields_and_back(engine: Engine) -> None:
    config = migrate.alembic_config(engine)
    command.downgrade(config, "0025")
    at = dt.datetime(2026, 11, 20, 8, 0)
    fields = [{"parentID": SSCC, "extra": {"a": 1}}, {"parentID": GRAI}, {}, {"sourceList": []}]
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO trace_captures (id, party_kind, party_id, source, events, repeated, codes, received_by,"
            " received_at) VALUES (1, 'merchant', 1, 'json', 4, 0, 0, 'test', :at)"), {"at": at})
        for number, kept in enumerate(fields, start=1):
            connection.execute(text(
                "INSERT INTO trace_events (id, event_key, hash_id, capture_id, type, action, event_time,"
                " time_zone_offset, record_time, party_kind, party_id, codes, fields) VALUES (:id, :key, :key, 1,"
                " 'AggregationEvent', 'OBSERVE', :at, '+08:00', :at, 'merchant', 1, 0, :fields)"),
                {"id": number, "key": f"urn:uuid:{number}", "at": at, "fields": json.dumps(kept)})
    migrate.upgrade(engine)
    assert rows(engine, "SELECT id, foreign_parent FROM trace_events ORDER BY id") == [
        (1, SSCC_LINK), (2, GRAI_LINK), (3, None), (4, None)]
    command.downgrade(config, "0025")
    assert "foreign_parent" not in {column["name"] for column in inspect(engine).get_columns("trace_events")}
    kept = [json.loads(value) if isinstance(value, str) else value
            for (value,) in rows(engine, "SELECT fields FROM trace_events ORDER BY id")]
    assert kept == fields
    migrate.upgrade(engine)
