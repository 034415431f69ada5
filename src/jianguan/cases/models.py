"""Cases (投诉举报): what consumers send about products, its photos, its steps, and the stages' deadlines."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jianguan.cases.workflow import CaseStage
from jianguan.choices import LabelledChoice
from jianguan.storage.base import Base, utcnow
from jianguan.timezone import LOCAL_ZONE

NUMBER_PREFIX = "JB"


class CaseKind(LabelledChoice):
    """A complaint is about the quality of a genuine product; a report is of a suspected fake."""

    COMPLAINT = "complaint", "投诉", "complaint"
    REPORT = "report", "举报", "report of a fake"


class Case(Base):
    """A consumer's complaint or report (投诉举报) and where its handling stands.

    What was sent: the code as typed or scanned, the verdict the reporter was given then, where
    it happened, what was noticed, and, if they wish, a contact. ``reply_to`` is the phone number
    of a report sent by SMS or telephone, kept to tell the reporter by that channel (like
    ``contact``, it is shown to regulators only and never written to the audit log).
    ``secret_hash`` is the SHA-256 of the short secret the reporter is given with the number.

    ``generation`` and ``serial`` are set when the code was well-formed, ``enterprise_id`` and
    ``category_id`` when it was issued (the product's maker and category). ``region_code`` is
    where it happened, or the region of the reporter's number when the place was not given
    (``region_from_phone``). Routing names the responsible ``agency`` and the region of the
    level answering now (``assigned_region``: the county's, then after an escalation the
    city's); ``assignee_id`` is the person of that agency the case was assigned to.
    ``due_at`` is when the current stage is overdue; ``escalated_at`` is set once the case was
    escalated in it. Who sees a case is the jurisdiction rule on its region, category, agency
    and enterprise.
    """

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[CaseKind] = mapped_column(String(16), default=CaseKind.REPORT, server_default=CaseKind.REPORT.value)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    code_input: Mapped[str] = mapped_column(String(64))
    generation: Mapped[int | None] = mapped_column(default=None)
    serial: Mapped[int | None] = mapped_column(BigInteger, default=None)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True, default=None)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True, default=None)
    verdict: Mapped[str | None] = mapped_column(String(16), default=None)
    channel: Mapped[str] = mapped_column(String(16))
    place: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(6), ForeignKey("regions.code"), index=True, default=None)
    region_from_phone: Mapped[bool] = mapped_column(default=False, server_default="0")
    contact: Mapped[str] = mapped_column(String(200), default="")
    reply_to: Mapped[str] = mapped_column(String(32), default="", server_default="")
    description: Mapped[str] = mapped_column(String(2000), default="")
    secret_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    stage: Mapped[CaseStage] = mapped_column(String(16), default=CaseStage.ACCEPTED, index=True)
    stage_since: Mapped[dt.datetime] = mapped_column(default=utcnow)
    due_at: Mapped[dt.datetime | None] = mapped_column(default=None, index=True)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    escalations: Mapped[int] = mapped_column(default=0, server_default="0")
    agency: Mapped[str | None] = mapped_column(String(16), default=None, index=True)
    assigned_region: Mapped[str | None] = mapped_column(String(6), ForeignKey("regions.code"), default=None)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    finding: Mapped[str] = mapped_column(String(2000), default="", server_default="")
    measures: Mapped[str] = mapped_column(String(2000), default="", server_default="")
    # The finding of the 处理 step: the complaint or report upheld (成立) or not (不成立); None
    # until the case is resolved. The credit record counts only upheld complaints.
    upheld: Mapped[bool | None] = mapped_column(default=None)

    @property
    def number(self) -> str:
        """The number the reporter is given: the day in Beijing time and the case's id."""
        return f"{NUMBER_PREFIX}{self.created_at.astimezone(LOCAL_ZONE):%Y%m%d}{self.id:06d}"

    @property
    def kind_label_zh(self) -> str:
        return CaseKind(self.kind).label_zh

    @property
    def reference(self) -> str:
        """The case number (the name the reports' pages and API always used)."""
        return self.number


class CasePhoto(Base):
    """A photo sent with a case: the file is kept in the configured folder
    (``JIANGUAN_CASE_PHOTO_DIR``) under its SHA-256, never in the database."""

    __tablename__ = "case_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    media_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CaseStep(Base):
    """One step of a case's handling, as its page and the reporter's look-up show it: the stage
    reached, by whom, and the note that goes with it (the reason of a pass, the finding)."""

    __tablename__ = "case_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(String(2000), default="")


class CaseDeadline(Base):
    """The days a stage may last, as the operator set them (a stage with no row has the default)."""

    __tablename__ = "case_deadlines"

    stage: Mapped[str] = mapped_column(String(16), primary_key=True)
    days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class EnforcementAction(Base):
    """An enforcement action (执法打假) a case or an alert opened, and its outcome, fed back to the
    manufacturer whose brand was faked (保名优): the goods seized, their value (whole yuan), the
    cases filed and the penalty (whole yuan). Exactly one of ``case_id`` and ``alert_id`` names
    what opened it. It takes that one's region, category, agency (an alert has none: the acting
    regulator's) and enterprise, so the same regulators see it, and the manufacturer sees the
    actions about its brand."""

    __tablename__ = "enforcement_actions"
    __table_args__ = (CheckConstraint("(case_id IS NULL) <> (alert_id IS NULL)", name="one_source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True, default=None)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True, default=None)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True, default=None)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), default=None)
    region_code: Mapped[str | None] = mapped_column(String(6), ForeignKey("regions.code"), index=True, default=None)
    agency: Mapped[str | None] = mapped_column(String(16), default=None)
    basis: Mapped[str] = mapped_column(String(2000))
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    opened_by: Mapped[str] = mapped_column(String(100))
    concluded_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    goods_seized: Mapped[str] = mapped_column(String(500), default="")
    goods_value: Mapped[int] = mapped_column(BigInteger, default=0)
    cases_filed: Mapped[int] = mapped_column(Integer, default=0)
    penalty: Mapped[int] = mapped_column(BigInteger, default=0)
    outcome: Mapped[str] = mapped_column(String(2000), default="")
