"""The industry rosters page for regulators (行业名录与渗透率): the rosters of a region with how many
of their enterprises have signed, a form importing one from a CSV or XLSX file (the rows at
fault listed when it is refused), and one roster's rates and members, each table with its CSV."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.catalogue.services import list_categories
from jianguan.enterprises.models import EnrolmentStage, QualificationKind
from jianguan.errors import DomainError
from jianguan.regions.tree import region_tree
from jianguan.rosters import services as rosters
from jianguan.rosters.files import COLUMN_NAMES, MAX_FILE_BYTES, RosterRefused
from jianguan.storage import reading, transaction
from jianguan.web.access import actor_for, require_principal, roles
from jianguan.web.forms import Form, form_int, uploaded_file
from jianguan.web.i18n import message
from jianguan.web.params import Offset, RegionFilter, RowId

REGULATORS = roles(Role.OPERATOR, Role.REGULATOR)
UploadForm = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
PAGE = 200  # members shown a page


def _choices(request: Request[Any, Any, Any], principal: Principal) -> dict[str, Any]:
    """What the import form offers: the regions the caller may name (its own and every one under
    it; the operator types a code) and the categories of its agency."""
    with reading(request.app.state.sessions) as session:
        tree = region_tree(session)
        regions = []
        if principal.region_code:
            for code in sorted(tree.descendants(principal.region_code)):
                regions.append({"code": code, "name": tree.path_name(code)})
        categories = [c for c in list_categories(session)
                      if principal.agency is None or c.agency == principal.agency]
    return {"regions": regions, "categories": categories}


def _list_page(request: Request[Any, Any, Any], *, region: str | None, values: dict[str, str] | None = None,
               error: DomainError | None = None) -> Template:
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        found = rosters.list_rosters(session, principal=principal, region_code=region)
        shown = region_tree(session).get(region) if region else None
    faults = [fault.as_json() for fault in error.faults] if isinstance(error, RosterRefused) else []
    return Template("rosters.html", status_code=error.status_code if error else 200, context={
        "rosters": found, "region": shown, "values": values or {}, "error": message(request, error),
        "faults": faults, "column_names": COLUMN_NAMES, "more": len(faults) - 200 if len(faults) > 200 else 0,
        "max_mb": MAX_FILE_BYTES // (1024 * 1024), **_choices(request, principal)})


@get("/manage/rosters", opt=REGULATORS, include_in_schema=False, sync_to_thread=True)
def rosters_page(request: Request[Any, Any, Any], region: RegionFilter = None) -> Template:
    """The rosters the caller sees (of ``region`` and below, if given), and the import form."""
    return _list_page(request, region=region)


@post("/manage/rosters", opt=REGULATORS, include_in_schema=False, sync_to_thread=True)
def import_roster(request: Request[Any, Any, Any], data: UploadForm) -> Template | Redirect:
    """Import a roster file; the roster's page, or the form again with the rows at fault."""
    principal = require_principal(request)
    values = {name: value.strip() for name, value in data.items() if isinstance(value, str)}
    try:
        category_id = form_int(values.get("category_id"), "category", "产品类别") or 0
        content, file_name = uploaded_file(data, MAX_FILE_BYTES)
        with transaction(request.app.state.sessions) as session:
            imported = rosters.import_roster(session, actor=actor_for(request, principal), principal=principal,
                                             region_code=values.get("region_code", ""), category_id=category_id,
                                             industry=values.get("industry", ""), source=values.get("source", ""),
                                             file_name=file_name, data=content)
            roster_id = imported.roster.id
    except DomainError as error:
        return _list_page(request, region=None, values=values, error=error)
    return Redirect(f"/manage/rosters/{roster_id}?imported=1", status_code=303)


@get("/manage/rosters/{roster_id:int}", opt=REGULATORS, include_in_schema=False, sync_to_thread=True)
def roster_page(request: Request[Any, Any, Any], roster_id: RowId, offset: Offset = 0) -> Template:
    """One roster: how many of its enterprises have reached each stage, the signing rate among its
    qualification holders by kind, and its members (a page at a time) with their stage."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        found = rosters.roster_rates(session, principal=principal, roster_id=roster_id, limit=PAGE, offset=offset)
    return Template("roster.html", context={
        "roster": found, "page": PAGE, "imported": request.query_params.get("imported") == "1",
        "stages": {stage.value: stage for stage in EnrolmentStage}, "kinds": {kind.value: kind for kind in QualificationKind}})


@post("/manage/rosters/{roster_id:int}/delete", opt=REGULATORS, include_in_schema=False, sync_to_thread=True)
def delete_roster(request: Request[Any, Any, Any], roster_id: RowId, data: Form) -> Redirect:
    """Delete a roster and its members."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        rosters.delete_roster(session, actor=actor_for(request, principal), principal=principal, roster_id=roster_id)
    return Redirect("/manage/rosters", status_code=303)


router = Router(path="/", route_handlers=[rosters_page, import_roster, roster_page, delete_roster])
