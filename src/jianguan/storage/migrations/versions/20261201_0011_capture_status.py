"""capture status: a refused EPCIS document is remembered with its errors

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-01 01:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('trace_captures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), server_default='accepted', nullable=False))
        batch_op.add_column(sa.Column('error_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('errors', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('trace_captures', schema=None) as batch_op:
        batch_op.drop_column('errors')
        batch_op.drop_column('error_count')
        batch_op.drop_column('status')
