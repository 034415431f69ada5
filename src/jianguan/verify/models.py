"""The query log and the per-code query state.

The log is append-only and the only table here that grows with queries; it is written in
batches. The per-code state holds one row per code ever queried (count, first query time and
region), keyed like every per-code table by ``(generation, serial)``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jianguan.choices import LabelledChoice
from jianguan.storage.base import Base


class Channel(LabelledChoice):
    WEB = "web", "网站", "web"
    API = "api", "接口", "API"
    SMS = "sms", "短信", "SMS"
    PHONE = "phone", "电话", "phone"
    TERMINAL = "terminal", "查询终端", "query terminal"
    CLI = "cli", "命令行", "command line"


class Query(Base):
    """One verification: what was asked, on which channel, from where, and the verdict given.

    ``raw_input`` is kept only when the input was not a well-formed code (then there is no
    serial); callers' phone numbers and addresses are stored as keyed hashes only.
    """

    __tablename__ = "queries"
    __table_args__ = (Index("ix_queries_code", "generation", "serial"), Index("ix_queries_at", "at"))

    # BIGINT on PostgreSQL; SQLite's rowid alias must be spelled INTEGER to autoincrement.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    at: Mapped[dt.datetime]
    channel: Mapped[Channel] = mapped_column(String(16))
    generation: Mapped[int | None] = mapped_column(default=None)
    serial: Mapped[int | None] = mapped_column(BigInteger, default=None)
    raw_input: Mapped[str | None] = mapped_column(String(64), default=None)
    verdict: Mapped[str] = mapped_column(String(16), index=True)
    region_code: Mapped[str | None] = mapped_column(String(6), index=True, default=None)
    terminal_id: Mapped[int | None] = mapped_column(default=None)
    caller_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    source_hash: Mapped[str | None] = mapped_column(String(64), default=None)


class CodeQueryState(Base):
    """How often a code was queried, and when and where first: what "queried before" reports."""

    __tablename__ = "code_query_states"

    generation: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    serial: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    first_at: Mapped[dt.datetime]
    first_region_code: Mapped[str | None] = mapped_column(String(6), default=None)
    last_at: Mapped[dt.datetime]
    # The latest query that named its place (the clone-risk answer weighs it: verify/risk.py).
    last_region_code: Mapped[str | None] = mapped_column(String(6), default=None)
    last_region_at: Mapped[dt.datetime | None] = mapped_column(default=None)
