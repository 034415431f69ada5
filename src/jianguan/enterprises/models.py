"""Enterprises, qualifications, products and packaging levels."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jianguan.choices import LabelledChoice
from jianguan.storage.base import Base, utcnow


class EnrolmentStage(LabelledChoice):
    """The funnel of the seeds' progress reports, in order."""

    REGISTERED = "registered", "已登记", "registered"
    SIGNED = "signed", "签约入网", "signed up"
    CREDENTIALS_ISSUED = "credentials_issued", "已申请密钥", "credentials issued"
    CODES_ISSUED = "codes_issued", "已赋码", "codes issued"
    ACTIVATED = "activated", "已激活", "codes activated"


class QualificationKind(LabelledChoice):
    CHINA_TOP_BRAND = "china_top_brand", "中国名牌", "China Top Brand"
    INSPECTION_EXEMPT = "inspection_exempt", "国家免检", "national inspection exemption"
    GEOGRAPHICAL_INDICATION = "geographical_indication", "地理标志保护", "geographical indication"
    PROVINCIAL_BRAND = "provincial_brand", "省名牌", "provincial famous brand"
    CITY_QUALITY_AWARD = "city_quality_award", "市产品质量奖", "city product quality award"
    PRODUCTION_LICENCE = "production_licence", "生产许可证", "production licence"


class PackagingLevel(LabelledChoice):
    ITEM = "item", "单品", "item"
    CASE = "case", "箱", "case"
    PALLET = "pallet", "托盘", "pallet"


class Enterprise(Base):
    """A manufacturer in the registry, with the date it reached each enrolment stage.

    The stage dates are facts, set once as they happen (signing by an operator, the first
    credentials, codes and activation by the services that do those things); the current
    stage is derived from them and never stored on its own.
    """

    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(6), ForeignKey("regions.code"), index=True)
    # The main line of business (主营类别): it decides which agencies supervise the enterprise,
    # together with the categories of its products.
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    address: Mapped[str] = mapped_column(String(300))
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str] = mapped_column(String(40))
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(String(2000), default="")
    signed_on: Mapped[dt.date | None] = mapped_column(default=None)
    credentials_issued_on: Mapped[dt.date | None] = mapped_column(default=None)
    codes_issued_on: Mapped[dt.date | None] = mapped_column(default=None)
    activated_on: Mapped[dt.date | None] = mapped_column(default=None)
    # Codes issued in a calendar month without an operator's approval; requests beyond it wait.
    monthly_code_quota: Mapped[int] = mapped_column(BigInteger, default=1_000_000, server_default="1000000")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    category: Mapped["Category"] = relationship()  # noqa: UP037
    qualifications: Mapped[list[Qualification]] = relationship(
        back_populates="enterprise", order_by="Qualification.id", cascade="all, delete-orphan"
    )
    products: Mapped[list[Product]] = relationship(
        back_populates="enterprise", order_by="Product.id", cascade="all, delete-orphan"
    )

    @property
    def stage(self) -> EnrolmentStage:
        """The furthest enrolment stage reached."""
        for stage, reached in (
            (EnrolmentStage.ACTIVATED, self.activated_on),
            (EnrolmentStage.CODES_ISSUED, self.codes_issued_on),
            (EnrolmentStage.CREDENTIALS_ISSUED, self.credentials_issued_on),
            (EnrolmentStage.SIGNED, self.signed_on),
        ):
            if reached is not None:
                return stage
        return EnrolmentStage.REGISTERED


class Qualification(Base):
    """A title or licence an enterprise holds (名牌, 免检, 生产许可证, …) with its validity."""

    __tablename__ = "qualifications"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "kind", "number"),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="validity_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"), index=True)
    kind: Mapped[QualificationKind] = mapped_column(String(32))
    number: Mapped[str] = mapped_column(String(100))
    issuer: Mapped[str] = mapped_column(String(200), default="")
    valid_from: Mapped[dt.date]
    valid_until: Mapped[dt.date | None] = mapped_column(default=None)

    enterprise: Mapped[Enterprise] = relationship(back_populates="qualifications")

    def is_valid_on(self, day: dt.date) -> bool:
        """Whether the qualification is in force on ``day``."""
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


class Product(Base):
    """A product of an enterprise: what a code will name when a consumer verifies it."""

    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("enterprise_id", "name", "specification"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    # The kind of the catalogue (百种产品目录) the product is of; None for a product outside it, or
    # one registered before the catalogue was kept (those are left for their makers to link).
    catalogue_entry_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_entries.id"), index=True,
                                                           default=None)
    name: Mapped[str] = mapped_column(String(200))
    specification: Mapped[str] = mapped_column(String(200))
    gtin: Mapped[str | None] = mapped_column(String(14), unique=True, default=None)
    description: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    enterprise: Mapped[Enterprise] = relationship(back_populates="products")
    category: Mapped["Category"] = relationship()  # noqa: UP037
    packaging: Mapped[list[ProductPackaging]] = relationship(
        back_populates="product", order_by="ProductPackaging.id", cascade="all, delete-orphan"
    )


class ProductPackaging(Base):
    """One packaging level of a product and how many units of the level below it holds.

    An item holds 1; a case of 24 items holds 24; a pallet of 40 cases holds 40.
    """

    __tablename__ = "product_packaging"
    __table_args__ = (
        UniqueConstraint("product_id", "level"),
        CheckConstraint("units_of_lower_level >= 1", name="positive_ratio"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    level: Mapped[PackagingLevel] = mapped_column(String(16))
    units_of_lower_level: Mapped[int] = mapped_column(default=1)

    product: Mapped[Product] = relationship(back_populates="packaging")


from jianguan.catalogue.models import Category  # noqa: E402


class Broadcast(Base):
    """A message an enterprise posts to the people who verify its codes (信息播报): news, a
    promotion, a warning. The newest one not withdrawn is shown with every genuine answer."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(280))
    posted_by: Mapped[str] = mapped_column(String(100))
    posted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(default=None)
