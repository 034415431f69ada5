"""query state: the latest query of a code that named its place (for the clone-risk answer)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 11:00:00

Two nullable columns: no rewrite of the table on PostgreSQL or SQLite. Codes queried before the
upgrade start without a latest place; their next query that names one sets it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import jianguan.storage.base

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('code_query_states', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_region_code', sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column('last_region_at', jianguan.storage.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('code_query_states', schema=None) as batch_op:
        batch_op.drop_column('last_region_at')
        batch_op.drop_column('last_region_code')
