"""application_products.catalogue_entry_id: an applicant names the catalogue entry of each product

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01 11:00:00

An application's product may name its entry of the product catalogue (百种产品目录), as a
product of a registered enterprise may (0022); the signing links the product it creates. The
column is nullable: applications sent before this revision named none, and naming one stays
optional. On SQLite the batch operation rebuilds ``application_products`` for the foreign key
(nothing references it, so the rebuild is safe); PostgreSQL adds the column and its constraint.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('application_products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('catalogue_entry_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_application_products_catalogue_entry_id_catalogue_entries'),
                                    'catalogue_entries', ['catalogue_entry_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('application_products', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_application_products_catalogue_entry_id_catalogue_entries'),
                                 type_='foreignkey')
        batch_op.drop_column('catalogue_entry_id')
