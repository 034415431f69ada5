"""Industry rosters through HTTP on both databases: importing CSV and XLSX files, the rates equal to
a count made directly from the registry's rows (for the operator and for an agency, whose scope
narrows the match), bad files refused whole with their rows listed and nothing changed, a
re-import replacing the members (audited), scope (404 outside it), the CSV and deleting."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from jianguan.audit.models import AuditRecord
from jianguan.catalogue.models import Agency, Category
from jianguan.demo.seed import demo_credit_code
from jianguan.enterprises.models import Enterprise
from jianguan.regions.tree import region_tree
from jianguan.rosters.models import Roster, RosterMember
from jianguan.storage import make_engine, reading, session_factory
from jianguan.timezone import today
from tests.live import LiveServer

HEADING = ["序号", "企业名称", "统一社会信用代码", "区划代码", "资质"]
STAGES = ("registered", "signed", "credentials_issued", "codes_issued", "activated")
KINDS = {"省名牌": "provincial_brand", "生产许可证": "production_licence"}


@pytest.fixture(scope="module")
def db(live: LiveServer) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(live.database_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def facts(db: sessionmaker[Session]) -> dict[str, Any]:
    with reading(db) as session:
        categories = {c.code: c.id for c in session.scalars(select(Category))}
        codes = {e.name: e.credit_code for e in session.scalars(select(Enterprise))}
    return {"categories": categories, "codes": codes}


def invented(serial: int) -> str:
    return demo_credit_code(7300 + serial, "130111")  # a range no other test signs


def csv_file(rows: list[list[Any]], heading: list[str] = HEADING) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(heading)
    writer.writerows(rows)
    return out.getvalue().encode()


def upload(client: httpx.Client, content: bytes, *, industry: str, category: int, region: str = "130111",
           name: str = "roster.csv") -> httpx.Response:
    return client.post("/api/v1/rosters", data={"region_code": region, "category_id": str(category),
                                                "industry": industry, "source": "测试名录"},
                       files={"file": (name, content, "application/octet-stream")})


def counts(db: sessionmaker[Session]) -> tuple[int, int, int]:
    with reading(db) as session:
        return (session.scalar(select(func.count()).select_from(Roster)) or 0,
                session.scalar(select(func.count()).select_from(RosterMember)) or 0,
                session.scalar(select(func.count()).select_from(AuditRecord)) or 0)


def direct_rates(db: sessionmaker[Session], roster_id: int, *, region: str | None,
                 agency: Agency | None) -> dict[str, Any]:
    """The rates counted row by row: each member's enterprise looked up by its credit code, kept when
    a regulator of ``agency`` in ``region`` sees it (in the region, and of a category of the agency
    by its main category or a product's), its stage from its dates, its qualifications in force."""
    day = today()
    with reading(db) as session:
        tree = region_tree(session)
        members = list(session.scalars(select(RosterMember).where(RosterMember.roster_id == roster_id)))
        agencies = {c.id: c.agency for c in session.scalars(select(Category))}
        reached = dict.fromkeys(STAGES, 0)
        holders: dict[str, list[int]] = {}
        for member in members:
            enterprise = session.scalars(select(Enterprise).where(Enterprise.credit_code == member.credit_code)
                                         .options(selectinload(Enterprise.products),
                                                  selectinload(Enterprise.qualifications))).first()
            if enterprise is not None and agency is not None:
                made = {agencies[enterprise.category_id]} | {agencies[p.category_id] for p in enterprise.products}
                if (region is not None and not tree.contains(region, enterprise.region_code)) or agency not in made:
                    enterprise = None
            kinds = set(member.qualifications)
            signed = False
            if enterprise is not None:
                stage = enterprise.stage.value
                for each in STAGES[:STAGES.index(stage) + 1]:
                    reached[each] += 1
                kinds |= {str(q.kind) for q in enterprise.qualifications if q.is_valid_on(day)}
                signed = enterprise.signed_on is not None
            for kind in kinds:
                pair = holders.setdefault(kind, [0, 0])
                pair[0] += 1
                pair[1] += int(signed)
    return {"members": len(members), "reached": reached, "holders": holders}


def check_rates(body: dict[str, Any], expected: dict[str, Any]) -> None:
    assert body["members"] == expected["members"] == body["member_page"]["total"]
    for row in body["enrolment"]:
        count = expected["reached"][row["stage"]]
        assert row["count"] == count, row
        assert row["rate"] == round(100.0 * count / expected["members"], 1)
    assert body["signed"]["count"] == expected["reached"]["signed"]
    for row in body["signing"]:
        held, signed = expected["holders"].get(row["kind"], [0, 0])
        assert (row["holders"], row["signed"]) == (held, signed), row


def test_an_import_gives_rates_equal_to_a_direct_count(live: LiveServer, db: sessionmaker[Session],
                                                       facts: dict[str, Any]) -> None:
    codes = facts["codes"]
    rows = [[1, "石家庄丰穗复合肥有限公司", codes["石家庄丰穗复合肥有限公司"], "130111", "生产许可证"],
            [2, "栾城恒温电热毯厂", codes["栾城恒温电热毯厂"], "130111", ""],  # not agriculture's
            [3, "宣化绿盾农药有限责任公司", codes["宣化绿盾农药有限责任公司"], "", ""],  # registered in 宣化区
            *[[4 + n, f"栾城测试肥料厂{n}", invented(n), "130111", "省名牌、生产许可证" if n % 2 else "生产许可证"]
              for n in range(5)]]
    agri, operator = live.login("luancheng.agri"), live.login("operator")
    answer = upload(agri, csv_file(rows), industry="测试：直接计数", category=facts["categories"]["fertiliser"])
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["members"] == 8 and body["replaced"] is False and body["ignored_columns"] == ["序号"]
    roster_id = body["id"]
    check_rates(body, direct_rates(db, roster_id, region="130111", agency=Agency.AGRICULTURE))
    assert body["signed"] == {"count": 1, "rate": 12.5}  # 丰穗 alone: 恒温 and 绿盾 are outside 栾城's agriculture
    for client, region, agency in ((operator, None, None), (live.login("hebei.agri"), "130000", Agency.AGRICULTURE)):
        found = client.get(f"/api/v1/rosters/{roster_id}")
        assert found.status_code == 200, found.text
        check_rates(found.json(), direct_rates(db, roster_id, region=region, agency=agency))
    assert operator.get(f"/api/v1/rosters/{roster_id}").json()["signed"]["count"] == 3  # 丰穗, 恒温, 绿盾
    # The list and the CSV say the same.
    listed = {row["id"]: row for row in agri.get("/api/v1/rosters?region=130100").json()}
    assert listed[roster_id]["signed"] == body["signed"] and listed[roster_id]["members"] == 8
    table = list(csv.reader(io.StringIO(agri.get(f"/api/v1/rosters/{roster_id}/rates.csv?table=enrolment&lang=en")
                                        .content.decode("utf-8-sig"))))
    assert table[0] == ["Stage", "Enterprises", "Roster members", "Rate (%)"]
    assert [int(row[1]) for row in table[1:]] == [row["count"] for row in body["enrolment"]]
    members = agri.get(f"/api/v1/rosters/{roster_id}/rates.csv?table=members").content.decode("utf-8-sig")
    assert "栾城测试肥料厂4" in members and "未入库" in members
    assert agri.delete(f"/api/v1/rosters/{roster_id}").status_code == 204


def xlsx_file(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["栾城区复混肥料生产企业名录（测试）"])  # a title above the heading
    sheet.append(["企业名称", "统一社会信用代码", "住所", "区划代码", "许可证编号"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_file_with_a_title_row_imports(live: LiveServer, facts: dict[str, Any]) -> None:
    rows = [[f"栾城表格肥料厂{n}", invented(20 + n), "栾城区", 130111, f"XK13-{n}"] for n in range(3)]
    agri = live.login("luancheng.agri")
    answer = upload(agri, xlsx_file(rows), industry="测试：表格", category=facts["categories"]["fertiliser"],
                    name="名录.xlsx")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["members"] == 3 and body["ignored_columns"] == ["住所"]
    items = body["member_page"]["items"]
    assert [item["row"] for item in items] == [3, 4, 5]  # as the spreadsheet numbers them
    assert items[0]["region_code"] == "130111" and items[0]["licence_number"] == "XK13-0"
    assert agri.delete(f"/api/v1/rosters/{body['id']}").status_code == 204


def refused(answer: httpx.Response) -> list[dict[str, Any]]:
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "roster_refused" and "未导入" in error["message_zh"]
    return error["details"]["faults"]


def test_a_bad_file_lists_its_rows_and_changes_nothing(live: LiveServer, db: sessionmaker[Session],
                                                       facts: dict[str, Any]) -> None:
    agri = live.login("luancheng.agri")
    fertiliser = facts["categories"]["fertiliser"]
    kept = upload(agri, csv_file([[1, "栾城原有肥料厂", invented(40), "130111", ""]]), industry="测试：坏文件",
                  category=fertiliser).json()
    before = counts(db)
    wrong_check = invented(41)[:-1] + ("0" if invented(41)[-1] != "0" else "1")
    rows = [[1, "栾城好肥料厂", invented(42), "130111", ""],
            [2, "栾城坏代码厂", wrong_check, "130111", ""],
            [3, "", invented(43), "130111", ""],
            [4, "栾城重复厂", invented(42), "130111", ""],
            [5, "栾城外地厂", invented(44), "130102", ""],
            [6, "栾城无名资质厂", invented(45), "130111", "金奖"]]
    faults = refused(upload(agri, csv_file(rows), industry="测试：坏文件", category=fertiliser))
    assert [(f["row"], f["column"]) for f in faults] == [(3, "credit_code"), (4, "name"), (5, "credit_code"),
                                                         (6, "region_code"), (7, "qualifications")]
    assert "第 2 行" in faults[2]["message_zh"] and "check" in faults[0]["message"].lower()
    # Wrong columns: no name column; no heading at all; an old .xls; an empty file.
    faults = refused(upload(agri, csv_file([[invented(46)]], heading=["统一社会信用代码"]), industry="测试：坏文件",
                            category=fertiliser))
    assert faults[0]["row"] == 1 and "企业名称" in faults[0]["message_zh"]
    faults = refused(upload(agri, csv_file([["a", "b"]], heading=["公司", "代码"]), industry="测试：坏文件",
                            category=fertiliser))
    assert "统一社会信用代码" in faults[0]["message_zh"]
    refused(upload(agri, b"\xd0\xcf\x11\xe0" + b"\x00" * 100, industry="测试：坏文件", category=fertiliser))
    refused(upload(agri, b"", industry="测试：坏文件", category=fertiliser))
    assert counts(db) == before
    again = agri.get(f"/api/v1/rosters/{kept['id']}").json()
    assert [item["name"] for item in again["member_page"]["items"]] == ["栾城原有肥料厂"]
    # Other bad input: no industry, a malformed region, a category that is no number.
    for data in ({"industry": ""}, {"region_code": "13011"}, {"category_id": "肥料"}):
        fields = {"region_code": "130111", "category_id": str(fertiliser), "industry": "测试", **data}
        answer = agri.post("/api/v1/rosters", data=fields, files={"file": ("r.csv", csv_file([]), "text/csv")})
        assert answer.status_code == 400, (data, answer.text)
        assert answer.json()["error"]["message_zh"]
    assert counts(db) == before
    assert agri.delete(f"/api/v1/rosters/{kept['id']}").status_code == 204


def test_importing_the_same_roster_again_replaces_it(live: LiveServer, db: sessionmaker[Session],
                                                     facts: dict[str, Any]) -> None:
    agri = live.login("luancheng.agri")
    fertiliser = facts["categories"]["fertiliser"]
    first = upload(agri, csv_file([[n, f"栾城甲厂{n}", invented(60 + n), "", ""] for n in range(3)]),
                   industry="测试：替换", category=fertiliser).json()
    second = upload(agri, csv_file([[n, f"栾城乙厂{n}", invented(70 + n), "", ""] for n in range(2)]),
                    industry="测试：替换", category=fertiliser).json()
    assert second["id"] == first["id"] and second["replaced"] is True and second["members"] == 2
    with reading(db) as session:
        names = set(session.scalars(select(RosterMember.name).where(RosterMember.roster_id == first["id"])))
        audited = list(session.scalars(select(AuditRecord).where(AuditRecord.action == "rosters:roster:imported",
                                                                 AuditRecord.target_id == str(first["id"]))
                                       .order_by(AuditRecord.id)))
    assert names == {"栾城乙厂0", "栾城乙厂1"}
    assert audited[-1].before["member_count"] == 3 and audited[-1].after["member_count"] == 2
    assert audited[-1].actor == "user:luancheng.agri"
    # Another industry of the same region is another roster.
    other = upload(agri, csv_file([[1, "栾城丙厂", invented(80), "", ""]]), industry="测试：替换二",
                   category=fertiliser).json()
    assert other["id"] != first["id"]
    for roster_id in (first["id"], other["id"]):
        assert agri.delete(f"/api/v1/rosters/{roster_id}").status_code == 204


def test_rosters_outside_the_callers_scope_are_404(live: LiveServer, db: sessionmaker[Session],
                                                   facts: dict[str, Any]) -> None:
    agri = live.login("luancheng.agri")
    fertiliser, food = facts["categories"]["fertiliser"], facts["categories"]["food"]
    roster = upload(agri, csv_file([[1, "栾城范围厂", invented(90), "", ""]]), industry="测试：范围",
                    category=fertiliser).json()
    others = [live.login(name) for name in ("luancheng.quality", "sjz.quality", "fuzhou.quality")]
    province, manufacturer, uploader = live.login("hebei.agri"), live.login("fengsui"), live.login("fengsui")
    before = counts(db)  # after the logins, which are audited
    for other in others:
        assert other.get(f"/api/v1/rosters/{roster['id']}").status_code == 404
        assert other.get(f"/api/v1/rosters/{roster['id']}/rates.csv").status_code == 404
        assert other.delete(f"/api/v1/rosters/{roster['id']}").status_code == 404
        assert other.get(f"/manage/rosters/{roster['id']}").status_code == 404
        assert "测试：范围" not in other.get("/api/v1/rosters").text
        assert "测试：范围" not in other.get("/manage/rosters").text
    assert province.get(f"/api/v1/rosters/{roster['id']}").status_code == 200
    # Importing outside the caller's region or agency: 404, nothing stored.
    content = csv_file([[1, "长安某厂", invented(91), "", ""]])
    assert upload(agri, content, industry="测试：外区", category=fertiliser, region="130102").status_code == 404
    assert upload(agri, content, industry="测试：外类", category=food).status_code == 404
    assert upload(agri, content, industry="测试：上级", category=fertiliser, region="130100").status_code == 404
    # Refused before its body is read: the server then closes the connection, so no other call follows on it.
    assert upload(uploader, content, industry="测试：企业", category=fertiliser).status_code == 403
    assert manufacturer.get(f"/api/v1/rosters/{roster['id']}").status_code == 403
    assert counts(db) == before
    assert agri.delete(f"/api/v1/rosters/{roster['id']}").status_code == 204


def test_deleting_a_roster_removes_it_and_is_audited(live: LiveServer, db: sessionmaker[Session],
                                                     facts: dict[str, Any]) -> None:
    agri = live.login("luancheng.agri")
    roster = upload(agri, csv_file([[1, "栾城删除厂", invented(95), "", ""]]), industry="测试：删除",
                    category=facts["categories"]["fertiliser"]).json()
    assert agri.delete(f"/api/v1/rosters/{roster['id']}").status_code == 204
    assert agri.get(f"/api/v1/rosters/{roster['id']}").status_code == 404
    with reading(db) as session:
        assert session.scalar(select(func.count()).select_from(RosterMember)
                              .where(RosterMember.roster_id == roster["id"])) == 0
        # The newest: SQLite gives a deleted last row's id to the next row, so an earlier test's roster
        # may have had this id too.
        record = session.scalars(select(AuditRecord).where(AuditRecord.action == "rosters:roster:deleted",
                                                           AuditRecord.target_id == str(roster["id"]))
                                 .order_by(AuditRecord.id.desc())).first()
        assert record is not None
    assert record.before["industry"] == "测试：删除"


def test_the_pages_import_and_show_a_roster(live: LiveServer, facts: dict[str, Any]) -> None:
    agri = live.login("luancheng.agri")
    page = agri.get("/manage/rosters")
    assert page.status_code == 200 and "复混肥料生产企业" in page.text
    content = csv_file([[1, "栾城页面厂", invented(96), "", ""], [2, "栾城页面厂二", invented(96), "", ""]])
    fields = {"region_code": "130111", "category_id": str(facts["categories"]["fertiliser"]), "industry": "测试：页面",
              "csrf_token": agri.cookies["jg_csrf"]}
    answer = agri.post("/manage/rosters", data=fields, files={"file": ("r.csv", content, "text/csv")})
    assert answer.status_code == 400 and "与第 2 行重复" in answer.text
    single = csv_file([[1, "栾城页面厂", invented(96), "", ""]])
    answer = agri.post("/manage/rosters", data=fields, files={"file": ("r.csv", single, "text/csv")})
    assert answer.status_code == 303, answer.text
    shown = agri.get(answer.headers["location"])
    assert shown.status_code == 200 and "栾城页面厂" in shown.text
    roster_id = int(answer.headers["location"].split("/")[-1].split("?")[0])
    gone = agri.post(f"/manage/rosters/{roster_id}/delete", data={"csrf_token": agri.cookies["jg_csrf"]})
    assert gone.status_code == 303
    assert agri.get(f"/manage/rosters/{roster_id}").status_code == 404
