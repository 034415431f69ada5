"""Industry rosters (行业名录): every enterprise of an industry in a region, enrolled or not.

A roster is imported from a file (a production-licence register, a trade association's list) and
is what penetration rates are measured against: of the 290 compound-fertiliser makers of a
county, 142 have signed. Members are matched to the registry by their credit code when the
rates are read, never stored as a match, so the rates follow the enterprises as they enrol.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jianguan.storage.base import Base, utcnow


class Roster(Base):
    """The roster of one industry in one region (a county, city or province), of a product
    category of the catalogue (which names the agency whose regulators see it). Importing the
    same industry, category and region again replaces its members; the row stays."""

    __tablename__ = "rosters"
    __table_args__ = (UniqueConstraint("region_code", "category_id", "industry"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(String(6), ForeignKey("regions.code"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    industry: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(200), default="")
    file_name: Mapped[str] = mapped_column(String(200), default="")
    file_sha256: Mapped[str] = mapped_column(String(64))
    member_count: Mapped[int]
    imported_by: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    members: Mapped[list[RosterMember]] = relationship(order_by="RosterMember.row", cascade="all, delete-orphan",
                                                       passive_deletes=True)


class RosterMember(Base):
    """One enterprise of a roster as its file listed it: the row it stood on, its credit code and
    name, the county it is in (when the file said), its licence number, and the kinds of
    qualification the file says it holds (``QualificationKind`` values)."""

    __tablename__ = "roster_members"
    __table_args__ = (UniqueConstraint("roster_id", "credit_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    roster_id: Mapped[int] = mapped_column(ForeignKey("rosters.id", ondelete="CASCADE"))
    row: Mapped[int]
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(6), default="")
    licence_number: Mapped[str] = mapped_column(String(100), default="")
    qualifications: Mapped[list[str]] = mapped_column(JSON, default=list)
