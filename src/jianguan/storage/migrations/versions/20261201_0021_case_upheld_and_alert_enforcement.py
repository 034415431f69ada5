"""cases: the finding upheld or not; enforcement actions opened from an alert

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 03:10:00

``cases.upheld`` records the explicit finding of the 处理 step: upheld (成立) or not (不成立).
Cases resolved before this revision had no such field; the credit record then took "measures
were recorded" for "upheld". The upgrade keeps that reading for them, once: a case that reached
处理 (resolved, informed or closed) is upheld when its measures are not empty, not upheld when
they are. Cases not yet resolved stay NULL until their 处理 step sets it.

``enforcement_actions.alert_id``: an alert may open an enforcement action directly, so
``case_id`` becomes nullable and exactly one of the two names what opened the action
(``ck_enforcement_actions_one_source``). Every existing action was opened from a case.

``cases`` is changed with ``ALTER TABLE … ADD/DROP COLUMN`` on both databases (on SQLite a
rebuild would drop ``cases``, which steps, photos, alerts and actions reference);
``enforcement_actions``, which nothing references, is rebuilt on SQLite for its constraints.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('upheld', sa.Boolean(), nullable=True))
    op.execute(sa.text(
        "UPDATE cases SET upheld = (measures <> '') WHERE stage IN ('resolved', 'informed', 'closed')"))
    with op.batch_alter_table('enforcement_actions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alert_id', sa.Integer(), nullable=True))
        batch_op.alter_column('case_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f('ix_enforcement_actions_alert_id'), ['alert_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_enforcement_actions_alert_id_alerts'), 'alerts',
                                    ['alert_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_enforcement_actions_one_source'),
                                         '(case_id IS NULL) <> (alert_id IS NULL)')


def downgrade() -> None:
    # Actions an alert opened have no case to keep them under: they go with the column.
    op.execute(sa.text("DELETE FROM enforcement_actions WHERE case_id IS NULL"))
    with op.batch_alter_table('enforcement_actions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_enforcement_actions_one_source'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_enforcement_actions_alert_id_alerts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_enforcement_actions_alert_id'))
        batch_op.alter_column('case_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('alert_id')
    op.drop_column('cases', 'upheld')  # ALTER TABLE … DROP COLUMN: no rebuild of a table others reference
