"""The reports consumers send about products they believe are fake."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from jianguan.choices import LabelledChoice
from jianguan.storage.base import Base, utcnow


class ReportStatus(LabelledChoice):
    RECEIVED = "received", "已受理", "received"


class FakeReport(Base):
    """A consumer's report of a suspected fake (举报假冒): the code as they typed or scanned it,
    the verdict they were given then, where they bought the product and, if they wish, how the
    regulator may call them back. ``generation`` and ``serial`` are set when the code was
    well-formed, so reports of one code can be found together; ``region_code`` decides which
    regulators see the report (a report without one is for the operations centre)."""

    __tablename__ = "fake_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    code_input: Mapped[str] = mapped_column(String(64))
    generation: Mapped[int | None] = mapped_column(default=None)
    serial: Mapped[int | None] = mapped_column(BigInteger, default=None)
    verdict: Mapped[str | None] = mapped_column(String(16), default=None)
    channel: Mapped[str] = mapped_column(String(16))
    place: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(6), ForeignKey("regions.code"), index=True, default=None)
    contact: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(String(2000), default="")
    status: Mapped[ReportStatus] = mapped_column(String(16), default=ReportStatus.RECEIVED)

    @property
    def reference(self) -> str:
        """The number the reporter is given: the day in Beijing time and the report's id."""
        from zoneinfo import ZoneInfo

        return f"JB{self.created_at.astimezone(ZoneInfo('Asia/Shanghai')):%Y%m%d}{self.id:06d}"
