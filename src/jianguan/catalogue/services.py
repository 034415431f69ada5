"""The catalogue: listing, adding and editing product categories, and the entries of the
catalogue of products under supervision (百种产品目录) within them.

Categories are never deleted: enterprises and products point at them, and past reports name
them. An operator deactivates a category instead, and no new enterprise or product may take it.
Entries are kept the same way (retired, not deleted), and are added and changed one by one or
imported from a file, which adds the numbers it does not know and changes those it does.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record, record_update
from jianguan.catalogue.files import NUMBER_PATTERN, category_key, parse_catalogue
from jianguan.catalogue.models import Agency, CatalogueEntry, Category
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
    record_update(session, actor=actor, action=AuditAction.CATALOGUE_CATEGORY_UPDATED, target_type="category",
                  target=category, changes=changes)
    return category


def _snapshot(category: Category) -> dict[str, Any]:
    return {
        "code": category.code, "name_zh": category.name_zh, "name_en": category.name_en,
        "agency": category.agency, "mandatory_since": category.mandatory_since,
        "description": category.description, "is_active": category.is_active,
    }


# --- the catalogue of products under supervision (百种产品目录) ---------------------------------


def _entry_not_found(entry_id: object) -> ValidationFailed:
    return ValidationFailed(f"No catalogue entry {entry_id}.", f"目录产品 {entry_id} 不存在。",
                            code="unknown_catalogue_entry", field="catalogue_entry_id")


def list_entries(session: Session, *, include_inactive: bool = False) -> list[tuple[CatalogueEntry, Category]]:
    """The catalogue's entries with their categories, by number (numerically where they are numbers)."""
    query = select(CatalogueEntry, Category).join(Category, Category.id == CatalogueEntry.category_id)
    if not include_inactive:
        query = query.where(CatalogueEntry.is_active.is_(True))
    return sorted(((entry, category) for entry, category in session.execute(query)),
                  key=lambda pair: number_order(pair[0].number))


def number_order(number: str) -> tuple[Any, ...]:
    """Sort key of an entry number: 2 before 10, and 3.1 after 3."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"[.\-]", number))


def get_entry(session: Session, entry_id: int) -> CatalogueEntry:
    """The entry with ``entry_id``; NotFound if there is none."""
    entry = session.get(CatalogueEntry, entry_id)
    if entry is None:
        raise NotFound(f"No catalogue entry {entry_id}.", f"目录产品 {entry_id} 不存在。",
                       code="unknown_catalogue_entry")
    return entry


def entry_for_product(session: Session, entry_id: int, category_id: int) -> CatalogueEntry:
    """The entry a product of ``category_id`` is linked to: it exists, is in use and is of the
    product's category; ValidationFailed (400, the request is at fault) otherwise."""
    entry = session.get(CatalogueEntry, entry_id)
    if entry is None:
        raise _entry_not_found(entry_id)
    if not entry.is_active:
        raise ValidationFailed(f"The catalogue entry {entry.number} ({entry.name_en}) is no longer in use.",
                               f"目录产品 {entry.number}「{entry.name_zh}」已停用。", code="inactive_catalogue_entry",
                               field="catalogue_entry_id")
    if entry.category_id != category_id:
        category = get_category(session, entry.category_id)
        raise ValidationFailed(
            f"The catalogue entry {entry.number} ({entry.name_en}) is of the category {category.name_en}, "
            "not the product's.",
            f"目录产品 {entry.number}「{entry.name_zh}」属于“{category.name_zh}”类别，与产品类别不符。",
            code="catalogue_category_mismatch", field="catalogue_entry_id")
    return entry


def _entry_number(number: str | None) -> str:
    value = (number or "").strip()
    if not NUMBER_PATTERN.match(value):
        raise ValidationFailed("A catalogue number is 1-20 letters, digits, dots or hyphens.",
                               "目录编号应为 1-20 个字母、数字、点或连字符。", code="invalid_catalogue_number",
                               field="number")
    return value


def _entry_fields(session: Session, *, name_zh: str | None, name_en: str | None, category_id: int | None,
                  note: str | None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if name_zh is not None:
        fields["name_zh"] = _required_name(name_zh, CatalogueEntry.name_zh, "Chinese name", "中文名称")
    if name_en is not None:
        fields["name_en"] = _required_name(name_en, CatalogueEntry.name_en, "English name", "英文名称")
    if category_id is not None:
        fields["category_id"] = active_category(session, category_id).id
    if note is not None:
        fields["note"] = clean_text(note, CatalogueEntry.note, english="standard or licence note", chinese="标准或许可说明")
    return fields


def create_entry(session: Session, *, actor: Actor, number: str, name_zh: str, name_en: str, category_id: int,
                 note: str = "") -> CatalogueEntry:
    """Add an entry to the catalogue; its ``number`` is unique (Conflict if taken)."""
    number = _entry_number(number)
    fields = _entry_fields(session, name_zh=name_zh, name_en=name_en, category_id=category_id, note=note)
    if session.scalar(select(CatalogueEntry.id).where(CatalogueEntry.number == number)) is not None:
        raise Conflict(f"The catalogue number {number} is taken.", f"目录编号 {number} 已存在。",
                       code="duplicate_catalogue_number")
    entry = CatalogueEntry(number=number, **fields)
    session.add(entry)
    session.flush()
    record(session, actor=actor, action=AuditAction.CATALOGUE_ENTRY_CREATED, target_type="catalogue_entry",
           target_id=entry.id, after=_entry_snapshot(entry))
    return entry


def update_entry(session: Session, *, actor: Actor, entry_id: int, name_zh: str | None = None,
                 name_en: str | None = None, category_id: int | None = None, note: str | None = None,
                 is_active: bool | None = None) -> CatalogueEntry:
    """Change an entry's names, category, note, or whether it is in use (its number stays).

    A product already linked keeps its link when the entry is retired or moved to another
    category: the link says what the product was registered as, and coverage still reads it."""
    entry = get_entry(session, entry_id)
    changes = _entry_fields(session, name_zh=name_zh, name_en=name_en, category_id=category_id, note=note)
    if is_active is not None:
        changes["is_active"] = bool(is_active)
    record_update(session, actor=actor, action=AuditAction.CATALOGUE_ENTRY_UPDATED, target_type="catalogue_entry",
                  target=entry, changes=changes)
    return entry


@dataclass(frozen=True)
class CatalogueImported:
    """What an import did: the numbers added and changed (in file order), those left as they were,
    and the columns ignored."""

    added: list[str]
    changed: list[str]
    unchanged: int
    ignored_columns: list[str]


def import_entries(session: Session, *, actor: Actor, data: bytes, file_name: str = "") -> CatalogueImported:
    """Import a catalogue file (``catalogue.files``): a number the catalogue lacks is added, one it
    has takes the file's names, category and note (and is in use again). A file with any row at
    fault raises CatalogueRefused and nothing is written; one audit record says what changed."""
    categories: dict[str, int] = {}
    for category in session.scalars(select(Category).where(Category.is_active.is_(True))):
        categories[category_key(category.code)] = category.id
        categories[category_key(category.name_zh)] = category.id
    parsed = parse_catalogue(data, categories=categories)
    numbers = [row.number for row in parsed.entries]
    existing = {entry.number: entry for entry in session.scalars(
        select(CatalogueEntry).where(CatalogueEntry.number.in_(numbers)).with_for_update())}
    added: list[str] = []
    changed: list[str] = []
    unchanged = 0
    for row in parsed.entries:
        wanted = {"name_zh": row.name_zh, "name_en": row.name_en, "category_id": row.category_id, "note": row.note,
                  "is_active": True}
        entry = existing.get(row.number)
        if entry is None:
            session.add(CatalogueEntry(number=row.number, **wanted))
            added.append(row.number)
        elif any(getattr(entry, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(entry, name, value)
            changed.append(row.number)
        else:
            unchanged += 1
    session.flush()
    record(session, actor=actor, action=AuditAction.CATALOGUE_ENTRIES_IMPORTED, target_type="catalogue",
           target_id=hashlib.sha256(data).hexdigest()[:16],
           after={"file_name": (file_name or "").strip()[:200], "file_sha256": hashlib.sha256(data).hexdigest(),
                  "added": added, "changed": changed, "unchanged": unchanged})
    return CatalogueImported(added, changed, unchanged, parsed.ignored_columns)


def _entry_snapshot(entry: CatalogueEntry) -> dict[str, Any]:
    return {"number": entry.number, "name_zh": entry.name_zh, "name_en": entry.name_en,
            "category_id": entry.category_id, "note": entry.note, "is_active": entry.is_active}
