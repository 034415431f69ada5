"""Reading a roster file (CSV or XLSX): pure, no I/O but the bytes given.

A roster file is a table with a heading row: the unified social credit code and the enterprise's
name are required, the county's region code, a licence number and the qualifications held are
optional, and any other column (序号, 住所, 发证日期 of a licence register) is ignored and said
so. The heading may stand below a title row or two. Every row is checked; a file with any row at
fault is refused whole, listing each row and what is wrong with it, so a roster is never half
imported. CSV is read as UTF-8 (with or without a BOM) or, failing that, GB 18030 (what
spreadsheet programs in China save); XLSX is read from its first sheet.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from jianguan.enterprises.identifiers import validate_credit_code
from jianguan.enterprises.models import QualificationKind
from jianguan.errors import DomainError, ValidationFailed

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_MEMBERS = 20_000
MAX_COLUMNS = 60
HEADING_ROWS = 10  # how far down a heading row is looked for (below a title, a note)
MAX_LISTED = 200  # rows at fault listed in a refusal; the count says how many more
NAME_LIMIT, LICENCE_LIMIT = 200, 100

# The columns a roster has, by the headings that name them (compared without spaces or case).
HEADINGS: dict[str, tuple[str, ...]] = {
    "credit_code": ("统一社会信用代码", "社会信用代码", "信用代码", "creditcode", "credit_code", "uscc"),
    "name": ("企业名称", "单位名称", "名称", "企业", "name", "enterprise", "enterprisename"),
    "region_code": ("区划代码", "行政区划代码", "所在区县代码", "regioncode", "region_code", "region"),
    "licence_number": ("许可证编号", "证书编号", "许可证号", "licencenumber", "licence_number", "licence",
                       "licensenumber", "license"),
    "qualifications": ("资质", "资质类型", "qualifications", "qualification"),
}
REQUIRED = ("credit_code", "name")
COLUMN_NAMES = {"credit_code": ("统一社会信用代码", "credit code"), "name": ("企业名称", "name"),
                "region_code": ("区划代码", "region code"), "licence_number": ("许可证编号", "licence number"),
                "qualifications": ("资质", "qualifications")}
# Short names people write for each kind of qualification, besides its value and labels.
KIND_NAMES = {"名牌": QualificationKind.CHINA_TOP_BRAND, "免检": QualificationKind.INSPECTION_EXEMPT,
              "地理标志": QualificationKind.GEOGRAPHICAL_INDICATION, "质量奖": QualificationKind.CITY_QUALITY_AWARD,
              "许可证": QualificationKind.PRODUCTION_LICENCE, "生产许可": QualificationKind.PRODUCTION_LICENCE}
_SEPARATORS = re.compile(r"[、,，;；/|\s]+")


@dataclass(frozen=True)
class RowFault:
    """One thing wrong with a file: the row (as a spreadsheet numbers it; 0 for the file as a
    whole), the column it is in, if one, and what is wrong, in English and Chinese."""

    row: int
    column: str | None
    message: str
    message_zh: str

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message, "message_zh": self.message_zh}


class FileRefused(ValidationFailed):
    """An imported file with rows at fault: none of it was imported (HTTP 400, the rows in
    ``details``). Each kind of file names itself (``WHAT``, ``WHAT_ZH``) and its error ``CODE``."""

    WHAT, WHAT_ZH, CODE = "file", "文件", "file_refused"

    def __init__(self, faults: list[RowFault]) -> None:
        self.faults = faults
        listed = [fault.as_json() for fault in faults[:MAX_LISTED]]
        rows = sorted({fault.row for fault in faults if fault.row})
        where = f"{len(rows)} rows at fault" if rows else "the file is at fault"
        where_zh = f"{len(rows)} 行有误" if rows else "文件有误"
        super().__init__(f"The {self.WHAT} was not imported: {where}. {faults[0].message}",
                         f"{self.WHAT_ZH}未导入：{where_zh}。{faults[0].message_zh}", code=self.CODE,
                         faults=listed, more=max(0, len(faults) - MAX_LISTED))


class RosterRefused(FileRefused):
    """A roster file with rows at fault."""

    WHAT, WHAT_ZH, CODE = "roster", "名录", "roster_refused"


@dataclass(frozen=True)
class Member:
    """A roster member as read from its row."""

    row: int
    credit_code: str
    name: str
    region_code: str = ""
    licence_number: str = ""
    qualifications: tuple[str, ...] = ()


@dataclass
class ParsedRoster:
    members: list[Member] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def _whole(message: str, message_zh: str) -> RosterRefused:
    return RosterRefused([RowFault(0, None, message, message_zh)])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed into a spreadsheet cell: 130111, not 130111.0
    return str(value).strip()


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _whole("The file is neither UTF-8 nor GB 18030 text; save it as CSV (UTF-8) or XLSX.",
                     "文件不是 UTF-8 或 GB 18030 编码的文本，请另存为 CSV（UTF-8）或 XLSX 文件。")
    if "\x00" in text:
        raise _whole("The file is not a CSV or XLSX table.", "文件不是 CSV 或 XLSX 表格。")
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            yield [cell.strip() for cell in row[:MAX_COLUMNS]]
    except csv.Error as error:
        raise _whole(f"The CSV file cannot be read: {error}.", f"无法读取 CSV 文件：{error}。") from None


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook  # imported here: only an XLSX upload needs it

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise _whole(f"The XLSX file cannot be read ({type(error).__name__}).",
                     "无法读取该 XLSX 文件，请检查文件是否完整。") from None
    try:
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            yield [_cell(value) for value in values]
    finally:
        book.close()


def table_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """The rows of a CSV or XLSX file (told apart by their first bytes, never by a name), each with
    its number as a spreadsheet shows it (the first row is 1)."""
    if len(data) > MAX_FILE_BYTES:
        raise _whole(f"A roster file is at most {MAX_FILE_BYTES // (1024 * 1024)} MB.",
                     f"名录文件最大 {MAX_FILE_BYTES // (1024 * 1024)} MB。")
    if not data.strip():
        raise _whole("The file is empty.", "文件为空。")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _whole("Old Excel files (.xls) are not read; save the sheet as XLSX or CSV.",
                     "不支持旧版 Excel 文件（.xls），请另存为 XLSX 或 CSV 文件。")
    rows = _xlsx_rows(data) if data.startswith(b"PK\x03\x04") else _csv_rows(data)
    return enumerate(rows, start=1)


def _key(heading: str) -> str:
    return re.sub(r"[\s*＊（）()]", "", heading).lower()


_KNOWN = {_key(name): column for column, names in HEADINGS.items() for name in names}


def _heading(rows: Iterator[tuple[int, list[str]]]) -> tuple[int, dict[str, int], list[str]]:
    """The heading row (the first of the first few naming the credit-code column): its number, the
    position of each known column, and the headings ignored."""
    first: list[str] | None = None
    for number, cells in rows:
        if first is None and any(cells):
            first = cells
        found = {_KNOWN.get(_key(cell)): position for position, cell in enumerate(cells) if cell}
        if "credit_code" in found:
            positions: dict[str, int] = {}
            faults = []
            for position, cell in enumerate(cells):
                column = _KNOWN.get(_key(cell))
                if column is not None and column in positions:
                    faults.append(RowFault(number, column, f"The column {cell!r} appears twice.",
                                           f"列“{cell}”出现了两次。"))
                elif column is not None:
                    positions[column] = position
            missing = [column for column in REQUIRED if column not in positions]
            for column in missing:
                english, chinese = COLUMN_NAMES[column][1], COLUMN_NAMES[column][0]
                faults.append(RowFault(number, column, f"The heading row has no {english} column ({chinese}).",
                                       f"表头缺少“{chinese}”列。"))
            if faults:
                raise RosterRefused(faults)
            ignored = [cell for cell in cells if cell and _KNOWN.get(_key(cell)) is None]
            return number, positions, ignored
        if number >= HEADING_ROWS:
            break
    shown = "、".join(cell for cell in (first or []) if cell)[:200] or "—"
    raise _whole(f"No heading row names a credit code column (统一社会信用代码) in the first {HEADING_ROWS} rows; "
                 f"the columns must include 统一社会信用代码 and 企业名称. The first row reads: {shown}",
                 f"前 {HEADING_ROWS} 行中没有含“统一社会信用代码”的表头行；表头须包括“统一社会信用代码”和“企业名称”。"
                 f"第一行为：{shown}")


def _kinds(text: str) -> tuple[tuple[str, ...], str | None]:
    """The kinds of qualification named in a cell, and the first name not understood."""
    kinds: list[str] = []
    for word in (part for part in _SEPARATORS.split(text) if part):
        kind = KIND_NAMES.get(word)
        for member in QualificationKind:
            if word.lower() in (member.value, member.label_zh, member.label_en.lower()):
                kind = member
        if kind is None:
            return (), word
        if kind.value not in kinds:
            kinds.append(kind.value)
    return tuple(kinds), None


def _member(number: int, cells: list[str], positions: dict[str, int],
            regions: Collection[str] | None) -> tuple[Member | None, list[RowFault]]:
    def value(column: str) -> str:
        position = positions.get(column)
        return cells[position].strip() if position is not None and position < len(cells) else ""

    faults: list[RowFault] = []
    code = ""
    try:
        code = validate_credit_code(value("credit_code"))
    except DomainError as error:
        given = value("credit_code")
        if not given:
            faults.append(RowFault(number, "credit_code", "The credit code is missing.", "缺少统一社会信用代码。"))
        else:
            faults.append(RowFault(number, "credit_code", error.message, error.message_zh))
    name = value("name")
    if not name:
        faults.append(RowFault(number, "name", "The enterprise's name is missing.", "缺少企业名称。"))
    elif len(name) > NAME_LIMIT:
        faults.append(RowFault(number, "name", f"The name has at most {NAME_LIMIT} characters.",
                               f"企业名称最多 {NAME_LIMIT} 个字符。"))
    region = value("region_code")
    if region and regions is not None and region not in regions:
        faults.append(RowFault(number, "region_code", f"The region code {region!r} is not a division of the roster's "
                               "region.", f"区划代码“{region}”不在名录所属区域之内。"))
    licence = value("licence_number")
    if len(licence) > LICENCE_LIMIT:
        faults.append(RowFault(number, "licence_number", f"The licence number has at most {LICENCE_LIMIT} characters.",
                               f"许可证编号最多 {LICENCE_LIMIT} 个字符。"))
    kinds, unknown = _kinds(value("qualifications"))
    if unknown is not None:
        choices = "、".join(kind.label_zh for kind in QualificationKind)
        faults.append(RowFault(number, "qualifications", f"Unknown qualification {unknown!r}; one of {choices}.",
                               f"未知的资质“{unknown}”，可选：{choices}。"))
    if faults:
        return None, faults
    return Member(number, code, name, region, licence, kinds), []


def parse_roster(data: bytes, *, regions: Collection[str] | None = None) -> ParsedRoster:
    """The members of a roster file; RosterRefused listing every row at fault (a bad or missing
    credit code, a missing name, a region code outside ``regions``, an unknown qualification, a
    credit code listed twice), a missing column, or a file that is no table."""
    rows = table_rows(data)
    heading, positions, ignored = _heading(rows)
    parsed = ParsedRoster(ignored_columns=ignored)
    faults: list[RowFault] = []
    first_row: dict[str, int] = {}
    for number, cells in rows:
        if not any(cells):
            continue
        if len(parsed.members) + len(faults) >= MAX_MEMBERS:
            raise _whole(f"A roster holds at most {MAX_MEMBERS} enterprises.", f"名录最多 {MAX_MEMBERS} 家企业。")
        member, wrong = _member(number, cells, positions, regions)
        faults += wrong
        if member is None:
            continue
        if member.credit_code in first_row:
            earlier = first_row[member.credit_code]
            faults.append(RowFault(number, "credit_code", f"The credit code {member.credit_code} is listed already, "
                                   f"on row {earlier}.", f"统一社会信用代码 {member.credit_code} 与第 {earlier} 行重复。"))
            continue
        first_row[member.credit_code] = number
        parsed.members.append(member)
    if faults:
        raise RosterRefused(faults)
    if not parsed.members:
        raise _whole(f"The file lists no enterprise below its heading (row {heading}).",
                     f"表头（第 {heading} 行）以下没有企业。")
    return parsed
