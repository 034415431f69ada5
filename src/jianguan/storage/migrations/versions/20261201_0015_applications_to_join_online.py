"""applications to join online (网上申请入网): the applications, their products, documents and steps; the e-mail outbox

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 01:35:42

The tables start empty; documents are files in JIANGUAN_APPLICATION_DOCUMENT_DIR, not rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import jianguan.storage.base

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outbound_emails',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('to', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_emails'))
    )
    with op.batch_alter_table('outbound_emails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbound_emails_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_emails_status'), ['status'], unique=False)

    op.create_table('applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('licence_number', sa.String(length=100), nullable=False),
    sa.Column('licence_issuer', sa.String(length=200), nullable=False),
    sa.Column('licence_valid_until', sa.Date(), nullable=True),
    sa.Column('contact_name', sa.String(length=100), nullable=False),
    sa.Column('mobile', sa.String(length=20), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('stage_since', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('agency', sa.String(length=16), nullable=False),
    sa.Column('assigned_region', sa.String(length=6), nullable=False),
    sa.Column('note', sa.String(length=2000), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assigned_region'], ['regions.code'], name=op.f('fk_applications_assigned_region_regions')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_applications_category_id_categories')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_applications_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_applications_region_code_regions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_applications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_applications'))
    )
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_applications_agency'), ['agency'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_credit_code'), ['credit_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_region_code'), ['region_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_stage'), ['stage'], unique=False)
        batch_op.create_index('uq_applications_open_credit_code', ['credit_code'], unique=True,
                              sqlite_where=sa.text("stage IN ('submitted', 'corrections')"),
                              postgresql_where=sa.text("stage IN ('submitted', 'corrections')"))

    op.create_table('application_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('media_type', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_application_documents_application_id_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_documents'))
    )
    with op.batch_alter_table('application_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_documents_application_id'), ['application_id'], unique=False)

    op.create_table('application_products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('specification', sa.String(length=200), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_application_products_application_id_applications')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_application_products_category_id_categories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_products'))
    )
    with op.batch_alter_table('application_products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_products_application_id'), ['application_id'], unique=False)

    op.create_table('application_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('note', sa.String(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_application_steps_application_id_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_steps'))
    )
    with op.batch_alter_table('application_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_steps_application_id'), ['application_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('application_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_steps_application_id'))

    op.drop_table('application_steps')
    with op.batch_alter_table('application_products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_products_application_id'))

    op.drop_table('application_products')
    with op.batch_alter_table('application_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_documents_application_id'))

    op.drop_table('application_documents')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('uq_applications_open_credit_code')
        batch_op.drop_index(batch_op.f('ix_applications_stage'))
        batch_op.drop_index(batch_op.f('ix_applications_region_code'))
        batch_op.drop_index(batch_op.f('ix_applications_credit_code'))
        batch_op.drop_index(batch_op.f('ix_applications_created_at'))
        batch_op.drop_index(batch_op.f('ix_applications_category_id'))
        batch_op.drop_index(batch_op.f('ix_applications_agency'))

    op.drop_table('applications')
    with op.batch_alter_table('outbound_emails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbound_emails_status'))
        batch_op.drop_index(batch_op.f('ix_outbound_emails_created_at'))

    op.drop_table('outbound_emails')
