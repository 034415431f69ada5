"""Enterprise pages: the public directory, and the registry for the operator, regulators and
the enterprises themselves."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Router, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from jianguan.accounts.models import Role
from jianguan.applications.workflow import ApplicationStage
from jianguan.catalogue.services import list_categories, list_entries
from jianguan.codes.issue import issued_this_month
from jianguan.credit import services as credit
from jianguan.enterprises import broadcasts, directory, enrolment
from jianguan.enterprises import services as enterprises
from jianguan.enterprises.models import EnrolmentStage, PackagingLevel, QualificationKind
from jianguan.errors import DomainError
from jianguan.regions.tree import region_tree
from jianguan.storage import reading, transaction
from jianguan.timezone import today
from jianguan.web.access import PUBLIC, actor_for, require_principal, roles
from jianguan.web.forms import Form, form_date, form_int
from jianguan.web.i18n import message
from jianguan.web.params import Offset, RowId

PAGE_SIZE = 20
STAGE_BADGES = {"registered": "", "signed": "warn", "credentials_issued": "warn", "codes_issued": "good",
                "activated": "good"}
ENTERPRISE_FIELDS = ("credit_code", "name", "region_code", "category_id", "address", "contact_name",
                     "contact_phone", "contact_email", "description")
QUALIFICATION_FIELDS = ("kind", "number", "issuer", "valid_from", "valid_until")
PRODUCT_FIELDS = ("name", "specification", "category_id", "catalogue_entry_id", "gtin", "case_units", "pallet_units",
                  "description")





# --- the public directory -----------------------------------------------------------------


@get("/enterprises", opt=PUBLIC, include_in_schema=False, sync_to_thread=True)
def directory_page(
    request: Request[Any, Any, Any], province: FromQuery[str | None] = None, region: FromQuery[str | None] = None,
    category: FromQuery[str | None] = None, q: FromQuery[str | None] = None, offset: Offset = 0,
) -> Template:
    """Signed enterprises, filtered by region, category and name; readable on a phone."""
    region_code = (region or "").strip() or (province or "").strip() or None
    category = (category or "").strip()
    category_id = int(category) if category.isascii() and category.isdigit() else None
    refused: DomainError | None = None
    with reading(request.app.state.sessions) as session:
        try:
            page = directory.public_directory(session, region_code=region_code, category_id=category_id, query=q,
                                              limit=PAGE_SIZE, offset=offset)
        except DomainError as error:
            page = {"total": 0, "limit": PAGE_SIZE, "offset": 0, "items": []}
            refused = error
        categories = list_categories(session)
        provinces = region_tree(session).provinces()
    filters = {"province": province or "", "region": region or "", "category": category or "", "q": q or ""}
    base = {k: v for k, v in filters.items() if v}

    def page_url(new_offset: int) -> str:
        return "/enterprises?" + urlencode({**base, "offset": new_offset})

    return Template("enterprises_directory.html", status_code=refused.status_code if refused else 200, context={
        "page": page, "filters": filters, "categories": categories, "provinces": provinces,
        "error": message(request, refused),
        "kinds": QualificationKind, "badges": STAGE_BADGES, "stages": EnrolmentStage,
        "previous_url": page_url(max(offset - PAGE_SIZE, 0)) if offset > 0 else None,
        "next_url": page_url(offset + PAGE_SIZE) if offset + PAGE_SIZE < page["total"] else None,
    })


@get("/enterprises/{enterprise_id:int}", opt=PUBLIC, include_in_schema=False, sync_to_thread=True)
def directory_entry(request: Request[Any, Any, Any], enterprise_id: RowId) -> Template:
    """One signed enterprise's public entry, with the public part of its credit record."""
    with reading(request.app.state.sessions) as session:
        entry = directory.public_entry(session, enterprise_id)
        record = credit.public_record(session, enterprise_id=enterprise_id)
    return Template("enterprise_entry.html", context={"entry": entry, "credit": record, "kinds": QualificationKind,
                                                       "stages": EnrolmentStage, "badges": STAGE_BADGES})



# --- the registry -------------------------------------------------------------------------


def _manage_page(request: Request[Any, Any, Any], *, values: dict[str, str] | None = None,
                 error: DomainError | None = None) -> Template:
    principal = require_principal(request)
    params = request.query_params
    region_code = (params.get("region") or "").strip() or None
    stage = (params.get("stage") or "").strip() or None
    q = (params.get("q") or "").strip() or None
    filter_error: str | None = None
    with reading(request.app.state.sessions) as session:
        try:
            progress = enrolment.enrolment_progress(session, principal=principal, region_code=region_code)
            rows = enterprises.list_enterprises(session, principal=principal, region_code=region_code, stage=stage,
                                                query=q)
        except DomainError as refused:
            filter_error = message(request, refused)
            progress = enrolment.enrolment_progress(session, principal=principal)
            rows = []
        tree = region_tree(session)
        scope_region = tree.get(principal.region_code)
        sub_region_of = region_code or principal.region_code
        sub_regions = tree.children(sub_region_of) if sub_region_of in tree else ()
        categories = list_categories(session)
    return Template("manage_enterprises.html", status_code=error.status_code if error else 400 if filter_error else 200, context={
        "rows": rows, "progress": progress, "sub_regions": sub_regions, "scope_region": scope_region,
        "categories": categories, "stages": EnrolmentStage, "badges": STAGE_BADGES, "Role": Role,
        "application_stage": ApplicationStage, "filters": {"region": region_code or "", "stage": stage or "", "q": q or ""},
        "values": values or {}, "error": message(request, error),
        "filter_error": filter_error, "is_operator": principal.role is Role.OPERATOR,
    })


@get("/manage/enterprises", opt=roles(Role.OPERATOR, Role.REGULATOR), include_in_schema=False,
     sync_to_thread=True)
def manage_enterprises(request: Request[Any, Any, Any]) -> Template:
    """The enterprises in the caller's scope with the enrolment funnel; the operator can register one."""
    return _manage_page(request)


@post("/manage/enterprises", opt=roles(Role.OPERATOR), include_in_schema=False, sync_to_thread=True)
def register_enterprise(request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
    """Register an enterprise from the form."""
    values = {name: (data.get(name) or "").strip() for name in ENTERPRISE_FIELDS}
    try:
        with transaction(request.app.state.sessions) as session:
            enterprise = enterprises.register_enterprise(
                session, actor=actor_for(request, require_principal(request)), credit_code=values["credit_code"],
                name=values["name"], region_code=values["region_code"],
                category_id=form_int(values["category_id"], "category", "产品类别"), address=values["address"],
                contact_name=values["contact_name"], contact_phone=values["contact_phone"],
                contact_email=values["contact_email"], description=values["description"])
            enterprise_id = enterprise.id
    except DomainError as error:
        return _manage_page(request, values=values, error=error)
    return Redirect(f"/manage/enterprises/{enterprise_id}", status_code=303)


def _detail_page(request: Request[Any, Any, Any], enterprise_id: int, *, form: str = "",
                 values: dict[str, str] | None = None, error: DomainError | None = None) -> Template:
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        enterprise = enterprises.get_enterprise(session, principal=principal, enterprise_id=enterprise_id)
        for product in enterprise.products:
            _ = product.packaging, product.category
        _ = enterprise.category
        region_path = region_tree(session).path_name(enterprise.region_code)
        categories = list_categories(session)
        entries = list_entries(session, include_inactive=True)
        broadcast = broadcasts.current_broadcast(session, enterprise_id)
        issued = issued_this_month(session, enterprise_id)
        record = credit.record_json(credit.credit_record(session, principal=principal, enterprise_id=enterprise_id))
    return Template("manage_enterprise.html", status_code=error.status_code if error else 200, context={
        "enterprise": enterprise, "region_path": region_path, "categories": categories, "entries": entries,
        "kinds": list(QualificationKind), "Kind": QualificationKind, "levels": PackagingLevel, "stages": EnrolmentStage,
        "badges": STAGE_BADGES, "today": today(), "form": form, "values": values or {}, "broadcast": broadcast,
        "broadcast_max": broadcasts.BROADCAST_MAX_CHARS, "issued_this_month": issued, "credit": record,
        "error": message(request, error),
        "can_edit": principal.role is Role.OPERATOR or principal.owns_enterprise(enterprise_id),
        "is_operator": principal.role is Role.OPERATOR,
        "funnel": [(stage, getattr(enterprise, column)) for stage, column in (
            (EnrolmentStage.SIGNED, "signed_on"), (EnrolmentStage.CREDENTIALS_ISSUED, "credentials_issued_on"),
            (EnrolmentStage.CODES_ISSUED, "codes_issued_on"), (EnrolmentStage.ACTIVATED, "activated_on"))],
    })


MANAGERS = roles(Role.OPERATOR, Role.REGULATOR, Role.MANUFACTURER)
OWNERS = roles(Role.OPERATOR, Role.MANUFACTURER)


@get("/manage/enterprises/{enterprise_id:int}", opt=MANAGERS, include_in_schema=False, sync_to_thread=True)
def manage_enterprise(request: Request[Any, Any, Any], enterprise_id: RowId) -> Template:
    """One enterprise: details, stage dates, qualifications, products and packaging."""
    return _detail_page(request, enterprise_id)


@post("/manage/enterprises/{enterprise_id:int}/sign", opt=roles(Role.OPERATOR), include_in_schema=False,
      sync_to_thread=True)
def sign_enterprise(request: Request[Any, Any, Any], enterprise_id: RowId, data: Form) -> Template | Redirect:
    """Record the signing (today, or on the date given)."""
    values = {"signed_on": (data.get("signed_on") or "").strip()}
    try:
        with transaction(request.app.state.sessions) as session:
            enterprises.sign_enterprise(session, actor=actor_for(request, require_principal(request)),
                                        enterprise_id=enterprise_id,
                                        signed_on=form_date(values["signed_on"], "signing date", "签约日期"))
    except DomainError as error:
        return _detail_page(request, enterprise_id, form="sign", values=values, error=error)
    return Redirect(f"/manage/enterprises/{enterprise_id}", status_code=303)


@post("/manage/enterprises/{enterprise_id:int}/qualifications", opt=OWNERS, include_in_schema=False,
      sync_to_thread=True)
def add_qualification(request: Request[Any, Any, Any], enterprise_id: RowId, data: Form) -> Template | Redirect:
    """Add a qualification from the form."""
    principal = require_principal(request)
    values = {name: (data.get(name) or "").strip() for name in QUALIFICATION_FIELDS}
    try:
        with transaction(request.app.state.sessions) as session:
            enterprises.add_qualification(
                session, actor=actor_for(request, principal), principal=principal, enterprise_id=enterprise_id,
                kind=values["kind"], number=values["number"], issuer=values["issuer"],
                valid_from=form_date(values["valid_from"], "start date", "生效日期"),
                valid_until=form_date(values["valid_until"], "end date", "截止日期"))
    except DomainError as error:
        return _detail_page(request, enterprise_id, form="qualification", values=values, error=error)
    return Redirect(f"/manage/enterprises/{enterprise_id}#qualifications", status_code=303)


def _form_packaging(values: dict[str, str]) -> list[tuple[str, int]]:
    """The packaging levels a product form gives: item always, case and pallet when their counts are given."""
    packaging: list[tuple[str, int]] = [("item", 1)]
    for level, field in (("case", "case_units"), ("pallet", "pallet_units")):
        units = form_int(values[field], f"number of units in a {level}", "包装数量")
        if units is not None:
            packaging.append((level, units))
    return packaging


@post("/manage/enterprises/{enterprise_id:int}/quota", opt=roles(Role.OPERATOR), include_in_schema=False,
      sync_to_thread=True)
def set_quota(request: Request[Any, Any, Any], enterprise_id: RowId, data: Form) -> Template | Redirect:
    """Set the enterprise's monthly code quota from the form."""
    values = {"monthly_code_quota": (data.get("monthly_code_quota") or "").strip()}
    try:
        with transaction(request.app.state.sessions) as session:
            enterprises.set_monthly_quota(
                session, actor=actor_for(request, require_principal(request)), enterprise_id=enterprise_id,
                quota=form_int(values["monthly_code_quota"], "monthly code quota", "月度发码配额",
                               maximum=2**63 - 1))  # the service checks the range and says it
    except DomainError as error:
        return _detail_page(request, enterprise_id, form="quota", values=values, error=error)
    return Redirect(f"/manage/enterprises/{enterprise_id}#quota", status_code=303)


@post("/manage/enterprises/{enterprise_id:int}/qualifications/{qualification_id:int}/remove", opt=OWNERS,
      include_in_schema=False, sync_to_thread=True)
def remove_qualification(request: Request[Any, Any, Any], enterprise_id: RowId,
                         qualification_id: RowId) -> Template | Redirect:
    """Remove a qualification (the operator, or the enterprise's own staff)."""
    principal = require_principal(request)
    try:
        with transaction(request.app.state.sessions) as session:
            enterprises.remove_qualification(session, actor=actor_for(request, principal), principal=principal,
                                             qualification_id=qualification_id, enterprise_id=enterprise_id)
    except DomainError as error:
        return _detail_page(request, enterprise_id, form="qualifications", error=error)
    return Redirect(f"/manage/enterprises/{enterprise_id}#qualifications", status_code=303)


@post("/manage/enterprises/{enterprise_id:int}/products", opt=OWNERS, include_in_schema=False,
      sync_to_thread=True)
def add_product(request: Request[Any, Any, Any], enterprise_id: RowId, data: Form) -> Template | Redirect:
    """Register a product from the form: item always, case and pallet when their counts are given."""
    principal = require_principal(request)
    values = {name: (data.get(name) or "").strip() for name in PRODUCT_FIELDS}
    try:
        packaging = _form_packaging(values)
        with transaction(request.app.state.sessions) as session:
            enterprises.add_product(
                session, actor=actor_for(request, principal), principal=principal, enterprise_id=enterprise_id,
                name=values["name"], specification=values["specification"],
                category_id=form_int(values["category_id"], "category", "产品类别"),
                gtin=values["gtin"] or None, packaging=packaging, description=values["description"],
                catalogue_entry_id=form_int(values["catalogue_entry_id"], "catalogue entry", "目录产品"))
    except DomainError as error:
        return _detail_page(request, enterprise_id, form="product", values=values, error=error)
    return Redirect(f"/manage/enterprises/{enterprise_id}#products", status_code=303)


@post("/manage/enterprises/{enterprise_id:int}/products/{product_id:int}", opt=OWNERS, include_in_schema=False,
      sync_to_thread=True)
def update_product(request: Request[Any, Any, Any], enterprise_id: RowId, product_id: RowId,
                   data: Form) -> Template | Redirect:
    """Change a product from its edit form: every field as the form shows it (an empty GTIN
    removes it, an empty case or pallet count removes that level)."""
    principal = require_principal(request)
    values = {name: (data.get(name) or "").strip() for name in PRODUCT_FIELDS}
    try:
        packaging = _form_packaging(values)
        with transaction(request.app.state.sessions) as session:
            enterprises.update_product(
                session, actor=actor_for(request, principal), principal=principal, product_id=product_id,
                enterprise_id=enterprise_id, name=values["name"], specification=values["specification"],
                category_id=form_int(values["category_id"], "category", "产品类别"), gtin=values["gtin"],
                packaging=packaging, description=values["description"],
                catalogue_entry_id=form_int(values["catalogue_entry_id"], "catalogue entry", "目录产品"))
    except DomainError as error:
        return _detail_page(request, enterprise_id, form=f"product-{product_id}", values=values, error=error)
    return Redirect(f"/manage/enterprises/{enterprise_id}#product-{product_id}", status_code=303)


@post("/manage/enterprises/{enterprise_id:int}/broadcast", opt=OWNERS, include_in_schema=False,
      sync_to_thread=True)
def post_broadcast(request: Request[Any, Any, Any], enterprise_id: RowId, data: Form) -> Template | Redirect:
    """Post the enterprise's message (信息播报) from the form."""
    principal = require_principal(request)
    values = {"text": data.get("text") or ""}
    try:
        with transaction(request.app.state.sessions) as session:
            broadcasts.post_broadcast(session, actor=actor_for(request, principal), principal=principal,
                                       enterprise_id=enterprise_id, text=values["text"])
    except DomainError as error:
        return _detail_page(request, enterprise_id, form="broadcast", values=values, error=error)
    return Redirect(f"/manage/enterprises/{enterprise_id}#broadcast", status_code=303)


@post("/manage/enterprises/{enterprise_id:int}/broadcast/withdraw", opt=OWNERS, include_in_schema=False,
      sync_to_thread=True)
def withdraw_broadcast(request: Request[Any, Any, Any], enterprise_id: RowId) -> Redirect:
    """Withdraw the enterprise's current message."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        broadcasts.withdraw_broadcast(session, actor=actor_for(request, principal), principal=principal,
                                       enterprise_id=enterprise_id)
    return Redirect(f"/manage/enterprises/{enterprise_id}#broadcast", status_code=303)


router = Router(path="/", route_handlers=[directory_page, directory_entry, manage_enterprises, register_enterprise,
                                          manage_enterprise, sign_enterprise, set_quota, add_qualification,
                                          remove_qualification, add_product, update_product, post_broadcast,
                                          withdraw_broadcast])
