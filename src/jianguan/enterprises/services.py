"""Enterprises: the registry, qualifications and products.

Who sees what is decided here, not in the routes. An operator sees every enterprise; a
regulator those in its region whose main category, or any of whose products' categories, its
agency supervises; a manufacturer only itself. A single enterprise outside the caller's scope
is answered NotFound, so a caller cannot learn that it exists.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session, selectinload

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record, record_update
from jianguan.catalogue.services import active_category, entry_for_product
from jianguan.enterprises.enrolment import mark_stage_reached, stage_condition
from jianguan.enterprises.identifiers import validate_credit_code, validate_gtin
from jianguan.enterprises.models import (
    EnrolmentStage,
    Enterprise,
    PackagingLevel,
    Product,
    ProductPackaging,
    Qualification,
    QualificationKind,
)
from jianguan.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jianguan.fields import clean_text
from jianguan.jurisdiction import scope_condition
from jianguan.regions.models import RegionLevel
from jianguan.regions.tree import RegionNode, region_tree
from jianguan.timezone import today


class KeepType(enum.Enum):
    """A field a change leaves as it is, where None means "none" (a product's catalogue entry)."""

    KEEP = "keep"


KEEP = KeepType.KEEP

MAX_UNITS_PER_LEVEL = 100_000  # units of the level below one case or pallet holds (a 32-bit column)
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ()\-]{4,38}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The English and Chinese names of the text fields, and the column each is stored in (its limit).
_FIELDS: dict[str, tuple[str, str, Any]] = {
    "name": ("name", "名称", Enterprise.name),
    "address": ("address", "地址", Enterprise.address),
    "contact_name": ("contact name", "联系人", Enterprise.contact_name),
    "contact_phone": ("contact phone", "联系电话", Enterprise.contact_phone),
    "contact_email": ("contact email", "电子邮箱", Enterprise.contact_email),
    "description": ("description", "简介", Enterprise.description),
    "product_name": ("product name", "产品名称", Product.name),
    "specification": ("specification", "规格型号", Product.specification),
    "product_description": ("product description", "产品说明", Product.description),
    "number": ("number", "证书编号", Qualification.number),
    "issuer": ("issuer", "发证机关", Qualification.issuer),
}


# --- checks -------------------------------------------------------------------------------


def _text(value: str | None, field: str, *, required: bool = False) -> str:
    english, chinese, column = _FIELDS[field]
    return clean_text(value, column, english=english, chinese=chinese, required=required, field=column.key)


def _phone(value: str | None) -> str:
    phone = _text(value, "contact_phone", required=True)
    if not PHONE_PATTERN.match(phone):
        raise ValidationFailed(
            f"The contact phone {phone!r} is not a phone number (digits, spaces, dashes, an optional +).",
            f"联系电话 {phone!r} 格式不正确（只能包含数字、空格、横线和开头的 +）。",
            code="invalid_phone", field="contact_phone",
        )
    return phone


def _email(value: str | None) -> str:
    email = _text(value, "contact_email")
    if email and not EMAIL_PATTERN.match(email):
        raise ValidationFailed(f"The email address {email!r} is not valid.", f"电子邮箱 {email!r} 格式不正确。",
                               code="invalid_email", field="contact_email")
    return email


def registrable_region(session: Session, code: str) -> RegionNode:
    """The division an enterprise, printer or shop may be registered in.

    A registration names the county-level division it lies in, or a prefecture-level city
    that has no counties (东莞, 中山, 儋州, 嘉峪关), because that is the lowest level at which
    regulators are organised; a province or a city with counties is too coarse.
    """
    if not code:
        raise ValidationFailed("The region is required.", "请选择所在行政区划。", code="missing_field",
                               field="region_code")
    tree = region_tree(session)
    region = tree.require(code.strip())
    if region.level == RegionLevel.COUNTY or (region.level == RegionLevel.CITY and tree.is_leaf(region.code)):
        return region
    raise ValidationFailed(
        f"{region.name} ({region.code}) is a {RegionLevel(region.level).label_en}; name the county-level "
        "division (district, county or county-level city) instead.",
        f"{region.name}（{region.code}）是{RegionLevel(region.level).label_zh}行政区划，请选择具体的区、县或县级市。",
        code="region_too_coarse",
    )


def _not_future(day: dt.date, english: str, chinese: str) -> dt.date:
    if day > today() + dt.timedelta(days=1):
        raise ValidationFailed(f"The {english} cannot lie in the future.", f"{chinese}不能晚于今天。",
                               code="date_in_future")
    return day


# --- scope --------------------------------------------------------------------------------


def scope(principal: Principal) -> ColumnElement[bool]:
    """The enterprises ``principal`` may see in management views (the jurisdiction rule)."""
    return scope_condition(principal, enterprise=Enterprise.id)


def get_enterprise(session: Session, *, principal: Principal, enterprise_id: int) -> Enterprise:
    """The enterprise, with its qualifications and products, if ``principal`` may see it; NotFound otherwise."""
    enterprise = session.scalar(
        select(Enterprise).where(Enterprise.id == enterprise_id, scope(principal))
        .options(selectinload(Enterprise.qualifications), selectinload(Enterprise.products)
                 .selectinload(Product.packaging))
    )
    if enterprise is None:
        raise NotFound(f"No enterprise {enterprise_id}.", f"企业 {enterprise_id} 不存在。")
    return enterprise


def editable_enterprise(session: Session, principal: Principal, enterprise_id: int) -> Enterprise:
    """The enterprise if ``principal`` may change its own records: an operator, or its own staff or key."""
    if principal.role is Role.OPERATOR or principal.owns_enterprise(enterprise_id):
        enterprise = session.get(Enterprise, enterprise_id)
        if enterprise is None:
            raise NotFound(f"No enterprise {enterprise_id}.", f"企业 {enterprise_id} 不存在。")
        return enterprise
    if principal.role is Role.MANUFACTURER:
        raise NotFound(f"No enterprise {enterprise_id}.", f"企业 {enterprise_id} 不存在。")
    raise PermissionDenied("Only the operator or the enterprise itself may change this.",
                           "只有运营中心或企业本身可以修改。")


def region_filter(session: Session, region_code: str) -> ColumnElement[bool]:
    return Enterprise.region_code.in_(sorted(region_tree(session).descendants(region_code.strip())))


def category_filter(category_id: int) -> ColumnElement[bool]:
    return or_(Enterprise.category_id == category_id,
               exists().where(Product.enterprise_id == Enterprise.id, Product.category_id == category_id))


def name_filter(query: str) -> ColumnElement[bool]:
    text = query.strip()
    return or_(Enterprise.name.contains(text, autoescape=True), Enterprise.credit_code == text.upper())


def list_enterprises(
    session: Session,
    *,
    principal: Principal,
    region_code: str | None = None,
    category_id: int | None = None,
    stage: EnrolmentStage | str | None = None,
    query: str | None = None,
) -> list[Enterprise]:
    """The enterprises in ``principal``'s scope, narrowed by region (and everything under it),
    category (main or of a product), current stage and a name or credit-code search."""
    statement = select(Enterprise).where(scope(principal)).order_by(Enterprise.name, Enterprise.id)
    if region_code:
        statement = statement.where(region_filter(session, region_code))
    if category_id is not None:
        statement = statement.where(category_filter(category_id))
    if stage:
        statement = statement.where(stage_condition(stage))
    if query and query.strip():
        statement = statement.where(name_filter(query))
    return list(session.scalars(statement.options(selectinload(Enterprise.category))))


def list_products(session: Session, *, principal: Principal, enterprise_id: int) -> list[Product]:
    """The products of an enterprise ``principal`` may see, with their packaging levels."""
    get_enterprise(session, principal=principal, enterprise_id=enterprise_id)
    return list(session.scalars(
        select(Product).where(Product.enterprise_id == enterprise_id).order_by(Product.id)
        .options(selectinload(Product.packaging), selectinload(Product.category))
    ))


# --- the registry -------------------------------------------------------------------------


def register_enterprise(
    session: Session,
    *,
    actor: Actor,
    credit_code: str,
    name: str,
    region_code: str,
    category_id: int | None,
    address: str,
    contact_name: str,
    contact_phone: str,
    contact_email: str = "",
    description: str = "",
) -> Enterprise:
    """Enter a manufacturer in the registry (登记); it joins the network when it signs."""
    code = validate_credit_code(credit_code)
    fields = {
        "name": _text(name, "name", required=True),
        "address": _text(address, "address", required=True),
        "contact_name": _text(contact_name, "contact_name", required=True),
        "contact_phone": _phone(contact_phone),
        "contact_email": _email(contact_email),
        "description": _text(description, "description"),
    }
    region = registrable_region(session, region_code)
    if category_id is None:
        raise ValidationFailed("The main category is required.", "请选择主营产品类别。", code="missing_field",
                               field="category_id")
    category = active_category(session, category_id)
    if session.scalar(select(Enterprise.id).where(Enterprise.credit_code == code)) is not None:
        raise Conflict(f"An enterprise with the credit code {code} is already registered.",
                       f"统一社会信用代码为 {code} 的企业已登记。", code="duplicate_enterprise")
    enterprise = Enterprise(credit_code=code, region_code=region.code, category_id=category.id, **fields)
    session.add(enterprise)
    session.flush()
    record(session, actor=actor, action=AuditAction.ENTERPRISE_ENTERPRISE_REGISTERED,
           target_type="enterprise", target_id=enterprise.id,
           after={"credit_code": code, "region_code": region.code, "category": category.code, **fields})
    return enterprise


def update_enterprise(
    session: Session,
    *,
    actor: Actor,
    principal: Principal,
    enterprise_id: int,
    name: str | None = None,
    address: str | None = None,
    contact_name: str | None = None,
    contact_phone: str | None = None,
    contact_email: str | None = None,
    description: str | None = None,
) -> Enterprise:
    """Change an enterprise's name, address, contacts or description (operator, or the enterprise itself).

    The credit code and the region are identity: a change there is a new registration.
    """
    enterprise = editable_enterprise(session, principal, enterprise_id)
    checks = {
        "name": lambda v: _text(v, "name", required=True),
        "address": lambda v: _text(v, "address", required=True),
        "contact_name": lambda v: _text(v, "contact_name", required=True),
        "contact_phone": _phone,
        "contact_email": _email,
        "description": lambda v: _text(v, "description"),
    }
    given = {"name": name, "address": address, "contact_name": contact_name, "contact_phone": contact_phone,
             "contact_email": contact_email, "description": description}
    changes = {field: checks[field](value) for field, value in given.items() if value is not None}
    record_update(session, actor=actor, action=AuditAction.ENTERPRISE_ENTERPRISE_UPDATED, target_type="enterprise",
                  target=enterprise, changes=changes)
    return enterprise


def sign_enterprise(session: Session, *, actor: Actor, enterprise_id: int, signed_on: dt.date | None = None
                    ) -> Enterprise:
    """Record that the enterprise signed up to the network (签约入网), today or on ``signed_on``.
    The enterprise's row is locked, so two signings at once record one (the other is a Conflict)."""
    enterprise = session.scalar(select(Enterprise).where(Enterprise.id == enterprise_id).with_for_update())
    if enterprise is None:
        raise NotFound(f"No enterprise {enterprise_id}.", f"企业 {enterprise_id} 不存在。")
    if enterprise.signed_on is not None:
        raise Conflict(f"{enterprise.name} signed up on {enterprise.signed_on.isoformat()} already.",
                       f"{enterprise.name} 已于 {enterprise.signed_on.isoformat()} 签约入网。", code="already_signed")
    if signed_on is not None:
        _not_future(signed_on, "signing date", "签约日期")
    mark_stage_reached(session, actor=actor, enterprise_id=enterprise.id, stage=EnrolmentStage.SIGNED, on=signed_on)
    return enterprise


MONTHLY_QUOTA_MAX = 10**12


def set_monthly_quota(session: Session, *, actor: Actor, enterprise_id: int, quota: object) -> Enterprise:
    """Set how many codes the enterprise may be issued in a calendar month without an operator's
    approval (operator): a whole number from 0 (every request waits) to 10^12. The same value
    again changes nothing.

    The enterprise's row is locked as ``codes.issue.request_codes`` locks it, so a request that
    is checking the quota finishes against the old value or starts against the new one.
    """
    if quota is None:
        raise ValidationFailed("The monthly code quota is required.", "请填写月度发码配额。", code="missing_field",
                               field="monthly_code_quota")
    if isinstance(quota, bool) or not isinstance(quota, int) or not 0 <= quota <= MONTHLY_QUOTA_MAX:
        raise ValidationFailed(
            f"The monthly code quota is a whole number from 0 to {MONTHLY_QUOTA_MAX:,}; got {quota!r}.",
            f"月度发码配额应为 0 至 {MONTHLY_QUOTA_MAX:,} 之间的整数，收到 {quota!r}。",
            code="invalid_quota", field="monthly_code_quota")
    enterprise = session.scalar(select(Enterprise).where(Enterprise.id == enterprise_id).with_for_update()
                                .execution_options(populate_existing=True))
    if enterprise is None:
        raise NotFound(f"No enterprise {enterprise_id}.", f"企业 {enterprise_id} 不存在。")
    if enterprise.monthly_code_quota == quota:
        return enterprise
    before = {"monthly_code_quota": enterprise.monthly_code_quota}
    enterprise.monthly_code_quota = quota
    session.flush()
    record(session, actor=actor, action=AuditAction.ENTERPRISE_QUOTA_CHANGED, target_type="enterprise",
           target_id=enterprise.id, before=before, after={"monthly_code_quota": quota})
    return enterprise


# --- qualifications -----------------------------------------------------------------------


def add_qualification(
    session: Session,
    *,
    actor: Actor,
    principal: Principal,
    enterprise_id: int,
    kind: QualificationKind | str,
    number: str,
    valid_from: dt.date | None,
    valid_until: dt.date | None = None,
    issuer: str = "",
) -> Qualification:
    """Record a title or licence the enterprise holds (operator, or the enterprise itself)."""
    enterprise = editable_enterprise(session, principal, enterprise_id)
    try:
        kind = QualificationKind(kind)
    except ValueError:
        choices = ", ".join(k.value for k in QualificationKind)
        raise ValidationFailed(f"Unknown qualification {kind!r}; one of {choices}.",
                               f"未知的资质类型 {kind!r}，可选：{choices}。", code="unknown_qualification") from None
    number = _text(number, "number", required=True)
    issuer = _text(issuer, "issuer")
    if valid_from is None:
        raise ValidationFailed("The date the qualification is valid from is required.", "请填写资质生效日期。",
                               code="missing_field", field="valid_from")
    if valid_until is not None and valid_until < valid_from:
        raise ValidationFailed(
            f"A qualification cannot end ({valid_until}) before it starts ({valid_from}).",
            f"资质的截止日期（{valid_until}）不能早于生效日期（{valid_from}）。",
            code="invalid_validity",
        )
    duplicate = session.scalar(select(Qualification.id).where(
        Qualification.enterprise_id == enterprise.id, Qualification.kind == kind, Qualification.number == number))
    if duplicate is not None:
        raise Conflict(f"{kind.label_en} {number} is already recorded.", f"{kind.label_zh} {number} 已登记。",
                       code="duplicate_qualification")
    qualification = Qualification(enterprise_id=enterprise.id, kind=kind, number=number, issuer=issuer,
                                  valid_from=valid_from, valid_until=valid_until)
    session.add(qualification)
    session.flush()
    record(session, actor=actor, action=AuditAction.ENTERPRISE_QUALIFICATION_ADDED,
           target_type="qualification", target_id=qualification.id,
           after={"enterprise_id": enterprise.id, "kind": kind.value, "number": number, "issuer": issuer,
                  "valid_from": valid_from, "valid_until": valid_until})
    return qualification


def remove_qualification(session: Session, *, actor: Actor, principal: Principal, qualification_id: int,
                         enterprise_id: int | None = None) -> None:
    """Remove a qualification recorded in error or withdrawn (operator, or the enterprise itself).

    ``enterprise_id``, when the caller names one (a page's address does), must be the
    qualification's: another enterprise's is NotFound, as it is for a manufacturer not its own.
    """
    qualification = session.get(Qualification, qualification_id)
    if qualification is None or enterprise_id not in (None, qualification.enterprise_id):
        raise NotFound(f"No qualification {qualification_id}.", f"资质 {qualification_id} 不存在。")
    try:
        editable_enterprise(session, principal, qualification.enterprise_id)
    except NotFound:
        raise NotFound(f"No qualification {qualification_id}.", f"资质 {qualification_id} 不存在。") from None
    before = {"enterprise_id": qualification.enterprise_id, "kind": qualification.kind,
              "number": qualification.number, "valid_from": qualification.valid_from,
              "valid_until": qualification.valid_until}
    session.delete(qualification)
    session.flush()
    record(session, actor=actor, action=AuditAction.ENTERPRISE_QUALIFICATION_REMOVED,
           target_type="qualification", target_id=qualification_id, before=before)


# --- products -----------------------------------------------------------------------------


def parse_packaging(packaging: Iterable[tuple[str, int]]) -> list[tuple[PackagingLevel, int]]:
    """Check packaging levels: each of item, case, pallet at most once, item present holding 1,
    and every other level holding at least one unit of the level below."""
    levels: dict[PackagingLevel, int] = {}
    for raw_level, raw_units in packaging:
        try:
            level = PackagingLevel(raw_level)
        except ValueError:
            raise ValidationFailed(f"Unknown packaging level {raw_level!r}; item, case or pallet.",
                                   f"未知的包装级别 {raw_level!r}，可选：item（单品）、case（箱）、pallet（托盘）。",
                                   code="invalid_packaging") from None
        if level in levels:
            raise ValidationFailed(f"The packaging level {level.value} is given twice.",
                                   f"包装级别「{level.label_zh}」重复。", code="invalid_packaging")
        if (isinstance(raw_units, bool) or not isinstance(raw_units, int)
                or not 1 <= raw_units <= MAX_UNITS_PER_LEVEL):
            raise ValidationFailed(
                f"A {level.value} holds a whole number of 1 to {MAX_UNITS_PER_LEVEL:,} units of the level below; "
                f"got {raw_units!r}.",
                f"「{level.label_zh}」所含下级包装数量应为 1 至 {MAX_UNITS_PER_LEVEL:,} 的整数，实为 {raw_units!r}。",
                code="invalid_packaging")
        levels[level] = raw_units
    if levels.get(PackagingLevel.ITEM) != 1:
        raise ValidationFailed("Packaging must include the item level, holding 1.",
                               "包装必须包含单品级别，且数量为 1。", code="invalid_packaging")
    order = list(PackagingLevel)
    return sorted(levels.items(), key=lambda pair: order.index(pair[0]))


def _gtin(session: Session, gtin: str | None, product_id: int | None = None) -> str | None:
    if gtin is None or not gtin.strip():
        return None
    value = validate_gtin(gtin)
    clash = session.scalar(select(Product.id).where(Product.gtin == value))
    if clash is not None and clash != product_id:
        raise Conflict(f"The GTIN {value} is already given to another product.", f"GTIN {value} 已被其他产品使用。",
                       code="duplicate_gtin")
    return value


def _check_unique_product(session: Session, enterprise_id: int, name: str, specification: str,
                          product_id: int | None = None) -> None:
    clash = session.scalar(select(Product.id).where(
        Product.enterprise_id == enterprise_id, Product.name == name, Product.specification == specification))
    if clash is not None and clash != product_id:
        raise Conflict(f"The product {name} ({specification}) is already registered.",
                       f"产品「{name}」（{specification}）已登记。", code="duplicate_product")


def add_product(
    session: Session,
    *,
    actor: Actor,
    principal: Principal,
    enterprise_id: int,
    name: str,
    specification: str,
    category_id: int | None,
    gtin: str | None = None,
    packaging: Sequence[tuple[str, int]] = (("item", 1),),
    description: str = "",
    catalogue_entry_id: int | None = None,
) -> Product:
    """Register a product of the enterprise (operator, or the enterprise itself), of the catalogue
    entry ``catalogue_entry_id`` (百种产品目录; of the product's category) when it is one."""
    enterprise = editable_enterprise(session, principal, enterprise_id)
    name = _text(name, "product_name", required=True)
    specification = _text(specification, "specification", required=True)
    description = _text(description, "product_description")
    if category_id is None:
        raise ValidationFailed("The category is required.", "请选择产品类别。", code="missing_field", field="category_id")
    category = active_category(session, category_id)
    entry = entry_for_product(session, catalogue_entry_id, category.id) if catalogue_entry_id is not None else None
    levels = parse_packaging(packaging)
    gtin_value = _gtin(session, gtin)
    _check_unique_product(session, enterprise.id, name, specification)
    product = Product(enterprise_id=enterprise.id, category_id=category.id, name=name, specification=specification,
                      gtin=gtin_value, description=description, catalogue_entry_id=entry.id if entry else None,
                      packaging=[ProductPackaging(level=level, units_of_lower_level=units) for level, units in levels])
    session.add(product)
    session.flush()
    record(session, actor=actor, action=AuditAction.ENTERPRISE_PRODUCT_CREATED, target_type="product",
           target_id=product.id, after={"enterprise_id": enterprise.id, "name": name,
                                      "specification": specification, "category": category.code,
                                      "catalogue_entry": entry.number if entry else None, "gtin": gtin_value,
                                      "packaging": {level.value: units for level, units in levels}})
    return product


def update_product(
    session: Session,
    *,
    actor: Actor,
    principal: Principal,
    product_id: int,
    name: str | None = None,
    specification: str | None = None,
    category_id: int | None = None,
    gtin: str | None = None,
    packaging: Sequence[tuple[str, int]] | None = None,
    description: str | None = None,
    enterprise_id: int | None = None,
    catalogue_entry_id: int | KeepType | None = KEEP,
) -> Product:
    """Change a product (operator, or the enterprise itself). ``gtin=""`` removes the GTIN;
    ``catalogue_entry_id=None`` unlinks the product from the catalogue, an id links it (an entry
    in use, of the product's category as it will be), and ``KEEP`` (the default) leaves the link.

    ``enterprise_id``, when the caller names one (a page's address does), must be the product's:
    another enterprise's product is NotFound, as it is for a manufacturer not its own.
    """
    product = session.get(Product, product_id)
    if product is None or enterprise_id not in (None, product.enterprise_id):
        raise NotFound(f"No product {product_id}.", f"产品 {product_id} 不存在。")
    try:
        editable_enterprise(session, principal, product.enterprise_id)
    except NotFound:
        raise NotFound(f"No product {product_id}.", f"产品 {product_id} 不存在。") from None
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = _text(name, "product_name", required=True)
    if specification is not None:
        changes["specification"] = _text(specification, "specification", required=True)
    if category_id is not None and category_id != product.category_id:
        changes["category_id"] = active_category(session, category_id).id
    if gtin is not None:
        changes["gtin"] = _gtin(session, gtin, product.id)
    if description is not None:
        changes["description"] = _text(description, "product_description")
    if catalogue_entry_id is None:
        changes["catalogue_entry_id"] = None
    elif not isinstance(catalogue_entry_id, KeepType):
        changes["catalogue_entry_id"] = entry_for_product(session, catalogue_entry_id,
                                                          changes.get("category_id", product.category_id)).id
    elif "category_id" in changes and product.catalogue_entry_id is not None:
        entry_for_product(session, product.catalogue_entry_id, changes["category_id"])  # a category it leaves
    changes = {field: value for field, value in changes.items() if getattr(product, field) != value}
    before: dict[str, Any] = {field: getattr(product, field) for field in changes}
    if "name" in changes or "specification" in changes:
        _check_unique_product(session, product.enterprise_id, changes.get("name", product.name),
                              changes.get("specification", product.specification), product.id)
    if packaging is not None:
        levels = parse_packaging(packaging)
        current = {PackagingLevel(p.level): p.units_of_lower_level for p in product.packaging}
        wanted = dict(levels)
        if current != wanted:
            before["packaging"] = {level.value: units for level, units in current.items()}
            changes["packaging"] = {level.value: units for level, units in levels}
            by_level = {PackagingLevel(p.level): p for p in product.packaging}
            for level, row in by_level.items():
                if level not in wanted:
                    product.packaging.remove(row)
            for level, units in levels:
                if level in by_level:
                    by_level[level].units_of_lower_level = units
                else:
                    product.packaging.append(ProductPackaging(level=level, units_of_lower_level=units))
    if not changes:
        return product
    for field, value in changes.items():
        if field != "packaging":
            setattr(product, field, value)
    session.flush()
    record(session, actor=actor, action=AuditAction.ENTERPRISE_PRODUCT_UPDATED, target_type="product",
           target_id=product.id, before=before, after=changes)
    return product


