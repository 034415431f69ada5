"""promotions: promotions on first genuine verifications, their prize tiers, and the draws

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-01 01:41:52

The tables start empty; a manufacturer creates promotions (API or pages).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import jianguan.storage.base

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('promotions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('product_ids', sa.JSON(), nullable=False),
    sa.Column('lots', sa.JSON(), nullable=False),
    sa.Column('regions', sa.JSON(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('budget_value', sa.BigInteger(), nullable=True),
    sa.Column('remaining_value', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('changed_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('remaining_value IS NULL OR remaining_value >= 0', name=op.f('ck_promotions_value_not_over')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_promotions_category_id_categories')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_promotions_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_promotions_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotions'))
    )
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_promotions_changed_at'), ['changed_at'], unique=False)
        batch_op.create_index('ix_promotions_enterprise', ['enterprise_id', 'status'], unique=False)

    op.create_table('promotion_tiers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('promotion_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('chance_ppm', sa.Integer(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('remaining', sa.Integer(), nullable=False),
    sa.CheckConstraint('chance_ppm > 0 AND chance_ppm <= 1000000', name=op.f('ck_promotion_tiers_chance_in_range')),
    sa.CheckConstraint('remaining >= 0', name=op.f('ck_promotion_tiers_prizes_not_over')),
    sa.ForeignKeyConstraint(['promotion_id'], ['promotions.id'], name=op.f('fk_promotion_tiers_promotion_id_promotions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotion_tiers'))
    )
    with op.batch_alter_table('promotion_tiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_promotion_tiers_promotion_id'), ['promotion_id'], unique=False)

    op.create_table('promotion_draws',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('promotion_id', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('serial', sa.BigInteger(), nullable=False),
    sa.Column('tier_id', sa.Integer(), nullable=True),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('claim_hash', sa.String(length=64), nullable=True),
    sa.Column('at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['promotion_id'], ['promotions.id'], name=op.f('fk_promotion_draws_promotion_id_promotions')),
    sa.ForeignKeyConstraint(['tier_id'], ['promotion_tiers.id'], name=op.f('fk_promotion_draws_tier_id_promotion_tiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotion_draws')),
    sa.UniqueConstraint('claim_hash', name=op.f('uq_promotion_draws_claim_hash')),
    sa.UniqueConstraint('generation', 'serial', name='uq_promotion_draws_code')
    )
    with op.batch_alter_table('promotion_draws', schema=None) as batch_op:
        batch_op.create_index('ix_promotion_draws_promotion', ['promotion_id', 'tier_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('promotion_draws', schema=None) as batch_op:
        batch_op.drop_index('ix_promotion_draws_promotion')

    op.drop_table('promotion_draws')
    with op.batch_alter_table('promotion_tiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_promotion_tiers_promotion_id'))

    op.drop_table('promotion_tiers')
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.drop_index('ix_promotions_enterprise')
        batch_op.drop_index(batch_op.f('ix_promotions_changed_at'))

    op.drop_table('promotions')
