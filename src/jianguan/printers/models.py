"""The registry of designated printers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from jianguan.storage.base import Base, utcnow


class Printer(Base):
    """A printing company that may print supervision codes once its filing (印刷备案) is valid.

    The row holds the filing in force now: a renewal replaces the number and the expiry date, a
    revocation stamps the time and the reason (the audit log keeps every earlier state).
    """

    __tablename__ = "printers"

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(6), ForeignKey("regions.code"), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    filing_number: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    filing_valid_until: Mapped[dt.date | None] = mapped_column(default=None)
    filing_revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    filing_revoked_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def filing_valid_on(self, day: dt.date) -> bool:
        """Whether the printer may print codes on ``day``: a filing with its number, in force that
        day and not revoked. The one rule both the list of printers a manufacturer may name and
        the check when one is named use.

        A revoked filing is valid on no day: the row holds the filing as it stands now, and the
        callers ask about today.
        """
        return (self.filing_number is not None and self.filing_valid_until is not None
                and self.filing_revoked_at is None and day <= self.filing_valid_until)

    @property
    def filing_revoked(self) -> bool:
        """Whether the current filing was revoked (and not renewed since)."""
        return self.filing_revoked_at is not None
