"""The brand owner's view (保名优) on a live server, on both databases: the county table equals a
direct count of the query log, new queries land in their county (and an unknown place in its own
row), the CSV is the same table, the page's rows carry what its map is drawn from, who may read
it, and bad periods are refused in both languages."""

from __future__ import annotations

import csv
import io
import time
from collections import Counter
from typing import Any

from sqlalchemy import select

from jianguan.brand.services import bounds
from jianguan.codes.models import CodeBatch
from jianguan.enterprises.models import Enterprise
from jianguan.regions.tree import region_tree
from jianguan.stats.figures import period
from jianguan.storage import make_engine, reading, session_factory
from jianguan.verify.models import Query
from tests.functional.channel_helpers import post_sms
from tests.functional.test_recalls import ZHENWEI
from tests.functional.test_warnings_live import unqueried_zhenwei_code
from tests.live import LiveServer


def logged_counts(live: LiveServer, name: str = ZHENWEI) -> dict[str | None, Counter[str]]:
    """The enterprise's queries of the last 30 days, counted from the log row by row: every query of
    a generation the enterprise issued in, kept when its serial lies in one of its batches."""
    start, end = bounds(period(None, None))
    engine = make_engine(live.database_url)
    with reading(session_factory(engine)) as session:
        batches = session.execute(select(CodeBatch.generation, CodeBatch.serial_start, CodeBatch.quantity)
                                  .join(Enterprise, Enterprise.id == CodeBatch.enterprise_id)
                                  .where(Enterprise.name == name)).all()
        logged = session.execute(select(Query.region_code, Query.verdict, Query.generation, Query.serial).where(
            Query.at >= start, Query.at < end, Query.generation.in_({b[0] for b in batches}))).all()
    engine.dispose()
    counts: dict[str | None, Counter[str]] = {}
    for region, verdict, generation, serial in logged:
        if serial is not None and any(g == generation and s <= serial < s + n for g, s, n in batches):
            counts.setdefault(region, Counter())[verdict] += 1
    return counts


def table_of(answer: dict[str, Any]) -> dict[str | None, tuple[int, int, int, int]]:
    return {row["region_code"]: (row["queries"], row["genuine"], row["queried_before"], row["other"])
            for row in answer["counties"]}


def expected(counts: dict[str | None, Counter[str]]) -> dict[str | None, tuple[int, int, int, int]]:
    return {region: (sum(c.values()), c["genuine"], c["queried_before"],
                     sum(c.values()) - c["genuine"] - c["queried_before"]) for region, c in counts.items()}


def test_the_county_table_is_a_direct_count_of_the_log(live: LiveServer) -> None:
    zhenwei = live.login("zhenwei")
    before = zhenwei.get("/api/v1/brand").json()
    code = unqueried_zhenwei_code(live)
    terminal = live.key_client(live.seed.apikeys["terminal"][0])
    assert terminal.get(f"/api/v1/terminal/verify/{code}").status_code == 200  # 栾城区's shop: genuine
    assert terminal.get(f"/api/v1/terminal/verify/{code}").status_code == 200  # again: queried before
    assert post_sms(live.client(), "13803115555", f"查询{code}").status_code == 200  # a 石家庄 number
    assert live.client().get(f"/api/v1/verify/{code}").status_code == 200  # the web: place unknown
    deadline, answer = time.monotonic() + 15, before
    while time.monotonic() < deadline and answer["total"]["queries"] < before["total"]["queries"] + 4:
        time.sleep(0.2)  # the query log is written in batches
        answer = zhenwei.get("/api/v1/brand").json()
    assert answer["total"]["queries"] == before["total"]["queries"] + 4
    assert table_of(answer) == expected(logged_counts(live))
    luancheng = next(row for row in answer["counties"] if row["region_code"] == "130111")
    assert luancheng["county"] == "栾城区" and "石家庄市" in luancheng["place"]
    old = table_of(before).get("130111", (0, 0, 0, 0))
    assert (luancheng["genuine"] - old[1], luancheng["queried_before"] - old[2]) == (1, 1)
    assert answer["counties"][-1]["region_code"] is None and answer["counties"][-1]["county"] == "未知地点"
    # the operator names the enterprise and sees the same; the CSV is the same table
    enterprise = answer["enterprise"]["id"]
    operator = live.login("operator").get(f"/api/v1/brand?enterprise_id={enterprise}").json()
    assert table_of(operator) == table_of(answer)
    sheet = zhenwei.get("/api/v1/brand?format=csv&lang=en")
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(sheet.text.lstrip("\ufeff"))))
    assert lines[0][:2] == ["region code", "county"] and len(lines) == len(answer["counties"]) + 1
    assert {(line[0] or None, int(line[3])) for line in lines[1:]} == {
        (row["region_code"], row["queries"]) for row in answer["counties"]}


def test_alerts_cases_and_enforcement_are_the_enterprises(live: LiveServer) -> None:
    answer = live.login("zhenwei").get("/api/v1/brand").json()
    assert answer["enterprise"]["name"] == ZHENWEI
    statuses = [alert["status"] for alert in answer["clone_alerts"]]
    assert statuses == sorted(statuses, key=lambda status: status != "open")  # open first
    assert all(alert["region_code"] and "samples" not in alert for alert in answer["unknown_clusters"])
    assert answer["cases_total"] == sum(sum(kinds.values()) for kinds in answer["cases_by_stage"].values())
    assert answer["cases_total"] > 0 and answer["enforcement"]  # the demo's fake vinegar and its outcome
    assert any(action["protecting_brand"] and action["concluded_on"] for action in answer["enforcement"])
    page = live.login("zhenwei").get("/brand")
    assert page.status_code == 200 and "品牌保护" in page.text and 'data-table="counties"' in page.text
    # the map (static/charts.js) reads the rows: each names its place, the codes above its county
    # (province down: the divisions the map splits) and the clone alerts naming it
    assert '<figure class="brand-map" hidden>' in page.text
    engine = make_engine(live.database_url)
    tree = region_tree(engine)
    engine.dispose()
    named = Counter(code for alert in answer["clone_alerts"]
                    for code in {alert["region_code"], *alert["details"].get("regions", [])} if code)
    for row in answer["counties"]:
        if row["region_code"]:
            clones = f' data-clones="{named[row["region_code"]]}"' if named[row["region_code"]] else ""
            path = " ".join(node.code for node in tree.ancestors(row["region_code"]))
            assert (f'<tr data-region="{row["region_code"]}" data-place="{row["place"]}"'
                    f' data-path="{path}"{clones}>') in page.text
    assert 'data-path="130000 130100"' in page.text  # the demo's 石家庄 counties
    assert any(named[row["region_code"]] for row in answer["counties"])  # the demo's clone in 桥西区
    from_case = next(action for action in answer["enforcement"] if action["case_id"])  # alerts open some too
    assert f"/manage/cases/{from_case['case_id']}#enforcement-{from_case['id']}" in page.text
    assert 'href="/brand"' in live.login("zhenwei").get("/dashboard").text


def test_who_may_read_it_and_bad_periods(live: LiveServer) -> None:
    zhenwei = live.login("zhenwei")
    enterprise = zhenwei.get("/api/v1/brand").json()["enterprise"]["id"]
    assert live.login("fengsui").get(f"/api/v1/brand?enterprise_id={enterprise}").status_code == 404
    own = live.login("fengsui").get("/api/v1/brand").json()
    assert own["enterprise"]["name"] == "石家庄丰穗复合肥有限公司"
    assert live.login("sjz.quality").get("/api/v1/brand").status_code == 403
    assert live.client().get("/api/v1/brand").status_code == 401
    refused = live.login("operator").get("/api/v1/brand")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "enterprise_required"
    for query, code in (("from=2026-02-30", "invalid_date"), ("to=tomorrow", "invalid_date"),
                        ("from=2026-11-20&to=2026-11-01", "invalid_period")):
        answer = zhenwei.get(f"/api/v1/brand?{query}")
        assert answer.status_code == 400 and answer.json()["error"]["code"] == code, query
        assert answer.json()["error"]["message"] and answer.json()["error"]["message_zh"]
        page = zhenwei.get(f"/brand?{query}")
        assert page.status_code == 400 and 'role="alert"' in page.text, query
    chosen = zhenwei.get("/api/v1/brand?from=2026-11-01&to=2026-11-20").json()
    assert (chosen["from"], chosen["to"]) == ("2026-11-01", "2026-11-20")
