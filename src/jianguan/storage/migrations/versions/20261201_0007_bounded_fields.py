"""bounded fields: the free-text columns that were TEXT get the length a person types

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 09:00:00

Descriptions (of a category, an enterprise, a product) become VARCHAR(2000), and the reasons of
a rejected code request and of a withdrawn activation VARCHAR(500); the services and the API
refuse anything longer (``jianguan.fields``). On PostgreSQL a stored value longer than that is
cut to the new length rather than failing the upgrade (no form or API call wrote one, but a
script may have); SQLite keeps whatever it holds, as it never enforced a length.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# (table, column, new length, nullable)
BOUNDED = (
    ('categories', 'description', 2000, False),
    ('enterprises', 'description', 2000, False),
    ('products', 'description', 2000, False),
    ('code_requests', 'reason', 500, False),
    ('activations', 'withdrawn_reason', 500, True),
)


def upgrade() -> None:
    for table, column, length, nullable in BOUNDED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.TEXT(), type_=sa.String(length=length),
                                  existing_nullable=nullable, postgresql_using=f'left({column}, {length})')


def downgrade() -> None:
    for table, column, length, nullable in reversed(BOUNDED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.String(length=length), type_=sa.TEXT(),
                                  existing_nullable=nullable)
