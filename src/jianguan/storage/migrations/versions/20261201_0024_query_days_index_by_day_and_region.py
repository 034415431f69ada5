"""stats_query_days: the day index also holds the region

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01 11:40:00

``ix_stats_query_days_day`` was on ``day`` alone. A dashboard reads a dozen regions over a span of
days; with the rows written day after day, PostgreSQL's planner preferred that index to the
primary key (region first) and read every region's rows of the span, about 330,000 rows for a
province's month on a network of 10^8 queries, keeping 21,600. On ``(day, region_code)`` the
regions are matched in the index. The job's deletes of a whole day use it as before.
"""

from __future__ import annotations

from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_stats_query_days_day', table_name='stats_query_days')
    op.create_index('ix_stats_query_days_day', 'stats_query_days', ['day', 'region_code'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_stats_query_days_day', table_name='stats_query_days')
    op.create_index('ix_stats_query_days_day', 'stats_query_days', ['day'], unique=False)
