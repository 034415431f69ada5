"""early warning: rule thresholds, alerts' rule, once-only key, enterprise and handling; spot checks

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-01 01:50:00

The rules start without rows (their defaults hold until the operator edits one). The alerts
already raised (sources blocked) become the enumeration rule's; one acknowledged stays so.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import jianguan.storage.base

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert_rules',
    sa.Column('rule', sa.String(length=32), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('max_queries', sa.Integer(), nullable=True),
    sa.Column('window_minutes', sa.Integer(), nullable=False),
    sa.Column('changed_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('changed_by', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('rule', name=op.f('pk_alert_rules'))
    )
    op.create_table('spot_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('lot', sa.String(length=64), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('sampled_on', sa.Date(), nullable=False),
    sa.Column('items', sa.String(length=500), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('report_number', sa.String(length=64), nullable=False),
    sa.Column('agency', sa.String(length=16), nullable=False),
    sa.Column('recorded_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_spot_checks_category_id_categories')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_spot_checks_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_spot_checks_product_id_products')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_spot_checks_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spot_checks')),
    sa.UniqueConstraint('report_number', name=op.f('uq_spot_checks_report_number'))
    )
    with op.batch_alter_table('spot_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spot_checks_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_spot_checks_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_spot_checks_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_spot_checks_recorded_at'), ['recorded_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_spot_checks_region_code'), ['region_code'], unique=False)

    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rule', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('dedup_key', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('enterprise_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=16), server_default='open', nullable=False))
        batch_op.add_column(sa.Column('handled_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('handled_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.String(length=500), server_default='', nullable=False))
        batch_op.add_column(sa.Column('case_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_alerts_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_rule'), ['rule'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_status'), ['status'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_alerts_dedup_key'), ['dedup_key'])
        batch_op.create_foreign_key(batch_op.f('fk_alerts_enterprise_id_enterprises'), 'enterprises', ['enterprise_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_alerts_case_id_cases'), 'cases', ['case_id'], ['id'])
    op.execute("UPDATE alerts SET rule = 'enumeration' WHERE kind = 'abuse:source_blocked'")
    op.execute("UPDATE alerts SET status = 'acknowledged' WHERE acknowledged_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_alerts_case_id_cases'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_alerts_enterprise_id_enterprises'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_alerts_dedup_key'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_alerts_status'))
        batch_op.drop_index(batch_op.f('ix_alerts_rule'))
        batch_op.drop_index(batch_op.f('ix_alerts_enterprise_id'))
        batch_op.drop_column('case_id')
        batch_op.drop_column('reason')
        batch_op.drop_column('handled_by')
        batch_op.drop_column('handled_at')
        batch_op.drop_column('status')
        batch_op.drop_column('enterprise_id')
        batch_op.drop_column('dedup_key')
        batch_op.drop_column('rule')

    with op.batch_alter_table('spot_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spot_checks_region_code'))
        batch_op.drop_index(batch_op.f('ix_spot_checks_recorded_at'))
        batch_op.drop_index(batch_op.f('ix_spot_checks_product_id'))
        batch_op.drop_index(batch_op.f('ix_spot_checks_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_spot_checks_category_id'))

    op.drop_table('spot_checks')
    op.drop_table('alert_rules')
