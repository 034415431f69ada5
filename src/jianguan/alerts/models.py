"""Alerts: what the network noticed for a regulator or the operator to look at."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from jianguan.choices import LabelledChoice
from jianguan.storage.base import Base, utcnow


class AlertSeverity(LabelledChoice):
    INFO = "info", "提示", "info"
    WARNING = "warning", "警告", "warning"
    CRITICAL = "critical", "严重", "critical"


class AlertKind(LabelledChoice):
    """What an alert is about, shaped ``area:what`` like the audit actions."""

    ABUSE_SOURCE_BLOCKED = ("abuse:source_blocked", "查询来源因大量无效查询被暂时封禁",
                            "a source was blocked for sending many invalid codes")


class Alert(Base):
    """One thing a person should look at, e.g. a source blocked for probing codes.

    ``subject`` names what the alert is about without naming a person: for abuse, the keyed
    hash of the client address or phone number. ``region_code`` is where it happened when
    known (the query's region) and ``category_id`` the category of the product it concerns;
    together they decide which regulators see it (the jurisdiction rule). An alert without a
    region is seen by the operator only; one without a category by the general agencies.
    """

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    severity: Mapped[AlertSeverity] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(100), default="")
    region_code: Mapped[str | None] = mapped_column(String(6), index=True, default=None)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True, default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    acknowledged_by: Mapped[str | None] = mapped_column(String(100), default=None)
