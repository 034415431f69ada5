"""industry rosters (行业名录): a roster of an industry in a region, and its members

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 02:14:53

The tables start empty; rosters are imported from files by regulators (the demo seeds one).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import jianguan.storage.base

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rosters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('industry', sa.String(length=100), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('member_count', sa.Integer(), nullable=False),
    sa.Column('imported_by', sa.String(length=100), nullable=False),
    sa.Column('imported_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_rosters_category_id_categories')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_rosters_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rosters')),
    sa.UniqueConstraint('region_code', 'category_id', 'industry', name=op.f('uq_rosters_region_code_category_id_industry'))
    )
    with op.batch_alter_table('rosters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rosters_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rosters_region_code'), ['region_code'], unique=False)

    op.create_table('roster_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('roster_id', sa.Integer(), nullable=False),
    sa.Column('row', sa.Integer(), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('licence_number', sa.String(length=100), nullable=False),
    sa.Column('qualifications', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['roster_id'], ['rosters.id'], name=op.f('fk_roster_members_roster_id_rosters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_members')),
    sa.UniqueConstraint('roster_id', 'credit_code', name=op.f('uq_roster_members_roster_id_credit_code'))
    )
    with op.batch_alter_table('roster_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roster_members_credit_code'), ['credit_code'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('roster_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roster_members_credit_code'))

    op.drop_table('roster_members')
    with op.batch_alter_table('rosters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rosters_region_code'))
        batch_op.drop_index(batch_op.f('ix_rosters_category_id'))

    op.drop_table('rosters')
