"""Industry rosters (行业名录) and penetration rates: ``/api/v1/rosters`` (list, import a CSV or XLSX
file, one roster with its rates, delete) and ``/api/v1/rosters/{id}/rates.csv``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, Response, Router, delete, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter

from jianguan.accounts.models import Role
from jianguan.rosters import services as rosters
from jianguan.rosters.files import MAX_FILE_BYTES
from jianguan.storage import reading, transaction
from jianguan.web.access import actor_for, require_principal, roles
from jianguan.web.api.openapi import errors
from jianguan.web.forms import form_int
from jianguan.web.params import Offset, RegionFilter, RowId

REGULATORS = roles(Role.OPERATOR, Role.REGULATOR)
TableName = Annotated[str, QueryParameter(max_length=20, description="enrolment, signing or members / 表")]
Language = Annotated[str | None, QueryParameter(max_length=2, description="zh (default) or en / 表头语言")]
MemberLimit = Annotated[int, QueryParameter(ge=1, le=rosters.MAX_MEMBERS_SHOWN, description="Members shown / 显示企业数")]


@dataclass
class RosterUpload:
    """A roster file and what it is the roster of."""

    file: UploadFile
    region_code: str
    category_id: str
    industry: str
    source: str = ""


def read_upload(upload: UploadFile) -> bytes:
    """The uploaded file's bytes, at most one more than a roster file may have (the parser refuses it)."""
    upload.file.seek(0)
    return upload.file.read(MAX_FILE_BYTES + 1)


@get("/rosters", opt=REGULATORS, sync_to_thread=True, summary="Industry rosters / 行业名录")
def list_rosters(request: Request[Any, Any, Any], region: RegionFilter = None) -> list[dict[str, Any]]:
    """The rosters the caller sees (those of ``region`` and the regions under it, if given), each with
    its members and how many of them have signed."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        return rosters.list_rosters(session, principal=principal, region_code=region)


@post("/rosters", opt=REGULATORS, sync_to_thread=True, status_code=201, responses=errors(404),
      summary="Import an industry roster (CSV or XLSX) / 导入行业名录")
def import_roster(request: Request[Any, Any, Any],
                  data: Annotated[RosterUpload, Body(media_type=RequestEncodingType.MULTI_PART)]) -> dict[str, Any]:
    """Import the roster of an industry in a region (the caller's or one under it) and of a catalogue
    category its agency supervises, as ``multipart/form-data``: ``file`` (CSV or XLSX, columns
    统一社会信用代码 and 企业名称, optionally 区划代码, 许可证编号 and 资质), ``region_code``,
    ``category_id``, ``industry`` and ``source``. The same industry, category and region imported
    again replaces the members. A file with rows at fault is refused whole (400, the rows in
    ``error.details.faults``). Answers the roster with its rates."""
    principal = require_principal(request)
    category_id = form_int(data.category_id, "category", "产品类别") or 0
    content = read_upload(data.file)
    with transaction(request.app.state.sessions) as session:
        imported = rosters.import_roster(session, actor=actor_for(request, principal), principal=principal,
                                         region_code=data.region_code, category_id=category_id,
                                         industry=data.industry, source=data.source, file_name=data.file.filename,
                                         data=content)
        roster_id, replaced, ignored = imported.roster.id, imported.replaced, imported.ignored_columns
    with reading(request.app.state.sessions) as session:
        found = rosters.roster_rates(session, principal=principal, roster_id=roster_id)
    return {**found, "replaced": replaced, "ignored_columns": ignored}


@get("/rosters/{roster_id:int}", opt=REGULATORS, sync_to_thread=True, responses=errors(404),
     summary="A roster with its rates / 行业名录及渗透率")
def show_roster(request: Request[Any, Any, Any], roster_id: RowId, limit: MemberLimit = 100,
                offset: Offset = 0) -> dict[str, Any]:
    """A roster and its rates as of today: members registered, signed, with credentials, coding and
    activating (by credit code, among the enterprises the caller sees), the signing rate among
    the members holding each kind of qualification, and a page of its members with their stage."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        return rosters.roster_rates(session, principal=principal, roster_id=roster_id, limit=limit, offset=offset)


@get("/rosters/{roster_id:int}/rates.csv", opt=REGULATORS, sync_to_thread=True, media_type="text/csv",
     responses=errors(404), summary="A roster's rates as CSV / 行业名录渗透率（CSV）")
def rates_csv(request: Request[Any, Any, Any], roster_id: RowId, table: TableName = "enrolment",
              lang: Language = None) -> Response[str]:
    """One table of a roster's rates as CSV (UTF-8 with a BOM): ``enrolment`` (members by stage),
    ``signing`` (qualification holders by kind) or ``members`` (each member and its stage),
    headed in Chinese or, with ``lang=en``, English."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        roster, chosen = rosters.rate_table(session, principal=principal, roster_id=roster_id, name=table)
        name = f"roster-{roster.id}-{roster.region_code}-{chosen.name}.csv"
    return Response(chosen.csv("en" if lang == "en" else "zh"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@delete("/rosters/{roster_id:int}", opt=REGULATORS, sync_to_thread=True, responses=errors(404),
        summary="Delete a roster / 删除行业名录")
def delete_roster(request: Request[Any, Any, Any], roster_id: RowId) -> None:
    """Delete a roster and its members (404 outside the caller's scope). Answers 204."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        rosters.delete_roster(session, actor=actor_for(request, principal), principal=principal, roster_id=roster_id)


router = Router(path="/", route_handlers=[list_rosters, import_roster, show_roster, rates_csv, delete_roster],
                tags=["statistics"])
