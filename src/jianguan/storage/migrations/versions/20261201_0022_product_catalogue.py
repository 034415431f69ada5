"""the catalogue of products under supervision (百种产品目录): its entries, products linked to them, codes per product and day

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 07:00:00

``catalogue_entries`` starts empty (the operator imports or enters the list; the demo seeds
one). ``products.catalogue_entry_id`` is NULL for every existing product: which kind of the list
a product is, is for its maker or the operator to say, not for a migration to guess. The column
is added with ``ALTER TABLE … ADD COLUMN`` on both databases (on SQLite a rebuild of ``products``
would drop the table that batches and broadcasts reference), its foreign key named as the
metadata names it.

``stats_product_days`` (codes issued and activated per product and Beijing day) is filled for
the days already rolled up, from the batches and activations, so the coverage of the catalogue
holds the codes of the past as soon as products are linked; later days come from the roll-up job.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import sqlalchemy as sa
from alembic import op

import jianguan.storage.base
from jianguan.timezone import LOCAL_ZONE

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def _local_day(moment: dt.datetime) -> dt.date:
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(LOCAL_ZONE).date()


def _backfill() -> None:
    bind = op.get_bind()
    rolled = {row[0] if isinstance(row[0], dt.date) else dt.date.fromisoformat(str(row[0]))
              for row in bind.execute(sa.text("SELECT day FROM stats_rolled_days"))}
    if not rolled:
        return
    issued: Counter[tuple[dt.date, int]] = Counter()
    activated: Counter[tuple[dt.date, int]] = Counter()
    utc = jianguan.storage.base.UTCDateTime(timezone=True)
    batches = sa.text("SELECT product_id, issued_at, quantity FROM code_batches").columns(issued_at=utc)
    for product, at, quantity in bind.execute(batches):
        if (day := _local_day(at)) in rolled:
            issued[(day, product)] += int(quantity)
    activations = sa.text(
        "SELECT b.product_id, a.activated_at, a.serial_end - a.serial_start FROM activations a "
        "JOIN code_batches b ON b.id = a.batch_id WHERE a.withdrawn_at IS NULL").columns(activated_at=utc)
    for product, at, quantity in bind.execute(activations):
        if (day := _local_day(at)) in rolled:
            activated[(day, product)] += int(quantity)
    rows = [{"day": day, "product_id": product, "issued": issued[(day, product)],
             "activated": activated[(day, product)]} for day, product in set(issued) | set(activated)]
    if rows:
        table = sa.table("stats_product_days", sa.column("day", sa.Date), sa.column("product_id", sa.Integer),
                         sa.column("issued", sa.BigInteger), sa.column("activated", sa.BigInteger))
        op.bulk_insert(table, rows)


_LINK = re.compile(r",\s*catalogue_entry_id INTEGER CONSTRAINT fk_products_catalogue_entry_id_catalogue_entries "
                   r"REFERENCES catalogue_entries \(id\)")


def _drop_link_on_sqlite() -> None:
    """``products`` without ``catalogue_entry_id`` on SQLite, which drops no column a foreign key
    uses: the table is made again from its own stored definition less the column, inside the
    migration's transaction, where foreign keys cannot be turned off. Their checks are deferred to
    the commit: dropping the table counts a violation for each row referencing it, and putting its
    rows back counts them off. The drop's delete cascades to the packaging levels, which are kept
    aside and put back too."""
    bind = op.get_bind()
    table_sql = bind.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'products'")).scalar_one()
    original, found = _LINK.subn("", table_sql)
    assert found == 1, "products is not as migration 0022 left it"
    others = [row[0] for row in bind.execute(sa.text(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'products' AND type IN ('index', 'trigger') AND sql IS NOT NULL"))]
    columns = ", ".join(row[1] for row in bind.execute(sa.text("PRAGMA table_info(products)"))
                        if row[1] != 'catalogue_entry_id')
    for statement in (
            "PRAGMA defer_foreign_keys = ON",
            f"CREATE TEMP TABLE kept_products AS SELECT {columns} FROM products",  # noqa: S608 - the table's own column names
            "CREATE TEMP TABLE kept_product_packaging AS SELECT * FROM product_packaging",
            "DROP TABLE products",
            original,
            f"INSERT INTO products ({columns}) SELECT {columns} FROM kept_products",  # noqa: S608 - the table's own column names
            *others,
            "INSERT INTO product_packaging SELECT * FROM kept_product_packaging "
            "WHERE id NOT IN (SELECT id FROM product_packaging)",
            "DROP TABLE kept_products",
            "DROP TABLE kept_product_packaging"):
        bind.execute(sa.text(statement))


def upgrade() -> None:
    op.create_table('catalogue_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('name_zh', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_catalogue_entries_category_id_categories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_entries')),
    sa.UniqueConstraint('number', name=op.f('uq_catalogue_entries_number'))
    )
    with op.batch_alter_table('catalogue_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalogue_entries_category_id'), ['category_id'], unique=False)

    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a column with a (named) foreign key only as part of the column's definition.
        op.execute(sa.text(
            'ALTER TABLE products ADD COLUMN catalogue_entry_id INTEGER '
            'CONSTRAINT fk_products_catalogue_entry_id_catalogue_entries REFERENCES catalogue_entries (id)'))
    else:
        op.add_column('products', sa.Column('catalogue_entry_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_products_catalogue_entry_id_catalogue_entries'), 'products',
                              'catalogue_entries', ['catalogue_entry_id'], ['id'])
    op.create_index(op.f('ix_products_catalogue_entry_id'), 'products', ['catalogue_entry_id'], unique=False)

    op.create_table('stats_product_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('product_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('issued', sa.BigInteger(), nullable=False),
    sa.Column('activated', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'product_id', name=op.f('pk_stats_product_days'))
    )
    op.create_index('ix_stats_product_days_product_id', 'stats_product_days', ['product_id'], unique=False)
    _backfill()


def downgrade() -> None:
    op.drop_index('ix_stats_product_days_product_id', table_name='stats_product_days')
    op.drop_table('stats_product_days')
    op.drop_index(op.f('ix_products_catalogue_entry_id'), table_name='products')
    if op.get_bind().dialect.name == 'sqlite':
        _drop_link_on_sqlite()
    else:
        op.drop_constraint(op.f('fk_products_catalogue_entry_id_catalogue_entries'), 'products', type_='foreignkey')
        op.drop_column('products', 'catalogue_entry_id')
    with op.batch_alter_table('catalogue_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalogue_entries_category_id'))

    op.drop_table('catalogue_entries')
