"""The roll-up job: whole Beijing days of the statistics tables, recomputed from their sources.

``rollup(session, actor=..., since=..., until=...)`` deletes the rows of each day in the range
and writes them again from the query log, the batches, the activations and the terminals, so
running it twice, or on two machines at once, leaves the same rows (on PostgreSQL the runs take
one transaction-scoped advisory lock in turn; SQLite serialises writers already). A day's
county rows are added up to every city and province above them through the region tree
(``RegionTree.roll_up``), and the result is stored with them: a dashboard then reads one
region's rows, never the query log and never the rows under it.

Without ``since`` the job starts at the last day it rolled (that day may have been partial), or
at the first day any source has a row; ``until`` defaults to today (Beijing), whose rows are
partial until the next run. Given neither, a run recomputes at most 31 days, so a network with
years of log not yet rolled up catches up a month a run.

Codes an enterprise registered of another scheme (batches of generation 0, ``schemes/``) were
not issued by the network: they count in no issued, activated or first-queried figure. Their
queries count as every query does.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Date, and_, case, delete, func, insert, literal, or_, select, text
from sqlalchemy.orm import Session

from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.codes.models import Activation, CodeBatch
from jianguan.enterprises.models import Enterprise, Product
from jianguan.errors import ValidationFailed
from jianguan.merchants.models import Merchant
from jianguan.regions.tree import RegionTree, region_tree
from jianguan.stats.models import (
    NO_CATEGORY,
    NO_REGION,
    CodeDay,
    ProductDay,
    QueryDay,
    QueryMonth,
    RolledDay,
    RolledMonth,
    TerminalDay,
)
from jianguan.storage.base import utcnow
from jianguan.terminals.models import Terminal
from jianguan.timezone import LOCAL_ZONE, today
from jianguan.verify.models import Query
from jianguan.verify.verdict import Verdict

_ADVISORY_LOCK_KEY = 0x4A47_5354  # "JGST"
# How many days one run may recompute: a mistyped --since (year 1) must not start a job of centuries.
MAX_DAYS = 3 * 366
# Days a run recomputes at most when neither end is given: a network that never rolled its log
# up catches up a month a run (each run one transaction), and the next run goes on from there.
CATCH_UP_DAYS = 31
_INSERT_CHUNK = 5_000

Key = tuple[Any, ...]


# The days statistics can be asked for: the network's records start after 2000, and a date far
# from them (year 1, year 9999) is a typing error, not a period to compute (nor to overflow on).
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


def check_day(day: dt.date, english: str, chinese: str) -> dt.date:
    """``day`` if it lies between 2000 and 2100; ValidationFailed otherwise."""
    if not EARLIEST <= day <= LATEST:
        raise ValidationFailed(f"The {english} must lie between {EARLIEST} and {LATEST}.",
                               f"{chinese}应在 {EARLIEST} 至 {LATEST} 之间。", code="invalid_date")
    return day


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants a Beijing day starts and ends at (``[start, end)``)."""
    start = dt.datetime.combine(day, dt.time(), LOCAL_ZONE)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), LOCAL_ZONE)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def roll_up_rows(tree: RegionTree, rows: Iterable[tuple[str | None, Key, Mapping[str, int]]]) -> dict[tuple[str, Key],
                                                                                                   Counter[str]]:
    """Rows of ``(region, key, figures)`` (a county's, usually) added up to every division above
    them: for each region with anything under it and each key, the sums of the figures.

    A row of a region the tree does not know (none, or a code no longer in force) is kept as it is,
    under its own code (``NO_REGION`` for none), and adds to nothing above it.
    """
    per_key: dict[Key, dict[str, Counter[str]]] = {}
    kept: dict[tuple[str, Key], Counter[str]] = {}
    for region, key, figures in rows:
        code = region or NO_REGION
        if code not in tree:
            kept.setdefault((code, key), Counter()).update(figures)
            continue
        by_figure = per_key.setdefault(key, {})
        for figure, value in figures.items():
            by_figure.setdefault(figure, Counter())[code] += value
    result: dict[tuple[str, Key], Counter[str]] = dict(kept)
    for key, by_figure in per_key.items():
        for figure, counts in by_figure.items():
            for code, total in tree.roll_up(counts).items():
                result.setdefault((code, key), Counter())[figure] += total
    return result


class BatchIndex:
    """Which batch a code is of, and so its category (the product's) and county (the enterprise's),
    from the batches held in memory: per key generation, the batches' first serials in order,
    found by bisection. Batches number in the thousands, queries of a day in the hundreds of
    thousands: one look-up in memory a query is far cheaper than a correlated index search a row
    in the database."""

    def __init__(self, batches: Iterable[tuple[int, int, int, int, str]]) -> None:
        by_generation: dict[int, list[tuple[int, int, int, str]]] = {}
        for generation, serial_start, quantity, category, region in batches:
            by_generation.setdefault(generation, []).append((serial_start, serial_start + quantity, category, region))
        self._starts: dict[int, list[int]] = {}
        self._runs: dict[int, list[tuple[int, int, int, str]]] = {}
        for generation, runs in by_generation.items():
            runs.sort()
            self._starts[generation] = [run[0] for run in runs]
            self._runs[generation] = runs

    @classmethod
    def load(cls, session: Session) -> BatchIndex:
        return cls(session.execute(
            select(CodeBatch.generation, CodeBatch.serial_start, CodeBatch.quantity, Product.category_id,
                   Enterprise.region_code)
            .join(Product, Product.id == CodeBatch.product_id)
            .join(Enterprise, Enterprise.id == CodeBatch.enterprise_id)))

    def locate(self, generation: int | None, serial: int | None) -> tuple[int, str] | None:
        """The category and county of the code's batch; None for input that named no code or a code
        no batch holds."""
        if generation is None or serial is None:
            return None
        starts = self._starts.get(generation)
        if not starts:
            return None
        index = bisect_right(starts, serial) - 1
        if index < 0:
            return None
        _start, end, category, region = self._runs[generation][index]
        return (category, region) if serial < end else None

    def category(self, generation: int | None, serial: int | None) -> int:
        """The category of the code, or ``NO_CATEGORY`` for input that named no code or a code no batch holds."""
        found = self.locate(generation, serial)
        return found[0] if found is not None else NO_CATEGORY


def _query_rows(session: Session, start: dt.datetime, end: dt.datetime,
                batches: BatchIndex) -> Iterator[tuple[str | None, Key, dict[str, int]]]:
    # Repeated checks of one code in one place, channel and verdict come grouped from the database.
    statement = (select(Query.region_code, Query.channel, Query.verdict, Query.generation, Query.serial, func.count())
                 .where(Query.at >= start, Query.at < end)
                 .group_by(Query.region_code, Query.channel, Query.verdict, Query.generation, Query.serial))
    counts: Counter[tuple[str | None, int, str, str]] = Counter()
    category = batches.category
    for region, channel, verdict, generation, serial, count in session.execute(
            statement.execution_options(yield_per=_INSERT_CHUNK)):
        counts[(region, category(generation, serial), channel, verdict)] += count
    for (region, category_id, asked_on, verdict), count in counts.items():
        yield region, (category_id, asked_on, verdict), {"queries": count}


def _code_rows(session: Session, start: dt.datetime, end: dt.datetime,
               batches: BatchIndex) -> Iterator[tuple[str | None, Key, dict[str, int]]]:
    issued = (select(Enterprise.region_code, Product.category_id, func.sum(CodeBatch.quantity))
              .join(Enterprise, Enterprise.id == CodeBatch.enterprise_id)
              .join(Product, Product.id == CodeBatch.product_id)
              .where(CodeBatch.issued_at >= start, CodeBatch.issued_at < end,
                     CodeBatch.generation > 0)  # registered codes (generation 0) were not issued here
              .group_by(Enterprise.region_code, Product.category_id))
    for region, category, quantity in session.execute(issued):
        yield region, (category,), {"issued": int(quantity or 0), "activated": 0, "first_queried": 0}
    activated = (select(Enterprise.region_code, Product.category_id,
                        func.sum(Activation.serial_end - Activation.serial_start))
                 .join(CodeBatch, CodeBatch.id == Activation.batch_id)
                 .join(Enterprise, Enterprise.id == CodeBatch.enterprise_id)
                 .join(Product, Product.id == CodeBatch.product_id)
                 .where(Activation.activated_at >= start, Activation.activated_at < end,
                        Activation.withdrawn_at.is_(None), CodeBatch.generation > 0)
                 .group_by(Enterprise.region_code, Product.category_id))
    for region, category, quantity in session.execute(activated):
        yield region, (category,), {"issued": 0, "activated": int(quantity or 0), "first_queried": 0}
    # The first check of an activated code is answered "genuine, first check": counted at the code's
    # enterprise and category, these say how many activated codes were ever verified.
    first_checks: Counter[tuple[str, int]] = Counter()
    for generation, serial, count in session.execute(
            select(Query.generation, Query.serial, func.count())
            .where(Query.at >= start, Query.at < end, Query.verdict == Verdict.GENUINE.value)
            .group_by(Query.generation, Query.serial)):
        found = batches.locate(generation, serial) if generation else None  # not registered codes (0)
        if found is not None:
            first_checks[(found[1], found[0])] += count
    for (region, category), count in first_checks.items():
        yield region, (category,), {"issued": 0, "activated": 0, "first_queried": count}


def _product_rows(session: Session, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """Codes issued and activated in ``[start, end)`` per product (activations withdrawn since not
    counted, as in ``_code_rows``)."""
    figures: dict[int, dict[str, int]] = {}
    issued = (select(CodeBatch.product_id, func.sum(CodeBatch.quantity))
              .where(CodeBatch.issued_at >= start, CodeBatch.issued_at < end,
                     CodeBatch.generation > 0)  # registered codes (generation 0) were not issued here
              .group_by(CodeBatch.product_id))
    for product, quantity in session.execute(issued):
        figures.setdefault(product, {"issued": 0, "activated": 0})["issued"] += int(quantity or 0)
    activated = (select(CodeBatch.product_id, func.sum(Activation.serial_end - Activation.serial_start))
                 .join(CodeBatch, CodeBatch.id == Activation.batch_id)
                 .where(Activation.activated_at >= start, Activation.activated_at < end,
                        Activation.withdrawn_at.is_(None), CodeBatch.generation > 0)
                 .group_by(CodeBatch.product_id))
    for product, quantity in session.execute(activated):
        figures.setdefault(product, {"issued": 0, "activated": 0})["activated"] += int(quantity or 0)
    return [{"product_id": product, **counts} for product, counts in figures.items()]


def _terminal_rows(session: Session, start: dt.datetime, end: dt.datetime) -> Iterator[tuple[str | None, Key,
                                                                                              dict[str, int]]]:
    installed = and_(Terminal.registered_at < end, or_(Terminal.retired_at.is_(None), Terminal.retired_at >= end))
    added = and_(Terminal.registered_at >= start, Terminal.registered_at < end)
    retired = and_(Terminal.retired_at >= start, Terminal.retired_at < end)

    def counted(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    statement = (select(Terminal.region_code, Merchant.kind, counted(installed), counted(added), counted(retired))
                 .join(Merchant, Merchant.id == Terminal.merchant_id)
                 .where(Terminal.registered_at < end)
                 .group_by(Terminal.region_code, Merchant.kind))
    for region, kind, n_installed, n_added, n_retired in session.execute(statement):
        yield region, (str(kind),), {"installed": int(n_installed or 0), "added": int(n_added or 0),
                                     "retired": int(n_retired or 0)}


def _insert(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    # A Core insert of the table: the ORM's bulk path spent most of a day's run preparing rows.
    for start in range(0, len(rows), _INSERT_CHUNK):
        session.execute(insert(table.__table__), rows[start:start + _INSERT_CHUNK])


def rollup_day(session: Session, day: dt.date, tree: RegionTree | None = None, batches: BatchIndex | None = None) -> int:
    """Recompute the statistics rows of one Beijing ``day``; returns how many rows it wrote."""
    tree = tree or region_tree(session)
    index = batches or BatchIndex.load(session)
    start, end = day_bounds(day)
    written = 0
    sources: tuple[tuple[Any, Iterable[tuple[str | None, Key, Mapping[str, int]]], tuple[str, ...]], ...] = (
        (QueryDay, _query_rows(session, start, end, index), ("category_id", "channel", "verdict")),
        (CodeDay, _code_rows(session, start, end, index), ("category_id",)),
        (TerminalDay, _terminal_rows(session, start, end), ("venue_kind",)),
    )
    for table, source, key_names in sources:
        session.execute(delete(table).where(table.day == day))
        rolled = roll_up_rows(tree, source)
        rows = [{"region_code": code, "day": day, **dict(zip(key_names, key, strict=True)), **figures}
                for (code, key), figures in rolled.items()]
        _insert(session, table, rows)
        written += len(rows)
    session.execute(delete(ProductDay).where(ProductDay.day == day))
    products = [{"day": day, **row} for row in _product_rows(session, start, end)]
    _insert(session, ProductDay, products)
    written += len(products)
    existing = session.get(RolledDay, day)
    if existing is None:
        session.add(RolledDay(day=day, rolled_at=utcnow()))
    else:
        existing.rolled_at = utcnow()
    session.flush()
    return written


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def split_period(first: dt.date, last: dt.date,
                 rolled: Collection[dt.date]) -> tuple[list[dt.date], list[tuple[dt.date, dt.date]]]:
    """``[first, last]`` as the whole calendar months inside it that are in ``rolled`` (their first
    days) and the runs of days between and around them (``(first, last)`` pairs)."""
    months: list[dt.date] = []
    runs: list[tuple[dt.date, dt.date]] = []
    day = first
    one = dt.timedelta(days=1)
    while day <= last:
        month_end = next_month(day) - one
        end = min(month_end, last)
        if day.day == 1 and end == month_end and day in rolled:
            months.append(day)
        elif runs and runs[-1][1] == day - one:
            runs[-1] = (runs[-1][0], end)
        else:
            runs.append((day, end))
        day = end + one
    return months, runs


def rollup_month(session: Session, month: dt.date) -> int:
    """Recompute the monthly query rows of ``month`` (a month that is over) from its days' rows, in
    one statement, and list it as rolled; the rows written."""
    first = month_start(month)
    rolled = session.get(RolledMonth, first)
    if rolled is None:
        session.add(RolledMonth(month=first, rolled_at=utcnow()))
    else:
        rolled.rolled_at = utcnow()
    session.execute(delete(QueryMonth).where(QueryMonth.month == first))
    grouped = (select(QueryDay.region_code, literal(first, Date()), QueryDay.category_id, QueryDay.channel,
                      QueryDay.verdict, func.sum(QueryDay.queries))
               .where(QueryDay.day >= first, QueryDay.day < next_month(first))
               .group_by(QueryDay.region_code, QueryDay.category_id, QueryDay.channel, QueryDay.verdict))
    session.execute(insert(QueryMonth).from_select(
        ["region_code", "month", "category_id", "channel", "verdict", "queries"], grouped))
    return session.scalar(select(func.count()).select_from(QueryMonth).where(QueryMonth.month == first)) or 0


def _months_to_roll(session: Session, since: dt.date, until: dt.date) -> list[dt.date]:
    """The months that are over among those the run recomputed days of, and any month over with
    rolled days that was never added up (a run that started after its last day)."""
    current = month_start(today())
    touched = {month_start(since + dt.timedelta(days=offset)) for offset in range((until - since).days + 1)}
    done = set(session.scalars(select(RolledMonth.month)))
    with_days = {month_start(day) for day in session.scalars(select(RolledDay.day))}
    return sorted(month for month in touched | (with_days - done) if month < current)


def _first_source_day(session: Session) -> dt.date | None:
    firsts = [session.scalar(select(func.min(column))) for column in
              (Query.at, CodeBatch.issued_at, Activation.activated_at, Terminal.registered_at)]
    found = [moment for moment in firsts if moment is not None]
    if not found:
        return None
    earliest = min(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC) for moment in found)
    return earliest.astimezone(LOCAL_ZONE).date()


@dataclass(frozen=True)
class RollupResult:
    """What a run recomputed: the first and last day (None when there was nothing) and the rows written."""

    first_day: dt.date | None
    last_day: dt.date | None
    days: int
    rows: int


def rollup(session: Session, *, actor: Actor, since: dt.date | None = None,
           until: dt.date | None = None) -> RollupResult:
    """Recompute whole days ``[since, until]`` of the statistics (see the module doc)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
    chosen = until is not None
    until = check_day(until or today(), "last day", "结束日期")
    if since is not None:
        check_day(since, "first day", "起始日期")
    if since is None:
        since = session.scalar(select(func.max(RolledDay.day))) or _first_source_day(session)
        if since is None:
            return RollupResult(None, None, 0, 0)
        if not chosen:  # catching up: a month a run, so that a scheduled run stays short
            until = min(until, since + dt.timedelta(days=CATCH_UP_DAYS - 1))
    if since > until:
        raise ValidationFailed(f"The first day ({since}) is after the last ({until}).",
                               f"起始日期（{since}）晚于结束日期（{until}）。", code="invalid_period")
    days = (until - since).days + 1
    if days > MAX_DAYS:
        raise ValidationFailed(f"One run recomputes at most {MAX_DAYS} days; {since} to {until} is {days}.",
                               f"一次最多重算 {MAX_DAYS} 天；{since} 至 {until} 共 {days} 天。", code="period_too_long")
    tree, batches = region_tree(session), BatchIndex.load(session)
    rows = sum(rollup_day(session, since + dt.timedelta(days=offset), tree, batches) for offset in range(days))
    rows += sum(rollup_month(session, month) for month in _months_to_roll(session, since, until))
    record(session, actor=actor, action=AuditAction.STATS_ROLLUP_RUN, target_type="stats",
           target_id=f"{since}..{until}", after={"since": since, "until": until, "days": days, "rows": rows})
    return RollupResult(since, until, days, rows)
