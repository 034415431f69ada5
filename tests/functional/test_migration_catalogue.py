"""Migration 0022 on the demo network: the per-product roll-up is filled for the days already rolled
up, equal to a count from the batches and activations; existing products stay unlinked after an
upgrade; the downgrade drops the catalogue and the links and keeps every product and batch."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from alembic import command
from sqlalchemy.engine import Engine

from jianguan.storage import migrate
from jianguan.timezone import LOCAL_ZONE
from tests.conftest import run_cli
from tests.functional.migration_helpers import rows


def _day(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return moment.astimezone(LOCAL_ZONE).date()
    if isinstance(value, dt.date):
        return value
    text_value = str(value)
    if len(text_value) == 10:
        return dt.date.fromisoformat(text_value)
    return _day(dt.datetime.fromisoformat(text_value))


def test_the_upgrade_fills_the_product_rollup_and_the_downgrade_keeps_the_products(
        engine: Engine, database_url: str) -> None:
    seeded = run_cli(database_url, "demo", "seed")
    assert seeded.returncode == 0, seeded.stderr
    rolled_by_job = sorted((_day(day), product, int(issued), int(activated)) for day, product, issued, activated
                           in rows(engine, "SELECT day, product_id, issued, activated FROM stats_product_days"))
    assert rolled_by_job  # the seed rolls its days up
    products = rows(engine, "SELECT id, name FROM products ORDER BY id")
    # Registered codes of other schemes (generation 0) are forgotten by the downgrade of 0025.
    batches = rows(engine, "SELECT id FROM code_batches WHERE generation > 0 ORDER BY id")
    packaging = rows(engine, "SELECT * FROM product_packaging ORDER BY id")
    config = migrate.alembic_config(engine)
    command.downgrade(config, "0021")
    assert rows(engine, "SELECT id, name FROM products ORDER BY id") == products
    assert rows(engine, "SELECT id FROM code_batches ORDER BY id") == batches
    assert rows(engine, "SELECT * FROM product_packaging ORDER BY id") == packaging
    if engine.dialect.name == "sqlite":
        assert rows(engine, "PRAGMA foreign_key_check") == []
    migrate.upgrade(engine)
    # Filled again from the rows, for the days rolled up: what the job wrote.
    rolled_days = {_day(day) for (day,) in rows(engine, "SELECT day FROM stats_rolled_days")}
    expected: Counter[tuple[dt.date, int, str]] = Counter()
    for product, at, quantity in rows(engine, "SELECT product_id, issued_at, quantity FROM code_batches"):
        expected[(_day(at), int(str(product)), "issued")] += int(str(quantity))
    for product, at, quantity in rows(engine, "SELECT b.product_id, a.activated_at, a.serial_end - a.serial_start "
                                       "FROM activations a JOIN code_batches b ON b.id = a.batch_id "
                                       "WHERE a.withdrawn_at IS NULL"):
        expected[(_day(at), int(str(product)), "activated")] += int(str(quantity))
    filled = sorted((_day(day), int(str(product)), int(str(issued)), int(str(activated)))
                    for day, product, issued, activated
                    in rows(engine, "SELECT day, product_id, issued, activated FROM stats_product_days"))
    keys = {(day, product) for day, product, _kind in expected if day in rolled_days}
    assert filled == sorted((day, product, expected[(day, product, "issued")], expected[(day, product, "activated")])
                            for day, product in keys)
    assert filled == rolled_by_job
    # Products stay unlinked, the catalogue empty: linking is for the makers and the operator.
    assert rows(engine, "SELECT count(*) FROM products WHERE catalogue_entry_id IS NOT NULL") == [(0,)]
    assert rows(engine, "SELECT count(*) FROM catalogue_entries") == [(0,)]
