"""The addresses a region's monthly report is e-mailed to, and each sending of it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jianguan.storage.base import Base, utcnow


class ReportRecipient(Base):
    """An address the monthly report of a region is sent to, set by a regulator of the region (or
    one above it) or the operator. The report sent is the one its setter sees: ``agency`` is the
    setter's (empty for the operator), and the figures are limited to that agency's categories."""

    __tablename__ = "report_recipients"
    __table_args__ = (UniqueConstraint("region_code", "agency", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(String(6), ForeignKey("regions.code"), index=True)
    address: Mapped[str] = mapped_column(String(254))
    agency: Mapped[str] = mapped_column(String(16), default="")
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SendingStatus:
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # tried and failed; retried at ``next_attempt_at`` unless the attempts are used up


class ReportSending(Base):
    """One e-mail of one month's report of one region to one address. The unique key makes a second
    run of the job (or a run on another machine) find the row already there; a run takes a row to
    send with one atomic UPDATE (the lease, ``lease_until``), so only one process sends it."""

    __tablename__ = "report_sendings"
    __table_args__ = (UniqueConstraint("month", "region_code", "agency", "address"),
                      Index("ix_report_sendings_status_next", "status", "next_attempt_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    region_code: Mapped[str] = mapped_column(String(6), ForeignKey("regions.code"), index=True)
    address: Mapped[str] = mapped_column(String(254))
    agency: Mapped[str] = mapped_column(String(16), default="")
    status: Mapped[str] = mapped_column(String(16), default=SendingStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    lease_until: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
