"""The registry of query terminals."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from jianguan.choices import LabelledChoice
from jianguan.storage.base import Base, utcnow


class TerminalStatus(LabelledChoice):
    ACTIVE = "active", "在用", "active"
    RETIRED = "retired", "已停用", "retired"


class Terminal(Base):
    """A query terminal installed in a shop, with the API key (密钥) it authenticates with.

    The terminal's county is where its queries are counted (the query log's region), so it
    defaults to the shop's and may differ only for a shop with outlets in another county.
    Whether it is online is not stored: it follows from ``last_heartbeat_at`` and a setting.
    """

    __tablename__ = "terminals"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(300), default="")
    region_code: Mapped[str] = mapped_column(String(6), ForeignKey("regions.code"), index=True)
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str] = mapped_column(String(32))
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), unique=True)
    status: Mapped[TerminalStatus] = mapped_column(String(16), default=TerminalStatus.ACTIVE)
    registered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_heartbeat_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    software_version: Mapped[str | None] = mapped_column(String(64), default=None)
