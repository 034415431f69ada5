"""supply chain

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 23:11:27.583028
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import jianguan.storage.base

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('trace_captures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('party_kind', sa.String(length=16), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=True),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('repeated', sa.Integer(), nullable=False),
    sa.Column('codes', sa.BigInteger(), nullable=False),
    sa.Column('received_by', sa.String(length=100), nullable=False),
    sa.Column('received_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trace_captures'))
    )
    with op.batch_alter_table('trace_captures', schema=None) as batch_op:
        batch_op.create_index('ix_trace_captures_party', ['party_kind', 'party_id', 'digest'], unique=False)

    op.create_table('trace_packings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('serial_start', sa.BigInteger(), nullable=False),
    sa.Column('serial_end', sa.BigInteger(), nullable=False),
    sa.Column('container_generation', sa.Integer(), nullable=False),
    sa.Column('container_serial', sa.BigInteger(), nullable=False),
    sa.Column('event_id', sa.BigInteger(), nullable=True),
    sa.Column('at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('serial_end > serial_start', name=op.f('ck_trace_packings_non_empty_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trace_packings'))
    )
    with op.batch_alter_table('trace_packings', schema=None) as batch_op:
        batch_op.create_index('ix_trace_packings_container', ['container_generation', 'container_serial'], unique=False)
        batch_op.create_index('ix_trace_packings_serial', ['generation', 'serial_start'], unique=True)

    op.create_table('trace_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('event_key', sa.String(length=200), nullable=False),
    sa.Column('hash_id', sa.String(length=100), nullable=False),
    sa.Column('capture_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('action', sa.String(length=8), nullable=False),
    sa.Column('biz_step', sa.String(length=200), nullable=True),
    sa.Column('disposition', sa.String(length=200), nullable=True),
    sa.Column('event_time', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('time_zone_offset', sa.String(length=6), nullable=False),
    sa.Column('record_time', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_point', sa.String(length=300), nullable=True),
    sa.Column('biz_location', sa.String(length=300), nullable=True),
    sa.Column('party_kind', sa.String(length=16), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('to_kind', sa.String(length=16), nullable=True),
    sa.Column('to_id', sa.Integer(), nullable=True),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('codes', sa.BigInteger(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['capture_id'], ['trace_captures.id'], name=op.f('fk_trace_events_capture_id_trace_captures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trace_events')),
    sa.UniqueConstraint('event_key', name=op.f('uq_trace_events_event_key'))
    )
    with op.batch_alter_table('trace_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trace_events_biz_location'), ['biz_location'], unique=False)
        batch_op.create_index(batch_op.f('ix_trace_events_biz_step'), ['biz_step'], unique=False)
        batch_op.create_index(batch_op.f('ix_trace_events_capture_id'), ['capture_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trace_events_event_time'), ['event_time'], unique=False)
        batch_op.create_index(batch_op.f('ix_trace_events_hash_id'), ['hash_id'], unique=False)
        batch_op.create_index('ix_trace_events_party', ['party_kind', 'party_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trace_events_region_code'), ['region_code'], unique=False)
        batch_op.create_index('ix_trace_events_to', ['to_kind', 'to_id'], unique=False)

    op.create_table('trace_locations',
    sa.Column('gln', sa.String(length=13), nullable=False),
    sa.Column('party_kind', sa.String(length=16), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('registered_by', sa.String(length=100), nullable=False),
    sa.Column('registered_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_trace_locations_region_code_regions')),
    sa.PrimaryKeyConstraint('gln', name=op.f('pk_trace_locations'))
    )
    with op.batch_alter_table('trace_locations', schema=None) as batch_op:
        batch_op.create_index('ix_trace_locations_party', ['party_kind', 'party_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trace_locations_region_code'), ['region_code'], unique=False)

    op.create_table('trace_diversions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('event_id', sa.BigInteger(), nullable=True),
    sa.Column('codes', sa.BigInteger(), nullable=False),
    sa.Column('sample_codes', sa.JSON(), nullable=False),
    sa.Column('expected_kind', sa.String(length=16), nullable=True),
    sa.Column('expected_id', sa.Integer(), nullable=True),
    sa.Column('expected_region', sa.String(length=6), nullable=True),
    sa.Column('found_kind', sa.String(length=16), nullable=True),
    sa.Column('found_id', sa.Integer(), nullable=True),
    sa.Column('found_region', sa.String(length=6), nullable=True),
    sa.Column('at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_trace_diversions_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['event_id'], ['trace_events.id'], name=op.f('fk_trace_diversions_event_id_trace_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trace_diversions'))
    )
    with op.batch_alter_table('trace_diversions', schema=None) as batch_op:
        batch_op.create_index('ix_trace_diversions_enterprise', ['enterprise_id', 'at'], unique=False)

    op.create_table('trace_event_ranges',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('event_id', sa.BigInteger(), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('serial_start', sa.BigInteger(), nullable=False),
    sa.Column('serial_end', sa.BigInteger(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('serial_end > serial_start', name=op.f('ck_trace_event_ranges_non_empty_range')),
    sa.ForeignKeyConstraint(['batch_id'], ['code_batches.id'], name=op.f('fk_trace_event_ranges_batch_id_code_batches')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_trace_event_ranges_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['event_id'], ['trace_events.id'], name=op.f('fk_trace_event_ranges_event_id_trace_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trace_event_ranges'))
    )
    with op.batch_alter_table('trace_event_ranges', schema=None) as batch_op:
        batch_op.create_index('ix_trace_event_ranges_code', ['generation', 'serial_start'], unique=False)
        batch_op.create_index(batch_op.f('ix_trace_event_ranges_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trace_event_ranges_event_id'), ['event_id'], unique=False)

    op.create_table('trace_positions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('serial_start', sa.BigInteger(), nullable=False),
    sa.Column('serial_end', sa.BigInteger(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('holder_kind', sa.String(length=16), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('shipped_to_kind', sa.String(length=16), nullable=True),
    sa.Column('shipped_to_id', sa.Integer(), nullable=True),
    sa.Column('shipped_region', sa.String(length=6), nullable=True),
    sa.Column('event_id', sa.BigInteger(), nullable=False),
    sa.Column('at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('serial_end > serial_start', name=op.f('ck_trace_positions_non_empty_range')),
    sa.ForeignKeyConstraint(['batch_id'], ['code_batches.id'], name=op.f('fk_trace_positions_batch_id_code_batches')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_trace_positions_enterprise_id_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trace_positions'))
    )
    with op.batch_alter_table('trace_positions', schema=None) as batch_op:
        batch_op.create_index('ix_trace_positions_batch', ['batch_id', 'serial_start'], unique=False)
        batch_op.create_index(batch_op.f('ix_trace_positions_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index('ix_trace_positions_holder', ['holder_kind', 'holder_id'], unique=False)
        batch_op.create_index('ix_trace_positions_serial', ['generation', 'serial_start'], unique=True)

    _packings_to_runs()
    with op.batch_alter_table('packings', schema=None) as batch_op:
        batch_op.drop_index('ix_packings_container')

    op.drop_table('packings')


def _packings_to_runs() -> None:
    """Consecutive codes of one generation in one container become one run."""
    bind = op.get_bind()
    old = sa.table('packings', sa.column('generation'), sa.column('serial'), sa.column('container_generation'),
                   sa.column('container_serial'), sa.column('packed_at', jianguan.storage.base.UTCDateTime()))
    new = sa.table('trace_packings', sa.column('generation'), sa.column('serial_start'), sa.column('serial_end'),
                   sa.column('container_generation'), sa.column('container_serial'), sa.column('event_id'),
                   sa.column('at', jianguan.storage.base.UTCDateTime()))
    runs: list[dict[str, object]] = []
    rows = bind.execute(sa.select(old.c.generation, old.c.serial, old.c.container_generation, old.c.container_serial,
                                  old.c.packed_at).order_by(old.c.generation, old.c.serial))
    for generation, serial, container_generation, container_serial, packed_at in rows:
        last = runs[-1] if runs else None
        if (last is not None and last['generation'] == generation and last['serial_end'] == serial
                and (last['container_generation'], last['container_serial']) == (container_generation, container_serial)):
            last['serial_end'] = serial + 1
            continue
        runs.append({'generation': generation, 'serial_start': serial, 'serial_end': serial + 1,
                     'container_generation': container_generation, 'container_serial': container_serial,
                     'event_id': None, 'at': packed_at})
    for at in range(0, len(runs), 1000):
        bind.execute(sa.insert(new), runs[at:at + 1000])


def _runs_to_packings() -> None:
    bind = op.get_bind()
    runs = sa.table('trace_packings', sa.column('generation'), sa.column('serial_start'), sa.column('serial_end'),
                    sa.column('container_generation'), sa.column('container_serial'),
                    sa.column('at', jianguan.storage.base.UTCDateTime()))
    old = sa.table('packings', sa.column('generation'), sa.column('serial'), sa.column('container_generation'),
                   sa.column('container_serial'), sa.column('packed_by'),
                   sa.column('packed_at', jianguan.storage.base.UTCDateTime()))
    rows = []
    for run in bind.execute(sa.select(runs)).mappings():
        rows += [{'generation': run['generation'], 'serial': serial, 'container_generation': run['container_generation'],
                  'container_serial': run['container_serial'], 'packed_by': 'migration', 'packed_at': run['at']}
                 for serial in range(run['serial_start'], run['serial_end'])]
    for at in range(0, len(rows), 1000):
        bind.execute(sa.insert(old), rows[at:at + 1000])


def downgrade() -> None:
    op.create_table('packings',
    sa.Column('generation', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('serial', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('container_generation', sa.Integer(), nullable=False),
    sa.Column('container_serial', sa.BigInteger(), nullable=False),
    sa.Column('packed_by', sa.String(length=100), nullable=False),
    sa.Column('packed_at', jianguan.storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('generation', 'serial', name=op.f('pk_packings'))
    )
    with op.batch_alter_table('packings', schema=None) as batch_op:
        batch_op.create_index('ix_packings_container', ['container_generation', 'container_serial'], unique=False)
    _runs_to_packings()

    with op.batch_alter_table('trace_positions', schema=None) as batch_op:
        batch_op.drop_index('ix_trace_positions_serial')
        batch_op.drop_index('ix_trace_positions_holder')
        batch_op.drop_index(batch_op.f('ix_trace_positions_enterprise_id'))
        batch_op.drop_index('ix_trace_positions_batch')

    op.drop_table('trace_positions')
    with op.batch_alter_table('trace_event_ranges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trace_event_ranges_event_id'))
        batch_op.drop_index(batch_op.f('ix_trace_event_ranges_enterprise_id'))
        batch_op.drop_index('ix_trace_event_ranges_code')

    op.drop_table('trace_event_ranges')
    with op.batch_alter_table('trace_diversions', schema=None) as batch_op:
        batch_op.drop_index('ix_trace_diversions_enterprise')

    op.drop_table('trace_diversions')
    with op.batch_alter_table('trace_locations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trace_locations_region_code'))
        batch_op.drop_index('ix_trace_locations_party')

    op.drop_table('trace_locations')
    with op.batch_alter_table('trace_events', schema=None) as batch_op:
        batch_op.drop_index('ix_trace_events_to')
        batch_op.drop_index(batch_op.f('ix_trace_events_region_code'))
        batch_op.drop_index('ix_trace_events_party')
        batch_op.drop_index(batch_op.f('ix_trace_events_hash_id'))
        batch_op.drop_index(batch_op.f('ix_trace_events_event_time'))
        batch_op.drop_index(batch_op.f('ix_trace_events_capture_id'))
        batch_op.drop_index(batch_op.f('ix_trace_events_biz_step'))
        batch_op.drop_index(batch_op.f('ix_trace_events_biz_location'))

    op.drop_table('trace_events')
    with op.batch_alter_table('trace_packings', schema=None) as batch_op:
        batch_op.drop_index('ix_trace_packings_serial')
        batch_op.drop_index('ix_trace_packings_container')

    op.drop_table('trace_packings')
    with op.batch_alter_table('trace_captures', schema=None) as batch_op:
        batch_op.drop_index('ix_trace_captures_party')

    op.drop_table('trace_captures')
