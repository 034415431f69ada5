"""Product categories (产品目录) and the supervising agencies."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
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
