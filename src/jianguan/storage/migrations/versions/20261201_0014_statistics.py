"""statistics: daily (and monthly) roll-ups of queries, codes and terminals, the days rolled up, yearly targets

Revision ID: 0014
Revises: 0008
Create Date: 2026-12-01 09:00:00

The roll-up tables start empty; `jianguan stats rollup` (or the server's scheduled run) fills
them from the query log, the batches, the activations and the terminals.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import jianguan.storage.base

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stats_query_days',
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('category_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('verdict', sa.String(length=16), nullable=False),
    sa.Column('queries', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('region_code', 'day', 'category_id', 'channel', 'verdict',
                            name=op.f('pk_stats_query_days'))
    )
    op.create_index('ix_stats_query_days_day', 'stats_query_days', ['day'], unique=False)
    op.create_table('stats_query_months',
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('category_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('verdict', sa.String(length=16), nullable=False),
    sa.Column('queries', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('region_code', 'month', 'category_id', 'channel', 'verdict',
                            name=op.f('pk_stats_query_months'))
    )
    op.create_table('stats_code_days',
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('category_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('issued', sa.BigInteger(), nullable=False),
    sa.Column('activated', sa.BigInteger(), nullable=False),
    sa.Column('first_queried', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('region_code', 'day', 'category_id', name=op.f('pk_stats_code_days'))
    )
    op.create_index('ix_stats_code_days_day', 'stats_code_days', ['day'], unique=False)
    op.create_table('stats_terminal_days',
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('venue_kind', sa.String(length=16), nullable=False),
    sa.Column('installed', sa.Integer(), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('retired', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('region_code', 'day', 'venue_kind', name=op.f('pk_stats_terminal_days'))
    )
    op.create_index('ix_stats_terminal_days_day', 'stats_terminal_days', ['day'], unique=False)
    op.create_table('stats_rolled_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('rolled_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_stats_rolled_days'))
    )
    op.create_table('stats_rolled_months',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('rolled_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('month', name=op.f('pk_stats_rolled_months'))
    )
    op.create_table('stats_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('signed', sa.Integer(), nullable=True),
    sa.Column('credentials', sa.Integer(), nullable=True),
    sa.Column('coding', sa.Integer(), nullable=True),
    sa.Column('activating', sa.Integer(), nullable=True),
    sa.Column('terminals', sa.Integer(), nullable=True),
    sa.Column('signing_rates', sa.JSON(), nullable=False),
    sa.Column('set_by', sa.String(length=100), nullable=False),
    sa.Column('set_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_stats_targets_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stats_targets')),
    sa.UniqueConstraint('year', 'region_code', name=op.f('uq_stats_targets_year_region_code'))
    )
    op.create_index(op.f('ix_stats_targets_region_code'), 'stats_targets', ['region_code'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_stats_targets_region_code'), table_name='stats_targets')
    op.drop_table('stats_targets')
    op.drop_table('stats_rolled_months')
    op.drop_table('stats_rolled_days')
    op.drop_index('ix_stats_terminal_days_day', table_name='stats_terminal_days')
    op.drop_table('stats_terminal_days')
    op.drop_index('ix_stats_code_days_day', table_name='stats_code_days')
    op.drop_table('stats_code_days')
    op.drop_table('stats_query_months')
    op.drop_index('ix_stats_query_days_day', table_name='stats_query_days')
    op.drop_table('stats_query_days')
