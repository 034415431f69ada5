"""Applications to join the network (网上申请入网), their products, documents and steps."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from jianguan.applications.workflow import ApplicationStage
from jianguan.storage.base import Base, utcnow
from jianguan.timezone import LOCAL_ZONE

NUMBER_PREFIX = "SQ"
# The stages in which an application is under review: one such application a credit code.
_OPEN = "stage IN ('submitted', 'corrections')"


class Application(Base):
    """An enterprise's application to join the network, and where its review stands.

    What the applicant gave: the unified social credit code (checked), the name, the county it
    lies in, its main category, address, production licence (number, issuer, valid until), the
    contact person with a mobile number and an e-mail address. ``secret_hash`` is the SHA-256
    of the secret the applicant follows the application with (shown once). Routing names the
    ``agency`` responsible for the main category in the county and that county
    (``assigned_region``); who sees an application is the jurisdiction rule on its region,
    category and agency. ``note`` is the last decision's reason (the corrections asked, the
    refusal). Approval sets ``enterprise_id`` and ``user_id`` (the enterprise made, its first user).
A credit code has at most one application under review (a partial unique index: two sent at
once end with one accepted and one refused).
    """

    __tablename__ = "applications"
    __table_args__ = (Index("uq_applications_open_credit_code", "credit_code", unique=True,
                            sqlite_where=text(_OPEN), postgresql_where=text(_OPEN)),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(6), ForeignKey("regions.code"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    address: Mapped[str] = mapped_column(String(300))
    licence_number: Mapped[str] = mapped_column(String(100))
    licence_issuer: Mapped[str] = mapped_column(String(200), default="")
    licence_valid_until: Mapped[dt.date | None] = mapped_column(default=None)
    contact_name: Mapped[str] = mapped_column(String(100))
    mobile: Mapped[str] = mapped_column(String(20))
    email: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(64))
    stage: Mapped[ApplicationStage] = mapped_column(String(16), default=ApplicationStage.SUBMITTED, index=True)
    stage_since: Mapped[dt.datetime] = mapped_column(default=utcnow)
    agency: Mapped[str] = mapped_column(String(16), index=True)
    assigned_region: Mapped[str] = mapped_column(String(6), ForeignKey("regions.code"))
    note: Mapped[str] = mapped_column(String(2000), default="")
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), default=None)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)

    @property
    def number(self) -> str:
        """The number the applicant is given: the day in Beijing time and the application's id."""
        return f"{NUMBER_PREFIX}{self.created_at.astimezone(LOCAL_ZONE):%Y%m%d}{self.id:06d}"


class ApplicationProduct(Base):
    """A product the applicant makes and will code: name, specification, category and, when the
    applicant names it, its entry of the product catalogue (百种产品目录)."""

    __tablename__ = "application_products"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    specification: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    catalogue_entry_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_entries.id"), default=None)


class ApplicationDocument(Base):
    """A document sent with an application (the business licence, the production licence, …):
    the file is kept in the configured folder (``JIANGUAN_APPLICATION_DOCUMENT_DIR``) under its
    SHA-256, never in the database. A resubmission's documents are added beside the earlier ones."""

    __tablename__ = "application_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    media_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ApplicationStep(Base):
    """One step of an application's review as its pages show it: the action, the stage reached,
    by whom, and the note (the corrections asked, the reason of a refusal)."""

    __tablename__ = "application_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(String(2000), default="")
