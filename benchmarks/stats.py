"""Statistics: a province's dashboard read from the roll-ups of 10^8 logged queries, and the job.

Run: .venv/bin/python -m benchmarks.stats [--queries 100000000] [--days 365] [--log 200000]
     [--databases sqlite postgresql]

Each database gets:

- the roll-up rows that ``--queries`` verifications in 河北 over ``--days`` days give: a row for
  every county x category x channel x verdict x day (about 170 counties, 5 categories, 4
  channels, 3 verdicts; the counts drawn at random around the mean, adding up to ``--queries``
  exactly), with the city and province rows the job adds above them. They are inserted directly,
  as the job would have written them day after day, and the job's own monthly step adds up the
  months;
- ``read``: the statistics of 河北省 as a province quality regulator asks for them
  (``stats.figures.statistics``: every table, its children's rows, the enrolment funnel), for the
  last 30 days and for the whole year, the median of 5 runs each after one warm-up;
- ``job``: a real query log of ``--log`` verifications today (codes of 20 batches of 5
  categories, 10 % of them of no batch, in random counties of 河北), and the roll-up job
  recomputing today (what the scheduled run does every ten minutes), in queries/s; then the
  same figures (queries by county and channel) counted from the log directly, as a page would
  have to without the roll-ups, in ms; and the monthly step adding up last month, once a month.

It prints the times and the ratios measured in the run; it asserts nothing about time.

Measured on the development machine (2 cores, load average about 1), 10^8 queries as 4,048,980
roll-up rows: the province's dashboard in 39 ms (last 30 days) and 70 ms (a year) on SQLite,
58 ms and 106 ms on PostgreSQL; the job over a day of 200,000 logged queries in 2.7 s on SQLite
(73,000 queries/s) and 1.7 s on PostgreSQL (115,000/s); one day counted from the log took 21x
the same day read from the roll-ups on SQLite. With the machine loaded (load average 2 to 5)
PostgreSQL took 128 ms and 193 ms; before the scope's region was decided once for the
dashboard's anchor and the day index held the region, 219 ms and 297 ms on that loaded machine (it read every region's rows of the span
by the day index, and sent the province's two hundred codes with every statement).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics as stats_module
import time
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session
from tests.functional.registry_data import make_enterprise, make_product, regulator

from benchmarks.databases import DATABASES
from jianguan.audit.services import Actor
from jianguan.catalogue.models import Agency, Category
from jianguan.codes.models import CodeBatch, CodeKey, CodeRequest
from jianguan.regions.tree import region_tree
from jianguan.stats.figures import statistics
from jianguan.stats.models import RolledDay
from jianguan.stats.rollup import day_bounds, rollup, rollup_month
from jianguan.storage import make_engine, session_factory, transaction
from jianguan.timezone import today
from jianguan.trace.bulk import insert_rows
from jianguan.verify.models import Query

PROVINCE = "130000"
CHANNELS = ("web", "sms", "terminal", "phone")
VERDICTS = ("genuine", "queried_before", "unknown")
CATEGORY_CODES = 5
ROWS_A_STATEMENT = 50_000


def _counties(session: Session) -> list[str]:
    tree = region_tree(session)
    return sorted(code for code in tree.descendants(PROVINCE) if tree.is_leaf(code))


def _insert(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    if session.get_bind().dialect.name == "postgresql":
        insert_rows(session, table.__table__, rows)
    else:
        session.execute(insert(table), rows)


def _insert_tuples(session: Session, rows: list[tuple[Any, ...]]) -> None:
    """Roll-up rows (region, day, category, channel, verdict, queries) on the driver: COPY on
    PostgreSQL, executemany on SQLite (millions of rows; the ORM would take longer than the job)."""
    connection = session.connection().connection.driver_connection
    columns = "region_code, day, category_id, channel, verdict, queries"
    if session.get_bind().dialect.name == "postgresql":
        with connection.cursor() as cursor, cursor.copy(f"COPY stats_query_days ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        connection.executemany(f"INSERT INTO stats_query_days ({columns}) VALUES (?, ?, ?, ?, ?, ?)",  # noqa: S608 - fixed names
                               rows)


def load_rollups(sessions: Any, queries: int, days: int) -> tuple[int, float]:
    """Insert the roll-up rows of ``queries`` verifications over ``days`` days, and the monthly rows
    the job adds up from them; the rows and seconds."""
    with transaction(sessions) as session:
        tree = region_tree(session)
        counties = _counties(session)
        categories = list(session.scalars(select(Category.id).order_by(Category.id)))[:CATEGORY_CODES]
        # Each county's row is added to every division above it, as the job does.
        uppers = sorted({node.code for code in counties for node in tree.ancestors(code)})
        position = {code: index for index, code in enumerate(uppers)}
        pairs = [(index, position[node.code]) for index, code in enumerate(counties) for node in tree.ancestors(code)]
    county_of, upper_of = (np.array(column) for column in zip(*pairs, strict=True))
    last = today()
    shape = (len(counties), len(categories), len(CHANNELS), len(VERDICTS))
    per_day = int(np.prod(shape))
    generator = np.random.default_rng(20261201)
    totals = generator.multinomial(queries, np.full(days, 1.0 / days))
    started = time.perf_counter()
    written = 0
    for offset in range(days):
        day = last - dt.timedelta(days=offset)
        counts = generator.multinomial(int(totals[offset]), np.full(per_day, 1.0 / per_day)).reshape(shape)
        above = np.zeros((len(uppers), *shape[1:]), dtype=np.int64)
        np.add.at(above, upper_of, counts[county_of])
        rows: list[tuple[Any, ...]] = []
        for codes, table in ((counties, counts), (uppers, above)):
            for where in zip(*np.nonzero(table), strict=True):
                region, category, channel, verdict = (int(i) for i in where)
                rows.append((codes[region], day.isoformat(), categories[category], CHANNELS[channel],
                             VERDICTS[verdict], int(table[where])))
        with transaction(sessions) as session:
            _insert_tuples(session, rows)
            session.add(RolledDay(day=day))
        written += len(rows)
    with transaction(sessions) as session:
        months = sorted({(last - dt.timedelta(days=offset)).replace(day=1) for offset in range(days)})
        written += sum(rollup_month(session, month) for month in months if month < last.replace(day=1))
    with sessions() as session:  # as the autovacuum daemon (or a scheduled ANALYZE) keeps statistics of a table
        session.execute(text("ANALYZE"))
        session.commit()
    return written, time.perf_counter() - started


def time_reads(sessions: Any, first: dt.date, last: dt.date, runs: int = 5) -> float:
    """The median milliseconds of the province's statistics for ``[first, last]``."""
    with transaction(sessions) as session:
        principal = regulator(session, PROVINCE, Agency.QUALITY)
    times = []
    for run in range(runs + 1):
        with sessions() as session:
            started = time.perf_counter()
            found = statistics(session, principal=principal, region_code=PROVINCE, first=first, last=last)
            elapsed = time.perf_counter() - started
        if run:
            times.append(elapsed * 1000)
    assert found["tables"]["queries_by_region"].rows[0]["total"] > 0
    return stats_module.median(times)


def load_log(sessions: Any, size: int, day: dt.date) -> None:
    """A real query log of ``size`` verifications on ``day``, of codes of 20 batches of 5 categories."""
    with transaction(sessions) as session:
        counties = _counties(session)
        categories = list(session.scalars(select(Category.id).order_by(Category.id)))[:CATEGORY_CODES]
        session.add(CodeKey(generation=1, wrapped_key=b"benchmark"))
        session.flush()
        batches = []
        for index in range(20):
            enterprise = make_enterprise(session, region_code=counties[index % len(counties)],
                                         category_id=categories[index % len(categories)])
            product = make_product(session, enterprise.id)
            product.category_id = categories[index % len(categories)]
            request = CodeRequest(enterprise_id=enterprise.id, product_id=product.id, packaging_level="item",
                                  quantity=1_000_000, status="issued", requested_by="benchmark")
            session.add(request)
            session.flush()
            batch = CodeBatch(request_id=request.id, enterprise_id=enterprise.id, product_id=product.id,
                              packaging_level="item", generation=1, serial_start=index * 2_000_000,
                              quantity=1_000_000)
            session.add(batch)
            batches.append(batch)
        session.flush()
        starts = [batch.serial_start for batch in batches]
    start, _end = day_bounds(day)
    pick = random.Random(7)
    rows = []
    for index in range(size):
        serial = pick.choice(starts) + pick.randrange(1_000_000 if index % 10 else 2_000_000)
        rows.append({"at": start + dt.timedelta(seconds=pick.randrange(86_400)), "channel": pick.choice(CHANNELS),
                     "generation": 1, "serial": serial, "raw_input": None, "verdict": pick.choice(VERDICTS),
                     "region_code": pick.choice(counties), "terminal_id": None, "caller_hash": None,
                     "source_hash": None})
    with transaction(sessions) as session:
        for first in range(0, len(rows), ROWS_A_STATEMENT):
            _insert(session, Query, rows[first:first + ROWS_A_STATEMENT])


def time_job(sessions: Any, day: dt.date) -> float:
    started = time.perf_counter()
    with transaction(sessions) as session:
        rollup(session, actor=Actor.system("benchmark"), since=day, until=day)
    return time.perf_counter() - started


def time_scan(sessions: Any, day: dt.date) -> float:
    """Milliseconds to count the day's queries by county and channel from the log itself."""
    start, end = day_bounds(day)
    with sessions() as session:
        started = time.perf_counter()
        list(session.execute(select(Query.region_code, Query.channel, func.count())
                             .where(Query.at >= start, Query.at < end).group_by(Query.region_code, Query.channel)))
        return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=100_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--log", type=int, default=200_000)
    parser.add_argument("--databases", nargs="+", default=list(DATABASES), choices=list(DATABASES))
    options = parser.parse_args()
    last = today()
    for name in options.databases:
        with DATABASES[name]() as url:
            engine = make_engine(url)
            sessions = session_factory(engine)
            rows, loading = load_rollups(sessions, options.queries, options.days)
            month = time_reads(sessions, last - dt.timedelta(days=29), last)
            year = time_reads(sessions, last - dt.timedelta(days=options.days - 1), last)
            print(f"{name}: {options.queries:,} queries as {rows:,} roll-up rows ({loading:.0f} s to load); "
                  f"province dashboard: last 30 days {month:.1f} ms, last {options.days} days {year:.1f} ms")
            # Today's loaded rows give way to those the job computes from a real log of today.
            load_log(sessions, options.log, last)
            seconds = time_job(sessions, last)
            scan = time_scan(sessions, last)
            day_read = time_reads(sessions, last, last)
            print(f"{name}: job over a day of {options.log:,} logged queries {seconds * 1000:.0f} ms "
                  f"({options.log / seconds:,.0f} queries/s); one day counted from the log {scan:.1f} ms, "
                  f"the same day's dashboard from the roll-ups {day_read:.1f} ms "
                  f"(scan/roll-up {scan / day_read:.1f}x)")
            month = (last.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
            started = time.perf_counter()
            with transaction(sessions) as session:
                added = rollup_month(session, month)
            print(f"{name}: adding up a month that is over ({month:%Y-%m}, {added:,} monthly rows from its days) "
                  f"{(time.perf_counter() - started) * 1000:.0f} ms, once a month")
            engine.dispose()


if __name__ == "__main__":
    main()
