"""Complaints and reports (投诉举报) consumers send about products."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from jianguan.choices import LabelledChoice
from jianguan.storage.base import Base, utcnow
from jianguan.timezone import LOCAL_ZONE


class ComplaintKind(LabelledChoice):
    """A complaint is about the quality of a genuine product; a report is of a suspected fake."""

    COMPLAINT = "complaint", "投诉", "complaint"
    REPORT = "report", "举报", "report of a fake"


class ComplaintStatus(LabelledChoice):
    RECEIVED = "received", "已受理", "received"


class Complaint(Base):
    """A consumer's complaint or report (投诉举报): the code as they typed or scanned it, the
    verdict they were given then, where they bought the product and, if they wish, how the
    regulator may call them back.

    ``generation`` and ``serial`` are set when the code was well-formed, so the reports of one
    code can be found together; ``enterprise_id`` and ``category_id`` when it was issued, naming
    the product's maker and category. ``region_code`` (where it happened) and the category decide
    which regulators see it (the jurisdiction rule); one that names neither is general business,
    seen by the operations centre and the general agencies.
    """

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ComplaintKind] = mapped_column(String(16), default=ComplaintKind.REPORT,
                                                server_default=ComplaintKind.REPORT.value)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    code_input: Mapped[str] = mapped_column(String(64))
    generation: Mapped[int | None] = mapped_column(default=None)
    serial: Mapped[int | None] = mapped_column(BigInteger, default=None)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True, default=None)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True, default=None)
    verdict: Mapped[str | None] = mapped_column(String(16), default=None)
    channel: Mapped[str] = mapped_column(String(16))
    place: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(6), ForeignKey("regions.code"), index=True, default=None)
    contact: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(String(2000), default="")
    status: Mapped[ComplaintStatus] = mapped_column(String(16), default=ComplaintStatus.RECEIVED)

    @property
    def reference(self) -> str:
        """The number the reporter is given: the day in Beijing time and the report's id."""
        return f"JB{self.created_at.astimezone(LOCAL_ZONE):%Y%m%d}{self.id:06d}"
