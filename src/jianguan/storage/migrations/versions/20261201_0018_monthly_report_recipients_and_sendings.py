"""monthly report recipients and sendings

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 02:00:00

The addresses a region's monthly report (信息通报) is e-mailed to, and a row for each sending
(one a month, region and address: the unique key keeps a second run of `jianguan jobs run` from
sending again).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import jianguan.storage.base

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('report_recipients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('agency', sa.String(length=16), nullable=False),
    sa.Column('set_by', sa.String(length=100), nullable=False),
    sa.Column('set_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_report_recipients_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_recipients')),
    sa.UniqueConstraint('region_code', 'agency', 'address', name=op.f('uq_report_recipients_region_code_agency_address'))
    )
    with op.batch_alter_table('report_recipients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_recipients_region_code'), ['region_code'], unique=False)

    op.create_table('report_sendings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('agency', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('lease_until', jianguan.storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('created_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_report_sendings_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_sendings')),
    sa.UniqueConstraint('month', 'region_code', 'agency', 'address', name=op.f('uq_report_sendings_month_region_code_agency_address'))
    )
    with op.batch_alter_table('report_sendings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_sendings_region_code'), ['region_code'], unique=False)
        batch_op.create_index('ix_report_sendings_status_next', ['status', 'next_attempt_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('report_sendings', schema=None) as batch_op:
        batch_op.drop_index('ix_report_sendings_status_next')
        batch_op.drop_index(batch_op.f('ix_report_sendings_region_code'))

    op.drop_table('report_sendings')
    with op.batch_alter_table('report_recipients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_recipients_region_code'))

    op.drop_table('report_recipients')
