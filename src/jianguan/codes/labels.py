"""PDF label sheets: one label for each code, 24 to an A4 page, ready for an office printer.

A label carries what a consumer and a scanner each need: the product name and specification,
the words 中国产品质量电子监管网, the code in groups of four, a GS1-128 barcode of AI (21) with
the 20 digits (for the scanners at the till and in the warehouse) and a QR code of the
verification link (for a phone camera).

Pure: labels in, PDF bytes out to a stream; no database. Both symbols are made by zxing-cpp
and drawn as filled rectangles in PDF operators (not as raster images), so they stay sharp at
any printer resolution and the file stays small. Labels are read one at a time and each page
goes to reportlab as a finished content stream when it is shown; reportlab keeps those
streams (about 0.1 MB a page) until it writes the file, so 10,000 labels (417 pages) peak at
about 135 MB. The text uses the WenQuanYi Micro Hei TrueType font, embedded as a subset,
because a PDF that only names a Chinese font shows empty boxes on a viewer that lacks it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import zxingcpp
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from jianguan.codes.codec import CODE_LENGTH, MalformedCode, format_grouped, parse_code

__all__ = [
    "COLUMNS",
    "FONT_PATH",
    "LABELS_PER_PAGE",
    "NETWORK_NAME",
    "ROWS",
    "Label",
    "LabelFontMissing",
    "render_label_sheet",
]

NETWORK_NAME = "中国产品质量电子监管网"
FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
_FONT = "WenQuanYiMicroHei"

# --- the sheet: A4, 3 x 8 labels of 65.3 x 34.4 mm with cut lines, for plain paper -----------

COLUMNS, ROWS = 3, 8
LABELS_PER_PAGE = COLUMNS * ROWS
_PAGE_W, _PAGE_H = A4
_MARGIN_X, _MARGIN_TOP, _MARGIN_BOTTOM = 7 * mm, 12 * mm, 10 * mm
_CELL_W = (_PAGE_W - 2 * _MARGIN_X) / COLUMNS
_CELL_H = (_PAGE_H - _MARGIN_TOP - _MARGIN_BOTTOM) / ROWS
_PAD = 2 * mm

# GS1-128: X = 0.33 mm (EAN's nominal module) makes the 167-module symbol 55 mm wide, leaving
# more than the 10X quiet zone GS1 asks for on each side inside the cell; at 300 dpi a module
# is 3.9 pixels.
_BAR_MODULE = 0.33 * mm
_BAR_HEIGHT = 7 * mm
_BAR_BOTTOM = 5.9 * mm
_CODE_BASELINE = 2.0 * mm
_CODE_SIZE = 8.5

# QR: a square box in the top right corner. The module is the box divided by the symbol plus
# two modules each side; the cell padding outside the box makes the quiet zone at least four
# modules, as the QR standard asks. A /v/{code} link on a short host is version 3 (29
# modules): 0.55 mm a module, 6.5 pixels at 300 dpi. Level M survives a scuffed corner.
_QR_BOX = 18 * mm
_QR_QUIET_INSIDE = 2
_QR_EC_LEVEL = "M"

# The text column: from its left edge to 1.5 mm short of the QR box (whose quiet zone begins
# there), the same on every label so a line is laid out once (see _TextCache).
_TEXT_LEFT = 2.5 * mm
_TEXT_WIDTH = _CELL_W - _PAD - _QR_BOX - 1.5 * mm - _TEXT_LEFT
_NAME_ADVANCE = 2.7 * mm  # from the top padding to the baseline of 中国产品质量电子监管网


class LabelFontMissing(FileNotFoundError):
    """The embedded CJK font is not installed on this machine."""


@dataclass(frozen=True, slots=True)
class Label:
    """What one printed label shows: the code, its verification link and the product it marks.

    ``url`` is what the QR code carries: ``https://host/v/{code}`` or a GS1 Digital Link. The
    code is checked (20 digits, valid check digit) so a sheet never carries a mistyped code.
    """

    code: str
    url: str
    product_name: str
    specification: str
    enterprise_name: str

    def __post_init__(self) -> None:
        try:
            canonical = parse_code(self.code).code
        except MalformedCode as error:
            raise ValueError(f"not a supervision code: {self.code!r} ({error.reason})") from error
        if canonical != self.code:
            raise ValueError(f"a label's code is the {CODE_LENGTH} digits alone: {self.code!r}")
        if not self.url:
            raise ValueError("a label needs the verification link for its QR code")


def render_label_sheet(labels: Iterable[Label], *, out: IO[bytes], title: str | None = None) -> int:
    """Write a PDF of label sheets for ``labels`` to ``out``; return the number of pages.

    Labels fill each A4 page left to right, top to bottom, 24 to a page (3 columns, 8 rows),
    with light grey cut lines around each. ``title`` (a batch name, say) heads every page, with
    the page number. ``labels`` may be a generator: it is read once, a page at a time. An empty
    batch is refused rather than written as a blank page.
    """
    font = _font()
    # The initial font would otherwise be Helvetica, named and not embedded: a print shop's
    # preflight flags that. ``invariant`` makes the same labels give the same bytes.
    canvas = Canvas(out, pagesize=A4, pageCompression=1, invariant=1,
                    initialFontName=font)  # type: ignore[arg-type]  # a font name; the stub says float
    canvas.setTitle(title or NETWORK_NAME)
    canvas.setCreator("Jianguan")
    text = _TextCache(canvas, font)
    pages = 0
    for index, label in enumerate(labels):
        slot = index % LABELS_PER_PAGE
        if slot == 0:
            if pages:
                canvas.showPage()
            pages += 1
            _draw_header(canvas, font, title, pages)
        row, column = divmod(slot, COLUMNS)
        x = _MARGIN_X + column * _CELL_W
        y = _PAGE_H - _MARGIN_TOP - (row + 1) * _CELL_H
        _draw_label(canvas, text, label, x, y)
    if not pages:
        raise ValueError("no labels to print")
    canvas.showPage()
    canvas.save()
    return pages


def _font() -> str:
    """The name of the embedded font, registered with reportlab on first use."""
    if not FONT_PATH.exists():
        raise LabelFontMissing(
            f"The label font {FONT_PATH} is missing: install the Debian package fonts-wqy-microhei "
            "(apt-get install fonts-wqy-microhei, or scripts/system-packages.sh). "
            "标签所需字体缺失，请安装 fonts-wqy-microhei。"
        )
    return _register_font(FONT_PATH)


@functools.cache
def _register_font(path: Path) -> str:
    # Reading the font's tables takes most of a second: once per process.
    pdfmetrics.registerFont(TTFont(_FONT, str(path), subfontIndex=0))
    return _FONT


# --- drawing -------------------------------------------------------------------------------------


class _TextCache:
    """PDF operators for a line of text, made once per document and reused on every label.

    A batch repeats the same product, specification and enterprise on every label, and laying
    out TrueType text is the slowest part of reportlab; the operators for a line drawn at the
    origin are kept and placed with a translation. They name the font subsets of this document
    only, so a cache lives as long as one canvas.
    """

    _LIMIT = 2048  # a batch of all-different names should not grow the cache without bound

    def __init__(self, canvas: Canvas, font: str) -> None:
        self.canvas, self.font = canvas, font
        self._lines: dict[tuple[str, float], str] = {}

    def draw(self, text: str, size: float, x: float, y: float, *, grey: float = 0.0) -> None:
        """Draw ``text`` from (x, y), shrunk (or, failing that, cut) to the text column's width."""
        operators = self._lines.get((text, size))
        if operators is None:
            if len(self._lines) >= self._LIMIT:
                self._lines.clear()
            fitted_size = _shrink(text, self.font, size, _TEXT_WIDTH)
            glyphs = self.canvas.beginText(0, 0)
            glyphs.setFont(self.font, fitted_size)
            glyphs.textOut(_fit(text, self.font, fitted_size, _TEXT_WIDTH))
            operators = self._lines[text, size] = glyphs.getCode()
        self.canvas.addLiteral(f"q {grey:.2f} g 1 0 0 1 {x:.3f} {y:.3f} cm {operators} Q")


def _draw_header(canvas: Canvas, font: str, title: str | None, page: int) -> None:
    baseline = _PAGE_H - _MARGIN_TOP + 4 * mm
    canvas.setFillGray(0.3)
    canvas.setFont(font, 8)
    if title:
        canvas.drawString(_MARGIN_X, baseline, _fit(title, font, 8, _PAGE_W - 2 * _MARGIN_X - 30 * mm))
    canvas.drawRightString(_PAGE_W - _MARGIN_X, baseline, f"第 {page} 页")


def _draw_label(canvas: Canvas, text: _TextCache, label: Label, x: float, y: float) -> None:
    canvas.setStrokeGray(0.82)
    canvas.setLineWidth(0.3)
    canvas.rect(x, y, _CELL_W, _CELL_H, stroke=1, fill=0)

    qr = _qr_modules(label.url)
    module = _QR_BOX / (qr.shape[0] + 2 * _QR_QUIET_INSIDE)
    qr_left = x + _CELL_W - _PAD - _QR_BOX
    qr_bottom = y + _CELL_H - _PAD - _QR_BOX
    inset = _QR_QUIET_INSIDE * module
    canvas.addLiteral(_symbol_operators(qr, qr_left + inset, qr_bottom + inset, module, module))

    bars = _gs1_128_modules(label.code)
    bar_left = x + (_CELL_W - bars.shape[1] * _BAR_MODULE) / 2
    canvas.addLiteral(_symbol_operators(bars, bar_left, y + _BAR_BOTTOM, _BAR_MODULE, _BAR_HEIGHT))

    canvas.setFillGray(0)
    canvas.setFont(text.font, _CODE_SIZE)
    canvas.drawCentredString(x + _CELL_W / 2, y + _CODE_BASELINE, format_grouped(label.code))

    left = x + _TEXT_LEFT
    baseline = y + _CELL_H - _PAD
    for line, size, grey, advance in (
        (NETWORK_NAME, 7.5, 0.0, _NAME_ADVANCE),
        (label.product_name, 9.0, 0.0, 4.6 * mm),
        (label.specification, 7.0, 0.0, 3.6 * mm),
        (label.enterprise_name, 6.0, 0.3, 3.8 * mm),
    ):
        baseline -= advance
        text.draw(line, size, left, baseline, grey=grey)
    rule = y + _CELL_H - _PAD - _NAME_ADVANCE - 1.3 * mm
    canvas.setStrokeGray(0.55)
    canvas.setLineWidth(0.4)
    canvas.line(left, rule, left + _TEXT_WIDTH, rule)


def _shrink(text: str, font: str, size: float, width: float) -> float:
    """The size for ``text`` to fit ``width`` (in tenths of a point), down to 80 % of ``size``.

    Below that it would be too small to read; ``_fit`` cuts what still overflows.
    """
    needed = pdfmetrics.stringWidth(text, font, size)
    return size if needed <= width else max(size * 0.8, math.floor(10 * size * width / needed) / 10)


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text``, cut with an ellipsis where it would overflow ``width``."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _symbol_operators(dark: np.ndarray, left: float, bottom: float, module_w: float, module_h: float) -> str:
    """PDF operators that fill the dark modules of ``dark`` (rows top first) as rectangles.

    The symbol is drawn in its own coordinate system, one unit a module, so each rectangle is a
    few small integers; each row's runs of dark modules make one rectangle apiece. The numbers
    go through one %-format of the whole symbol: a Python loop per run was the slowest step.
    """
    rows = dark.shape[0]
    padded = np.zeros((rows, dark.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = dark
    edges = np.diff(padded, axis=1)
    run_rows, starts = np.nonzero(edges == 1)
    ends = np.nonzero(edges == -1)[1]
    runs = np.stack([starts, rows - 1 - run_rows, ends - starts], axis=1)
    rects = (" %d %d %d 1 re" * len(runs)) % tuple(runs.ravel().tolist())
    return f"q 0 g {module_w:.4f} 0 0 {module_h:.4f} {left:.3f} {bottom:.3f} cm{rects} f Q"


# --- symbols -------------------------------------------------------------------------------------


def _qr_modules(url: str) -> np.ndarray:
    """The QR code of ``url`` as a boolean matrix, True for dark, without quiet zone."""
    symbol = zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode, ec_level=_QR_EC_LEVEL)
    return np.asarray(symbol.to_image(scale=1, add_quiet_zones=False)) < 128


def _gs1_128_modules(code: str) -> np.ndarray:
    """GS1-128 of AI (21) with ``code``, as a one-row boolean matrix of bars (True) and spaces.

    zxing-cpp's ``gs1`` mode takes the element string in brackets and writes FNC1 after the
    start character, so a scanner reports ``]C1`` and ``21`` + the digits. zxing-cpp ignores
    options it does not know, so what it made is checked: the text it reports, and a width that
    only code set C gives (see ``_GS1_128_WIDTH``).
    """
    element_string = f"(21){code}"
    symbol = zxingcpp.create_barcode(element_string, zxingcpp.BarcodeFormat.Code128, gs1=True)
    bars = np.asarray(symbol.to_image(scale=1, add_quiet_zones=False))[:1] < 128
    if symbol.text != element_string or bars.shape[1] != _GS1_128_WIDTH:
        raise RuntimeError(f"zxing-cpp did not make GS1-128 in code set C for {element_string}")
    return bars


# Start C, FNC1, 11 symbol characters for the 22 digits of "21" + code, check: 14 x 11 modules,
# and the stop pattern of 13.
_GS1_128_WIDTH = 14 * 11 + 13
