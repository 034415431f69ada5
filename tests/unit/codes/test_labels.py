"""Label sheets: every symbol on a printed page scans back to its code and link.

The PDF is rasterised at 300 dpi with poppler's ``pdftoppm`` (an office printer's resolution)
and every symbol on the page is read with zxing-cpp, so these tests check what a scanner sees,
not what the drawing code meant. They need Debian's poppler-utils (pdftoppm, pdffonts,
pdftotext, pdfinfo) and fail rather than skip without it, so CI cannot pass without looking.
"""

from __future__ import annotations

import io
import math
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from jianguan.codes import labels as labels_module
from jianguan.codes.codec import Key, format_grouped, issue_codes, parse_code
from jianguan.codes.labels import (
    LABELS_PER_PAGE,
    NETWORK_NAME,
    Label,
    LabelFontMissing,
    render_label_sheet,
)

KEY = Key(1, bytes(32))
SHEET_SIZE = 30  # a full page and a part page
SYMBOLOGIES = (zxingcpp.BarcodeFormat.Code128, zxingcpp.BarcodeFormat.QRCode)


def make_codes(count: int) -> list[str]:
    return [code.decode() for code in issue_codes(KEY, np.arange(1000, 1000 + count, dtype=np.uint64))]


def make_label(code: str, index: int = 0) -> Label:
    # Every other label carries a GS1 Digital Link: a longer URL, so a larger QR version.
    url = (
        f"https://id.jianguan.example.cn/01/06901234567892/21/{code}"
        if index % 2
        else f"https://jg.example.cn/v/{code}"
    )
    return Label(
        code=code,
        url=url,
        product_name="康师傅红烧牛肉面（五连包）",
        specification="105 g × 5 袋",
        enterprise_name="杭州顶益食品有限公司",
    )


@pytest.fixture(scope="module")
def sheet(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Label], Path]:
    labels = [make_label(code, i) for i, code in enumerate(make_codes(SHEET_SIZE))]
    pdf = tmp_path_factory.mktemp("labels") / "sheet.pdf"
    with pdf.open("wb") as out:
        assert render_label_sheet(labels, out=out, title="批次 B-0001") == 2
    return labels, pdf


def page_png(pdf: Path, page: int, dpi: int = 300) -> Image.Image:
    prefix = pdf.with_name(f"page{page}-{dpi}")
    pages = ["-f", str(page), "-l", str(page), "-singlefile"]
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-gray", *pages, pdf, prefix], check=True)
    return Image.open(prefix.with_suffix(".png"))


@pytest.mark.parametrize("page", [1, 2])
def test_every_symbol_on_a_page_scans_back(sheet: tuple[list[Label], Path], page: int) -> None:
    labels, pdf = sheet
    on_page = labels[(page - 1) * LABELS_PER_PAGE : page * LABELS_PER_PAGE]
    found = zxingcpp.read_barcodes(page_png(pdf, page), formats=SYMBOLOGIES)

    linear = [b for b in found if b.format == zxingcpp.BarcodeFormat.Code128]
    assert sorted((b.symbology_identifier, b.text, b.bytes) for b in linear) == sorted(
        ("]C1", f"(21){label.code}", f"21{label.code}".encode()) for label in on_page
    )
    # What a till scanner sends (identifier + element string) parses back to the code.
    assert {parse_code(b.symbology_identifier + b.bytes.decode()).code for b in linear} == {
        label.code for label in on_page
    }

    qr = [b.text for b in found if b.format == zxingcpp.BarcodeFormat.QRCode]
    assert sorted(qr) == sorted(label.url for label in on_page)


def test_the_chinese_font_is_embedded_and_nothing_else_is_named(sheet: tuple[list[Label], Path]) -> None:
    _, pdf = sheet
    listing = subprocess.run(["pdffonts", pdf], check=True, capture_output=True, text=True).stdout
    rows = listing.splitlines()[2:]  # below the heading and its rule
    assert rows
    for row in rows:
        assert "WenQuanYiMicroHei" in row
        assert row.split()[-5] == "yes"  # the "emb" column


def test_the_text_layer_carries_the_words_and_the_grouped_codes(sheet: tuple[list[Label], Path]) -> None:
    labels, pdf = sheet
    text = subprocess.run(["pdftotext", pdf, "-"], check=True, capture_output=True, text=True).stdout
    assert text.count(NETWORK_NAME) == SHEET_SIZE
    assert "康师傅红烧牛肉面（五连包）" in text
    assert "批次 B-0001" in text
    for label in labels:
        assert format_grouped(label.code) in text


def test_a_name_too_long_for_the_label_is_cut_not_overflowed() -> None:
    code = make_codes(1)[0]
    name = "特级初榨橄榄油礼盒装限量版高端家庭组合装" * 3
    out = io.BytesIO()
    render_label_sheet([Label(code, f"https://jg.example.cn/v/{code}", name, "1 L", "某公司")], out=out)
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=out.getvalue(), check=True, capture_output=True
    ).stdout
    shown = next(line for line in text.decode().splitlines() if line.startswith("特级"))
    assert shown.endswith("…")
    assert len(shown) < len(name)


def test_ten_thousand_labels_stream_into_417_pages(tmp_path: Path) -> None:
    count = 10_000
    codes = make_codes(count)
    started = time.perf_counter()
    pdf = tmp_path / "big.pdf"
    with pdf.open("wb") as out:
        pages = render_label_sheet((make_label(code) for code in codes), out=out)
    elapsed = time.perf_counter() - started
    print(f"{count} labels, {pages} pages, {pdf.stat().st_size / 1e6:.1f} MB in {elapsed:.1f} s")
    assert pages == math.ceil(count / LABELS_PER_PAGE) == 417
    info = subprocess.run(["pdfinfo", pdf], check=True, capture_output=True, text=True).stdout
    assert "Pages:           417" in info


def test_the_same_labels_give_the_same_bytes() -> None:
    labels = [make_label(code, i) for i, code in enumerate(make_codes(3))]
    first, second = io.BytesIO(), io.BytesIO()
    render_label_sheet(labels, out=first)
    render_label_sheet(iter(labels), out=second)
    assert first.getvalue() == second.getvalue()


def test_an_empty_batch_is_refused() -> None:
    with pytest.raises(ValueError, match="no labels"):
        render_label_sheet([], out=io.BytesIO())


@pytest.mark.parametrize(
    "code",
    [
        "1234 5678 9012 3456 7890",  # grouped: a label takes the bare digits
        "12345678901234567890",  # wrong check digit
        "123",
        "",
    ],
)
def test_a_label_refuses_anything_but_a_valid_code(code: str) -> None:
    with pytest.raises(ValueError):
        Label(code, "https://jg.example.cn/v/x", "矿泉水", "550 ml", "某公司")


def test_a_label_needs_a_link() -> None:
    with pytest.raises(ValueError, match="link"):
        Label(make_codes(1)[0], "", "矿泉水", "550 ml", "某公司")


def test_a_missing_font_says_which_package_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(labels_module, "FONT_PATH", tmp_path / "wqy-microhei.ttc")
    with pytest.raises(LabelFontMissing, match="fonts-wqy-microhei"):
        render_label_sheet([make_label(make_codes(1)[0])], out=io.BytesIO())
