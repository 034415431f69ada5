"""Reading a catalogue file (CSV or XLSX): pure, no I/O but the bytes given.

The file is read as a roster file is (``rosters.files.table_rows``: UTF-8 or GB 18030 CSV, or the
first sheet of an XLSX, told apart by their first bytes; the heading may stand below a title
row), and refused the same way: every row is checked, and a file with any row at fault is
refused whole, listing each row and what is wrong with it, so a catalogue is never half
imported. Columns: 编号 (the entry's number in the list), 产品名称, 英文名称 and 产品类别 (a
category's code or Chinese name) are required; 标准/许可 (the standard or licence the kind is
made under) is optional; any other column is ignored and said so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from jianguan.rosters.files import FileRefused, RosterRefused, RowFault, table_rows

MAX_ENTRIES = 2_000  # the published list has about a hundred kinds; a file of thousands is not one
NUMBER_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-]{0,19}$")
LIMITS = {"number": 20, "name_zh": 100, "name_en": 200, "note": 200}
HEADINGS: dict[str, tuple[str, ...]] = {
    "number": ("编号", "目录编号", "序号", "number", "no", "no."),
    "name_zh": ("产品名称", "中文名称", "名称", "产品", "name_zh", "namezh", "name"),
    "name_en": ("英文名称", "name_en", "nameen", "english", "englishname"),
    "category": ("产品类别", "类别", "所属类别", "category"),
    "note": ("标准/许可", "标准", "执行标准", "许可证", "标准或许可", "note", "standard", "licence", "license"),
}
REQUIRED = ("number", "name_zh", "name_en", "category")
COLUMN_NAMES = {"number": ("编号", "number"), "name_zh": ("产品名称", "Chinese name"),
                "name_en": ("英文名称", "English name"), "category": ("产品类别", "category"),
                "note": ("标准/许可", "note")}
HEADING_ROWS = 10


class CatalogueRefused(FileRefused):
    """A catalogue file with rows at fault: none of it was imported."""

    WHAT, WHAT_ZH, CODE = "catalogue", "产品目录", "catalogue_refused"


@dataclass(frozen=True)
class EntryRow:
    """A catalogue entry as read from its row; ``category_id`` resolved from the names given."""

    row: int
    number: str
    name_zh: str
    name_en: str
    category_id: int
    note: str = ""


@dataclass
class ParsedCatalogue:
    entries: list[EntryRow] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def _key(heading: str) -> str:
    return re.sub(r"[\s*＊（）()]", "", heading).lower()


_KNOWN = {_key(name): column for column, names in HEADINGS.items() for name in names}


def category_key(text: str) -> str:
    """How a category is looked up from a cell: its code or Chinese name, without spaces or case."""
    return _key(text)


def _rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        yield from table_rows(data)
    except RosterRefused as refused:  # the file is no table: said as the roster reader says it
        raise CatalogueRefused(refused.faults) from None


def parse_catalogue(data: bytes, *, categories: Mapping[str, int]) -> ParsedCatalogue:
    """The entries of a catalogue file; CatalogueRefused listing every row at fault (a missing or
    malformed number, a number listed twice, a missing name, an unknown category (``categories``:
    ``category_key`` of each code and Chinese name in use, to its id), a text too long), a missing
    column, or a file that is no table."""
    rows = _rows(data)
    positions: dict[str, int] | None = None
    parsed = ParsedCatalogue()
    faults: list[RowFault] = []
    first_row: dict[str, int] = {}
    for number, cells in rows:
        if positions is None:
            found = {_KNOWN.get(_key(cell)) for cell in cells if cell}
            if "number" in found and "name_zh" in found:
                positions, heading_faults = {}, []
                for position, cell in enumerate(cells):
                    column = _KNOWN.get(_key(cell)) if cell else None
                    if column is not None and column in positions:
                        heading_faults.append(RowFault(number, column, f"The column {cell!r} appears twice.",
                                                       f"列“{cell}”出现了两次。"))
                    elif column is not None:
                        positions[column] = position
                for column in REQUIRED:
                    if column not in positions:
                        zh, en = COLUMN_NAMES[column]
                        heading_faults.append(RowFault(number, column, f"The heading row has no {en} column ({zh}).",
                                                       f"表头缺少“{zh}”列。"))
                if heading_faults:
                    raise CatalogueRefused(heading_faults)
                parsed.ignored_columns = [cell for cell in cells if cell and _KNOWN.get(_key(cell)) is None]
            elif number >= HEADING_ROWS:
                break
            continue
        if not any(cells):
            continue
        if len(parsed.entries) + len(faults) >= MAX_ENTRIES:
            raise CatalogueRefused([RowFault(0, None, f"A catalogue holds at most {MAX_ENTRIES} entries.",
                                             f"产品目录最多 {MAX_ENTRIES} 条。")])
        entry, wrong = _entry(number, cells, positions, categories)
        faults += wrong
        if entry is None:
            continue
        if entry.number in first_row:
            earlier = first_row[entry.number]
            faults.append(RowFault(number, "number", f"The number {entry.number} is listed already, on row {earlier}.",
                                   f"编号 {entry.number} 与第 {earlier} 行重复。"))
            continue
        first_row[entry.number] = number
        parsed.entries.append(entry)
    if positions is None:
        raise CatalogueRefused([RowFault(0, None, f"No heading row in the first {HEADING_ROWS} rows names the columns "
                                         "编号 and 产品名称 (with 英文名称 and 产品类别).",
                                         f"前 {HEADING_ROWS} 行中没有含“编号”“产品名称”的表头行（另须有“英文名称”“产品类别”）。")])
    if faults:
        raise CatalogueRefused(faults)
    if not parsed.entries:
        raise CatalogueRefused([RowFault(0, None, "The file lists no entry below its heading.", "表头以下没有条目。")])
    return parsed


def _entry(number: int, cells: list[str], positions: dict[str, int],
           categories: Mapping[str, int]) -> tuple[EntryRow | None, list[RowFault]]:
    def value(column: str) -> str:
        position = positions.get(column)
        return cells[position].strip() if position is not None and position < len(cells) else ""

    faults: list[RowFault] = []
    for column in ("number", "name_zh", "name_en", "note"):
        text = value(column)
        zh, en = COLUMN_NAMES[column]
        if column in REQUIRED and not text:
            faults.append(RowFault(number, column, f"The {en} is missing.", f"缺少{zh}。"))
        elif len(text) > LIMITS[column]:
            faults.append(RowFault(number, column, f"The {en} has at most {LIMITS[column]} characters.",
                                   f"{zh}最多 {LIMITS[column]} 个字符。"))
    entry_number = value("number")
    if entry_number and len(entry_number) <= LIMITS["number"] and not NUMBER_PATTERN.match(entry_number):
        faults.append(RowFault(number, "number", f"The number {entry_number!r} is not 1-20 letters, digits, dots or "
                               "hyphens.", f"编号“{entry_number}”应为 1-20 个字母、数字、点或连字符。"))
    given = value("category")
    category_id = categories.get(category_key(given)) if given else None
    if not given:
        faults.append(RowFault(number, "category", "The category is missing.", "缺少产品类别。"))
    elif category_id is None:
        faults.append(RowFault(number, "category", f"Unknown category {given!r}: give a category's code or Chinese "
                               "name, of one in use.", f"未知的产品类别“{given}”：请填写在用类别的代码或中文名称。"))
    if faults or category_id is None:
        return None, faults
    return EntryRow(number, entry_number, value("name_zh"), value("name_en"), category_id, value("note")), []
