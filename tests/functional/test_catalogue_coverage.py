"""The catalogue of products under supervision (百种产品目录) through HTTP on both databases: its
coverage on /api/v1/statistics equal to a count made directly from the products, enterprises and
activations (for the operator, a city's and a county's regulator), scope (a county regulator sees
its county only; a manufacturer is refused), the CSV; imports refused whole with their rows listed
and nothing changed, good imports audited; products linked at creation and edit, a bad entry 400.

Entries this module adds are numbered ``T7-…``, a range no other test uses."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from jianguan.audit.models import AuditRecord
from jianguan.audit.services import Actor
from jianguan.catalogue.models import Agency, CatalogueEntry, Category
from jianguan.codes.models import Activation, CodeBatch
from jianguan.enterprises.models import Enterprise, Product
from jianguan.regions.tree import region_tree
from jianguan.stats.rollup import rollup
from jianguan.storage import make_engine, reading, session_factory, transaction
from jianguan.timezone import LOCAL_ZONE, today
from tests.live import LiveServer

HEADING = ["编号", "产品名称", "英文名称", "产品类别", "标准/许可"]


@pytest.fixture(scope="module")
def db(live: LiveServer) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(live.database_url)
    yield session_factory(engine)
    engine.dispose()


def rolled(db: sessionmaker[Session]) -> None:
    """Roll every day with activations up again, so the per-product rows hold what the rows say now."""
    with reading(db) as session:
        first = session.scalar(select(func.min(Activation.activated_at)))
    since = first.astimezone(LOCAL_ZONE).date() if first is not None else today()
    with transaction(db) as session:
        rollup(session, actor=Actor.system("test"), since=min(since, today()), until=today())


def local_day(moment: dt.datetime) -> dt.date:
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(LOCAL_ZONE).date()


def direct(db: sessionmaker[Session], *, region: str | None, agency: Agency | None,
           first: dt.date, last: dt.date) -> dict[str, dict[str, Any]]:
    """Each entry's coverage counted row by row: the products linked to it whose enterprise lies in
    ``region`` and (for a regulator of ``agency``) whose category the agency supervises; the signed
    enterprises among their makers; the codes activated (not withdrawn) by each, in the period and
    to its end; covered when a signed maker activated any."""
    with reading(db) as session:
        tree = region_tree(session)
        agencies = {c.id: c.agency for c in session.scalars(select(Category))}
        found: dict[str, dict[str, Any]] = {}
        for entry in session.scalars(select(CatalogueEntry).where(CatalogueEntry.is_active.is_(True))):
            if agency is not None and agencies[entry.category_id] != agency:
                continue
            row = {"enterprises": set(), "products": 0, "activated": 0, "activated_total": 0, "covered": False}
            for product in session.scalars(select(Product).where(Product.catalogue_entry_id == entry.id)):
                enterprise = session.get(Enterprise, product.enterprise_id)
                assert enterprise is not None
                if region is not None and not tree.contains(region, enterprise.region_code):
                    continue
                if agency is not None and agencies[product.category_id] != agency:
                    continue
                row["products"] += 1
                signed = enterprise.signed_on is not None
                if signed:
                    row["enterprises"].add(enterprise.id)
                for activation in session.scalars(
                        select(Activation).join(CodeBatch, CodeBatch.id == Activation.batch_id)
                        .where(CodeBatch.product_id == product.id, Activation.withdrawn_at.is_(None),
                               CodeBatch.generation > 0)):  # registered codes of other schemes: not ours
                    day = local_day(activation.activated_at)
                    quantity = activation.serial_end - activation.serial_start
                    if day <= last:
                        row["activated_total"] += quantity
                        row["covered"] = row["covered"] or (signed and quantity > 0)
                    if first <= day <= last:
                        row["activated"] += quantity
            row["enterprises"] = len(row["enterprises"])
            found[entry.number] = row
    return found


def coverage(client: httpx.Client, query: str) -> tuple[dict[str, Any], dict[str, Any]]:
    answer = client.get(f"/api/v1/statistics?{query}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    table = next(table for table in body["tables"] if table["name"] == "catalogue_coverage")
    return body, table


def check(body: dict[str, Any], table: dict[str, Any], expected: dict[str, dict[str, Any]]) -> None:
    rows = {row["number"]: row for row in table["rows"]}
    assert set(rows) == set(expected)
    for number, row in rows.items():
        want = expected[number]
        assert (row["enterprises"], row["products"], row["activated"], row["activated_total"]) == (
            want["enterprises"], want["products"], want["activated"], want["activated_total"]), (number, row, want)
        assert row["covered"] == ("covered" if want["covered"] else "not covered"), (number, row)
    covered = sorted(number for number, want in expected.items() if want["covered"])
    assert body["catalogue"]["entries"] == len(expected)
    assert body["catalogue"]["covered"] == len(covered)
    assert sorted(body["catalogue"]["not_covered"]) == sorted(set(expected) - set(covered))
    # Not covered first.
    flags = [row["covered"] == "covered" for row in table["rows"]]
    assert flags == sorted(flags)


def test_coverage_equals_a_direct_count(live: LiveServer, db: sessionmaker[Session]) -> None:
    rolled(db)
    last = today()
    first = last - dt.timedelta(days=29)
    query = f"from={first}&to={last}"
    operator = live.login("operator")
    body, table = coverage(operator, query)
    check(body, table, direct(db, region=None, agency=None, first=first, last=last))
    assert body["catalogue"]["covered"] >= 1  # the demo activates codes of linked products
    body, table = coverage(operator, f"{query}&region=130100")
    check(body, table, direct(db, region="130100", agency=None, first=first, last=last))
    body, table = coverage(live.login("sjz.quality"), query)
    check(body, table, direct(db, region="130100", agency=Agency.QUALITY, first=first, last=last))
    body, table = coverage(live.login("luancheng.agri"), query)
    check(body, table, direct(db, region="130111", agency=Agency.AGRICULTURE, first=first, last=last))
    # A period before any activation: nothing activated in it, the totals to its end are zero too.
    body, table = coverage(operator, "from=2001-01-01&to=2001-01-31")
    assert body["catalogue"]["covered"] == 0 and all(row["activated_total"] == 0 for row in table["rows"])


def test_a_county_regulator_sees_its_county_only(live: LiveServer, db: sessionmaker[Session]) -> None:
    county = live.login("luancheng.agri")  # 栾城区, agriculture
    body, table = coverage(county, "")
    assert body["region"]["code"] == "130111"
    with reading(db) as session:
        agriculture = set(session.scalars(select(Category.id).where(Category.agency == Agency.AGRICULTURE)))
        numbers = set(session.scalars(select(CatalogueEntry.number).where(
            CatalogueEntry.is_active.is_(True), CatalogueEntry.category_id.in_(agriculture))))
    assert {row["number"] for row in table["rows"]} == numbers  # the agency's entries, none of quality's
    # Other tests may sign enterprises in 栾城区 on this server: the rows equal a direct count for the
    # county and the agency, which holds 丰穗 (栾城区) and never 绿盾 (宣化区, pesticide).
    rolled(db)
    first, last = dt.date.fromisoformat(body["from"]), dt.date.fromisoformat(body["to"])
    body, table = coverage(county, "")
    check(body, table, direct(db, region="130111", agency=Agency.AGRICULTURE, first=first, last=last))
    rows = {row["number"]: row for row in table["rows"]}
    assert rows["01"]["enterprises"] >= 1 and rows["05"]["products"] == 0
    assert county.get("/api/v1/statistics?region=130102").status_code == 404  # 长安区: not its region
    assert county.get("/api/v1/statistics.csv?region=130102&table=catalogue_coverage").status_code == 404
    for manufacturer in (live.login("zhenwei"), live.login("fengsui")):
        assert manufacturer.get("/api/v1/statistics").status_code == 403
        assert manufacturer.get("/api/v1/statistics.csv?table=catalogue_coverage").status_code == 403


def test_the_csv_holds_the_table(live: LiveServer) -> None:
    client = live.login("sjz.quality")
    _body, table = coverage(client, "")
    answer = client.get("/api/v1/statistics.csv?table=catalogue_coverage&lang=en")
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == ["No.", "Catalogue entry", "Category", "Enrolled enterprises", "Products",
                       "Codes activated (period)", "Codes activated (to date)", "Covered"]
    assert [row[0] for row in rows[1:]] == [row["number"] for row in table["rows"]]
    chinese = client.get("/api/v1/statistics.csv?table=catalogue_coverage").content.decode("utf-8-sig")
    assert chinese.startswith("编号,目录产品,产品类别") and "未覆盖" in chinese


def csv_file(rows: list[list[Any]], heading: list[str] = HEADING) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(heading)
    writer.writerows(rows)
    return out.getvalue().encode()


def upload(client: httpx.Client, content: bytes, name: str = "catalogue.csv") -> httpx.Response:
    return client.post("/api/v1/catalogue/entries/import", files={"file": (name, content, "application/octet-stream")})


def counts(db: sessionmaker[Session]) -> tuple[int, int]:
    with reading(db) as session:
        return (session.scalar(select(func.count()).select_from(CatalogueEntry)) or 0,
                session.scalar(select(func.count()).select_from(AuditRecord)) or 0)


def test_a_bad_file_lists_its_rows_and_imports_nothing(live: LiveServer, db: sessionmaker[Session]) -> None:
    operator = live.login("operator")
    before = counts(db)
    rows = [["T7-01", "测试好产品", "good kind", "food", ""],
            ["T7-02", "测试未知类别", "unknown category", "no_such_category", ""],
            ["T7-03", "", "no Chinese name", "fertiliser", ""],
            ["T7-01", "测试重复编号", "repeated number", "食品", ""],
            ["T7 04", "测试坏编号", "bad number", "food", ""],
            ["T7-05", "测试长说明", "long note", "food", "x" * 201]]
    answer = upload(operator, csv_file(rows))
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "catalogue_refused" and "未导入" in error["message_zh"]
    faults = {(fault["row"], fault["column"]) for fault in error["details"]["faults"]}
    assert faults == {(3, "category"), (4, "name_zh"), (5, "number"), (6, "number"), (7, "note")}
    assert counts(db) == before  # no entry, no audit record
    missing = upload(operator, csv_file([["T7-06", "测试", "test", ""]], heading=[*HEADING[:3], "其他"]))
    assert missing.status_code == 400 and {f["column"] for f in missing.json()["error"]["details"]["faults"]} == {
        "category"}
    assert upload(operator, b"\x00\x01garbage").status_code == 400
    assert counts(db) == before
    # The catalogue page shows the rows at fault, in both languages.
    page = operator.post("/manage/catalogue/entries/import", files={"file": ("c.csv", csv_file(rows), "text/csv")},
                         data={"csrf_token": operator.cookies["jg_csrf"]})
    assert page.status_code == 400, page.text
    assert "产品目录未导入" in page.text and "未知的产品类别“no_such_category”" in page.text
    assert counts(db) == before


def xlsx_file(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["百种产品目录（测试）"])
    sheet.append(["序号说明", "编号", "产品名称", "英文名称", "产品类别"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_import_adds_and_changes_and_is_audited(live: LiveServer, db: sessionmaker[Session]) -> None:
    operator = live.login("operator")
    added = upload(operator, xlsx_file([["a", "T7-10", "测试酱菜", "test pickles", "food"],
                                        ["b", "T7-11", "测试复混肥", "test fertiliser", "化肥"]]), name="目录.xlsx")
    assert added.status_code == 200, added.text
    assert added.json() == {"added": ["T7-10", "T7-11"], "changed": [], "unchanged": 0,
                            "ignored_columns": ["序号说明"]}
    again = upload(operator, csv_file([["T7-10", "测试酱腌菜", "test pickles", "food", "生产许可证"],
                                       ["T7-11", "测试复混肥", "test fertiliser", "fertiliser", ""]]))
    assert again.json()["changed"] == ["T7-10"] and again.json()["unchanged"] == 1
    with reading(db) as session:
        entry = session.scalars(select(CatalogueEntry).where(CatalogueEntry.number == "T7-10")).one()
        assert (entry.name_zh, entry.note) == ("测试酱腌菜", "生产许可证")
        record = session.scalars(select(AuditRecord).where(AuditRecord.action == "catalogue:entries:imported")
                                 .order_by(AuditRecord.id.desc())).first()
        assert record is not None and record.after["changed"] == ["T7-10"]
    listed = httpx.get(f"{live.base_url}/api/v1/catalogue/entries").json()  # public, no login
    assert "T7-10" in {entry["number"] for entry in listed}
    # One by one: add, change, retire; a taken number is 409; a regulator may not.
    categories = {c["code"]: c["id"] for c in operator.get("/api/v1/categories").json()}
    made = operator.post("/api/v1/catalogue/entries", json={"number": "T7-12", "name_zh": "测试电饭锅",
                                                             "name_en": "test cookers",
                                                             "category_id": categories["appliance"]})
    assert made.status_code == 201, made.text
    assert operator.post("/api/v1/catalogue/entries", json={"number": "T7-12", "name_zh": "x", "name_en": "x",
                                                             "category_id": categories["appliance"]}).status_code == 409
    changed = operator.patch(f"/api/v1/catalogue/entries/{made.json()['id']}", json={"is_active": False})
    assert changed.status_code == 200 and changed.json()["is_active"] is False
    assert live.login("sjz.quality").post("/api/v1/catalogue/entries/import",
                                          files={"file": ("c.csv", b"x", "text/csv")}).status_code == 403


def test_products_are_linked_at_creation_and_edit(live: LiveServer, db: sessionmaker[Session]) -> None:
    operator = live.login("operator")
    entries = {e["number"]: e for e in operator.get("/api/v1/catalogue/entries").json()}
    categories = {c["code"]: c["id"] for c in operator.get("/api/v1/categories").json()}
    with reading(db) as session:
        zhenwei = session.scalars(select(Enterprise).where(Enterprise.name == "石家庄珍味酿造集团有限公司")).one().id
    new = {"name": "测试目录关联陈醋", "specification": "T7 250 mL", "category_id": categories["food"]}
    unknown = operator.post(f"/api/v1/enterprises/{zhenwei}/products", json={**new, "catalogue_entry_id": 999_999})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "unknown_catalogue_entry"
    other = operator.post(f"/api/v1/enterprises/{zhenwei}/products",
                          json={**new, "catalogue_entry_id": entries["01"]["id"]})  # fertiliser, not food
    assert other.status_code == 400 and other.json()["error"]["code"] == "catalogue_category_mismatch"
    made = operator.post(f"/api/v1/enterprises/{zhenwei}/products",
                         json={**new, "catalogue_entry_id": entries["13"]["id"]})
    assert made.status_code == 201, made.text
    product = made.json()
    assert product["catalogue_entry_id"] == entries["13"]["id"]
    # The enterprise itself changes the link; leaving the field out keeps it; null unlinks it.
    own = live.login("zhenwei")
    moved = own.patch(f"/api/v1/products/{product['id']}", json={"catalogue_entry_id": entries["14"]["id"]})
    assert moved.status_code == 200 and moved.json()["catalogue_entry_id"] == entries["14"]["id"]
    kept = own.patch(f"/api/v1/products/{product['id']}", json={"description": "T7"})
    assert kept.json()["catalogue_entry_id"] == entries["14"]["id"]
    assert own.patch(f"/api/v1/products/{product['id']}", json={"catalogue_entry_id": 0}).status_code == 400
    assert own.patch(f"/api/v1/products/{product['id']}",
                     json={"catalogue_entry_id": 999_999}).json()["error"]["code"] == "unknown_catalogue_entry"
    unlinked = own.patch(f"/api/v1/products/{product['id']}", json={"catalogue_entry_id": None})
    assert unlinked.status_code == 200 and unlinked.json()["catalogue_entry_id"] is None
    with reading(db) as session:
        actions = [(r.action, r.before, r.after) for r in session.scalars(
            select(AuditRecord).where(AuditRecord.target_type == "product",
                                      AuditRecord.target_id == str(product["id"])).order_by(AuditRecord.id))]
    assert actions[0][0] == "enterprise:product:created" and actions[0][2]["catalogue_entry"] == "13"
    assert [(before, after) for action, before, after in actions[1:]
            if "catalogue_entry_id" in (after or {})] == [
        ({"catalogue_entry_id": entries["13"]["id"]}, {"catalogue_entry_id": entries["14"]["id"]}),
        ({"catalogue_entry_id": entries["14"]["id"]}, {"catalogue_entry_id": None})]
