"""recalls and destructions: recalls with their code ranges and notified parties, supervised destructions

Revision ID: 0013
Revises: 0008
Create Date: 2026-12-01 00:51:41.776024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import jianguan.storage.base

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('recalls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('level', sa.String(length=4), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('instructions', sa.String(length=1000), nullable=False),
    sa.Column('notice', sa.String(length=2000), nullable=False),
    sa.Column('product_ids', sa.JSON(), nullable=False),
    sa.Column('lots', sa.JSON(), nullable=False),
    sa.Column('codes', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('opened_by', sa.String(length=100), nullable=False),
    sa.Column('opened_by_role', sa.String(length=16), nullable=False),
    sa.Column('opened_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_by', sa.String(length=100), nullable=True),
    sa.Column('ended_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_note', sa.String(length=500), nullable=True),
    sa.Column('changed_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_recalls_category_id_categories')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_recalls_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_recalls_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recalls'))
    )
    with op.batch_alter_table('recalls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recalls_changed_at'), ['changed_at'], unique=False)
        batch_op.create_index('ix_recalls_enterprise', ['enterprise_id', 'status'], unique=False)

    op.create_table('destructions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('party_kind', sa.String(length=16), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('recall_id', sa.Integer(), nullable=True),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('performed_by', sa.String(length=100), nullable=False),
    sa.Column('witness', sa.String(length=200), nullable=False),
    sa.Column('codes', sa.BigInteger(), nullable=False),
    sa.Column('event_id', sa.BigInteger(), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_destructions_category_id_categories')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_destructions_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['event_id'], ['trace_events.id'], name=op.f('fk_destructions_event_id_trace_events')),
    sa.ForeignKeyConstraint(['recall_id'], ['recalls.id'], name=op.f('fk_destructions_recall_id_recalls')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_destructions_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_destructions'))
    )
    with op.batch_alter_table('destructions', schema=None) as batch_op:
        batch_op.create_index('ix_destructions_enterprise', ['enterprise_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_destructions_recall_id'), ['recall_id'], unique=False)

    op.create_table('recall_parties',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recall_id', sa.Integer(), nullable=False),
    sa.Column('party_kind', sa.String(length=16), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('held', sa.BigInteger(), nullable=False),
    sa.Column('sms_id', sa.BigInteger(), nullable=True),
    sa.Column('notified_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recall_id'], ['recalls.id'], name=op.f('fk_recall_parties_recall_id_recalls')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recall_parties'))
    )
    with op.batch_alter_table('recall_parties', schema=None) as batch_op:
        batch_op.create_index('ix_recall_parties_party', ['party_kind', 'party_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recall_parties_recall_id'), ['recall_id'], unique=False)

    op.create_table('recall_ranges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recall_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('serial_start', sa.BigInteger(), nullable=False),
    sa.Column('serial_end', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('serial_end > serial_start', name=op.f('ck_recall_ranges_non_empty_range')),
    sa.ForeignKeyConstraint(['batch_id'], ['code_batches.id'], name=op.f('fk_recall_ranges_batch_id_code_batches')),
    sa.ForeignKeyConstraint(['recall_id'], ['recalls.id'], name=op.f('fk_recall_ranges_recall_id_recalls')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recall_ranges'))
    )
    with op.batch_alter_table('recall_ranges', schema=None) as batch_op:
        batch_op.create_index('ix_recall_ranges_code', ['generation', 'serial_start'], unique=False)
        batch_op.create_index(batch_op.f('ix_recall_ranges_recall_id'), ['recall_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('recall_ranges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recall_ranges_recall_id'))
        batch_op.drop_index('ix_recall_ranges_code')

    op.drop_table('recall_ranges')
    with op.batch_alter_table('recall_parties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recall_parties_recall_id'))
        batch_op.drop_index('ix_recall_parties_party')

    op.drop_table('recall_parties')
    with op.batch_alter_table('destructions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_destructions_recall_id'))
        batch_op.drop_index('ix_destructions_enterprise')

    op.drop_table('destructions')
    with op.batch_alter_table('recalls', schema=None) as batch_op:
        batch_op.drop_index('ix_recalls_enterprise')
        batch_op.drop_index(batch_op.f('ix_recalls_changed_at'))

    op.drop_table('recalls')
