"""The records of receiving checks (进货验收): one a delivery checked, a line a code scanned."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jianguan.choices import LabelledChoice
from jianguan.storage.base import Base, utcnow


class CheckResult(LabelledChoice):
    """What the check found of one code: only ``ok`` may be accepted."""

    OK = "ok", "合格", "passed"
    UNKNOWN = "unknown", "查无此码（疑似假冒）", "unknown code (suspected fake)"
    SPOILED = "spoiled", "作废码", "spoiled code"
    NOT_ACTIVATED = "not_activated", "未激活", "not activated"
    EXPIRED = "expired", "已过期", "expired"
    RECALLED = "recalled", "已召回", "recalled"
    ENDED = "ended", "已销毁或注销", "destroyed or decommissioned"
    NOT_SHIPPED = "not_shipped", "未发往本单位", "not shipped to you"
    ALREADY_RECEIVED = "already_received", "本单位已收货", "already received by you"
    NOT_IN_STOCK = "not_in_stock", "不在本单位库存", "not in your stock"


class Receipt(Base):
    """A receiving check of one delivery by a distributor or shop: how many codes it accepted and
    refused, and the receiving event that recorded the accepted ones (None: none accepted).
    ``region_code`` is the merchant's county, where regulators see it."""

    __tablename__ = "receipts"
    __table_args__ = (Index("ix_receipts_merchant", "merchant_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    region_code: Mapped[str] = mapped_column(String(6), ForeignKey("regions.code"), index=True)
    event_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("trace_events.id"), default=None)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(String(500), default="")
    checked_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ReceiptLine(Base):
    """One code of a receiving check and what the check found: a code of a case scanned whole
    names its ``container``. A code nobody issued keeps no batch, enterprise or product."""

    __tablename__ = "receipt_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id"), index=True)
    # 20 digits, or a registered GS1 code as ``(01){gtin}(21){serial}`` (at most 42 characters)
    code: Mapped[str] = mapped_column(String(42))
    container: Mapped[str | None] = mapped_column(String(42), default=None)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("code_batches.id"), default=None)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True, default=None)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), default=None)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), default=None)
    result: Mapped[CheckResult] = mapped_column(String(20))
    accepted: Mapped[bool]
