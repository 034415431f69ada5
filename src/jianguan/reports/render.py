"""The monthly report as files: CSV and XLSX (a row a region, each figure with its change from the
month before beside it) and PDF (A4 landscape, a figure a row and a region a column, the Chinese
glyphs embedded with the font the code labels use)."""

from __future__ import annotations

import csv
import io
from xml.sax.saxutils import escape

from openpyxl import Workbook
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from jianguan.codes.labels import _font
from jianguan.reports.monthly import Figure, MonthlyReport, ReportRow, Value

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "pdf": "application/pdf"}
_REGIONS_PER_PAGE = 8


def file_name(report: MonthlyReport, extension: str) -> str:
    return f"monthly-{report.region_code or 'all'}-{report.month}.{extension}"


def show(value: Value) -> str | int | float:
    """A value as a cell: a number, or "—" where there is none (a rate of no holders, no target)."""
    return "—" if value is None else value


def signed(value: Value) -> str:
    """A change with its sign (+3, -1, 0; "—" where there is none)."""
    if value is None:
        return "—"
    text = f"{value:.1f}" if isinstance(value, float) else str(value)
    return text if value < 0 else f"+{text}"


def header(lang: str, report: MonthlyReport) -> list[str]:
    """The column titles of the CSV and XLSX table."""
    titles = ["Region" if lang == "en" else "区域", "Code" if lang == "en" else "代码"]
    for figure in report.figures:
        title = f"{figure.group_en}: {figure.en}" if lang == "en" else f"{figure.group_zh}：{figure.zh}"
        titles.append(title)
        if figure.change:
            titles.append(f"{title} (change)" if lang == "en" else f"{title}（环比）")
    return titles


def cells(row: ReportRow, figures: list[Figure], lang: str = "zh") -> list[str | int | float]:
    name = row.name + ((" (total)" if lang == "en" else "（合计）") if row.total else "")
    out: list[str | int | float] = [name, row.code]
    for figure in figures:
        out.append(show(row.values.get(figure.key)))
        if figure.change:
            change = row.change(figure.key)
            out.append("—" if change is None else change)
    return out


def as_csv(report: MonthlyReport, lang: str = "zh") -> bytes:
    """The report as CSV, UTF-8 with a BOM (spreadsheet programs then read the Chinese)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header(lang, report))
    for row in report.rows:
        writer.writerow(cells(row, report.figures, lang))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def as_xlsx(report: MonthlyReport, lang: str = "zh") -> bytes:
    """The report as an XLSX workbook of one sheet (openpyxl), the heading row and the region
    columns frozen."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = str(report.month)
    sheet.append(list(header(lang, report)))
    for row in report.rows:
        sheet.append(cells(row, report.figures, lang))
    sheet.freeze_panes = "C2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def as_pdf(report: MonthlyReport) -> bytes:
    """The report as a PDF in Chinese: a figure a row, the total and the regions under it as
    columns (eight a page; more regions continue on the next pages), each value with its change."""
    font = _font()
    title_style = ParagraphStyle("title", fontName=font, fontSize=14, leading=18)
    note_style = ParagraphStyle("note", fontName=font, fontSize=8, leading=10, textColor=colors.grey)
    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=10 * mm, rightMargin=10 * mm,
                                 topMargin=10 * mm, bottomMargin=10 * mm, invariant=1,
                                 title=f"信息通报 {report.month} {report.region_name}", creator="Jianguan")
    story: list = []
    pages = [report.rows[i:i + _REGIONS_PER_PAGE] for i in range(0, len(report.rows), _REGIONS_PER_PAGE)] or [[]]
    for number, regions in enumerate(pages):
        if number:
            story.append(PageBreak())
        story.append(Paragraph(escape(f"信息通报 {report.month}　{report.region_name}"), title_style))
        story.append(Paragraph(escape("各项为当月数值，括号内为与上月相比的增减；签约率为持证企业中已签约的百分比。"
                                      f"统计汇总至 {report.rolled_to or '—'}。"), note_style))
        story.append(Spacer(1, 3 * mm))
        data: list[list[str]] = [["指标", *(row.name + ("（合计）" if row.total else "") for row in regions)]]
        for figure in report.figures:
            line = [f"{figure.group_zh}·{figure.zh}"]
            for row in regions:
                value = show(row.values.get(figure.key))
                line.append(f"{value}（{signed(row.change(figure.key))}）" if figure.change else str(value))
            data.append(line)
        width = (landscape(A4)[0] - 20 * mm - 62 * mm) / max(len(regions), 1)
        table = Table(data, colWidths=[62 * mm, *([width] * len(regions))], repeatRows=1)
        table.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 6.5),
            ("LEADING", (0, 0), (-1, -1), 7.5), ("TOPPADDING", (0, 0), (-1, -1), 0.6),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 0.6), ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0b8c0"))]))
        story.append(table)
    document.build(story)
    return out.getvalue()


def render(report: MonthlyReport, form: str, lang: str = "zh") -> bytes:
    """The report in ``form`` (csv, xlsx or pdf)."""
    if form == "csv":
        return as_csv(report, lang)
    if form == "xlsx":
        return as_xlsx(report, lang)
    return as_pdf(report)
