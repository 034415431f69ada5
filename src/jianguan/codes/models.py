"""Supervision code tables: keys, serial counters, requests, batches, and the per-code events.

What is stored grows with batches and events, never with the number of codes issued: a batch
is one row ``[serial_start, serial_start + quantity)`` of one key generation, and activation is
stored as ranges. Per-code rows exist only for codes something happened to (spoiled; packed and
moved codes are the trace area's).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from jianguan.choices import LabelledChoice
from jianguan.storage.base import Base, utcnow


class CodeKey(Base):
    """One key generation (1-9): its AES-256 key, wrapped (AES-GCM) under the master key.

    The clear key never leaves the process that unwraps it; manufacturers and printers get
    codes, never keys.
    """

    __tablename__ = "code_keys"
    __table_args__ = (CheckConstraint("generation BETWEEN 1 AND 9", name="generation_range"),)

    generation: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SerialCounter(Base):
    """The next unallocated serial of a generation; ranges are cut from it atomically."""

    __tablename__ = "serial_counters"

    generation: Mapped[int] = mapped_column(ForeignKey("code_keys.generation"), primary_key=True,
                                            autoincrement=False)
    next_serial: Mapped[int] = mapped_column(BigInteger, default=0)


class SigningKey(Base):
    """The network's Ed25519 key that signs code files; the private half is wrapped like code keys."""

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    wrapped_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    public_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RequestStatus(LabelledChoice):
    PENDING = "pending", "待审批", "awaiting approval"
    GRANTED = "granted", "已批准", "granted"
    REJECTED = "rejected", "已驳回", "rejected"
    ISSUED = "issued", "已发码", "issued"


class CodeRequest(Base):
    """A manufacturer's request for N codes of one product and packaging level (监管码申请单)."""

    __tablename__ = "code_requests"
    __table_args__ = (CheckConstraint("quantity > 0", name="positive_quantity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    packaging_level: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(BigInteger)
    printer_id: Mapped[int | None] = mapped_column(ForeignKey("printers.id"), index=True, default=None)
    status: Mapped[RequestStatus] = mapped_column(String(16), index=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    requested_by: Mapped[str] = mapped_column(String(100))
    decided_by: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class CodeBatch(Base):
    """One issued range of serials: the codes of one request, printed by one printer (or the
    enterprise itself when ``printer_id`` is None).

    A batch of generation 0 is no issue but a registration of codes of another scheme the
    enterprise already prints (``schemes/``): it has no request and no key, and its serials
    number the registered codes (``schemes.models``).
    """

    __tablename__ = "code_batches"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="positive_quantity"),
        Index("ix_code_batches_generation_serial_start", "generation", "serial_start", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("code_requests.id"), unique=True)  # None: registered
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    packaging_level: Mapped[str] = mapped_column(String(16))
    generation: Mapped[int]  # 1-9: a key's (code_keys); 0: registered codes of another scheme
    serial_start: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(BigInteger)
    printer_id: Mapped[int | None] = mapped_column(ForeignKey("printers.id"), index=True, default=None)
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    downloads: Mapped[int] = mapped_column(default=0)
    printed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    printed_count: Mapped[int | None] = mapped_column(BigInteger, default=None)

    @property
    def serial_end(self) -> int:
        """One past the last serial of the batch."""
        return self.serial_start + self.quantity


class CodeDownload(Base):
    """One download of a batch's code file."""

    __tablename__ = "code_downloads"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("code_batches.id"), index=True)
    downloaded_by: Mapped[str] = mapped_column(String(100))
    source_address: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SpoiledCode(Base):
    """A code the printer spoiled (作废): verification reports it as spoiled."""

    __tablename__ = "spoiled_codes"

    generation: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    serial: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    batch_id: Mapped[int] = mapped_column(ForeignKey("code_batches.id"), index=True)
    reported_by: Mapped[str] = mapped_column(String(100))
    reported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Activation(Base):
    """Production data bound to a sub-range of a batch (激活): ``[serial_start, serial_end)``."""

    __tablename__ = "activations"
    __table_args__ = (
        CheckConstraint("serial_end > serial_start", name="non_empty_range"),
        Index("ix_activations_batch_range", "batch_id", "serial_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("code_batches.id"))
    serial_start: Mapped[int] = mapped_column(BigInteger)
    serial_end: Mapped[int] = mapped_column(BigInteger)
    lot: Mapped[str] = mapped_column(String(64))
    production_date: Mapped[dt.date]
    expiry_date: Mapped[dt.date | None] = mapped_column(default=None)
    inspection_record: Mapped[str] = mapped_column(String(200), default="")
    activated_by: Mapped[str] = mapped_column(String(100))
    activated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    withdrawn_by: Mapped[str | None] = mapped_column(String(100), default=None)
    withdrawn_reason: Mapped[str | None] = mapped_column(String(500), default=None)
