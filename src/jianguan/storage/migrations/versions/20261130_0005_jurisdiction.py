"""jurisdiction: complaints take the reports' table; complaints and alerts name a category

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 21:40:00

The reports of fakes become the complaints area's table (``fake_reports`` -> ``complaints``,
every row kept, each a report of a fake). Complaints and alerts gain the category (and
complaints the enterprise) of the product they concern, so that the jurisdiction rule can
scope them by agency; existing reports of issued codes get theirs from the code's batch.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.rename_table('fake_reports', 'complaints')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE complaints RENAME CONSTRAINT pk_fake_reports TO pk_complaints')
        op.execute('ALTER TABLE complaints RENAME CONSTRAINT fk_fake_reports_region_code_regions '
                   'TO fk_complaints_region_code_regions')
        op.execute('ALTER SEQUENCE fake_reports_id_seq RENAME TO complaints_id_seq')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_fake_reports_created_at')
        batch_op.drop_index('ix_fake_reports_region_code')
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='report', nullable=False))
        batch_op.add_column(sa.Column('enterprise_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('category_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_complaints_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_region_code'), ['region_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_category_id'), ['category_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_complaints_enterprise_id_enterprises'), 'enterprises',
                                    ['enterprise_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_complaints_category_id_categories'), 'categories',
                                    ['category_id'], ['id'])
    # A report of an issued code names the batch's enterprise and the product's category.
    op.execute(
        'UPDATE complaints SET enterprise_id = (SELECT b.enterprise_id FROM code_batches b'
        ' WHERE b.generation = complaints.generation AND b.serial_start <= complaints.serial'
        ' AND complaints.serial < b.serial_start + b.quantity),'
        ' category_id = (SELECT p.category_id FROM code_batches b JOIN products p ON p.id = b.product_id'
        ' WHERE b.generation = complaints.generation AND b.serial_start <= complaints.serial'
        ' AND complaints.serial < b.serial_start + b.quantity)'
        ' WHERE complaints.serial IS NOT NULL'
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_alerts_category_id'), ['category_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_alerts_category_id_categories'), 'categories',
                                    ['category_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_alerts_category_id_categories'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_alerts_category_id'))
        batch_op.drop_column('category_id')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_complaints_category_id_categories'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_complaints_enterprise_id_enterprises'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_complaints_category_id'))
        batch_op.drop_index(batch_op.f('ix_complaints_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_complaints_region_code'))
        batch_op.drop_index(batch_op.f('ix_complaints_created_at'))
        batch_op.drop_column('category_id')
        batch_op.drop_column('enterprise_id')
        batch_op.drop_column('kind')
        batch_op.create_index('ix_fake_reports_region_code', ['region_code'], unique=False)
        batch_op.create_index('ix_fake_reports_created_at', ['created_at'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER SEQUENCE complaints_id_seq RENAME TO fake_reports_id_seq')
        op.execute('ALTER TABLE complaints RENAME CONSTRAINT fk_complaints_region_code_regions '
                   'TO fk_fake_reports_region_code_regions')
        op.execute('ALTER TABLE complaints RENAME CONSTRAINT pk_complaints TO pk_fake_reports')
    op.rename_table('complaints', 'fake_reports')
