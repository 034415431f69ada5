"""Reading roster files (CSV in UTF-8 or GB 18030, XLSX) and the rates' counts: pure, no database."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from jianguan.enterprises.identifiers import credit_code_check_character
from jianguan.enterprises.models import EnrolmentStage
from jianguan.rosters.files import MAX_FILE_BYTES, RosterRefused, parse_roster
from jianguan.rosters.services import tally


def code(serial: int, region: str = "130111") -> str:
    first17 = f"91{region}{serial:09d}"
    return first17 + credit_code_check_character(first17)


def refused(data: bytes, **kwargs: object) -> list[tuple[int, str | None]]:
    with pytest.raises(RosterRefused) as caught:
        parse_roster(data, **kwargs)  # type: ignore[arg-type]  # regions, as the tests name it
    error = caught.value
    assert error.code == "roster_refused" and error.message and error.message_zh
    assert error.details["faults"] == [fault.as_json() for fault in error.faults]
    return [(fault.row, fault.column) for fault in error.faults]


def test_a_csv_file_in_utf8_with_a_bom_or_in_gb18030() -> None:
    text = f"企业名称,统一社会信用代码,序号\n甲厂,{code(1)},1\n\n乙厂, {code(2).lower()} ,2\n"
    for data in (("\ufeff" + text).encode(), text.encode("gb18030")):
        parsed = parse_roster(data)
        assert [(m.row, m.name, m.credit_code) for m in parsed.members] == [(2, "甲厂", code(1)), (4, "乙厂", code(2))]
        assert parsed.ignored_columns == ["序号"]


def test_english_headings_and_the_optional_columns() -> None:
    data = (f"Credit code,Name,Region code,Licence number,Qualifications\n"
            f"{code(1)},A,130111,XK-1,省名牌、生产许可证\n{code(2)},B,,,production_licence; 名牌\n").encode()
    first, second = parse_roster(data, regions={"130111"}).members
    assert (first.region_code, first.licence_number, first.qualifications) == (
        "130111", "XK-1", ("provincial_brand", "production_licence"))
    assert second.qualifications == ("production_licence", "china_top_brand")


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_file_with_a_title_and_numbers_in_cells() -> None:
    data = xlsx([["某县复混肥料生产企业名录"], [], ["统一社会信用代码", "企业名称", "区划代码"],
                 [code(1), "甲厂", 130111], [None, None, None], [code(2), "乙厂", 130111.0]])
    parsed = parse_roster(data, regions={"130111"})
    assert [(m.row, m.region_code) for m in parsed.members] == [(4, "130111"), (6, "130111")]


def test_every_row_at_fault_is_listed() -> None:
    bad = code(3)[:-1] + ("0" if code(3)[-1] != "0" else "1")
    data = (f"统一社会信用代码,企业名称,区划代码,资质\n{code(1)},甲,,\n{bad},乙,,\n,丙,,\n{code(4)},,,\n"
            f"{code(1)},甲again,,\n{code(5)},戊,130102,\n{code(6)},己,,金奖\n{'X' * 30},庚,,\n").encode()
    assert refused(data, regions={"130111"}) == [(3, "credit_code"), (4, "credit_code"), (5, "name"),
                                                 (6, "credit_code"), (7, "region_code"), (8, "qualifications"),
                                                 (9, "credit_code")]


def test_wrong_columns() -> None:
    assert refused(f"统一社会信用代码\n{code(1)}\n".encode()) == [(1, "name")]
    assert refused(f"统一社会信用代码,企业名称,信用代码\n{code(1)},甲,{code(1)}\n".encode()) == [(1, "credit_code")]
    assert refused("企业,代码\n甲,乙\n".encode()) == [(0, None)]
    assert refused("统一社会信用代码,企业名称\n".encode()) == [(0, None)]  # nothing below the heading


def test_files_that_are_no_table() -> None:
    for data in (b"", b"   \n", b"\xd0\xcf\x11\xe0" + bytes(100), b"PK\x03\x04broken", b"\xff\xfe\x00\x00" * 10,
                 b"x" * (MAX_FILE_BYTES + 1)):
        assert refused(data) == [(0, None)]


def test_the_counts_of_the_rates() -> None:
    members = [("A", {"provincial_brand"}), ("B", {"provincial_brand", "production_licence"}), ("C", set()),
               ("D", {"production_licence"})]
    stages = {"A": EnrolmentStage.ACTIVATED, "B": EnrolmentStage.REGISTERED, "C": EnrolmentStage.SIGNED}
    reached, holders = tally(members, stages)
    assert [reached[stage] for stage in EnrolmentStage] == [3, 2, 1, 1, 1]
    assert holders["provincial_brand"] == [2, 1]  # A signed, B only registered
    assert holders["production_licence"] == [2, 0]  # B registered, D not in the registry
    assert holders["china_top_brand"] == [0, 0]


def test_a_name_a_spreadsheet_would_run_stays_text_in_the_csv() -> None:
    from jianguan.rosters.services import _spreadsheet_text

    assert _spreadsheet_text("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert _spreadsheet_text("@SUM(A1)") == "'@SUM(A1)" and _spreadsheet_text("甲厂") == "甲厂"
