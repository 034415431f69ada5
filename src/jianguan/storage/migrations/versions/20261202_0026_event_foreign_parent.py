"""trace events: the parentID that is no code of the network (an SSCC, a GRAI), canonical and indexed

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02 08:00:00

``trace_events.foreign_parent`` holds an AggregationEvent's parentID when it is a GS1 key of no
code of the network, in its canonical Digital Link form (``urn:epc:id:sscc:0614141.1234567890``
and ``https://id.gs1.org/00/106141412345678908`` are one value), indexed, so that
``MATCH_parentID`` finds a pallet's events. Until now such a parentID was kept only in the
event's ``fields`` as sent: the upgrade fills the column from there, through the canonical form
captures use (``trace.gs1_uri.canonical_identifier``, pure). A parentID kept there is always
such a key (a capture keeps no other), so every one of them gets its value.

The column is added with ``ALTER TABLE … ADD COLUMN`` on both databases (on SQLite a rebuild of
``trace_events`` would drop the table that event ranges and diversions reference) and dropped
the same way; the downgrade loses nothing, the parentID staying in ``fields``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jianguan.trace.gs1_uri import canonical_identifier

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

_CHUNK = 1000  # events read and written at a time

_EVENTS = sa.table('trace_events', sa.column('id', sa.BigInteger()), sa.column('fields', sa.JSON()),
                   sa.column('foreign_parent', sa.String(100)))


def _fill() -> None:
    bind = op.get_bind()
    parent = _EVENTS.c.fields['parentID'].as_string()
    write = (sa.update(_EVENTS).where(_EVENTS.c.id == sa.bindparam('event_id'))
             .values(foreign_parent=sa.bindparam('key')))
    after = 0
    while True:
        rows = bind.execute(sa.select(_EVENTS.c.id, parent).where(_EVENTS.c.id > after, parent.is_not(None))
                            .order_by(_EVENTS.c.id).limit(_CHUNK)).all()
        if not rows:
            return
        keys = [{'event_id': event_id, 'key': key} for event_id, uri in rows
                if (key := canonical_identifier(uri)) is not None]
        if keys:
            bind.execute(write, keys)
        after = rows[-1][0]


def upgrade() -> None:
    op.add_column('trace_events', sa.Column('foreign_parent', sa.String(length=100), nullable=True))
    op.create_index(op.f('ix_trace_events_foreign_parent'), 'trace_events', ['foreign_parent'], unique=False)
    _fill()


def downgrade() -> None:
    op.drop_index(op.f('ix_trace_events_foreign_parent'), table_name='trace_events')
    op.drop_column('trace_events', 'foreign_parent')  # ALTER TABLE … DROP COLUMN: no rebuild
