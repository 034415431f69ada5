"""The registry of distributors and shops."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from jianguan.choices import LabelledChoice
from jianguan.storage.base import Base, utcnow


class MerchantKind(LabelledChoice):
    DISTRIBUTOR = "distributor", "经销商", "distributor"
    SHOP = "shop", "商店", "shop"


class Merchant(Base):
    """A distributor or shop: it receives goods, checks their codes, and ships onward."""

    __tablename__ = "merchants"

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[MerchantKind] = mapped_column(String(16))
    region_code: Mapped[str] = mapped_column(String(6), ForeignKey("regions.code"), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
