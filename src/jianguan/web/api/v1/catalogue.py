"""The catalogue: product categories and their supervising agencies, and the catalogue of
products under supervision (百种产品目录): its entries, added, changed or imported from a file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Request, Router, get, patch, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery, JSONBody

from jianguan.accounts.models import Role
from jianguan.catalogue import services as catalogue
from jianguan.catalogue.models import Agency, CatalogueEntry, Category
from jianguan.catalogue.services import FIRST_MANDATORY_YEAR
from jianguan.storage import reading, transaction
from jianguan.web.access import PUBLIC, actor_for, current_principal, roles
from jianguan.web.api.openapi import errors
from jianguan.web.api.v1.rosters import read_upload
from jianguan.web.params import Id, RowId, stored_in


class NewCategory(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, stored_in(Category.code, required=True,
                                   description="2-40 letters, digits or _, from a letter / 2-40 个字母、数字或下划线")]
    name_zh: Annotated[str, stored_in(Category.name_zh, required=True)]
    name_en: Annotated[str, stored_in(Category.name_en, required=True)]
    agency: Agency
    mandatory_since: Annotated[int, msgspec.Meta(ge=FIRST_MANDATORY_YEAR, le=2100)] | None = None
    description: Annotated[str, stored_in(Category.description)] = ""


class CategoryChanges(msgspec.Struct, forbid_unknown_fields=True):
    name_zh: Annotated[str, stored_in(Category.name_zh, required=True)] | None = None
    name_en: Annotated[str, stored_in(Category.name_en, required=True)] | None = None
    agency: Agency | None = None
    description: Annotated[str, stored_in(Category.description)] | None = None
    is_active: bool | None = None


def category_json(category: Category) -> dict[str, Any]:
    """A category as the API shows it, with its agency's labels."""
    agency = Agency(category.agency)
    return {
        "id": category.id, "code": category.code, "name_zh": category.name_zh, "name_en": category.name_en,
        "agency": agency.value, "agency_zh": agency.label_zh, "agency_en": agency.label_en,
        "mandatory_since": category.mandatory_since, "description": category.description,
        "is_active": category.is_active,
    }


@get("/categories", opt=PUBLIC, sync_to_thread=True, summary="Product categories / 产品目录")
def list_categories(request: Request[Any, Any, Any], include_inactive: FromQuery[bool] = False) -> list[dict[str, Any]]:
    """The categories in use (with ``include_inactive=true``, the retired ones too)."""
    with reading(request.app.state.sessions) as session:
        return [category_json(c) for c in catalogue.list_categories(session, include_inactive=include_inactive)]


@post("/categories", opt=roles(Role.OPERATOR), sync_to_thread=True, summary="Add a category / 新增产品类别",
      responses=errors(409))
def create_category(request: Request[Any, Any, Any], data: JSONBody[NewCategory]) -> dict[str, Any]:
    """Add a category; its code is stable and unique."""
    actor = actor_for(request, current_principal(request))
    with transaction(request.app.state.sessions) as session:
        category = catalogue.create_category(session, actor=actor, **msgspec.structs.asdict(data))
        return category_json(category)


@patch("/categories/{category_id:int}", opt=roles(Role.OPERATOR), sync_to_thread=True,
       summary="Change a category / 修改产品类别")
def update_category(request: Request[Any, Any, Any], category_id: RowId, data: JSONBody[CategoryChanges]) -> dict[str, Any]:
    """Change names, agency, description, or retire the category (``is_active: false``)."""
    actor = actor_for(request, current_principal(request))
    with transaction(request.app.state.sessions) as session:
        category = catalogue.update_category(session, actor=actor, category_id=category_id,
                                             **msgspec.structs.asdict(data))
        return category_json(category)


class NewEntry(msgspec.Struct, forbid_unknown_fields=True):
    number: Annotated[str, stored_in(CatalogueEntry.number, required=True,
                                     description="1-20 letters, digits, dots or hyphens / 目录编号")]
    name_zh: Annotated[str, stored_in(CatalogueEntry.name_zh, required=True)]
    name_en: Annotated[str, stored_in(CatalogueEntry.name_en, required=True)]
    category_id: Id
    note: Annotated[str, stored_in(CatalogueEntry.note)] = ""


class EntryChanges(msgspec.Struct, forbid_unknown_fields=True):
    name_zh: Annotated[str, stored_in(CatalogueEntry.name_zh, required=True)] | None = None
    name_en: Annotated[str, stored_in(CatalogueEntry.name_en, required=True)] | None = None
    category_id: Id | None = None
    note: Annotated[str, stored_in(CatalogueEntry.note)] | None = None
    is_active: bool | None = None


@dataclass
class CatalogueUpload:
    """A catalogue file (CSV or XLSX)."""

    file: UploadFile


def entry_json(entry: CatalogueEntry, category: Category) -> dict[str, Any]:
    """An entry as the API shows it, with its category's code and names."""
    return {"id": entry.id, "number": entry.number, "name_zh": entry.name_zh, "name_en": entry.name_en,
            "category": {"id": category.id, "code": category.code, "name_zh": category.name_zh,
                         "name_en": category.name_en},
            "note": entry.note, "is_active": entry.is_active}


@get("/catalogue/entries", opt=PUBLIC, sync_to_thread=True,
     summary="The catalogue of products under supervision / 百种产品目录")
def list_entries(request: Request[Any, Any, Any], include_inactive: FromQuery[bool] = False) -> list[dict[str, Any]]:
    """The entries in use, by number (with ``include_inactive=true``, the retired ones too)."""
    with reading(request.app.state.sessions) as session:
        return [entry_json(e, c) for e, c in catalogue.list_entries(session, include_inactive=include_inactive)]


@post("/catalogue/entries", opt=roles(Role.OPERATOR), sync_to_thread=True, responses=errors(409),
      summary="Add a catalogue entry / 新增目录产品")
def create_entry(request: Request[Any, Any, Any], data: JSONBody[NewEntry]) -> dict[str, Any]:
    """Add an entry of a category in use; its number is unique (409 if taken)."""
    actor = actor_for(request, current_principal(request))
    with transaction(request.app.state.sessions) as session:
        entry = catalogue.create_entry(session, actor=actor, **msgspec.structs.asdict(data))
        return entry_json(entry, catalogue.get_category(session, entry.category_id))


@patch("/catalogue/entries/{entry_id:int}", opt=roles(Role.OPERATOR), sync_to_thread=True,
       summary="Change a catalogue entry / 修改目录产品")
def update_entry(request: Request[Any, Any, Any], entry_id: RowId, data: JSONBody[EntryChanges]) -> dict[str, Any]:
    """Change an entry's names, category or note, or retire it (``is_active: false``); its number stays."""
    actor = actor_for(request, current_principal(request))
    with transaction(request.app.state.sessions) as session:
        entry = catalogue.update_entry(session, actor=actor, entry_id=entry_id, **msgspec.structs.asdict(data))
        return entry_json(entry, catalogue.get_category(session, entry.category_id))


@post("/catalogue/entries/import", opt=roles(Role.OPERATOR), sync_to_thread=True, status_code=200,
      responses=errors(409), summary="Import the catalogue (CSV or XLSX) / 导入产品目录")
def import_entries(request: Request[Any, Any, Any],
                   data: Annotated[CatalogueUpload, Body(media_type=RequestEncodingType.MULTI_PART)]) -> dict[str, Any]:
    """Import a catalogue file as ``multipart/form-data`` (``file``: CSV or XLSX with the columns
    编号, 产品名称, 英文名称, 产品类别 (a category's code or Chinese name) and optionally
    标准/许可): numbers not in the catalogue are added, those in it take the file's values. A
    file with any row at fault is refused whole (400, the rows in ``error.details.faults``) and
    nothing is imported. Answers the numbers added and changed."""
    actor = actor_for(request, current_principal(request))
    content = read_upload(data.file)
    with transaction(request.app.state.sessions) as session:
        imported = catalogue.import_entries(session, actor=actor, data=content, file_name=data.file.filename)
    return {"added": imported.added, "changed": imported.changed, "unchanged": imported.unchanged,
            "ignored_columns": imported.ignored_columns}


router = Router(path="/", route_handlers=[list_categories, create_category, update_category, list_entries,
                                          create_entry, update_entry, import_entries], tags=["catalogue"])
