"""The catalogue: product categories and their supervising agencies."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Router, get, patch, post
from litestar.params import FromQuery, JSONBody

from jianguan.accounts.models import Role
from jianguan.catalogue import services as catalogue
from jianguan.catalogue.models import Agency, Category
from jianguan.catalogue.services import FIRST_MANDATORY_YEAR
from jianguan.storage import reading, transaction
from jianguan.web.access import PUBLIC, actor_for, current_principal, roles
from jianguan.web.api.openapi import errors
from jianguan.web.params import RowId, stored_in


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


router = Router(path="/", route_handlers=[list_categories, create_category, update_category], tags=["catalogue"])
