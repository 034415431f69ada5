"""Operator pages for the catalogue and the registries of printers and of distributors and shops."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.catalogue import services as catalogue
from jianguan.catalogue.files import COLUMN_NAMES as CATALOGUE_COLUMNS
from jianguan.catalogue.files import CatalogueRefused
from jianguan.catalogue.models import Agency
from jianguan.errors import DomainError, NotFound
from jianguan.merchants import services as merchants
from jianguan.merchants.models import MerchantKind
from jianguan.printers import services as printers
from jianguan.regions.tree import region_tree
from jianguan.rosters.files import MAX_FILE_BYTES
from jianguan.storage import reading, transaction
from jianguan.timezone import today
from jianguan.web.access import actor_for, current_principal, require_principal, roles
from jianguan.web.forms import Form, form_date, form_int, uploaded_file
from jianguan.web.i18n import message
from jianguan.web.params import RowId

OPERATOR = roles(Role.OPERATOR)
CATEGORY_FIELDS = ("code", "name_zh", "name_en", "agency", "mandatory_since", "description")
ENTRY_FIELDS = ("number", "name_zh", "name_en", "category_id", "note")
UploadForm = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
PRINTER_FIELDS = ("credit_code", "name", "region_code", "address", "filing_number", "filing_valid_until")
MERCHANT_FIELDS = ("credit_code", "name", "kind", "region_code", "address")



def _values(data: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    return {name: (data.get(name) or "").strip() for name in fields}


# --- catalogue ----------------------------------------------------------------------------


def _catalogue_page(request: Request[Any, Any, Any], *, values: dict[str, str] | None = None,
                    error: DomainError | None = None, edited: int | None = None, form: str = "category",
                    imported: str = "") -> Template:
    """The catalogue page; ``form`` names the form an error belongs to (``category``, ``entry``,
    ``entry-<id>``, ``import``)."""
    with reading(request.app.state.sessions) as session:
        categories = catalogue.list_categories(session, include_inactive=True)
        entries = catalogue.list_entries(session, include_inactive=True)
    faults = [fault.as_json() for fault in error.faults] if isinstance(error, CatalogueRefused) else []
    return Template("manage_catalogue.html", status_code=error.status_code if error else 200, context={
        "categories": categories, "agencies": list(Agency), "Agency": Agency, "values": values or {},
        "error": message(request, error), "edited": edited, "entries": entries, "form": form, "faults": faults,
        "column_names": CATALOGUE_COLUMNS, "imported": imported,
    })


@get("/manage/catalogue", opt=OPERATOR, include_in_schema=False, sync_to_thread=True)
def catalogue_page(request: Request[Any, Any, Any]) -> Template:
    """Every category with its agency, and the entries of the catalogue of products under
    supervision; forms to add, edit, retire and import them."""
    added, changed = request.query_params.get("added"), request.query_params.get("changed")
    imported = f"{added}/{changed}" if added and changed and added.isdigit() and changed.isdigit() else ""
    return _catalogue_page(request, imported=imported)


@post("/manage/catalogue", opt=OPERATOR, include_in_schema=False, sync_to_thread=True)
def catalogue_create(request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
    """Add a category from the form."""
    values = _values(data, CATEGORY_FIELDS)
    try:
        with transaction(request.app.state.sessions) as session:
            catalogue.create_category(
                session, actor=actor_for(request, current_principal(request)), code=values["code"],
                name_zh=values["name_zh"], name_en=values["name_en"], agency=values["agency"],
                mandatory_since=form_int(values["mandatory_since"], "year", "年份"), description=values["description"])
    except DomainError as error:
        return _catalogue_page(request, values=values, error=error)
    return Redirect("/manage/catalogue", status_code=303)


@post("/manage/catalogue/entries", opt=OPERATOR, include_in_schema=False, sync_to_thread=True)
def entry_create(request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
    """Add an entry to the catalogue of products under supervision (百种产品目录) from the form."""
    values = _values(data, ENTRY_FIELDS)
    try:
        with transaction(request.app.state.sessions) as session:
            entry = catalogue.create_entry(
                session, actor=actor_for(request, current_principal(request)), number=values["number"],
                name_zh=values["name_zh"], name_en=values["name_en"],
                category_id=form_int(values["category_id"], "category", "产品类别") or 0, note=values["note"])
            entry_id = entry.id
    except DomainError as error:
        return _catalogue_page(request, values=values, error=error, form="entry")
    return Redirect(f"/manage/catalogue#entry-{entry_id}", status_code=303)


@post("/manage/catalogue/entries/import", opt=OPERATOR, include_in_schema=False, sync_to_thread=True)
def entry_import(request: Request[Any, Any, Any], data: UploadForm) -> Template | Redirect:
    """Import a catalogue file; the page with what was added and changed, or with the rows at fault
    (nothing imported)."""
    content, file_name = uploaded_file(data, MAX_FILE_BYTES)
    try:
        with transaction(request.app.state.sessions) as session:
            imported = catalogue.import_entries(session, actor=actor_for(request, current_principal(request)),
                                                data=content, file_name=file_name)
    except DomainError as error:
        return _catalogue_page(request, error=error, form="import")
    return Redirect(f"/manage/catalogue?added={len(imported.added)}&changed={len(imported.changed)}#entries",
                    status_code=303)


@post("/manage/catalogue/entries/{entry_id:int}", opt=OPERATOR, include_in_schema=False, sync_to_thread=True)
def entry_update(request: Request[Any, Any, Any], entry_id: RowId, data: Form) -> Template | Redirect:
    """Change an entry's names, category and note, or retire or restore it."""
    try:
        with transaction(request.app.state.sessions) as session:
            catalogue.update_entry(
                session, actor=actor_for(request, current_principal(request)), entry_id=entry_id,
                name_zh=data.get("name_zh"), name_en=data.get("name_en"),
                category_id=form_int(data.get("category_id"), "category", "产品类别") if data.get("category_id") else None,
                note=data.get("note"), is_active=data.get("is_active") == "1" if "is_active" in data else None)
    except DomainError as error:
        return _catalogue_page(request, error=error, form=f"entry-{entry_id}")
    return Redirect(f"/manage/catalogue#entry-{entry_id}", status_code=303)


@post("/manage/catalogue/{category_id:int}", opt=OPERATOR, include_in_schema=False, sync_to_thread=True)
def catalogue_update(request: Request[Any, Any, Any], category_id: RowId, data: Form) -> Template | Redirect:
    """Change a category's names and agency, or retire or restore it."""
    try:
        with transaction(request.app.state.sessions) as session:
            catalogue.update_category(
                session, actor=actor_for(request, current_principal(request)), category_id=category_id,
                name_zh=data.get("name_zh"), name_en=data.get("name_en"), agency=data.get("agency") or None,
                is_active=data.get("is_active") == "1" if "is_active" in data else None)
    except DomainError as error:
        return _catalogue_page(request, error=error, edited=category_id)
    return Redirect(f"/manage/catalogue#category-{category_id}", status_code=303)


# --- printers -----------------------------------------------------------------------------


def _printers_page(request: Request[Any, Any, Any], *, values: dict[str, str] | None = None,
                   error: DomainError | None = None) -> Template:
    with reading(request.app.state.sessions) as session:
        rows = printers.list_printers(session)
    return Template("manage_printers.html", status_code=error.status_code if error else 200, context={
        "printers": rows, "today": today(), "values": values or {}, "error": message(request, error),
    })


@get("/manage/printers", opt=OPERATOR, include_in_schema=False, sync_to_thread=True)
def printers_page(request: Request[Any, Any, Any]) -> Template:
    """Every designated printer and its filing; a form to register one."""
    return _printers_page(request)


@post("/manage/printers", opt=OPERATOR, include_in_schema=False, sync_to_thread=True)
def printers_create(request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
    """Register a printer from the form."""
    values = _values(data, PRINTER_FIELDS)
    try:
        with transaction(request.app.state.sessions) as session:
            printers.register_printer(
                session, actor=actor_for(request, current_principal(request)), credit_code=values["credit_code"],
                name=values["name"], region_code=values["region_code"], address=values["address"],
                filing_number=values["filing_number"] or None,
                filing_valid_until=form_date(values["filing_valid_until"], "filing expiry date", "备案有效期"))
    except DomainError as error:
        return _printers_page(request, values=values, error=error)
    return Redirect("/manage/printers", status_code=303)


# --- merchants ----------------------------------------------------------------------------


def _merchants_page(request: Request[Any, Any, Any], *, values: dict[str, str] | None = None,
                    error: DomainError | None = None) -> Template:
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        rows = merchants.list_merchants(session, principal=principal)
    return Template("manage_merchants.html", status_code=error.status_code if error else 200, context={
        "merchants": rows, "kinds": list(MerchantKind), "Kind": MerchantKind, "values": values or {},
        "error": message(request, error),
    })


@get("/manage/merchants", opt=OPERATOR, include_in_schema=False, sync_to_thread=True)
def merchants_page(request: Request[Any, Any, Any]) -> Template:
    """Every distributor and shop; a form to register one."""
    return _merchants_page(request)


@post("/manage/merchants", opt=OPERATOR, include_in_schema=False, sync_to_thread=True)
def merchants_create(request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
    """Register a distributor or shop from the form."""
    values = _values(data, MERCHANT_FIELDS)
    try:
        with transaction(request.app.state.sessions) as session:
            merchants.register_merchant(
                session, actor=actor_for(request, current_principal(request)), credit_code=values["credit_code"],
                name=values["name"], kind=values["kind"], region_code=values["region_code"], address=values["address"])
    except DomainError as error:
        return _merchants_page(request, values=values, error=error)
    return Redirect("/manage/merchants", status_code=303)


def _own_record(request: Request[Any, Any, Any], record_id: int, attribute: str) -> Principal:
    """The caller, if it may see this printer's or merchant's record: an operator, or the
    organisation's own staff; anyone else is told there is no such record."""
    principal = require_principal(request)
    if principal.role is not Role.OPERATOR and getattr(principal, attribute) != record_id:
        raise NotFound(f"No record {record_id}.", f"记录 {record_id} 不存在。")
    return principal


def _printer_page(request: Request[Any, Any, Any], printer_id: int, *, form: str = "",
                  values: dict[str, str] | None = None, error: DomainError | None = None) -> Template:
    principal = _own_record(request, printer_id, "printer_id")
    with reading(request.app.state.sessions) as session:
        printer = printers.get_printer(session, printer_id)
        region = region_tree(session).require(printer.region_code)
    return Template("registry_record.html", status_code=error.status_code if error else 200, context={
        "kind": "printer", "record": printer, "region": region, "today": today(),
        "is_operator": principal.role is Role.OPERATOR, "form": form, "values": values or {},
        "error": message(request, error)})


@get("/manage/printers/{printer_id:int}", opt=roles(Role.OPERATOR, Role.PRINTER), include_in_schema=False,
     sync_to_thread=True)
def printer_page(request: Request[Any, Any, Any], printer_id: RowId) -> Template:
    """One designated printer's record and filing: the operator's view (with the forms to renew
    and revoke the filing), and the printer's own."""
    return _printer_page(request, printer_id)


@post("/manage/printers/{printer_id:int}/filing", opt=OPERATOR, include_in_schema=False, sync_to_thread=True)
def printer_renew_filing(request: Request[Any, Any, Any], printer_id: RowId, data: Form
                         ) -> Template | Redirect:
    """Renew the printer's filing from the form (a new number or the same one, and its expiry date)."""
    values = _values(data, ("filing_number", "valid_until"))
    try:
        with transaction(request.app.state.sessions) as session:
            printers.renew_filing(
                session, actor=actor_for(request, current_principal(request)), printer_id=printer_id,
                filing_number=values["filing_number"],
                valid_until=form_date(values["valid_until"], "filing expiry date", "备案有效期"))  # type: ignore[arg-type]
    except DomainError as error:
        return _printer_page(request, printer_id, form="renew", values=values, error=error)
    return Redirect(f"/manage/printers/{printer_id}#filing", status_code=303)


@post("/manage/printers/{printer_id:int}/filing/revoke", opt=OPERATOR, include_in_schema=False,
      sync_to_thread=True)
def printer_revoke_filing(request: Request[Any, Any, Any], printer_id: RowId, data: Form
                          ) -> Template | Redirect:
    """Revoke the printer's filing from the form, with the reason."""
    values = {"reason": (data.get("reason") or "").strip()}
    try:
        with transaction(request.app.state.sessions) as session:
            printers.revoke_filing(session, actor=actor_for(request, current_principal(request)),
                                   printer_id=printer_id, reason=values["reason"])
    except DomainError as error:
        return _printer_page(request, printer_id, form="revoke", values=values, error=error)
    return Redirect(f"/manage/printers/{printer_id}#filing", status_code=303)


@get("/manage/merchants/{merchant_id:int}", opt=roles(Role.OPERATOR, Role.REGULATOR, Role.MERCHANT),
     include_in_schema=False, sync_to_thread=True)
def merchant_page(request: Request[Any, Any, Any], merchant_id: RowId) -> Template:
    """One distributor's or shop's record: operators, regulators of its region, and its own staff."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        merchant = merchants.get_merchant(session, principal=principal, merchant_id=merchant_id)
        region = region_tree(session).require(merchant.region_code)
    return Template("registry_record.html", context={
        "kind": "merchant", "record": merchant, "kind_label": MerchantKind(merchant.kind), "region": region,
        "today": today()})


router = Router(path="/", route_handlers=[printer_page, printer_renew_filing, printer_revoke_filing, merchant_page,
                                          catalogue_page, catalogue_create, catalogue_update, entry_create, entry_import,
                                          entry_update, printers_page,
                                          printers_create, merchants_page, merchants_create])
