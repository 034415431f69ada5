"""cases: complaints and reports become cases (the complaints table is renamed and grows the
workflow), with their photos, steps, the stages' deadlines and the enforcement actions they open

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-01 01:20:00

Every complaint kept becomes a case: ``status`` (always ``received``) becomes ``stage``
``accepted``, entered when it was received. Its number stays what it was (``JB`` + day + id).
Cases received before have no secret (they cannot be looked up by the reporter) and no deadline
(they are not escalated); regulators see them by their region and category as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import jianguan.storage.base

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_OLD_INDEXES = ('created_at', 'region_code', 'enterprise_id', 'category_id')
_FKS = (('region_code', 'regions', 'code'), ('enterprise_id', 'enterprises', 'id'),
        ('category_id', 'categories', 'id'))


def _rename(old: str, new: str) -> None:
    op.rename_table(old, new)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'ALTER TABLE {new} RENAME CONSTRAINT pk_{old} TO pk_{new}')
        for column, table, _key in _FKS:
            op.execute(f'ALTER TABLE {new} RENAME CONSTRAINT fk_{old}_{column}_{table} TO fk_{new}_{column}_{table}')
        op.execute(f'ALTER SEQUENCE {old}_id_seq RENAME TO {new}_id_seq')
        for column in _OLD_INDEXES:
            op.execute(f'ALTER INDEX ix_{old}_{column} RENAME TO ix_{new}_{column}')
    else:  # SQLite keeps the constraints' names inside the table's text; the indexes are named afresh
        for column in _OLD_INDEXES:
            op.execute(f'DROP INDEX IF EXISTS ix_{old}_{column}')
            op.execute(f'CREATE INDEX ix_{new}_{column} ON {new} ({column})')


def upgrade() -> None:
    _rename('complaints', 'cases')
    utc = jianguan.storage.base.UTCDateTime()
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.alter_column('status', new_column_name='stage', existing_type=sa.String(length=16),
                              existing_nullable=False)
        batch_op.add_column(sa.Column('region_from_phone', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('reply_to', sa.String(length=32), server_default='', nullable=False))
        batch_op.add_column(sa.Column('secret_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('stage_since', utc, nullable=True))
        batch_op.add_column(sa.Column('due_at', utc, nullable=True))
        batch_op.add_column(sa.Column('escalated_at', utc, nullable=True))
        batch_op.add_column(sa.Column('escalations', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('agency', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('assigned_region', sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column('assignee_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('finding', sa.String(length=2000), server_default='', nullable=False))
        batch_op.add_column(sa.Column('measures', sa.String(length=2000), server_default='', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_cases_assigned_region_regions'), 'regions',
                                    ['assigned_region'], ['code'])
        batch_op.create_foreign_key(batch_op.f('fk_cases_assignee_id_users'), 'users', ['assignee_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_cases_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_agency'), ['agency'], unique=False)
    op.execute("UPDATE cases SET stage = 'accepted' WHERE stage = 'received'")
    op.execute('UPDATE cases SET stage_since = created_at')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.alter_column('stage_since', existing_type=utc, nullable=False)
        batch_op.create_index(batch_op.f('ix_cases_stage'), ['stage'], unique=False)

    op.create_table('case_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('media_type', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', utc, nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_photos_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_photos'))
    )
    with op.batch_alter_table('case_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_photos_case_id'), ['case_id'], unique=False)
    op.create_table('case_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', utc, nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('note', sa.String(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_steps_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_steps'))
    )
    with op.batch_alter_table('case_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_steps_case_id'), ['case_id'], unique=False)
    op.create_table('case_deadlines',
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('updated_at', utc, nullable=False),
    sa.PrimaryKeyConstraint('stage', name=op.f('pk_case_deadlines'))
    )
    op.create_table('enforcement_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('agency', sa.String(length=16), nullable=True),
    sa.Column('basis', sa.String(length=2000), nullable=False),
    sa.Column('opened_at', utc, nullable=False),
    sa.Column('opened_by', sa.String(length=100), nullable=False),
    sa.Column('concluded_at', utc, nullable=True),
    sa.Column('goods_seized', sa.String(length=500), nullable=False),
    sa.Column('goods_value', sa.BigInteger(), nullable=False),
    sa.Column('cases_filed', sa.Integer(), nullable=False),
    sa.Column('penalty', sa.BigInteger(), nullable=False),
    sa.Column('outcome', sa.String(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_enforcement_actions_case_id_cases')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'],
                            name=op.f('fk_enforcement_actions_category_id_categories')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'],
                            name=op.f('fk_enforcement_actions_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_enforcement_actions_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enforcement_actions'))
    )
    with op.batch_alter_table('enforcement_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enforcement_actions_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enforcement_actions_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enforcement_actions_region_code'), ['region_code'], unique=False)
    # The cases received before are accepted when they were received.
    op.execute("INSERT INTO case_steps (case_id, at, action, stage, actor, note) "
               "SELECT id, created_at, 'opened', 'accepted', 'system:migration', '' FROM cases")


def downgrade() -> None:
    with op.batch_alter_table('enforcement_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enforcement_actions_region_code'))
        batch_op.drop_index(batch_op.f('ix_enforcement_actions_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_enforcement_actions_case_id'))
    op.drop_table('enforcement_actions')
    op.drop_table('case_deadlines')
    with op.batch_alter_table('case_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_steps_case_id'))
    op.drop_table('case_steps')
    with op.batch_alter_table('case_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_photos_case_id'))
    op.drop_table('case_photos')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_stage'))
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_agency'))
        batch_op.drop_index(batch_op.f('ix_cases_due_at'))
        batch_op.drop_constraint(batch_op.f('fk_cases_assignee_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_cases_assigned_region_regions'), type_='foreignkey')
        for column in ('measures', 'finding', 'assignee_id', 'assigned_region', 'agency', 'escalations',
                       'escalated_at', 'due_at', 'stage_since', 'secret_hash', 'reply_to', 'region_from_phone'):
            batch_op.drop_column(column)
        batch_op.alter_column('stage', new_column_name='status', existing_type=sa.String(length=16),
                              existing_nullable=False)
    op.execute("UPDATE cases SET status = 'received'")
    _rename_back()


def _rename_back() -> None:
    op.rename_table('cases', 'complaints')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE complaints RENAME CONSTRAINT pk_cases TO pk_complaints')
        for column, table, _key in _FKS:
            op.execute(f'ALTER TABLE complaints RENAME CONSTRAINT fk_cases_{column}_{table} '
                       f'TO fk_complaints_{column}_{table}')
        op.execute('ALTER SEQUENCE cases_id_seq RENAME TO complaints_id_seq')
        for column in _OLD_INDEXES:
            op.execute(f'ALTER INDEX ix_cases_{column} RENAME TO ix_complaints_{column}')
    else:
        for column in _OLD_INDEXES:
            op.execute(f'DROP INDEX IF EXISTS ix_cases_{column}')
            op.execute(f'CREATE INDEX ix_complaints_{column} ON complaints ({column})')
