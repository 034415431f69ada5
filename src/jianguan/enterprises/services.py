"""Enterprises: the registry, qualifications, products and the enrolment funnel.

Who sees what is decided here, not in the routes. An operator sees every enterprise; a
regulator those in its region whose main category, or any of whose products' categories, its
agency supervises; a manufacturer only itself. A single enterprise outside the caller's scope
is answered NotFound, so a caller cannot learn that it exists.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.services import Actor, record
from jianguan.catalogue.models import Category
from jianguan.catalogue.services import active_category
from jianguan.enterprises.identifiers import validate_credit_code, validate_gtin
from jianguan.enterprises.models import (
    Broadcast,
    EnrolmentStage,
    Enterprise,
    PackagingLevel,
    Product,
    ProductPackaging,
    Qualification,
    QualificationKind,
)
from jianguan.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jianguan.regions.models import Region, RegionLevel
from jianguan.regions.services import descendant_codes, get_region
from jianguan.storage.base import utcnow

_STAGE_COLUMNS = {
    EnrolmentStage.SIGNED: "signed_on",
    EnrolmentStage.CREDENTIALS_ISSUED: "credentials_issued_on",
    EnrolmentStage.CODES_ISSUED: "codes_issued_on",
    EnrolmentStage.ACTIVATED: "activated_on",
}
FUNNEL = (EnrolmentStage.SIGNED, EnrolmentStage.CREDENTIALS_ISSUED, EnrolmentStage.CODES_ISSUED,
          EnrolmentStage.ACTIVATED)
CONTACT_FIELDS = ("name", "address", "contact_name", "contact_phone", "contact_email", "description")
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ()\-]{4,38}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_FIELD_NAMES = {
    "name": ("name", "名称", 200),
    "address": ("address", "地址", 300),
    "contact_name": ("contact name", "联系人", 100),
    "contact_phone": ("contact phone", "联系电话", 40),
    "contact_email": ("contact email", "电子邮箱", 200),
    "specification": ("specification", "规格型号", 200),
    "number": ("number", "证书编号", 100),
    "issuer": ("issuer", "发证机关", 200),
}


def mark_stage_reached(
    session: Session, *, actor: Actor, enterprise_id: int, stage: EnrolmentStage | str, on: dt.date | None = None
) -> bool:
    """Record the day ``enterprise_id`` first reached ``stage``; later calls change nothing.

    Returns whether the date was set now. Services call this as the stage happens (the first
    API key issued, the first codes, the first activation); ``on`` defaults to today (UTC).
    """
    stage = EnrolmentStage(stage)
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound(f"No enterprise {enterprise_id}.", f"企业 {enterprise_id} 不存在。")
    column = _STAGE_COLUMNS[stage]
    if getattr(enterprise, column) is not None:
        return False
    day = on or utcnow().date()
    setattr(enterprise, column, day)
    record(session, actor=actor, action="enterprise:stage:reached", target_type="enterprise",
           target_id=enterprise.id, before={column: None}, after={column: day, "stage": stage.value})
    return True


# --- checks -------------------------------------------------------------------------------


def _text(value: str | None, field: str, *, required: bool) -> str:
    english, chinese, limit = _FIELD_NAMES.get(field, (field, field, 200))
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed(f"The {english} is required.", f"请填写{chinese}。", code="missing_field",
                               field=field)
    if len(text) > limit:
        raise ValidationFailed(f"The {english} is at most {limit} characters.", f"{chinese}最多 {limit} 个字符。",
                               code="too_long", field=field)
    return text


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
    email = _text(value, "contact_email", required=False)
    if email and not EMAIL_PATTERN.match(email):
        raise ValidationFailed(f"The email address {email!r} is not valid.", f"电子邮箱 {email!r} 格式不正确。",
                               code="invalid_email", field="contact_email")
    return email


def registrable_region(session: Session, code: str) -> Region:
    """The division an enterprise, printer or shop may be registered in.

    A registration names the county-level division it lies in, or a prefecture-level city
    that has no counties (东莞, 中山, 儋州, 嘉峪关), because that is the lowest level at which
    regulators are organised; a province or a city with counties is too coarse.
    """
    if not code:
        raise ValidationFailed("The region is required.", "请选择所在行政区划。", code="missing_field",
                               field="region_code")
    region = get_region(session, code.strip())
    if region.level == RegionLevel.COUNTY:
        return region
    has_children = session.scalar(select(Region.code).where(Region.parent_code == region.code).limit(1))
    if region.level == RegionLevel.CITY and has_children is None:
        return region
    raise ValidationFailed(
        f"{region.name} ({region.code}) is a {RegionLevel(region.level).label_en}; name the county-level "
        "division (district, county or county-level city) instead.",
        f"{region.name}（{region.code}）是{RegionLevel(region.level).label_zh}行政区划，请选择具体的区、县或县级市。",
        code="region_too_coarse",
    )


def _not_future(day: dt.date, english: str, chinese: str) -> dt.date:
    if day > utcnow().date() + dt.timedelta(days=1):
        raise ValidationFailed(f"The {english} cannot lie in the future.", f"{chinese}不能晚于今天。",
                               code="date_in_future")
    return day


# --- scope --------------------------------------------------------------------------------


def _agency_condition(principal: Principal) -> ColumnElement[bool]:
    """Enterprises whose main category, or one of whose products' categories, the regulator's agency supervises."""
    agency_categories = select(Category.id).where(Category.agency == principal.agency)
    return or_(
        Enterprise.category_id.in_(agency_categories),
        exists().where(Product.enterprise_id == Enterprise.id, Product.category_id.in_(agency_categories)),
    )


def scope_condition(principal: Principal) -> ColumnElement[bool]:
    """The SQL condition selecting the enterprises ``principal`` may see in management views."""
    if principal.role is Role.OPERATOR:
        return true()
    if principal.role is Role.REGULATOR:
        if not principal.region_codes or principal.agency is None:
            return false()
        return and_(Enterprise.region_code.in_(sorted(principal.region_codes)), _agency_condition(principal))
    if principal.role is Role.MANUFACTURER:
        return Enterprise.id == principal.enterprise_id
    raise PermissionDenied(
        "Your role does not give access to the enterprise registry.", "您的角色无权查看企业登记信息。"
    )


def get_enterprise(session: Session, *, principal: Principal, enterprise_id: int) -> Enterprise:
    """The enterprise, with its qualifications and products, if ``principal`` may see it; NotFound otherwise."""
    enterprise = session.scalar(
        select(Enterprise).where(Enterprise.id == enterprise_id, scope_condition(principal))
        .options(selectinload(Enterprise.qualifications), selectinload(Enterprise.products)
                 .selectinload(Product.packaging))
    )
    if enterprise is None:
        raise NotFound(f"No enterprise {enterprise_id}.", f"企业 {enterprise_id} 不存在。")
    return enterprise


def _editable_enterprise(session: Session, principal: Principal, enterprise_id: int) -> Enterprise:
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


def _stage_condition(stage: EnrolmentStage) -> ColumnElement[bool]:
    """Enterprises whose furthest stage is ``stage``."""
    ordered = [EnrolmentStage.REGISTERED, *FUNNEL]
    later = ordered[ordered.index(stage) + 1:]
    conditions = [getattr(Enterprise, _STAGE_COLUMNS[s]).is_(None) for s in later]
    if stage is not EnrolmentStage.REGISTERED:
        conditions.append(getattr(Enterprise, _STAGE_COLUMNS[stage]).is_not(None))
    return and_(*conditions)


def _parse_stage(stage: EnrolmentStage | str) -> EnrolmentStage:
    try:
        return EnrolmentStage(stage)
    except ValueError:
        choices = ", ".join(s.value for s in EnrolmentStage)
        raise ValidationFailed(f"Unknown stage {stage!r}; one of {choices}.", f"未知的入网阶段 {stage!r}，可选：{choices}。",
                               code="unknown_stage") from None


def _region_filter(session: Session, region_code: str) -> ColumnElement[bool]:
    return Enterprise.region_code.in_(sorted(descendant_codes(session, region_code.strip())))


def _category_filter(category_id: int) -> ColumnElement[bool]:
    return or_(Enterprise.category_id == category_id,
               exists().where(Product.enterprise_id == Enterprise.id, Product.category_id == category_id))


def _query_filter(query: str) -> ColumnElement[bool]:
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
    statement = select(Enterprise).where(scope_condition(principal)).order_by(Enterprise.name, Enterprise.id)
    if region_code:
        statement = statement.where(_region_filter(session, region_code))
    if category_id is not None:
        statement = statement.where(_category_filter(category_id))
    if stage:
        statement = statement.where(_stage_condition(_parse_stage(stage)))
    if query and query.strip():
        statement = statement.where(_query_filter(query))
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
    category_id: int,
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
        "description": (description or "").strip(),
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
    record(session, actor=actor, action="enterprise:enterprise:registered", target_type="enterprise",
           target_id=enterprise.id, after={"credit_code": code, "region_code": region.code,
                                           "category": category.code, **fields})
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
    enterprise = _editable_enterprise(session, principal, enterprise_id)
    checks = {
        "name": lambda v: _text(v, "name", required=True),
        "address": lambda v: _text(v, "address", required=True),
        "contact_name": lambda v: _text(v, "contact_name", required=True),
        "contact_phone": _phone,
        "contact_email": _email,
        "description": lambda v: (v or "").strip(),
    }
    given = {"name": name, "address": address, "contact_name": contact_name, "contact_phone": contact_phone,
             "contact_email": contact_email, "description": description}
    changes = {field: checks[field](value) for field, value in given.items() if value is not None}
    changes = {field: value for field, value in changes.items() if getattr(enterprise, field) != value}
    if not changes:
        return enterprise
    before = {field: getattr(enterprise, field) for field in changes}
    for field, value in changes.items():
        setattr(enterprise, field, value)
    session.flush()
    record(session, actor=actor, action="enterprise:enterprise:updated", target_type="enterprise",
           target_id=enterprise.id, before=before, after=changes)
    return enterprise


def sign_enterprise(session: Session, *, actor: Actor, enterprise_id: int, signed_on: dt.date | None = None
                    ) -> Enterprise:
    """Record that the enterprise signed up to the network (签约入网), today or on ``signed_on``."""
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound(f"No enterprise {enterprise_id}.", f"企业 {enterprise_id} 不存在。")
    if enterprise.signed_on is not None:
        raise Conflict(f"{enterprise.name} signed up on {enterprise.signed_on.isoformat()} already.",
                       f"{enterprise.name} 已于 {enterprise.signed_on.isoformat()} 签约入网。", code="already_signed")
    if signed_on is not None:
        _not_future(signed_on, "signing date", "签约日期")
    mark_stage_reached(session, actor=actor, enterprise_id=enterprise.id, stage=EnrolmentStage.SIGNED, on=signed_on)
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
    valid_from: dt.date,
    valid_until: dt.date | None = None,
    issuer: str = "",
) -> Qualification:
    """Record a title or licence the enterprise holds (operator, or the enterprise itself)."""
    enterprise = _editable_enterprise(session, principal, enterprise_id)
    try:
        kind = QualificationKind(kind)
    except ValueError:
        choices = ", ".join(k.value for k in QualificationKind)
        raise ValidationFailed(f"Unknown qualification {kind!r}; one of {choices}.",
                               f"未知的资质类型 {kind!r}，可选：{choices}。", code="unknown_qualification") from None
    number = _text(number, "number", required=True)
    issuer = _text(issuer, "issuer", required=False)
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
    record(session, actor=actor, action="enterprise:qualification:added", target_type="qualification",
           target_id=qualification.id, after={"enterprise_id": enterprise.id, "kind": kind.value, "number": number,
                                              "issuer": issuer, "valid_from": valid_from,
                                              "valid_until": valid_until})
    return qualification


def remove_qualification(session: Session, *, actor: Actor, principal: Principal, qualification_id: int) -> None:
    """Remove a qualification recorded in error or withdrawn (operator, or the enterprise itself)."""
    qualification = session.get(Qualification, qualification_id)
    if qualification is None:
        raise NotFound(f"No qualification {qualification_id}.", f"资质 {qualification_id} 不存在。")
    try:
        _editable_enterprise(session, principal, qualification.enterprise_id)
    except NotFound:
        raise NotFound(f"No qualification {qualification_id}.", f"资质 {qualification_id} 不存在。") from None
    before = {"enterprise_id": qualification.enterprise_id, "kind": qualification.kind,
              "number": qualification.number, "valid_from": qualification.valid_from,
              "valid_until": qualification.valid_until}
    session.delete(qualification)
    session.flush()
    record(session, actor=actor, action="enterprise:qualification:removed", target_type="qualification",
           target_id=qualification_id, before=before)


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
        if isinstance(raw_units, bool) or not isinstance(raw_units, int) or raw_units < 1:
            raise ValidationFailed(
                f"A {level.value} holds a whole number of at least 1 unit of the level below; got {raw_units!r}.",
                f"「{level.label_zh}」所含下级包装数量应为不小于 1 的整数，实为 {raw_units!r}。",
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
    category_id: int,
    gtin: str | None = None,
    packaging: Sequence[tuple[str, int]] = (("item", 1),),
    description: str = "",
) -> Product:
    """Register a product of the enterprise (operator, or the enterprise itself)."""
    enterprise = _editable_enterprise(session, principal, enterprise_id)
    name = _text(name, "name", required=True)
    specification = _text(specification, "specification", required=True)
    if category_id is None:
        raise ValidationFailed("The category is required.", "请选择产品类别。", code="missing_field", field="category_id")
    category = active_category(session, category_id)
    levels = parse_packaging(packaging)
    gtin_value = _gtin(session, gtin)
    _check_unique_product(session, enterprise.id, name, specification)
    product = Product(enterprise_id=enterprise.id, category_id=category.id, name=name, specification=specification,
                      gtin=gtin_value, description=(description or "").strip(),
                      packaging=[ProductPackaging(level=level, units_of_lower_level=units) for level, units in levels])
    session.add(product)
    session.flush()
    record(session, actor=actor, action="enterprise:product:created", target_type="product", target_id=product.id,
           after={"enterprise_id": enterprise.id, "name": name, "specification": specification,
                  "category": category.code, "gtin": gtin_value,
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
) -> Product:
    """Change a product (operator, or the enterprise itself). ``gtin=""`` removes the GTIN."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(f"No product {product_id}.", f"产品 {product_id} 不存在。")
    try:
        _editable_enterprise(session, principal, product.enterprise_id)
    except NotFound:
        raise NotFound(f"No product {product_id}.", f"产品 {product_id} 不存在。") from None
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = _text(name, "name", required=True)
    if specification is not None:
        changes["specification"] = _text(specification, "specification", required=True)
    if category_id is not None and category_id != product.category_id:
        changes["category_id"] = active_category(session, category_id).id
    if gtin is not None:
        changes["gtin"] = _gtin(session, gtin, product.id)
    if description is not None:
        changes["description"] = description.strip()
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
    record(session, actor=actor, action="enterprise:product:updated", target_type="product", target_id=product.id,
           before=before, after=changes)
    return product


# --- public directory ---------------------------------------------------------------------


def _public_entry(enterprise: Enterprise, regions: dict[str, Region], today: dt.date) -> dict[str, Any]:
    """What anyone may know about a signed enterprise: never its contacts."""
    region = regions.get(enterprise.region_code)
    category = enterprise.category
    return {
        "id": enterprise.id,
        "name": enterprise.name,
        "credit_code": enterprise.credit_code,
        "region": {"code": enterprise.region_code, "name": region.name if region else "",
                   "path": _region_path(regions, enterprise.region_code)},
        "category": {"id": category.id, "code": category.code, "name_zh": category.name_zh,
                     "name_en": category.name_en},
        "stage": enterprise.stage.value,
        "signed_on": enterprise.signed_on.isoformat() if enterprise.signed_on else None,
        "qualifications": [
            {"kind": q.kind, "number": q.number,
             "valid_until": q.valid_until.isoformat() if q.valid_until else None}
            for q in enterprise.qualifications if q.is_valid_on(today)
        ],
        "products": [{"name": p.name, "specification": p.specification} for p in enterprise.products],
    }


def _region_path(regions: dict[str, Region], code: str) -> str:
    names: list[str] = []
    current = regions.get(code)
    while current is not None:
        names.append(current.name)
        current = regions.get(current.parent_code) if current.parent_code else None
    return " ".join(reversed(names))


def _regions_for(session: Session, codes: Iterable[str]) -> dict[str, Region]:
    """The divisions ``codes`` and their ancestors, by code."""
    found: dict[str, Region] = {}
    wanted = set(codes)
    while wanted:
        rows = session.scalars(select(Region).where(Region.code.in_(sorted(wanted)))).all()
        found.update({row.code: row for row in rows})
        wanted = {row.parent_code for row in rows if row.parent_code and row.parent_code not in found}
    return found


def public_directory(
    session: Session,
    *,
    region_code: str | None = None,
    category_id: int | None = None,
    query: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """The public directory of signed enterprises: ``{"total", "limit", "offset", "items"}``.

    Each item holds only public facts (name, credit code, region, main category, stage,
    qualifications valid today, product names); contacts stay in the registry.
    """
    limit = max(1, min(int(limit), 200))
    offset = max(0, int(offset))
    conditions: list[ColumnElement[bool]] = [Enterprise.signed_on.is_not(None)]
    if region_code:
        conditions.append(_region_filter(session, region_code))
    if category_id is not None:
        conditions.append(_category_filter(category_id))
    if query and query.strip():
        conditions.append(_query_filter(query))
    total = session.scalar(select(func.count()).select_from(Enterprise).where(*conditions)) or 0
    rows = session.scalars(
        select(Enterprise).where(*conditions).order_by(Enterprise.name, Enterprise.id).limit(limit).offset(offset)
        .options(selectinload(Enterprise.category), selectinload(Enterprise.qualifications),
                 selectinload(Enterprise.products))
    ).all()
    regions = _regions_for(session, {row.region_code for row in rows})
    today = utcnow().date()
    return {"total": total, "limit": limit, "offset": offset,
            "items": [_public_entry(row, regions, today) for row in rows]}


def public_entry(session: Session, enterprise_id: int) -> dict[str, Any]:
    """The directory entry of one signed enterprise; NotFound for any other."""
    enterprise = session.scalar(
        select(Enterprise).where(Enterprise.id == enterprise_id, Enterprise.signed_on.is_not(None))
        .options(selectinload(Enterprise.category), selectinload(Enterprise.qualifications),
                 selectinload(Enterprise.products))
    )
    if enterprise is None:
        raise NotFound(f"No networked enterprise {enterprise_id}.", f"入网企业 {enterprise_id} 不存在。")
    return _public_entry(enterprise, _regions_for(session, [enterprise.region_code]), utcnow().date())


# --- enrolment progress -------------------------------------------------------------------


def enrolment_progress(session: Session, *, principal: Principal, region_code: str | None = None) -> dict[str, Any]:
    """The enrolment funnel (签约入网 / 已申请密钥 / 已赋码 / 已激活) in ``principal``'s scope.

    Counts are of enterprises that reached each stage (so they shrink along the funnel), in
    the chosen region (the regulator's own by default, the whole country for an operator),
    with the same counts for each division directly under it.
    """
    if principal.role not in (Role.OPERATOR, Role.REGULATOR):
        raise PermissionDenied("Enrolment progress is for the operator and regulators.",
                               "入网进度仅供运营中心和监管部门查看。")
    region_code = (region_code or "").strip() or principal.region_code
    region = get_region(session, region_code) if region_code else None
    if region is not None and not principal.sees_region(region.code):
        raise PermissionDenied("That region lies outside your area.", "该行政区划不在您的管辖范围内。")
    statement = select(Enterprise.region_code, *(getattr(Enterprise, _STAGE_COLUMNS[s]) for s in FUNNEL)).where(
        scope_condition(principal))
    if region is not None:
        statement = statement.where(_region_filter(session, region.code))
    rows = session.execute(statement).all()
    child_regions = (
        list(session.scalars(select(Region).where(Region.parent_code == region.code).order_by(Region.code)))
        if region is not None else
        list(session.scalars(select(Region).where(Region.level == RegionLevel.PROVINCE).order_by(Region.code)))
    )
    parents: dict[str, str | None] = {row[0]: row[1] for row in session.execute(select(Region.code, Region.parent_code))}
    child_codes = {child.code for child in child_regions}

    def empty() -> dict[str, int]:
        return {"registered": 0, **{stage.value: 0 for stage in FUNNEL}}

    totals = empty()
    by_child = {code: empty() for code in child_codes}
    for row in rows:
        code: str | None = row[0]
        while code is not None and code not in child_codes:
            code = parents.get(code)
        buckets = [totals] + ([by_child[code]] if code is not None else [])
        for bucket in buckets:
            bucket["registered"] += 1
            for stage, reached in zip(FUNNEL, row[1:], strict=True):
                if reached is not None:
                    bucket[stage.value] += 1
    return {
        "region": {"code": region.code, "name": region.name} if region is not None else None,
        "stages": [stage.value for stage in (EnrolmentStage.REGISTERED, *FUNNEL)],
        "totals": totals,
        "children": [{"code": child.code, "name": child.name, **by_child[child.code]} for child in child_regions
                     if principal.role is Role.OPERATOR or principal.sees_region(child.code)],
    }


BROADCAST_MAX_CHARS = 140


def post_broadcast(session: Session, *, actor: Actor, principal: Principal, enterprise_id: int, text: str) -> Broadcast:
    """Post the enterprise's message (信息播报); it replaces the one before on every channel.

    At most 140 characters, so that it fits a phone screen and the tail of an SMS reply.
    """
    enterprise = _editable_enterprise(session, principal, enterprise_id)
    text = " ".join((text or "").split())
    if not text:
        raise ValidationFailed("The message is empty.", "播报内容不能为空。", code="missing_field", field="text")
    if len(text) > BROADCAST_MAX_CHARS:
        raise ValidationFailed(f"A message has at most {BROADCAST_MAX_CHARS} characters; this has {len(text)}.",
                               f"播报内容最多 {BROADCAST_MAX_CHARS} 个字，当前 {len(text)} 个。", code="too_long",
                               field="text")
    previous = current_broadcast(session, enterprise.id)
    broadcast = Broadcast(enterprise_id=enterprise.id, text=text, posted_by=actor.name)
    session.add(broadcast)
    session.flush()
    record(session, actor=actor, action="enterprise:broadcast:posted", target_type="enterprise",
           target_id=enterprise.id, before={"text": previous}, after={"text": text})
    return broadcast


def withdraw_broadcast(session: Session, *, actor: Actor, principal: Principal, enterprise_id: int) -> None:
    """Withdraw the enterprise's current message, if it has one."""
    enterprise = _editable_enterprise(session, principal, enterprise_id)
    latest = session.scalars(select(Broadcast).where(Broadcast.enterprise_id == enterprise.id,
                                                     Broadcast.withdrawn_at.is_(None))
                             .order_by(Broadcast.id.desc()).limit(1)).first()
    if latest is None:
        return
    latest.withdrawn_at = utcnow()
    record(session, actor=actor, action="enterprise:broadcast:withdrawn", target_type="enterprise",
           target_id=enterprise.id, before={"text": latest.text}, after={"text": None})


def current_broadcast(session: Session, enterprise_id: int) -> str | None:
    """The enterprise's current message, or None."""
    return session.scalar(select(Broadcast.text).where(Broadcast.enterprise_id == enterprise_id,
                                                       Broadcast.withdrawn_at.is_(None))
                          .order_by(Broadcast.id.desc()).limit(1))
