"""Alerts: what the network noticed for a regulator or the operator to look at."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String
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
    CLONED_CODE = "warning:cloned_code", "疑似克隆码", "a code that looks cloned"
    UNKNOWN_CLUSTER = "warning:unknown_cluster", "无效码集中出现", "a cluster of unknown codes"
    ENUMERATION = "warning:enumeration", "同一来源大量试码", "one source trying many codes"
    DIVERSION = "warning:diversion", "串货", "goods diverted"
    COMPLAINT_CLUSTER = "warning:complaint_cluster", "投诉举报集中", "a cluster of complaints"
    SPOT_CHECK_FAILED = "warning:spot_check_failed", "监督抽查不合格", "a failed spot check"
    RECALL_OPENED = "warning:recall_opened", "产品召回", "a recall opened"


class WarningRule(LabelledChoice):
    """The early-warning rules (质量预警); each alert they raise names one."""

    CLONED_CODE = "cloned_code", "克隆码", "cloned code"
    UNKNOWN_CLUSTER = "unknown_cluster", "无效码集中", "unknown codes clustered"
    ENUMERATION = "enumeration", "试码（枚举）", "enumeration from one source"
    DIVERSION = "diversion", "串货", "diversion"
    COMPLAINT_CLUSTER = "complaint_cluster", "投诉举报集中", "complaints clustered"
    SPOT_CHECK_FAILED = "spot_check_failed", "抽查不合格", "failed spot check"
    RECALL_OPENED = "recall_opened", "召回", "recall opened"


class AlertStatus(LabelledChoice):
    OPEN = "open", "待处理", "open"
    ACKNOWLEDGED = "acknowledged", "已确认", "acknowledged"
    CASE_OPENED = "case_opened", "已立案", "turned into a case"
    ENFORCEMENT = "enforcement", "已发起执法", "enforcement action opened"
    DISMISSED = "dismissed", "已排除", "dismissed"


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
    # The early-warning rule that raised it, and its once-only key (rule, subject, window).
    rule: Mapped[str | None] = mapped_column(String(32), index=True, default=None)
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True, default=None)
    status: Mapped[AlertStatus] = mapped_column(String(16), default=AlertStatus.OPEN,
                                                server_default=AlertStatus.OPEN.value, index=True)
    handled_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    handled_by: Mapped[str | None] = mapped_column(String(100), default=None)
    reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), default=None)


class AlertRuleSetting(Base):
    """The thresholds of one early-warning rule as the operator set them (absent: the defaults).

    ``threshold`` is the rule's N (counties, unknown queries, invalid queries, diverted codes,
    complaints); ``max_queries`` the cloned-code rule's second bound (more than M queries); ``window_minutes``
    the time the counts are taken over.
    """

    __tablename__ = "alert_rules"

    rule: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    threshold: Mapped[int] = mapped_column(default=1)
    max_queries: Mapped[int | None] = mapped_column(default=None)
    window_minutes: Mapped[int] = mapped_column(default=60)
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(100), default="")


class SpotCheck(Base):
    """One supervisory spot check (监督抽查) of a product's lot: where and when it was sampled, the
    items tested, the result, the test report's number and the agency. ``region_code`` is the
    sampling place's division; with the product's category and enterprise it decides who sees it."""

    __tablename__ = "spot_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True, default=None)
    lot: Mapped[str] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(String(6), ForeignKey("regions.code"), index=True)
    place: Mapped[str] = mapped_column(String(200))
    sampled_on: Mapped[dt.date] = mapped_column(Date)
    items: Mapped[str] = mapped_column(String(500))
    passed: Mapped[bool]
    report_number: Mapped[str] = mapped_column(String(64), unique=True)
    agency: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    recorded_by: Mapped[str] = mapped_column(String(100))
