"""Reading catalogue files: columns by their headings, rows checked, a file at fault refused whole."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from jianguan.catalogue.files import CatalogueRefused, category_key, parse_catalogue
from jianguan.catalogue.services import number_order

CATEGORIES = {category_key("food"): 1, category_key("食品"): 1, category_key("fertiliser"): 5, category_key("化肥"): 5}


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def test_a_csv_with_a_title_row_reads_its_entries_and_names_the_columns_ignored() -> None:
    data = csv_bytes("百种产品目录\n序号说明,编号,产品名称,英文名称,产品类别,标准/许可\n"
                     "a,01,复混肥料,compound fertiliser,化肥,生产许可证\nb,13,食醋,vinegar, FOOD ,\n\n")
    parsed = parse_catalogue(data, categories=CATEGORIES)
    assert [(e.row, e.number, e.name_zh, e.category_id, e.note) for e in parsed.entries] == [
        (3, "01", "复混肥料", 5, "生产许可证"), (4, "13", "食醋", 1, "")]
    assert parsed.ignored_columns == ["序号说明"]


def test_gb18030_and_xlsx_read_alike() -> None:
    text = "编号,产品名称,英文名称,产品类别\n13,食醋,vinegar,食品\n"
    assert parse_catalogue(csv_bytes(text, "gb18030"), categories=CATEGORIES).entries[0].name_zh == "食醋"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["编号", "产品名称", "英文名称", "产品类别"])
    sheet.append([13, "食醋", "vinegar", "food"])  # a number typed into a cell
    out = io.BytesIO()
    book.save(out)
    assert parse_catalogue(out.getvalue(), categories=CATEGORIES).entries[0].number == "13"


def faults(data: bytes) -> set[tuple[int, str | None]]:
    with pytest.raises(CatalogueRefused) as refused:
        parse_catalogue(data, categories=CATEGORIES)
    assert refused.value.status_code == 400 and refused.value.code == "catalogue_refused"
    return {(fault.row, fault.column) for fault in refused.value.faults}


def test_every_row_at_fault_is_listed() -> None:
    data = csv_bytes("编号,产品名称,英文名称,产品类别,标准/许可\n"
                     "01,好,good,food,\n02,坏类别,bad,nope,\n03,,no name,food,\n01,重复,dup,food,\n"
                     "0 4,坏编号,bad number,food,\n05,,,,\n06,长,long,food," + "x" * 201 + "\n")
    assert faults(data) == {(3, "category"), (4, "name_zh"), (5, "number"), (6, "number"), (7, "name_zh"),
                            (7, "name_en"), (7, "category"), (8, "note")}


def test_a_file_that_is_no_catalogue_is_refused() -> None:
    assert faults(csv_bytes("编号,产品名称,英文名称\n01,a,b\n")) == {(1, "category")}
    assert faults(csv_bytes("名称,规格\na,b\n")) == {(0, None)}  # no heading row
    assert faults(csv_bytes("编号,产品名称,英文名称,产品类别\n")) == {(0, None)}  # no entries
    assert faults(b"\x00\x01\x02") == {(0, None)}
    assert faults(b"\xd0\xcf\x11\xe0old xls") == {(0, None)}
    assert faults(csv_bytes("编号,编号,产品名称,英文名称,产品类别\n")) == {(1, "number")}


def test_numbers_sort_as_numbers() -> None:
    assert sorted(["10", "2", "3.1", "3", "T7-1", "1"], key=number_order) == ["1", "2", "3", "3.1", "10", "T7-1"]
