"""The audit record table."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from jianguan.storage.base import Base


class AuditRecord(Base):
    """One state change: who did what to which target, the state before and after, and when.

    ``record_hash`` is the SHA-256 of the previous record's hash and this record's content,
    so altering or removing any record breaks the chain from that record on. The table is
    append-only: triggers on both databases refuse UPDATE and DELETE.
    """

    __tablename__ = "audit_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100), index=True)
    target_type: Mapped[str] = mapped_column(String(50))
    target_id: Mapped[str] = mapped_column(String(100))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    source_address: Mapped[str] = mapped_column(String(64), default="")
    previous_hash: Mapped[str] = mapped_column(String(64))
    record_hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditCheckpoint(Base):
    """A signed statement of the chain's head: ``record_count`` records, the last with ``head_hash``.

    Signed with the network's Ed25519 signing key (``key_id``), so a checkpoint cannot be forged
    without the master key, and an exported copy can be checked with the public key alone: a cut
    tail (fewer records than a checkpoint counts) or a rewritten chain (another hash at that
    count) is then caught (``audit.checkpoints``). Append-only like the log.
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime]
    record_count: Mapped[int] = mapped_column(index=True)
    head_hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(32))
    signature: Mapped[str] = mapped_column(String(100))
