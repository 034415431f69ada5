"""The daily roll-up tables, the days rolled up, and the yearly targets (考核目标).

The roll-up tables are derived: ``stats.rollup`` recomputes whole Beijing days of them from the
query log, the batches, the activations and the terminals, and nothing else writes them. Each
holds a row for a county (or wherever the source placed its row) and, added up through the
region tree, a row for every city and province above it, so a dashboard reads one region's rows
and never adds up what lies under it: a sum over a region and its descendants would count twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jianguan.storage.base import Base, utcnow

# The region of a row whose source named none (a query from an unknown place) and the category
# of a query of no known product: the key columns cannot be NULL, so these stand for "none".
NO_REGION = ""
NO_CATEGORY = 0


class QueryDay(Base):
    """Verifications of one Beijing day in one region, by category, channel and verdict."""

    __tablename__ = "stats_query_days"
    # By day, then region: the job replaces whole days, and a dashboard's few regions over a span
    # of days are found in the index (by day alone, PostgreSQL read every region's rows of the span).
    __table_args__ = (Index("ix_stats_query_days_day", "day", "region_code"),)

    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    day: Mapped[dt.date] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    verdict: Mapped[str] = mapped_column(String(16), primary_key=True)
    queries: Mapped[int] = mapped_column(BigInteger)


class QueryMonth(Base):
    """The same figures as ``QueryDay`` added up over a calendar month (``month`` is its first day),
    written once the month is over: a dashboard over a year reads twelve of these, not 365 days."""

    __tablename__ = "stats_query_months"

    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    month: Mapped[dt.date] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    verdict: Mapped[str] = mapped_column(String(16), primary_key=True)
    queries: Mapped[int] = mapped_column(BigInteger)


class CodeDay(Base):
    """Codes issued and activated on one Beijing day in one region (the enterprise's), by category
    (the product's), and activated codes verified for the first time that day (answered "genuine,
    first check"): added up, the share of activated codes ever verified."""

    __tablename__ = "stats_code_days"
    __table_args__ = (Index("ix_stats_code_days_day", "day"),)

    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    day: Mapped[dt.date] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    issued: Mapped[int] = mapped_column(BigInteger)
    activated: Mapped[int] = mapped_column(BigInteger)
    first_queried: Mapped[int] = mapped_column(BigInteger, default=0)


class ProductDay(Base):
    """Codes issued and activated on one Beijing day for one product: what the coverage of the
    catalogue (百种产品目录) is read from, through the product's catalogue entry and enterprise as
    they stand when it is read (so linking a product to an entry counts its past codes). Not added
    up through the region tree: a product has one enterprise and so one county."""

    __tablename__ = "stats_product_days"
    __table_args__ = (Index("ix_stats_product_days_product_id", "product_id"),)

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    issued: Mapped[int] = mapped_column(BigInteger)
    activated: Mapped[int] = mapped_column(BigInteger)


class TerminalDay(Base):
    """Query terminals of one region by venue kind (the shop's kind): installed at the end of a
    Beijing day (registered and not retired), and registered and retired that day."""

    __tablename__ = "stats_terminal_days"
    __table_args__ = (Index("ix_stats_terminal_days_day", "day"),)

    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    day: Mapped[dt.date] = mapped_column(primary_key=True)
    venue_kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    installed: Mapped[int]
    added: Mapped[int]
    retired: Mapped[int]


class RolledDay(Base):
    """A Beijing day the roll-up job computed, and when it last did."""

    __tablename__ = "stats_rolled_days"

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    rolled_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RolledMonth(Base):
    """A calendar month (its first day) whose monthly rows the job added up once the month was over;
    reads use a month's rows only when it is listed here, and its days' rows otherwise."""

    __tablename__ = "stats_rolled_months"

    month: Mapped[dt.date] = mapped_column(primary_key=True)
    rolled_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Target(Base):
    """A region's targets for one year (考核目标): the funnel's four numbers (enterprises signed,
    with credentials, coding and activating by the year's end), the signing rate among holders of
    each kind of qualification (percent, ``{kind: percent}``), and terminals installed. A figure
    left None has no target. One row a region and year; setting it again replaces it."""

    __tablename__ = "stats_targets"
    __table_args__ = (UniqueConstraint("year", "region_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    region_code: Mapped[str] = mapped_column(String(6), ForeignKey("regions.code"), index=True)
    signed: Mapped[int | None] = mapped_column(default=None)
    credentials: Mapped[int | None] = mapped_column(default=None)
    coding: Mapped[int | None] = mapped_column(default=None)
    activating: Mapped[int | None] = mapped_column(default=None)
    terminals: Mapped[int | None] = mapped_column(default=None)
    signing_rates: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
