"""registered codes of other schemes: generation 0 batches, scheme_registrations, scheme_values, longer receipt line codes

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02 00:20:00

A registration of codes an enterprise already prints under another scheme (GS1 serials, drug
supervision codes) is a code batch of generation 0, which no key has: the batch's generation no
longer refers to ``code_keys``, and such a batch has no request. On SQLite, which alters no
constraint in place, ``code_batches`` is made again from its own stored definition, edited, in
the migration's transaction (as migration 0022 does ``products``): a rebuild by Alembic's batch
mode would drop a table that activations, trace ranges and recalls reference. A receiving
check's line holds a registered GS1 code as ``(01){gtin}(21){serial}``: ``receipt_lines.code``
and ``container`` grow from 20 to 42 characters.

The downgrade forgets registered codes: their batches, and what refers to them (activations,
trace ranges and positions, recall ranges, receipt lines' batch), go with the tables; the query
log keeps its rows of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

import jianguan.storage.base

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


_GENERATION_KEY = "CONSTRAINT fk_code_batches_generation_code_keys FOREIGN KEY(generation) REFERENCES code_keys (generation)"


def _rebuild_on_sqlite(edit: Callable[[str], str]) -> None:
    """``code_batches`` made again from its stored definition as ``edit`` changes it. Foreign keys
    cannot be turned off inside a transaction: their checks are deferred to the commit; dropping
    the table counts a violation for each row referencing it, and putting its rows back counts
    them off."""
    bind = op.get_bind()
    table_sql = bind.execute(sa.text(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'code_batches'")).scalar_one()
    indexes = [row[0] for row in bind.execute(sa.text(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'code_batches' AND type = 'index' AND sql IS NOT NULL"))]
    for statement in (
            "PRAGMA defer_foreign_keys = ON",
            "CREATE TEMP TABLE kept_code_batches AS SELECT * FROM code_batches",
            "DROP TABLE code_batches",
            edit(table_sql),
            "INSERT INTO code_batches SELECT * FROM kept_code_batches",
            *indexes,
            "DROP TABLE kept_code_batches"):
        bind.execute(sa.text(statement))


def _without_key(table_sql: str) -> str:
    edited, found = re.subn(r",\s*" + re.escape(_GENERATION_KEY), "", table_sql)
    edited, nullable = re.subn(r"request_id INTEGER NOT NULL", "request_id INTEGER", edited)
    assert found == 1 and nullable == 1, "code_batches is not as migration 0024 left it"
    return edited


def _with_key(table_sql: str) -> str:
    edited, closed = re.subn(r"\s*\)\s*$", f", \n\t{_GENERATION_KEY}\n)", table_sql)
    edited, required = re.subn(r"request_id INTEGER,", "request_id INTEGER NOT NULL,", edited)
    assert closed == 1 and required == 1, "code_batches is not as migration 0025 left it"
    return edited


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        _rebuild_on_sqlite(_without_key)
    else:
        op.drop_constraint('fk_code_batches_generation_code_keys', 'code_batches', type_='foreignkey')
        op.alter_column('code_batches', 'request_id', existing_type=sa.Integer(), nullable=True)
    op.create_table('scheme_registrations',
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('scheme', sa.String(length=16), nullable=False),
    sa.Column('gtin', sa.String(length=14), nullable=True),
    sa.Column('serial_first', sa.BigInteger(), nullable=True),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('registered_by', sa.String(length=100), nullable=False),
    sa.Column('registered_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['code_batches.id'],
                            name=op.f('fk_scheme_registrations_batch_id_code_batches')),
    sa.PrimaryKeyConstraint('batch_id', name=op.f('pk_scheme_registrations'))
    )
    op.create_index('ix_scheme_registrations_gtin_serial_first', 'scheme_registrations', ['gtin', 'serial_first'],
                    unique=False)
    op.create_table('scheme_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scheme', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=40), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('offset', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['code_batches.id'], name=op.f('fk_scheme_values_batch_id_code_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheme_values')),
    sa.UniqueConstraint('scheme', 'value', name=op.f('uq_scheme_values_scheme_value'))
    )
    op.create_index(op.f('ix_scheme_values_batch_id'), 'scheme_values', ['batch_id'], unique=False)
    # A receiving check's line names a registered GS1 code as (01){gtin}(21){serial}: up to 42 characters.
    with op.batch_alter_table('receipt_lines', schema=None) as batch_op:
        batch_op.alter_column('code', existing_type=sa.String(length=20), type_=sa.String(length=42),
                              existing_nullable=False)
        batch_op.alter_column('container', existing_type=sa.String(length=20), type_=sa.String(length=42),
                              existing_nullable=True)


_REGISTERED = "SELECT id FROM code_batches WHERE generation = 0"


def downgrade() -> None:
    op.execute("DELETE FROM receipt_lines WHERE length(code) > 20 OR length(container) > 20")
    op.execute(f"UPDATE receipt_lines SET batch_id = NULL WHERE batch_id IN ({_REGISTERED})")  # noqa: S608  # fixed text
    with op.batch_alter_table('receipt_lines', schema=None) as batch_op:
        batch_op.alter_column('code', existing_type=sa.String(length=42), type_=sa.String(length=20),
                              existing_nullable=False)
        batch_op.alter_column('container', existing_type=sa.String(length=42), type_=sa.String(length=20),
                              existing_nullable=True)
    for table in ("activations", "spoiled_codes", "code_downloads", "trace_event_ranges", "trace_positions",
                  "recall_ranges", "scheme_values", "scheme_registrations"):
        op.execute(f"DELETE FROM {table} WHERE batch_id IN ({_REGISTERED})")  # noqa: S608  # fixed names
    op.execute("DELETE FROM code_batches WHERE generation = 0")
    op.drop_index(op.f('ix_scheme_values_batch_id'), table_name='scheme_values')
    op.drop_table('scheme_values')
    op.drop_index('ix_scheme_registrations_gtin_serial_first', table_name='scheme_registrations')
    op.drop_table('scheme_registrations')
    if op.get_bind().dialect.name == 'sqlite':
        _rebuild_on_sqlite(_with_key)
    else:
        op.alter_column('code_batches', 'request_id', existing_type=sa.Integer(), nullable=False)
        op.create_foreign_key('fk_code_batches_generation_code_keys', 'code_batches', 'code_keys', ['generation'],
                              ['generation'])
