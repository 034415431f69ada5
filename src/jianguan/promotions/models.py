"""Promotions, their prize tiers, and the draws made on first genuine verifications.

A promotion belongs to one enterprise and names its products (and lots: none is every lot), the
dates it runs (local dates, both included) and the regions where a query takes part (none: the
whole country, and queries of unknown place too). Each tier has a chance (parts per million) and
a number of prizes; ``remaining`` only ever goes down by one in one conditional statement, so the
budget never goes over. A code has at most one draw, whatever the number of processes: the
draw's ``(generation, serial)`` is unique.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jianguan.choices import LabelledChoice
from jianguan.storage.base import Base, utcnow


class PromotionKind(LabelledChoice):
    DRAW = "draw", "抽奖", "prize draw"
    POINTS = "points", "积分", "points"


class PromotionStatus(LabelledChoice):
    RUNNING = "running", "进行中", "running"
    ENDED = "ended", "已结束", "ended"


class Promotion(Base):
    """A manufacturer's promotion on the first genuine verification of its products' codes.
    ``budget_value`` (optional) caps the total value of the prizes won (fen, or points);
    ``remaining_value`` is what is left of it. ``changed_at`` moves at every change: the
    verifiers of every process watch it."""

    __tablename__ = "promotions"
    __table_args__ = (
        CheckConstraint("remaining_value IS NULL OR remaining_value >= 0", name="value_not_over"),
        Index("ix_promotions_enterprise", "enterprise_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    region_code: Mapped[str] = mapped_column(String(6), ForeignKey("regions.code"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), default=None)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[PromotionKind] = mapped_column(String(16))
    product_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    lots: Mapped[list[str]] = mapped_column(JSON, default=list)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]
    budget_value: Mapped[int | None] = mapped_column(BigInteger, default=None)
    remaining_value: Mapped[int | None] = mapped_column(BigInteger, default=None)
    status: Mapped[PromotionStatus] = mapped_column(String(16), default=PromotionStatus.RUNNING)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class PromotionTier(Base):
    """A prize tier (奖项): its chance in parts per million, its value (fen, or points) and how
    many prizes it has; ``remaining`` never goes below zero."""

    __tablename__ = "promotion_tiers"
    __table_args__ = (
        CheckConstraint("remaining >= 0", name="prizes_not_over"),
        CheckConstraint("chance_ppm > 0 AND chance_ppm <= 1000000", name="chance_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    promotion_id: Mapped[int] = mapped_column(ForeignKey("promotions.id"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    chance_ppm: Mapped[int] = mapped_column(Integer)
    value: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    remaining: Mapped[int] = mapped_column(Integer)


class PromotionDraw(Base):
    """The one draw of a code (on its first genuine verification): the tier won (None: no prize),
    where and by which channel it was queried, and the claim: only the claim code's hash is kept."""

    __tablename__ = "promotion_draws"
    __table_args__ = (
        UniqueConstraint("generation", "serial", name="uq_promotion_draws_code"),
        Index("ix_promotion_draws_promotion", "promotion_id", "tier_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    promotion_id: Mapped[int] = mapped_column(ForeignKey("promotions.id"))
    generation: Mapped[int]
    serial: Mapped[int] = mapped_column(BigInteger)
    tier_id: Mapped[int | None] = mapped_column(ForeignKey("promotion_tiers.id"), default=None)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    channel: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str | None] = mapped_column(String(6), default=None)
    claim_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(100), default=None)
