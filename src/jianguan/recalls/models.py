"""Recalls and destructions.

A recall names products and lots of one enterprise; the codes it affects are stored as serial
ranges (the lots' activations), never a row a code, and the parties that held them when it was
opened, each notified, are rows of their own. A destruction is a supervised destroying of goods
(recalled, expired or returned), recorded with who did it, where, the witness and the count; its
codes end by a destroying event captured as any other.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jianguan.choices import LabelledChoice
from jianguan.storage.base import Base, utcnow


class RecallLevel(LabelledChoice):
    """The level of a recall (召回级别): the first is the gravest."""

    FIRST = "1", "一级召回", "level I"
    SECOND = "2", "二级召回", "level II"
    THIRD = "3", "三级召回", "level III"


class RecallStatus(LabelledChoice):
    OPEN = "open", "召回中", "open"
    CLOSED = "closed", "已结束", "closed"
    WITHDRAWN = "withdrawn", "已撤销", "withdrawn"


class Recall(Base):
    """A recall of products and lots of one enterprise, opened by the enterprise or a regulator in
    scope. While it is open, every code it affects answers ``recalled`` with ``notice``.
    ``changed_at`` moves at every change: the verifiers of every process watch it."""

    __tablename__ = "recalls"
    __table_args__ = (Index("ix_recalls_enterprise", "enterprise_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    region_code: Mapped[str] = mapped_column(String(6), ForeignKey("regions.code"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), default=None)
    level: Mapped[RecallLevel] = mapped_column(String(4))
    reason: Mapped[str] = mapped_column(String(500))
    instructions: Mapped[str] = mapped_column(String(1000))
    notice: Mapped[str] = mapped_column(String(2000))
    product_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    lots: Mapped[list[str]] = mapped_column(JSON, default=list)
    codes: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[RecallStatus] = mapped_column(String(16), default=RecallStatus.OPEN)
    opened_by: Mapped[str] = mapped_column(String(100))
    opened_by_role: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_by: Mapped[str | None] = mapped_column(String(100), default=None)
    ended_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    end_note: Mapped[str | None] = mapped_column(String(500), default=None)
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class RecallRange(Base):
    """A run of consecutive serials of one batch a recall affects."""

    __tablename__ = "recall_ranges"
    __table_args__ = (
        CheckConstraint("serial_end > serial_start", name="non_empty_range"),
        Index("ix_recall_ranges_code", "generation", "serial_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recall_id: Mapped[int] = mapped_column(ForeignKey("recalls.id"), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("code_batches.id"))
    generation: Mapped[int]
    serial_start: Mapped[int] = mapped_column(BigInteger)
    serial_end: Mapped[int] = mapped_column(BigInteger)


class RecallParty(Base):
    """A party that held codes of a recall when it was opened (from where the codes are), the
    codes it held, and how it was told: a text message where a mobile number is on file
    (``sms_id``, the outbox row), and the recall's page in any case."""

    __tablename__ = "recall_parties"
    __table_args__ = (Index("ix_recall_parties_party", "party_kind", "party_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recall_id: Mapped[int] = mapped_column(ForeignKey("recalls.id"), index=True)
    party_kind: Mapped[str] = mapped_column(String(16))
    party_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(6), default=None)
    held: Mapped[int] = mapped_column(BigInteger, default=0)
    sms_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    notified_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DestructionReason(LabelledChoice):
    RECALLED = "recalled", "召回产品", "recalled goods"
    EXPIRED = "expired", "过期产品", "expired goods"
    RETURNED = "returned", "退回产品", "returned goods"


class Destruction(Base):
    """Goods destroyed under supervision: who destroyed them (the party and the person), where,
    who witnessed it, how many codes, why, and the destroying event that ended the codes."""

    __tablename__ = "destructions"
    __table_args__ = (Index("ix_destructions_enterprise", "enterprise_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    party_kind: Mapped[str] = mapped_column(String(16))
    party_id: Mapped[int] = mapped_column(Integer)
    region_code: Mapped[str] = mapped_column(String(6), ForeignKey("regions.code"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), default=None)
    reason: Mapped[DestructionReason] = mapped_column(String(16))
    recall_id: Mapped[int | None] = mapped_column(ForeignKey("recalls.id"), default=None, index=True)
    place: Mapped[str] = mapped_column(String(200))
    performed_by: Mapped[str] = mapped_column(String(100))
    witness: Mapped[str] = mapped_column(String(200))
    codes: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("trace_events.id"))
    recorded_by: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
