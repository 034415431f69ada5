"""Supply-chain events as CSV, for enterprises and shops without an EPCIS system: pure, no I/O.

A file is a header row naming its columns, then one event a row; rows with nothing in them are
skipped. It is read into the same ``EPCISEvent`` values as an EPCIS document (so the same rules,
hashes and storage apply), or refused whole with every error found, by row. The columns (names
as in EPCIS, in any order and any letter case; only ``eventTime`` and ``action`` are required):

- ``eventTime``: ISO 8601, ``2026-11-02T08:00:00+08:00`` or ``2026-11-02 08:00`` (no offset:
  Beijing time, +08:00); ``eventTimeZoneOffset`` (default: the time's own offset);
- ``eventType``: ``ObjectEvent`` (default) or ``AggregationEvent``; ``action``: ``ADD``,
  ``OBSERVE`` or ``DELETE``; ``eventID`` (optional, a URI);
- ``bizStep``, ``disposition``: CBV words (``shipping``, ``in_transit``) or their URIs;
- ``readPoint``, ``bizLocation``: a GLN (13 digits) or an SGLN / Digital Link URI;
- ``source``, ``destination``: a GLN, a credit code (18 characters) or a URI, with ``sourceType``
  and ``destinationType`` (default ``owning_party``);
- ``epcList``, ``childEPCs``: codes (20 digits, or any URI a code travels as) separated by spaces,
  commas, semicolons or ``|``; ``parentID``: the container's code;
- ``lotNumber``, ``productionDate``, ``itemExpirationDate``: the lot data (ILMD) of a commissioning.

A file is UTF-8 (with or without the byte-order mark spreadsheets write) or else GB 18030 (what
spreadsheets on Chinese Windows save).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from jianguan.trace import epcis_common as common
from jianguan.trace.cbv import vocabularies
from jianguan.trace.epcis_model import Action, EPCISDocument, EPCISError, EPCISEvent, EPCISRefused, EventType
from jianguan.trace.identifiers import CODE_URN, PARTY_URN

COLUMNS = ("eventID", "eventType", "eventTime", "eventTimeZoneOffset", "action", "bizStep", "disposition",
           "readPoint", "bizLocation", "sourceType", "source", "destinationType", "destination", "epcList",
           "parentID", "childEPCs", "lotNumber", "productionDate", "itemExpirationDate")
_BY_NAME = {name.lower(): name for name in COLUMNS}
REQUIRED = ("eventTime", "action")
BEIJING = timezone(timedelta(hours=8))
MAX_IDENTIFIER = 300  # the longest place or party identifier an event keeps
MAX_EVENT_ID = 200
MAX_LOT = 100
_SPLIT = re.compile(r"[\s,;|，；]+")
_OFFSET = re.compile(r"[+-](?:0\d|1[0-4]):[0-5]\d")
_DIGITS20 = re.compile(r"[0-9]{20}")
_GLN = re.compile(r"[0-9]{13}")
_CREDIT_CODE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class CSVDocument:
    """A CSV file read: its events (``document``) and the file row of each event, by index."""

    document: EPCISDocument
    rows: tuple[int, ...]


def decode(data: bytes) -> str:
    """The text of a file: UTF-8 (a byte-order mark dropped), else GB 18030."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise common.refuse("The file is neither UTF-8 nor GB 18030 text.",
                            "文件既不是 UTF-8 也不是 GB 18030 编码的文本。") from None


def _code(value: str) -> str:
    return CODE_URN + value if _DIGITS20.fullmatch(value) else value


def _place(value: str) -> str:
    return f"https://id.gs1.org/414/{value}" if _GLN.fullmatch(value) else value


def _party(value: str) -> str:
    if _GLN.fullmatch(value):
        return f"https://id.gs1.org/414/{value}"
    if _CREDIT_CODE.fullmatch(value.upper()):
        return PARTY_URN + value.upper()
    return value


class _Row:
    """One row being read: its cells by column, and where to note what is wrong."""

    def __init__(self, cells: dict[str, str], index: int, row: int, problems: common.Problems) -> None:
        self.cells = cells
        self.index = index
        self.row = row
        self.problems = problems

    def get(self, name: str) -> str:
        return self.cells.get(name, "").strip()

    def wrong(self, english: str, chinese: str) -> None:
        self.problems.add(self.index, f"Row {self.row}: {english}", f"第 {self.row} 行：{chinese}")

    def identifier(self, name: str, value: str, limit: int = MAX_IDENTIFIER) -> str | None:
        if not value:
            return None
        if len(value) > limit or not _URI.fullmatch(value):
            shown = value if len(value) <= 60 else value[:60] + "…"
            self.wrong(f"{name} {shown!r} is not an identifier (a GLN, a code or a URI of at most {limit} characters).",
                       f"{name} {shown!r} 不是有效的标识（GLN、监管码或不超过 {limit} 个字符的 URI）。")
            return None
        return value

    def codes(self, name: str) -> tuple[str, ...]:
        found = []
        for part in _SPLIT.split(self.get(name)):
            if part and (uri := self.identifier(name, _code(part))) is not None:
                found.append(uri)
        return tuple(found)


def _moment(row: _Row) -> tuple[datetime, str] | None:
    text = row.get("eventTime")
    if not text:
        row.wrong("eventTime is missing.", "缺少事件时间（eventTime）。")
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        row.wrong(f"eventTime {text[:60]!r} is not a date and time (2026-11-02T08:00:00+08:00).",
                  f"事件时间 {text[:60]!r} 格式不正确（应如 2026-11-02T08:00:00+08:00）。")
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BEIJING)
    offset = row.get("eventTimeZoneOffset")
    if offset and not _OFFSET.fullmatch(offset):
        row.wrong(f"eventTimeZoneOffset {offset[:20]!r} is not an offset such as +08:00.",
                  f"时区偏移 {offset[:20]!r} 格式不正确（应如 +08:00）。")
        return None
    if not offset:
        delta = moment.utcoffset() or timedelta(0)
        minutes = int(delta.total_seconds()) // 60
        sign = "-" if minutes < 0 else "+"
        offset = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        if not _OFFSET.fullmatch(offset):
            row.wrong("The offset of eventTime is not one of -14:00 to +14:00.", "事件时间的时区偏移超出 -14:00 至 +14:00。")
            return None
    return moment.astimezone(UTC), offset


def _ilmd(row: _Row) -> dict[str, Any]:
    lot = row.get("lotNumber")
    made, expires = row.get("productionDate"), row.get("itemExpirationDate")
    if not (lot or made or expires):
        return {}
    if len(lot) > MAX_LOT:
        row.wrong(f"lotNumber is longer than {MAX_LOT} characters.", f"批号（lotNumber）超过 {MAX_LOT} 个字符。")
    ilmd: dict[str, Any] = {}
    if lot:
        ilmd["cbvmda:lotNumber"] = lot
    for name, value in (("productionDate", made), ("itemExpirationDate", expires)):
        if not value:
            continue
        try:
            if not _DAY.fullmatch(value):
                raise ValueError(value)
            date.fromisoformat(value)
        except ValueError:
            row.wrong(f"{name} {value[:30]!r} is not a date (YYYY-MM-DD).", f"{name} {value[:30]!r} 不是日期（YYYY-MM-DD）。")
            continue
        ilmd[f"cbvmda:{name}"] = value
    return {"ilmd": ilmd} if ilmd else {}


def _event(row: _Row) -> EPCISEvent | None:
    words = vocabularies()
    before = len(row.problems.errors)
    kind_text = row.get("eventType") or EventType.OBJECT.value
    kind = next((kind for kind in EventType if kind.value.lower() == kind_text.lower()), None)
    if kind is None:
        row.wrong(f"eventType {kind_text[:40]!r} is not ObjectEvent or AggregationEvent.",
                  f"事件类型 {kind_text[:40]!r} 不是 ObjectEvent 或 AggregationEvent。")
    action_text = row.get("action").upper()
    action = next((action for action in Action if action.value == action_text), None)
    if action is None:
        row.wrong(f"action {action_text[:20]!r} is not ADD, OBSERVE or DELETE.",
                  f"动作（action）{action_text[:20]!r} 不是 ADD、OBSERVE 或 DELETE。")
    moment = _moment(row)
    biz_step = None
    if step := row.get("bizStep"):
        known = len(row.problems.errors)
        biz_step = common.biz_step(step[:MAX_IDENTIFIER], row.index, row.problems)
        for at in range(known, len(row.problems.errors)):  # say which row
            error = row.problems.errors[at]
            row.problems.errors[at] = EPCISError(error.index, f"Row {row.row}: {error.message}",
                                                 f"第 {row.row} 行：{error.message_zh}")
    disposition = row.get("disposition")
    disposition_word = words.disposition.word(disposition) if disposition else None
    if disposition_word is not None and disposition_word not in words.disposition.words \
            and row.identifier("disposition", disposition_word) is None:
        disposition_word = None
    places = {name: row.identifier(name, _place(row.get(name))) for name in ("readPoint", "bizLocation")}
    lists: dict[str, tuple[tuple[str, str], ...]] = {}
    for name in ("source", "destination"):
        value = row.identifier(name, _party(row.get(name)))
        kind_word = words.source_destination_type.word(row.get(name + "Type") or "owning_party")
        if value is not None and kind_word not in words.source_destination_type.words:
            row.wrong(f"{name}Type {kind_word[:40]!r} is not a CBV source or destination type "
                      "(owning_party, possessing_party, location).",
                      f"{name}Type {kind_word[:40]!r} 不是 CBV 的来源/去向类型（owning_party、possessing_party、location）。")
            value = None
        lists[name] = ((kind_word, value),) if value is not None else ()
    epcs, children = row.codes("epcList"), row.codes("childEPCs")
    parent = row.identifier("parentID", _code(row.get("parentID")))
    if kind is EventType.OBJECT and (children or parent):
        row.wrong("An ObjectEvent lists its codes in epcList, not parentID or childEPCs.",
                  "ObjectEvent 的监管码应填在 epcList，而不是 parentID 或 childEPCs。")
    if kind is EventType.AGGREGATION and epcs:
        row.wrong("An AggregationEvent names its container in parentID and its contents in childEPCs, not epcList.",
                  "AggregationEvent 应在 parentID 填包装码、在 childEPCs 填内装的码，而不是 epcList。")
    event_id = row.identifier("eventID", row.get("eventID"), MAX_EVENT_ID)
    extra = _ilmd(row)
    if kind is None or action is None or moment is None or len(row.problems.errors) > before:
        return None
    return EPCISEvent(index=row.index, type=kind, action=action, event_time=moment[0], event_time_zone_offset=moment[1],
                      event_id=event_id, biz_step=biz_step, disposition=disposition_word,
                      read_point=places["readPoint"], biz_location=places["bizLocation"],
                      epc_list=epcs if kind is EventType.OBJECT else (),
                      parent_id=parent if kind is EventType.AGGREGATION else None,
                      child_epcs=children if kind is EventType.AGGREGATION else (),
                      source_list=lists["source"], destination_list=lists["destination"], extra=extra)


def _header(names: Sequence[str]) -> list[str]:
    columns, problems = [], []
    for name in names:
        column = _BY_NAME.get(name.strip().lower())
        if column is None:
            problems.append(name.strip()[:40])
        columns.append(column or "")
    if problems:
        raise common.refuse(f"Unknown column(s) {', '.join(map(repr, problems))}; the columns are {', '.join(COLUMNS)}.",
                            f"未知的列 {'、'.join(problems)}；可用的列为 {'、'.join(COLUMNS)}。")
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise common.refuse(f"The header row lacks the column(s) {', '.join(missing)}.",
                            f"表头缺少列 {'、'.join(missing)}。")
    doubled = sorted({name for name in columns if columns.count(name) > 1})
    if doubled:
        raise common.refuse(f"Column(s) {', '.join(doubled)} appear twice.", f"列 {'、'.join(doubled)} 重复出现。")
    return columns


def parse_csv(data: bytes, *, max_events: int | None = None) -> CSVDocument:
    """Read a CSV file of events, or raise ``EPCISRefused`` with what is wrong, by row (and by event
    index: the n-th event is the n-th row that is not blank). ``max_events`` refuses a longer file."""
    text = decode(data)
    if "\x00" in text:
        raise common.refuse("The file holds NUL characters: it is not a CSV text file.", "文件含有空字符，不是 CSV 文本文件。")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems = common.Problems()
    events: list[EPCISEvent] = []
    rows: list[int] = []
    try:
        header = next(reader, None)
        if header is None:
            raise common.refuse("The file is empty: it needs a header row and one row an event.",
                                "文件为空：应有表头行，且每行一个事件。")
        columns = _header(header)
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            line = reader.line_num
            index = len(rows)
            rows.append(line)
            if max_events is not None and index >= max_events:
                raise common.refuse(f"The file has more than {max_events:,} events; send it in parts.",
                                    f"文件的事件超过 {max_events:,} 个，请分批上传。")
            row = _Row({}, index, line, problems)
            if len(cells) > len(columns):
                row.wrong(f"The row has {len(cells)} cells, the header {len(columns)}.",
                          f"该行有 {len(cells)} 个单元格，表头只有 {len(columns)} 列。")
                continue
            row.cells = dict(zip(columns, cells, strict=False))
            if (event := _event(row)) is not None:
                events.append(event)
            if problems.full:
                break
    except csv.Error as error:
        problems.add(None, f"Line {reader.line_num}: the CSV is malformed ({error}).",
                     f"第 {reader.line_num} 行：CSV 格式错误（{error}）。")
    if not rows and not problems.errors:
        raise common.refuse("The file has no events: one row an event, after the header row.",
                            "文件中没有事件：表头行之后应每行一个事件。")
    problems.raise_any()
    return CSVDocument(EPCISDocument(tuple(events), "csv"), tuple(rows))


def by_row(refused: EPCISRefused, rows: Sequence[int]) -> EPCISRefused:
    """A refusal of a CSV file's events (by event index, as the capture rules find them) that
    also says the row of each, unless its message already does."""
    errors = []
    for error in refused.errors:
        if error.index is not None and error.index < len(rows) and not error.message.startswith("Row "):
            row = rows[error.index]
            error = EPCISError(error.index, f"Row {row}: {error.message}", f"第 {row} 行：{error.message_zh}")
        errors.append(error)
    again = EPCISRefused(errors)
    again.error_count = refused.error_count
    again.details["error_count"] = refused.error_count
    return again


def _cell(values: Iterable[str], prefix: str) -> str:
    return " ".join(value[len(prefix):] if value.startswith(prefix) else value for value in values)


def to_csv(events: Sequence[EPCISEvent]) -> str:
    """Events as a CSV file that ``parse_csv`` reads back to the same events (one source and one
    destination each at most; codes written as their 20 digits)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for event in events:
        ilmd = event.extra.get("ilmd") or {}
        source = event.source_list[0] if event.source_list else ("", "")
        destination = event.destination_list[0] if event.destination_list else ("", "")
        writer.writerow([
            event.event_id or "", event.type.value, event.event_time.astimezone(UTC).isoformat(),
            event.event_time_zone_offset, event.action.value, event.biz_step or "", event.disposition or "",
            event.read_point or "", event.biz_location or "", source[0] if source[1] else "", source[1],
            destination[0] if destination[1] else "", destination[1], _cell(event.epc_list, CODE_URN),
            _cell([event.parent_id] if event.parent_id else [], CODE_URN), _cell(event.child_epcs, CODE_URN),
            ilmd.get("cbvmda:lotNumber", ""), ilmd.get("cbvmda:productionDate", ""),
            ilmd.get("cbvmda:itemExpirationDate", ""),
        ])
    return out.getvalue()
