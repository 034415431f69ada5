"""printer filings: a filing (印刷备案) can be revoked, and renewed after

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 06:00:00

Two nullable columns on ``printers``: when the current filing was revoked and why. Both are
empty for every existing printer (no filing was ever revoked before). They are added with
``ALTER TABLE … ADD COLUMN`` on both databases: on SQLite a table rebuild would drop and
recreate ``printers``, which code requests, batches and accounts reference.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import jianguan.storage.base

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('printers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('filing_revoked_at', jianguan.storage.base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('filing_revoked_reason', sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('printers', schema=None) as batch_op:
        batch_op.drop_column('filing_revoked_reason')
        batch_op.drop_column('filing_revoked_at')
