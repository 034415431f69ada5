"""Product categories (产品目录) and the supervising agencies."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from jianguan.choices import LabelledChoice
from jianguan.storage.base import Base, utcnow


class Agency(LabelledChoice):
    """The supervising agencies of the seeds' joint leading group."""

    QUALITY = "quality", "质监", "quality supervision"
    MARKET = "market", "市场监管(工商)", "market regulation"
    AGRICULTURE = "agriculture", "农业", "agriculture"
    FOOD_DRUG = "food_drug", "食药", "food and drug"


class Category(Base):
    """A product category of the catalogue and the agency that supervises it.

    ``mandatory_since`` records the year a category became mandatory for the network
    (the nine categories of 2007); None for categories that join voluntarily.
    """

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    agency: Mapped[Agency] = mapped_column(String(16), index=True)
    mandatory_since: Mapped[int | None] = mapped_column(default=None)
    description: Mapped[str] = mapped_column(String(2000), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CatalogueEntry(Base):
    """A product kind of the catalogue of products under electronic supervision (百种产品目录: the
    first list of about a hundred kinds the network covered), within a category of this module.

    ``number`` is the entry's number in the published list (stable, unique); ``note`` holds the
    national standard or the licence the kind is made under, as the list says it (free text: the
    catalogue names them, it does not enforce them). Products point at an entry (nullable) and the
    coverage of the catalogue is read through them. Entries are retired, never deleted."""

    __tablename__ = "catalogue_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
