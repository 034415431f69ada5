"""Enterprises: the public directory, the registry, qualifications, products and enrolment.

``/enterprises`` (GET) is the public directory: signed enterprises and their public facts,
never their contacts. ``/manage/enterprises`` is the registry as the operator, a regulator
or the enterprise itself sees it, scoped by the services.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Request, Router, delete, get, patch, post
from litestar.params import FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from jianguan.accounts.models import Role
from jianguan.catalogue.services import get_category_by_code
from jianguan.credit import services as credit
from jianguan.enterprises import directory, enrolment
from jianguan.enterprises import services as enterprises
from jianguan.enterprises.models import (
    EnrolmentStage,
    Enterprise,
    PackagingLevel,
    Product,
    Qualification,
    QualificationKind,
)
from jianguan.enterprises.services import MAX_UNITS_PER_LEVEL
from jianguan.storage import reading, transaction
from jianguan.web.access import PUBLIC, actor_for, current_principal, require_principal, roles
from jianguan.web.api.openapi import errors
from jianguan.web.api.v1.catalogue import category_json
from jianguan.web.params import (
    CreditCode,
    Filter,
    Id,
    Offset,
    RegionCode,
    RegionFilter,
    RowId,
    Search,
    stored_in,
)

MANAGERS = roles(Role.OPERATOR, Role.REGULATOR, Role.MANUFACTURER)
OWNERS = roles(Role.OPERATOR, Role.MANUFACTURER)


class NewEnterprise(msgspec.Struct, forbid_unknown_fields=True):
    credit_code: CreditCode
    name: Annotated[str, stored_in(Enterprise.name, required=True)]
    region_code: RegionCode
    category_id: Id
    address: Annotated[str, stored_in(Enterprise.address, required=True)]
    contact_name: Annotated[str, stored_in(Enterprise.contact_name, required=True)]
    contact_phone: Annotated[str, stored_in(Enterprise.contact_phone, required=True)]
    contact_email: Annotated[str, stored_in(Enterprise.contact_email)] = ""
    description: Annotated[str, stored_in(Enterprise.description)] = ""


class EnterpriseChanges(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, stored_in(Enterprise.name, required=True)] | None = None
    address: Annotated[str, stored_in(Enterprise.address, required=True)] | None = None
    contact_name: Annotated[str, stored_in(Enterprise.contact_name, required=True)] | None = None
    contact_phone: Annotated[str, stored_in(Enterprise.contact_phone, required=True)] | None = None
    contact_email: Annotated[str, stored_in(Enterprise.contact_email)] | None = None
    description: Annotated[str, stored_in(Enterprise.description)] | None = None


class QuotaChange(msgspec.Struct, forbid_unknown_fields=True):
    # A JSON integer; the service checks it. Typed ``int`` here, the framework's lax decoding
    # would take "5000" for 5000.
    monthly_code_quota: Any


class Signing(msgspec.Struct, forbid_unknown_fields=True):
    signed_on: dt.date | None = None


class NewQualification(msgspec.Struct, forbid_unknown_fields=True):
    kind: QualificationKind
    number: Annotated[str, stored_in(Qualification.number, required=True)]
    valid_from: dt.date
    valid_until: dt.date | None = None
    issuer: Annotated[str, stored_in(Qualification.issuer)] = ""


class PackagingLevelIn(msgspec.Struct, forbid_unknown_fields=True):
    level: PackagingLevel
    units_of_lower_level: Annotated[int, msgspec.Meta(ge=1, le=MAX_UNITS_PER_LEVEL)] = 1


class NewProduct(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, stored_in(Product.name, required=True)]
    specification: Annotated[str, stored_in(Product.specification, required=True)]
    category_id: Id
    gtin: Annotated[str, msgspec.Meta(max_length=20, description="GTIN-8, -12, -13 or -14")] | None = None
    packaging: Annotated[list[PackagingLevelIn], msgspec.Meta(min_length=1, max_length=len(PackagingLevel))] = (
        msgspec.field(default_factory=lambda: [PackagingLevelIn(PackagingLevel.ITEM, 1)]))
    description: Annotated[str, stored_in(Product.description)] = ""
    catalogue_entry_id: Id | None = None  # the catalogue entry (百种产品目录) of the product's category


class ProductChanges(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, stored_in(Product.name, required=True)] | None = None
    specification: Annotated[str, stored_in(Product.specification, required=True)] | None = None
    category_id: Id | None = None
    gtin: Annotated[str, msgspec.Meta(max_length=20, description="GTIN-8, -12, -13 or -14; \"\" removes it")] | None = None
    packaging: Annotated[list[PackagingLevelIn], msgspec.Meta(min_length=1, max_length=len(PackagingLevel))] | None = None
    description: Annotated[str, stored_in(Product.description)] | None = None
    catalogue_entry_id: Id | msgspec.UnsetType | None = msgspec.UNSET  # null unlinks; left out, the link stays


def qualification_json(qualification: Qualification) -> dict[str, Any]:
    return {
        "id": qualification.id, "kind": qualification.kind, "number": qualification.number,
        "issuer": qualification.issuer, "valid_from": qualification.valid_from.isoformat(),
        "valid_until": qualification.valid_until.isoformat() if qualification.valid_until else None,
    }


def product_json(product: Product) -> dict[str, Any]:
    return {
        "id": product.id, "enterprise_id": product.enterprise_id, "name": product.name,
        "specification": product.specification, "category_id": product.category_id,
        "catalogue_entry_id": product.catalogue_entry_id, "gtin": product.gtin,
        "description": product.description,
        "packaging": [{"level": p.level, "units_of_lower_level": p.units_of_lower_level} for p in product.packaging],
    }


def enterprise_json(enterprise: Enterprise, *, full: bool = False) -> dict[str, Any]:
    """An enterprise as the registry shows it to those in scope, contacts included."""
    body: dict[str, Any] = {
        "id": enterprise.id, "credit_code": enterprise.credit_code, "name": enterprise.name,
        "region_code": enterprise.region_code, "category": category_json(enterprise.category),
        "address": enterprise.address, "contact_name": enterprise.contact_name,
        "contact_phone": enterprise.contact_phone, "contact_email": enterprise.contact_email,
        "description": enterprise.description, "stage": enterprise.stage.value,
        "signed_on": _day(enterprise.signed_on), "credentials_issued_on": _day(enterprise.credentials_issued_on),
        "codes_issued_on": _day(enterprise.codes_issued_on), "activated_on": _day(enterprise.activated_on),
        "monthly_code_quota": enterprise.monthly_code_quota,
    }
    if full:
        body["qualifications"] = [qualification_json(q) for q in enterprise.qualifications]
        body["products"] = [product_json(p) for p in enterprise.products]
    return body


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _category_id(session: Any, category: str | None) -> int | None:
    """A category filter given as its id or its code (ASCII digits are an id: ``"¹".isdigit()`` is
    true too, and ``int()`` refuses it)."""
    if category is None or not category.strip():
        return None
    category = category.strip()
    if category.isascii() and category.isdigit():
        return int(category)  # an id that names no category filters everything out
    return get_category_by_code(session, category).id


# --- the public directory -----------------------------------------------------------------


@get("/enterprises", opt=PUBLIC, sync_to_thread=True, summary="Directory of networked enterprises / 入网企业目录",
     responses=errors(404))
def directory_list(
    request: Request[Any, Any, Any], region: RegionFilter = None, category: Filter = None, q: Search = None,
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50, offset: Offset = 0,
) -> dict[str, Any]:
    """Signed enterprises: name, credit code, region, main category, stage, valid qualifications,
    products. ``region`` includes every division under it; ``category`` is an id or a code."""
    with reading(request.app.state.sessions) as session:
        return directory.public_directory(session, region_code=region or None,
                                            category_id=_category_id(session, category), query=q,
                                            limit=limit, offset=offset)


@get("/enterprises/{enterprise_id:int}", opt=PUBLIC, sync_to_thread=True,
     summary="One networked enterprise / 入网企业详情", responses=errors(404))
def directory_entry(request: Request[Any, Any, Any], enterprise_id: RowId) -> dict[str, Any]:
    """The directory entry of a signed enterprise with the public part of its credit record
    (``credit``: the score, its inputs and weights, qualifications in force, failed spot checks,
    recalls); 404 for any other."""
    with reading(request.app.state.sessions) as session:
        entry = directory.public_entry(session, enterprise_id)
        entry["credit"] = credit.public_record(session, enterprise_id=enterprise_id)
        return entry


# --- the registry -------------------------------------------------------------------------


@post("/enterprises", opt=roles(Role.OPERATOR), sync_to_thread=True, summary="Register an enterprise / 企业登记",
      responses=errors(409))
def register(request: Request[Any, Any, Any], data: JSONBody[NewEnterprise]) -> dict[str, Any]:
    """Enter a manufacturer in the registry; it appears in the directory once it signs."""
    actor = actor_for(request, current_principal(request))
    with transaction(request.app.state.sessions) as session:
        enterprise = enterprises.register_enterprise(session, actor=actor, **msgspec.structs.asdict(data))
        return enterprise_json(enterprise)


@patch("/enterprises/{enterprise_id:int}", opt=OWNERS, sync_to_thread=True,
       summary="Change an enterprise's contacts / 修改企业联系信息")
def update(request: Request[Any, Any, Any], enterprise_id: RowId, data: JSONBody[EnterpriseChanges]) -> dict[str, Any]:
    """Change name, address, contacts or description (operator, or the enterprise itself)."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        enterprise = enterprises.update_enterprise(session, actor=actor_for(request, principal), principal=principal,
                                                   enterprise_id=enterprise_id, **msgspec.structs.asdict(data))
        return enterprise_json(enterprise)


@post("/enterprises/{enterprise_id:int}/sign", opt=roles(Role.OPERATOR), sync_to_thread=True,
      summary="Record the signing / 签约入网", responses=errors(409))
def sign(request: Request[Any, Any, Any], enterprise_id: RowId, data: JSONBody[Signing | None] = None) -> dict[str, Any]:
    """Record that the enterprise signed up (today, or on ``signed_on``)."""
    actor = actor_for(request, current_principal(request))
    with transaction(request.app.state.sessions) as session:
        enterprise = enterprises.sign_enterprise(session, actor=actor, enterprise_id=enterprise_id,
                                                 signed_on=data.signed_on if data else None)
        return enterprise_json(enterprise)


@post("/enterprises/{enterprise_id:int}/quota", opt=roles(Role.OPERATOR), sync_to_thread=True,
      status_code=HTTP_200_OK, summary="Set the monthly code quota / 设置月度发码配额")
def set_quota(request: Request[Any, Any, Any], enterprise_id: RowId, data: JSONBody[QuotaChange]
              ) -> dict[str, Any]:
    """Set how many codes the enterprise may be issued a month without approval (0 to 10^12)."""
    actor = actor_for(request, current_principal(request))
    with transaction(request.app.state.sessions) as session:
        enterprise = enterprises.set_monthly_quota(session, actor=actor, enterprise_id=enterprise_id,
                                                   quota=data.monthly_code_quota)
        return enterprise_json(enterprise)


@get("/manage/enterprises", opt=roles(Role.OPERATOR, Role.REGULATOR), sync_to_thread=True,
     summary="The registry in your scope / 管辖范围内的企业")
def manage_list(
    request: Request[Any, Any, Any], region: RegionFilter = None, category: Filter = None,
    stage: FromQuery[EnrolmentStage | None] = None, q: Search = None,
) -> list[dict[str, Any]]:
    """Enterprises in the caller's scope with their contacts and stage."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        rows = enterprises.list_enterprises(session, principal=principal, region_code=region or None,
                                            category_id=_category_id(session, category), stage=stage or None, query=q)
        return [enterprise_json(e) for e in rows]


@get("/manage/enterprises/{enterprise_id:int}", opt=MANAGERS, sync_to_thread=True,
     summary="One enterprise in your scope / 企业详情")
def manage_detail(request: Request[Any, Any, Any], enterprise_id: RowId) -> dict[str, Any]:
    """An enterprise with its qualifications and products; 404 outside the caller's scope."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        enterprise = enterprises.get_enterprise(session, principal=principal, enterprise_id=enterprise_id)
        return enterprise_json(enterprise, full=True)


@post("/enterprises/{enterprise_id:int}/qualifications", opt=OWNERS, sync_to_thread=True,
      summary="Add a qualification / 新增资质", responses=errors(409))
def add_qualification(request: Request[Any, Any, Any], enterprise_id: RowId, data: JSONBody[NewQualification]) -> dict[str, Any]:
    """Record a title or licence (operator, or the enterprise itself)."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        qualification = enterprises.add_qualification(
            session, actor=actor_for(request, principal), principal=principal, enterprise_id=enterprise_id,
            **msgspec.structs.asdict(data))
        return qualification_json(qualification)


@delete("/qualifications/{qualification_id:int}", opt=OWNERS, sync_to_thread=True,
        summary="Remove a qualification / 删除资质")
def remove_qualification(request: Request[Any, Any, Any], qualification_id: RowId) -> None:
    """Remove a qualification recorded in error or withdrawn (operator, or the enterprise itself;
    another enterprise's is 404). Answers 204."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        enterprises.remove_qualification(session, actor=actor_for(request, principal), principal=principal,
                                         qualification_id=qualification_id)


@get("/enterprises/{enterprise_id:int}/products", opt=MANAGERS, sync_to_thread=True,
     summary="An enterprise's products / 企业产品")
def list_products(request: Request[Any, Any, Any], enterprise_id: RowId) -> list[dict[str, Any]]:
    """The products with their packaging levels; 404 outside the caller's scope."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        return [product_json(p) for p in enterprises.list_products(session, principal=principal,
                                                                   enterprise_id=enterprise_id)]


@post("/enterprises/{enterprise_id:int}/products", opt=OWNERS, sync_to_thread=True,
      summary="Register a product / 新增产品", responses=errors(409))
def add_product(request: Request[Any, Any, Any], enterprise_id: RowId, data: JSONBody[NewProduct]) -> dict[str, Any]:
    """Register a product and its packaging levels (operator, or the enterprise itself)."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        product = enterprises.add_product(
            session, actor=actor_for(request, principal), principal=principal, enterprise_id=enterprise_id,
            name=data.name, specification=data.specification, category_id=data.category_id, gtin=data.gtin,
            packaging=[(level.level, level.units_of_lower_level) for level in data.packaging],
            description=data.description, catalogue_entry_id=data.catalogue_entry_id)
        return product_json(product)


@patch("/products/{product_id:int}", opt=OWNERS, sync_to_thread=True, summary="Change a product / 修改产品")
def update_product(request: Request[Any, Any, Any], product_id: RowId, data: JSONBody[ProductChanges]
                   ) -> dict[str, Any]:
    """Change a product's name, specification, category, GTIN (``""`` removes it), packaging levels
    or description; fields left out stay (operator, or the enterprise itself; another's is 404)."""
    principal = require_principal(request)
    packaging = None if data.packaging is None else [(p.level, p.units_of_lower_level) for p in data.packaging]
    with transaction(request.app.state.sessions) as session:
        product = enterprises.update_product(
            session, actor=actor_for(request, principal), principal=principal, product_id=product_id,
            name=data.name, specification=data.specification, category_id=data.category_id, gtin=data.gtin,
            packaging=packaging, description=data.description,
            catalogue_entry_id=enterprises.KEEP if data.catalogue_entry_id is msgspec.UNSET else data.catalogue_entry_id)
        return product_json(product)


@get("/enrolment", opt=roles(Role.OPERATOR, Role.REGULATOR), sync_to_thread=True,
     summary="Enrolment progress / 入网进度")
def enrolment_counts(request: Request[Any, Any, Any], region: RegionFilter = None) -> dict[str, Any]:
    """How many enterprises reached each stage, in the caller's scope and in each division under the region,
    and the applications to join online there by stage (``applications``)."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        return enrolment.enrolment_progress(session, principal=principal, region_code=region or None)


router = Router(
    path="/",
    route_handlers=[directory_list, directory_entry, register, update, set_quota, sign, manage_list, manage_detail,
                    add_qualification, remove_qualification, list_products, add_product, update_product,
                    enrolment_counts],
    tags=["enterprises"],
)
