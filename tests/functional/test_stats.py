"""Statistics on both databases: the roll-up job equals a direct count of a seeded query log and
of the batches, running it again (or several at once) changes nothing, every read is scoped (a
county regulator sees its county and 404 elsewhere, an agency its categories), the enrolment
funnel per period, CSV, and targets with their bad input."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.models import AuditRecord
from jianguan.audit.services import Actor
from jianguan.catalogue.models import Agency, Category
from jianguan.codes.models import CodeBatch
from jianguan.enterprises.enrolment import enrolment_progress
from jianguan.enterprises.models import Enterprise, Product
from jianguan.regions.tree import region_tree
from jianguan.stats.models import CodeDay, QueryDay, QueryMonth, RolledDay, RolledMonth, Target, TerminalDay
from jianguan.stats.rollup import rollup
from jianguan.storage import make_engine, reading, session_factory, transaction
from jianguan.timezone import LOCAL_ZONE, local_date, today
from jianguan.verify.models import Query
from tests.live import LiveServer

TODAY = today()
FIRST = TODAY - dt.timedelta(days=3)
PERIOD = f"from={FIRST}&to={TODAY}"
ACTOR = Actor.system("test")


@pytest.fixture(scope="module")
def db(live: LiveServer) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(live.database_url)
    yield session_factory(engine)
    engine.dispose()


def beijing(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute, second), LOCAL_ZONE).astimezone(dt.UTC)


@pytest.fixture(scope="module")
def seeded(db: sessionmaker[Session]) -> dict[str, Any]:
    """A query log over four days: codes of the demo's batches of each category, codes no batch
    holds, malformed input; in three counties of 石家庄, one of 福州, and nowhere; on the edges of
    Beijing days. Then the job, once."""
    with transaction(db) as session:
        batches = list(session.scalars(select(CodeBatch).order_by(CodeBatch.id)))
        places = ["130102", "130111", "130104", "350102", None]
        channels = ["web", "sms", "terminal", "phone"]
        verdicts = ["genuine", "queried_before", "unknown", "not_activated"]
        moments = [beijing(FIRST, 0, 0, 0), beijing(FIRST, 23, 59, 59), beijing(FIRST + dt.timedelta(days=1), 8),
                   beijing(FIRST + dt.timedelta(days=2), 12), beijing(TODAY, 0, 30)]
        rows = []
        for index in range(240):
            batch = batches[index % len(batches)]
            kind = index % 6
            generation, serial = batch.generation, batch.serial_start + index % batch.quantity
            if kind == 4:  # a code no batch holds
                serial = batch.serial_start + batch.quantity + 10_000_000
            rows.append(Query(at=moments[index % len(moments)], channel=channels[index % 4],
                              generation=None if kind == 5 else generation, serial=None if kind == 5 else serial,
                              raw_input="12345" if kind == 5 else None, verdict=verdicts[(index // 4) % 4],
                              region_code=places[index % len(places)]))
        session.add_all(rows)
    with transaction(db) as session:
        result = rollup(session, actor=ACTOR, since=FIRST - dt.timedelta(days=1))
    return {"result": result}


def direct_query_counts(db: sessionmaker[Session], first: dt.date, last: dt.date) -> Counter[tuple[Any, ...]]:
    """Queries per (region, day, category, channel, verdict), counted from the log row by row and
    added to every division above their county by walking the tree's paths."""
    with reading(db) as session:
        tree = region_tree(session)
        batches = [(b.generation, b.serial_start, b.serial_start + b.quantity, category) for b, category in
                   session.execute(select(CodeBatch, Product.category_id).join(Product,
                                                                               Product.id == CodeBatch.product_id))]
        counts: Counter[tuple[Any, ...]] = Counter()
        for query in session.scalars(select(Query)):
            day = local_date(query.at)
            if not first <= day <= last:
                continue
            category = next((c for g, start, end, c in batches if g == query.generation and query.serial is not None
                             and start <= query.serial < end), 0)
            places = [node.code for node in tree.path(query.region_code)] if query.region_code in tree else [
                query.region_code or ""]
            for code in places:
                counts[(code, day, category, query.channel, query.verdict)] += 1
    return counts


def stored(db: sessionmaker[Session], table: Any) -> list[tuple[Any, ...]]:
    with reading(db) as session:
        return sorted(tuple(row) for row in session.execute(select(table.__table__)))


def test_the_job_equals_a_direct_count_of_the_log(db: sessionmaker[Session], seeded: dict[str, Any]) -> None:
    expected = direct_query_counts(db, FIRST - dt.timedelta(days=1), TODAY)
    with reading(db) as session:
        rows = session.execute(select(QueryDay).where(QueryDay.day >= FIRST - dt.timedelta(days=1))).scalars()
        found = Counter({(r.region_code, r.day, r.category_id, r.channel, r.verdict): r.queries for r in rows})
    assert found == expected
    assert found[("", FIRST, 0, "web", "genuine")] >= 0
    assert sum(n for key, n in found.items() if key[0] == "130000") > 0
    # Edges of the Beijing day: 00:00:00 and 23:59:59 of FIRST both count on FIRST.
    assert sum(n for key, n in found.items() if key[0] == "130100" and key[1] == FIRST) == sum(
        n for key, n in expected.items() if key[0] == "130100" and key[1] == FIRST) > 0


def test_months_over_add_up_their_days_and_a_period_across_one_reads_it(
        live: LiveServer, db: sessionmaker[Session], seeded: dict[str, Any]) -> None:
    first = (TODAY.replace(day=1) - dt.timedelta(days=1)).replace(day=1)  # the first of last month
    with transaction(db) as session:
        rollup(session, actor=ACTOR, since=first)
    with reading(db) as session:
        rolled = set(session.scalars(select(RolledMonth.month)))
        days: Counter[tuple[Any, ...]] = Counter()
        for row in session.scalars(select(QueryDay)):
            if row.day.replace(day=1) in rolled:
                days[(row.region_code, row.day.replace(day=1), row.category_id, row.channel, row.verdict)] += row.queries
        months = Counter({(r.region_code, r.month, r.category_id, r.channel, r.verdict): r.queries
                          for r in session.scalars(select(QueryMonth))})
    assert first in rolled and TODAY.replace(day=1) not in rolled  # the month under way has no monthly rows
    assert months == days
    # From the first of last month to today: a whole month from the monthly rows, the rest from the days.
    expected = direct_query_counts(db, first, TODAY)
    body = live.login("operator").get(f"/api/v1/statistics?region=130000&from={first}&to={TODAY}").json()
    assert table(body, "queries_by_region")["rows"][0]["total"] == sum(
        n for key, n in expected.items() if key[0] == "130000") > 0
    verdicts = {row["verdict"]: row["queries"] for row in table(body, "queries_by_verdict")["rows"]}
    assert verdicts["genuine, first check"] == sum(
        n for key, n in expected.items() if key[0] == "130000" and key[4] == "genuine")


def test_codes_equal_a_direct_sum_of_the_batches(db: sessionmaker[Session], seeded: dict[str, Any]) -> None:
    with transaction(db) as session:
        first = session.scalar(select(func.min(CodeBatch.issued_at)))
        rollup(session, actor=ACTOR, since=local_date(first))
    with reading(db) as session:
        tree = region_tree(session)
        expected: Counter[tuple[str, dt.date, int]] = Counter()
        for batch, region, category in session.execute(
                select(CodeBatch, Enterprise.region_code, Product.category_id)
                .join(Enterprise, Enterprise.id == CodeBatch.enterprise_id)
                .join(Product, Product.id == CodeBatch.product_id)
                .where(CodeBatch.generation > 0)):  # registered codes of other schemes were not issued
            for node in tree.path(region):
                expected[(node.code, local_date(batch.issued_at), category)] += batch.quantity
        found = Counter({(r.region_code, r.day, r.category_id): r.issued
                         for r in session.scalars(select(CodeDay)) if r.issued})
        # Activated codes checked for the first time ("genuine"), at their enterprise's county.
        batches = list(session.execute(select(CodeBatch, Enterprise.region_code, Product.category_id)
                                       .join(Enterprise, Enterprise.id == CodeBatch.enterprise_id)
                                       .join(Product, Product.id == CodeBatch.product_id)))
        first_checks: Counter[tuple[str, dt.date, int]] = Counter()
        for query in session.scalars(select(Query).where(Query.verdict == "genuine", Query.serial.is_not(None))):
            held = [(region, category) for batch, region, category in batches
                    if batch.generation == query.generation and batch.generation > 0
                    and batch.serial_start <= query.serial < batch.serial_start + batch.quantity]
            for region, category in held:
                for node in tree.path(region):
                    first_checks[(node.code, local_date(query.at), category)] += 1
        stored_checks = Counter({(r.region_code, r.day, r.category_id): r.first_queried
                                 for r in session.scalars(select(CodeDay)) if r.first_queried})
    assert found == expected and expected
    assert stored_checks == first_checks and first_checks


def test_running_the_job_again_or_several_at_once_changes_nothing(db: sessionmaker[Session],
                                                                  seeded: dict[str, Any]) -> None:
    before = [stored(db, table) for table in (QueryDay, QueryMonth, CodeDay, TerminalDay)]
    with transaction(db) as session:
        again = rollup(session, actor=ACTOR, since=FIRST - dt.timedelta(days=1))
    assert again.days == seeded["result"].days and again.rows == seeded["result"].rows
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with transaction(db) as session:
                rollup(session, actor=ACTOR, since=FIRST - dt.timedelta(days=1))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [stored(db, table) for table in (QueryDay, QueryMonth, CodeDay, TerminalDay)] == before
    with reading(db) as session:
        assert session.scalar(select(func.max(RolledDay.day))) == TODAY
        actions = list(session.scalars(select(AuditRecord.action).where(AuditRecord.action == "stats:rollup:run")))
    assert len(actions) >= 6


def test_the_cli_runs_the_job_and_refuses_a_backward_period(live: LiveServer, seeded: dict[str, Any]) -> None:
    from tests.conftest import run_cli

    done = run_cli(live.database_url, "stats", "rollup", "--since", str(TODAY))
    assert done.returncode == 0, done.stderr
    assert '"days": 1' in done.stdout
    refused = run_cli(live.database_url, "stats", "rollup", "--since", str(TODAY), "--until", str(FIRST))
    assert refused.returncode == 2 and "起始日期" in refused.stderr and "first day" in refused.stderr


def table(answer: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in answer["tables"] if t["name"] == name)


def visible(agency: Agency, category: int, agencies: dict[int, str]) -> bool:
    if category == 0:
        return agency in (Agency.QUALITY, Agency.MARKET)
    return agencies[category] == agency


def test_a_county_regulator_sees_its_county_and_nothing_else(live: LiveServer, db: sessionmaker[Session],
                                                              seeded: dict[str, Any]) -> None:
    client = live.login("luancheng.quality")
    answer = client.get(f"/api/v1/statistics?{PERIOD}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["region"]["code"] == "130111" and body["children"] == []
    with reading(db) as session:
        agencies = {row.id: row.agency for row in session.execute(select(Category.id, Category.agency))}
    expected = direct_query_counts(db, FIRST, TODAY)
    by_channel = Counter()
    for (code, _day, category, channel, _verdict), n in expected.items():
        if code == "130111" and visible(Agency.QUALITY, category, agencies):
            by_channel[channel] += n
    total = table(body, "queries_by_region")["rows"][0]
    assert total["code"] == "130111"
    assert {channel: total[channel] for channel in by_channel} == dict(by_channel) and sum(by_channel.values())
    assert total["total"] == sum(by_channel.values())
    for elsewhere in ("130102", "130100", "130000", "350102"):
        refused = client.get(f"/api/v1/statistics?region={elsewhere}")
        assert refused.status_code == 404, (elsewhere, refused.text)
        assert client.get(f"/manage/statistics?region={elsewhere}").status_code == 404
        assert client.get(f"/api/v1/statistics.csv?region={elsewhere}&table=queries_by_day").status_code == 404
    assert client.get("/api/v1/statistics?region=13011").status_code == 400


def test_an_agency_sees_the_queries_of_its_categories_only(live: LiveServer, db: sessionmaker[Session],
                                                           seeded: dict[str, Any]) -> None:
    with reading(db) as session:
        agencies = {row.id: row.agency for row in session.execute(select(Category.id, Category.agency))}
    expected = direct_query_counts(db, FIRST, TODAY)
    for user, agency in (("hebei.agri", Agency.AGRICULTURE), ("hebei.quality", Agency.QUALITY)):
        body = live.login(user).get(f"/api/v1/statistics?{PERIOD}").json()
        rows = {row["code"]: row for row in table(body, "queries_by_region")["rows"]}
        for code in ("130000", "130100"):
            want = sum(n for key, n in expected.items() if key[0] == code and visible(agency, key[2], agencies))
            assert rows[code]["total"] == want, (user, code)
        assert "350100" not in rows
    operator = live.login("operator").get(f"/api/v1/statistics?region=350000&{PERIOD}").json()
    assert table(operator, "queries_by_region")["rows"][0]["total"] == sum(
        n for key, n in expected.items() if key[0] == "350000") > 0


def test_the_funnel_per_period_counts_the_stage_dates(live: LiveServer, db: sessionmaker[Session]) -> None:
    since = TODAY - dt.timedelta(days=1000)
    body = live.login("operator").get(f"/api/v1/statistics?region=130000&from={since}").json()
    total = table(body, "enrolment")["rows"][0]
    with reading(db) as session:
        operator = Principal(kind="system", id=0, name="test", role=Role.OPERATOR)
        progress = enrolment_progress(session, principal=operator, region_code="130000")
        hebei = region_tree(session).descendants("130000")
        enterprises = [e for e in session.scalars(select(Enterprise)) if e.region_code in hebei]
    for stage, count in progress["totals"].items():
        assert total[f"{stage}_total"] == count, stage
    assert total["registered_new"] == total["registered_total"] == len(enterprises)
    recent = live.login("operator").get(f"/api/v1/statistics?region=130000&{PERIOD}").json()
    row = table(recent, "enrolment")["rows"][0]
    assert row["signed_new"] == sum(1 for e in enterprises if e.signed_on and FIRST <= e.signed_on <= TODAY)
    assert row["signed_total"] == sum(1 for e in enterprises if e.signed_on and e.signed_on <= TODAY)


def test_a_table_as_csv(live: LiveServer, seeded: dict[str, Any]) -> None:
    client = live.login("sjz.quality")
    answer = client.get(f"/api/v1/statistics.csv?table=queries_by_region&{PERIOD}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    text = answer.content.decode("utf-8")
    assert text.startswith("\ufeff区域,网站,")
    assert "石家庄市（合计）" in text and "长安区" in text
    english = client.get(f"/api/v1/statistics.csv?table=queries_by_region&{PERIOD}&lang=en").content.decode()
    assert english.startswith("\ufeffRegion,web,")
    same = client.get(f"/api/v1/statistics?format=csv&table=queries_by_region&{PERIOD}&lang=en")
    assert same.status_code == 200 and same.headers["content-type"].startswith("text/csv")
    assert same.content.decode() == english  # format=csv answers what .csv answers
    assert client.get(f"/api/v1/statistics?format=json&{PERIOD}").json()["tables"]
    assert client.get("/api/v1/statistics?format=xml").status_code == 400
    assert client.get("/api/v1/statistics?format=csv&table=nope").status_code == 400
    assert live.login("zhenwei").get("/api/v1/statistics?format=csv").status_code == 403
    assert client.get("/api/v1/statistics.csv?table=nope").status_code == 400
    assert client.get("/api/v1/statistics?from=2026-02-30").status_code == 400
    for far in ("from=0001-01-01", "to=0001-01-01", "to=9999-12-31", "from=9999-12-31&to=9999-12-31"):
        answer = client.get(f"/api/v1/statistics?{far}")
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_date", far
    assert client.get(f"/api/v1/statistics?from={TODAY}&to={FIRST}").json()["error"]["code"] == "invalid_period"


def audit_count(db: sessionmaker[Session]) -> int:
    with reading(db) as session:
        return session.scalar(select(func.count()).select_from(AuditRecord)) or 0


def test_targets_set_progress_behind_first_and_bad_input(live: LiveServer, db: sessionmaker[Session]) -> None:
    client = live.login("sjz.quality")
    year = TODAY.year
    for region, signed in (("130102", 1), ("130111", 1000)):
        answer = client.post("/api/v1/targets", json={"year": year, "region_code": region, "signed": signed,
                                                      "signing_rates": {"production_licence": 50}})
        assert answer.status_code == 201, answer.text
    progress = client.get(f"/api/v1/targets?year={year}").json()
    assert progress["region"]["code"] == "130100"
    order = [row["code"] for row in progress["regions"]]
    assert order.index("130111") < order.index("130102")  # 栾城 is further behind its target
    luancheng = next(row for row in progress["regions"] if row["code"] == "130111")
    assert luancheng["behind"] and luancheng["signed"]["target"] == 1000
    assert luancheng["signing_rates"]["production_licence"]["target"] == 50
    assert order[-1] not in ("130102", "130111")  # regions without targets come last

    # Replacing keeps one row, and the audit log has the targets before and after.
    # (a target no test's enterprises reach: the shared demo server gains signed enterprises)
    again = client.post("/api/v1/targets", json={"year": year, "region_code": "130111", "signed": 500})
    assert again.status_code == 201
    with reading(db) as session:
        rows = list(session.scalars(select(Target).where(Target.region_code == "130111", Target.year == year)))
        last = session.scalars(select(AuditRecord).order_by(AuditRecord.id.desc())).first()
    assert len(rows) == 1 and rows[0].signed == 500 and rows[0].signing_rates == {}
    assert last.action == "stats:target:set" and last.before["signed"] == 1000 and last.after["signed"] == 500

    county = live.login("luancheng.quality")  # logging in is audited: before counting
    before = audit_count(db)
    for body in ({"year": year, "region_code": "130111", "signed": -1},
                 {"year": year, "region_code": "130111", "signing_rates": {"production_licence": 101}},
                 {"year": 1999, "region_code": "130111"},
                 {"year": year, "region_code": "130111", "signed": 1, "extra": 1}):
        refused = client.post("/api/v1/targets", json=body)
        assert refused.status_code == 400, (body, refused.text)
    outside = county.post("/api/v1/targets", json={"year": year, "region_code": "130100", "signed": 5})
    assert outside.status_code == 404 and outside.json()["error"]["message_zh"]
    form = county.post("/manage/targets", data={"year": str(year), "region_code": "130100", "signed": "5"})
    assert form.status_code == 404
    bad_form = client.post("/manage/targets", data={"year": str(year), "region_code": "130111",
                                                    "rate_production_licence": "120"})
    assert bad_form.status_code == 400 and "签约率" in bad_form.text
    assert audit_count(db) == before
    with reading(db) as session:
        assert session.scalar(select(Target.signed).where(Target.region_code == "130111", Target.year == year)) == 500
        assert session.scalar(select(func.count()).select_from(Target).where(Target.region_code == "130100")) == 0

    page = client.post("/manage/targets", data={"year": str(year), "region_code": "130100", "signed": "3",
                                                "shown_region": "130100"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/manage/targets?")
    csv = client.get(f"/api/v1/targets.csv?year={year}").content.decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("区域,完成度（%）,签约入网,签约入网目标")
    assert "栾城区" in csv and county.get("/api/v1/targets.csv?region=130100").status_code == 404
    shown = client.get(page.headers["location"])
    assert shown.status_code == 200 and "落后" in shown.text and "栾城区" in shown.text


def test_terminals_online_now_follow_their_heartbeats(live: LiveServer, db: sessionmaker[Session]) -> None:
    from sqlalchemy import update

    from jianguan.terminals.models import Terminal, TerminalStatus

    now = dt.datetime.now(dt.UTC)
    with transaction(db) as session:
        terminals = list(session.scalars(select(Terminal).where(Terminal.region_code == "130111",
                                                                Terminal.status == TerminalStatus.ACTIVE)))
        assert terminals
        session.execute(update(Terminal).where(Terminal.id == terminals[0].id).values(last_heartbeat_at=now))
        for terminal in terminals[1:]:
            session.execute(update(Terminal).where(Terminal.id == terminal.id).values(
                last_heartbeat_at=now - dt.timedelta(hours=1)))
    body = live.login("luancheng.quality").get("/api/v1/statistics").json()
    row = table(body, "terminals_online")["rows"][0]
    assert (row["installed"], row["online"], row["offline"]) == (len(terminals), 1, len(terminals) - 1)
    agri = live.login("luancheng.agri").get("/api/v1/statistics").json()  # terminals are general business
    assert table(agri, "terminals_online")["rows"][0]["installed"] == 0


def test_a_server_runs_the_job_on_its_schedule(databases: Any, tmp_path: Any) -> None:
    import time

    from tests.live import demo_seed, start_server

    url = databases.new_url()
    server = start_server(url, tmp_path, demo_seed(url), JIANGUAN_STATS_ROLLUP_INTERVAL_SECONDS="1")
    engine = make_engine(url)
    sessions = session_factory(engine)
    try:
        deadline = time.monotonic() + 30
        runs: list[str] = []
        while time.monotonic() < deadline and not runs:
            time.sleep(0.5)
            with reading(sessions) as session:
                runs = list(session.scalars(select(AuditRecord.actor).where(
                    AuditRecord.action == "stats:rollup:run", AuditRecord.actor == "system:stats rollup (scheduled)")))
        assert runs, server.log_path.read_text()[-2000:]
        with reading(sessions) as session:
            assert session.scalar(select(func.max(RolledDay.day))) == today()
    finally:
        server.stop()
        engine.dispose()


def test_without_a_period_the_job_catches_up_a_month_a_run(sessions: sessionmaker[Session]) -> None:
    long_ago = TODAY - dt.timedelta(days=40)
    with transaction(sessions) as session:
        session.add(Query(at=beijing(long_ago, 12), channel="web", verdict="unknown", region_code="130111",
                          raw_input="1"))
    with transaction(sessions) as session:
        first = rollup(session, actor=ACTOR)
    assert (first.first_day, first.last_day, first.days) == (long_ago, long_ago + dt.timedelta(days=30), 31)
    with transaction(sessions) as session:
        second = rollup(session, actor=ACTOR)
    assert (second.first_day, second.last_day) == (long_ago + dt.timedelta(days=30), TODAY)
    with reading(sessions) as session:
        assert session.scalar(select(func.sum(QueryDay.queries)).where(QueryDay.region_code == "130000")) == 1
