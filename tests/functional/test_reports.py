"""The monthly report (信息通报) on both databases: its numbers equal direct counts of the query log,
the cases and the alerts of the month (and of the month before, for the change); a month not yet
ended, a malformed month and a region outside the caller's scope are refused; the XLSX holds the
numbers of the JSON, the PDF renders as a page with ink on it, and the command writes the files."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.alerts.models import Alert, AlertSeverity
from jianguan.audit.services import Actor
from jianguan.cases.models import Case
from jianguan.errors import NotFound, ValidationFailed
from jianguan.regions.tree import region_tree
from jianguan.reports.monthly import Month, last_full_month, monthly_report, parse_month
from jianguan.reports.render import as_csv
from jianguan.stats.rollup import day_bounds, rollup
from jianguan.storage import make_engine, reading, session_factory, transaction
from jianguan.timezone import LOCAL_ZONE, today
from jianguan.verify.models import Query
from tests.conftest import run_cli
from tests.live import LiveServer

MONTH = last_full_month()
BEFORE = MONTH.previous()
OPERATOR = Principal(kind="system", id=0, name="test", role=Role.OPERATOR)


@pytest.fixture(scope="module")
def db(live: LiveServer) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(live.database_url)
    yield session_factory(engine)
    engine.dispose()


def beijing(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), LOCAL_ZONE).astimezone(dt.UTC)


@pytest.fixture(scope="module")
def seeded(db: sessionmaker[Session]) -> None:
    """Verifications, cases and alerts in 长安区 and 栾城区 in the last month and the one before (on the
    months' first and last Beijing moments too), then the roll-up of both months."""
    with transaction(db) as session:
        for month, many in ((MONTH, 3), (BEFORE, 1)):
            moments = [beijing(month.first, 0), beijing(month.first + dt.timedelta(days=9), 12),
                       dt.datetime.combine(month.last, dt.time(23, 59, 59), LOCAL_ZONE).astimezone(dt.UTC)]
            for index in range(6 * many):
                session.add(Query(at=moments[index % 3], channel=("web", "sms", "terminal")[index % 3],
                                  verdict="unknown", raw_input="123", region_code=("130102", "130111")[index % 2]))
            for index in range(many):
                session.add(Case(code_input="123", channel="web", place="长安区", region_code="130102",
                                 created_at=moments[1]))
                session.add(Alert(kind="test:report", severity=AlertSeverity.INFO, region_code="130111",
                                  created_at=moments[index % 3]))
    with transaction(db) as session:
        rollup(session, actor=Actor.system("test"), since=BEFORE.first, until=MONTH.last)


def direct(session: Session, table: Any, column: Any, region: str, month: Month) -> int:
    codes = sorted(region_tree(session).descendants(region))
    start, end = day_bounds(month.first)[0], day_bounds(month.last)[1]
    return int(session.scalar(select(func.count()).select_from(table).where(
        table.region_code.in_(codes), column >= start, column < end)) or 0)


def test_the_numbers_equal_direct_counts(db: sessionmaker[Session], seeded: None) -> None:
    with reading(db) as session:
        report = monthly_report(session, principal=OPERATOR, month=MONTH, region_code="130100")
        rows = {row.code: row for row in report.rows}
        assert report.rows[0].code == "130100" and report.rows[0].total
        assert {"130102", "130111"} <= set(rows) and len(rows) > 10
        for code in ("130100", "130102", "130111"):
            for month, values in ((MONTH, rows[code].values), (BEFORE, rows[code].before)):
                assert values["queries_total"] == direct(session, Query, Query.at, code, month)
                assert values["cases_received"] == direct(session, Case, Case.created_at, code, month)
                assert values["alerts"] == direct(session, Alert, Alert.created_at, code, month)
        assert rows["130102"].values["queries_total"] >= 9 and rows["130102"].before["queries_total"] >= 3
        assert rows["130100"].change("queries_total") == (rows["130100"].values["queries_total"]
                                                          - rows["130100"].before["queries_total"])
        assert sum(rows["130102"].values[f"queries_{c}"] or 0 for c in ("web", "sms", "terminal", "api", "phone",
                                                                       "cli")) == rows["130102"].values["queries_total"]


def test_a_month_not_ended_and_a_malformed_one_are_refused(db: sessionmaker[Session]) -> None:
    this_month = Month(today().year, today().month)
    with reading(db) as session, pytest.raises(ValidationFailed) as refused:
        monthly_report(session, principal=OPERATOR, month=this_month, region_code="130100")
    assert refused.value.code == "month_not_ended" and "尚未结束" in refused.value.message_zh
    for bad in ("2026-13", "26-01", "", "1999-12", "2026-1x"):
        with pytest.raises(ValidationFailed):
            parse_month(bad)


def test_outside_the_scope_is_404(live: LiveServer, db: sessionmaker[Session]) -> None:
    fuzhou = live.login("fuzhou.quality")
    assert fuzhou.get(f"/api/v1/reports/monthly?month={MONTH}&region=130100").status_code == 404
    assert fuzhou.get(f"/manage/reports/monthly?month={MONTH}&region=130100").status_code == 404
    county = Principal(kind="user", id=1, name="x", role=Role.REGULATOR, region_code="130111",
                       region_codes=frozenset({"130111"}))
    with reading(db) as session, pytest.raises(NotFound):
        monthly_report(session, principal=county, month=MONTH, region_code="130102")


def test_bad_input_over_the_api(live: LiveServer) -> None:
    client = live.login("sjz.quality")
    this_month = f"{today():%Y-%m}"
    refused = client.get(f"/api/v1/reports/monthly?month={this_month}")
    assert refused.status_code == 400 and "尚未结束" in refused.text
    assert client.get("/api/v1/reports/monthly?month=2026-13").status_code == 400
    assert client.get(f"/api/v1/reports/monthly?month={MONTH}&format=docx").status_code == 400
    page = client.get(f"/manage/reports/monthly?month={this_month}")
    assert page.status_code == 400 and "尚未结束" in page.text


def xlsx_rows(data: bytes) -> list[list[str]]:
    """The workbook's cells as text, read back with openpyxl (as a spreadsheet program would)."""
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [["" if value is None else str(value) for value in row] for row in sheet.iter_rows(values_only=True)]


def test_xlsx_holds_the_numbers_of_the_json_and_the_pdf_renders(live: LiveServer, seeded: None,
                                                              tmp_path: Path) -> None:
    client = live.login("sjz.quality")
    body = client.get(f"/api/v1/reports/monthly?month={MONTH}&region=130100").json()
    keys = [figure["key"] for figure in body["figures"]]
    xlsx = client.get(f"/api/v1/reports/monthly?month={MONTH}&region=130100&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxml")
    rows = xlsx_rows(xlsx.content)
    header = rows[0]
    assert header[0] == "区域" and len(rows) == len(body["rows"]) + 1
    for line, row in zip(rows[1:], body["rows"], strict=True):
        assert line[1] == row["code"]
        for key in keys:
            title = next(f"{f['group_zh']}：{f['title_zh']}" for f in body["figures"] if f["key"] == key)
            cell = line[header.index(title)]
            value = row["values"][key]
            if value is None:
                assert cell == "—", (row["code"], key)
            else:  # a spreadsheet keeps numbers, not their spelling: 100.0 reads back as 100
                assert float(cell) == float(value), (row["code"], key)
    changan = next(row for row in body["rows"] if row["code"] == "130102")
    assert changan["values"]["queries_total"] >= 9
    pdf = client.get(f"/api/v1/reports/monthly?month={MONTH}&region=130100&format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    (tmp_path / "report.pdf").write_bytes(pdf.content)
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(tmp_path / "report.pdf"),
                    str(tmp_path / "page")], check=True, timeout=60)
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    dark = sum(count for level, count in enumerate(image.histogram()) if level < 128)
    assert dark > 800, "the PDF page is blank"
    assert b"FontFile2" in pdf.content  # the Chinese font is embedded


def test_the_command_writes_each_format(live: LiveServer, seeded: None, tmp_path: Path) -> None:
    for form in ("xlsx", "csv", "pdf"):
        out = tmp_path / f"report.{form}"
        done = run_cli(live.database_url, "reports", "monthly", "--month", str(MONTH), "--region", "130100",
                       "--format", form, "--out", str(out))
        assert done.returncode == 0, done.stderr
        assert out.stat().st_size > 200
    text = (tmp_path / "report.csv").read_bytes().decode("utf-8-sig")
    assert "长安区" in text and "查询量（按渠道）：合计" in text
    refused = run_cli(live.database_url, "reports", "monthly", "--month", f"{today():%Y-%m}", "--format", "csv",
                      "--out", str(tmp_path / "x.csv"))
    assert refused.returncode == 2 and "尚未结束" in refused.stderr and not (tmp_path / "x.csv").exists()


def test_csv_in_english() -> None:
    from jianguan.reports.monthly import MonthlyReport, ReportRow
    report = MonthlyReport(Month(2026, 1), "130100", "石家庄市", [ReportRow("130100", "石家庄市", True,
                                                                       {"queries_total": 5}, {"queries_total": 7})],
                           None)
    text = as_csv(report, "en").decode("utf-8-sig")
    assert "Verifications by channel: Total (change)" in text and ",5,-2," in text
