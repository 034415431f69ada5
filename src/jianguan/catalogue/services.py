"""The catalogue: listing, adding and editing product categories.

Categories are never deleted: enterprises and products point at them, and past reports name
them. An operator deactivates a category instead, and no new enterprise or product may take it.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.catalogue.models import Agency, Category
from jianguan.errors import Conflict, NotFound, ValidationFailed
from jianguan.fields import clean_text
from jianguan.timezone import today

CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
FIRST_MANDATORY_YEAR = 2000  # the network's forerunners began around then; earlier years are typing errors


def parse_agency(agency: Agency | str | None) -> Agency:
    """The agency named by ``agency``; ValidationFailed listing the choices if there is none."""
    if agency is not None:
        with contextlib.suppress(ValueError):
            return Agency(agency)
    choices = ", ".join(member.value for member in Agency)
    raise ValidationFailed(
        f"Unknown agency {agency!r}; one of {choices}.",
        f"未知的监管部门 {agency!r}，可选：{choices}。",
        code="unknown_agency",
    )


def _required_name(value: str | None, column: Any, english: str, chinese: str) -> str:
    return clean_text(value, column, english=english, chinese=chinese, required=True)


def _description(value: str | None) -> str:
    return clean_text(value, Category.description, english="description", chinese="类别说明")


def _mandatory_year(year: int | None) -> int | None:
    if year is None:
        return None
    if not FIRST_MANDATORY_YEAR <= year <= today().year + 1:
        raise ValidationFailed(
            f"The year a category became mandatory must lie between {FIRST_MANDATORY_YEAR} and next year; got {year}.",
            f"强制入网年份应在 {FIRST_MANDATORY_YEAR} 年到明年之间，实为 {year}。",
            code="invalid_year",
        )
    return year


def list_categories(session: Session, *, include_inactive: bool = False) -> list[Category]:
    """The categories, mandatory ones first (by the year they became so), then by code."""
    query = select(Category)
    if not include_inactive:
        query = query.where(Category.is_active.is_(True))
    rows = session.scalars(query).all()
    return sorted(rows, key=lambda c: (c.mandatory_since is None, c.mandatory_since or 0, c.id))


def get_category(session: Session, category_id: int) -> Category:
    """The category with ``category_id``; NotFound if there is none."""
    category = session.get(Category, category_id)
    if category is None:
        raise NotFound(f"No category {category_id}.", f"产品类别 {category_id} 不存在。", code="unknown_category")
    return category


def get_category_by_code(session: Session, code: str) -> Category:
    """The category with the stable ``code`` (``food``, ``cable``, …); NotFound if there is none."""
    category = session.scalar(select(Category).where(Category.code == code.strip().lower()))
    if category is None:
        raise NotFound(f"No category has the code {code!r}.", f"没有代码为 {code!r} 的产品类别。",
                       code="unknown_category")
    return category


def active_category(session: Session, category_id: int) -> Category:
    """The category with ``category_id`` if new enterprises and products may take it."""
    category = get_category(session, category_id)
    if not category.is_active:
        raise ValidationFailed(
            f"The category {category.name_en} is no longer in use.",
            f"产品类别「{category.name_zh}」已停用。",
            code="inactive_category",
        )
    return category


def create_category(
    session: Session,
    *,
    actor: Actor,
    code: str,
    name_zh: str,
    name_en: str,
    agency: Agency | str,
    mandatory_since: int | None = None,
    description: str = "",
) -> Category:
    """Add a category to the catalogue; its ``code`` is stable and unique."""
    code = (code or "").strip().lower()
    if not CODE_PATTERN.match(code):
        raise ValidationFailed(
            "A category code is 2-40 lower-case letters, digits or underscores, starting with a letter.",
            "类别代码应为 2-40 个小写字母、数字或下划线，并以字母开头。",
            code="invalid_category_code",
        )
    category = Category(
        code=code,
        name_zh=_required_name(name_zh, Category.name_zh, "Chinese name", "中文名称"),
        name_en=_required_name(name_en, Category.name_en, "English name", "英文名称"),
        agency=parse_agency(agency),
        mandatory_since=_mandatory_year(mandatory_since),
        description=_description(description),
    )
    if session.scalar(select(Category.id).where(Category.code == code)) is not None:
        raise Conflict(f"The category code {code} is taken.", f"类别代码 {code} 已存在。", code="duplicate_category")
    session.add(category)
    session.flush()
    record(session, actor=actor, action=AuditAction.CATALOGUE_CATEGORY_CREATED, target_type="category",
           target_id=category.id, after=_snapshot(category))
    return category


def update_category(
    session: Session,
    *,
    actor: Actor,
    category_id: int,
    name_zh: str | None = None,
    name_en: str | None = None,
    agency: Agency | str | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> Category:
    """Change a category's names, agency, description or whether it is in use.

    Changing the agency moves supervision of every enterprise in the category to the new
    agency at once, which is why it is audited like every other change.
    """
    category = get_category(session, category_id)
    changes: dict[str, Any] = {}
    if name_zh is not None:
        changes["name_zh"] = _required_name(name_zh, Category.name_zh, "Chinese name", "中文名称")
    if name_en is not None:
        changes["name_en"] = _required_name(name_en, Category.name_en, "English name", "英文名称")
    if agency is not None:
        changes["agency"] = parse_agency(agency)
    if description is not None:
        changes["description"] = _description(description)
    if is_active is not None:
        changes["is_active"] = bool(is_active)
    changes = {name: value for name, value in changes.items() if getattr(category, name) != value}
    if not changes:
        return category
    before = {name: getattr(category, name) for name in changes}
    for name, value in changes.items():
        setattr(category, name, value)
    session.flush()
    record(session, actor=actor, action=AuditAction.CATALOGUE_CATEGORY_UPDATED, target_type="category",
           target_id=category.id, before=before, after=changes)
    return category


def _snapshot(category: Category) -> dict[str, Any]:
    return {
        "code": category.code, "name_zh": category.name_zh, "name_en": category.name_en,
        "agency": category.agency, "mandatory_since": category.mandatory_since,
        "description": category.description, "is_active": category.is_active,
    }
