"""The statistics of a region and period: the tables a regulator's statistics page and the API show.

Queries, codes and terminals are read from the roll-up tables (``stats.rollup``): one region's
rows and its children's, never the query log. The enrolment funnel is counted from the
enterprises' stage dates (one row an enterprise, a few thousand a province), with the scope
rule's own condition, so it agrees with the enterprise lists to the last one. Every read is
limited by ``jurisdiction.scope_condition``; a region outside the caller's is NotFound.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, func, literal, select
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.applications.models import Application
from jianguan.catalogue.models import Category
from jianguan.enterprises.models import EnrolmentStage, Enterprise
from jianguan.errors import NotFound, PermissionDenied, ValidationFailed
from jianguan.jurisdiction import covers_region, scope_condition
from jianguan.merchants.models import MerchantKind
from jianguan.regions.tree import RegionNode, RegionTree, region_tree
from jianguan.stats.models import (
    NO_CATEGORY,
    CodeDay,
    QueryDay,
    QueryMonth,
    RolledDay,
    RolledMonth,
    TerminalDay,
)
from jianguan.stats.rollup import check_day, day_bounds, month_start, split_period
from jianguan.storage.base import utcnow
from jianguan.terminals.models import Terminal, TerminalStatus
from jianguan.timezone import today
from jianguan.verify.models import Channel
from jianguan.verify.verdict import Verdict

# A period shown at once: three years of days (a table of queries per day stays readable).
MAX_PERIOD_DAYS = 3 * 366
DEFAULT_PERIOD_DAYS = 30
STAGES = (EnrolmentStage.REGISTERED, EnrolmentStage.SIGNED, EnrolmentStage.CREDENTIALS_ISSUED,
          EnrolmentStage.CODES_ISSUED, EnrolmentStage.ACTIVATED)
_STAGE_DATES = {EnrolmentStage.SIGNED: Enterprise.signed_on,
                EnrolmentStage.CREDENTIALS_ISSUED: Enterprise.credentials_issued_on,
                EnrolmentStage.CODES_ISSUED: Enterprise.codes_issued_on,
                EnrolmentStage.ACTIVATED: Enterprise.activated_on}
TOTAL = ("合计", "Total")

Cell = str | int | tuple[str, str]


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    numeric: bool = True


@dataclass
class Table:
    """One table of figures: its name (for the CSV link), title, columns and rows (a cell is a number,
    a text, or a (Chinese, English) pair)."""

    name: str
    title_zh: str
    title_en: str
    columns: list[Column]
    rows: list[dict[str, Cell]] = field(default_factory=list)
    drill: bool = False  # whether the first column names regions one may drill into

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title_en, "title_zh": self.title_zh,
                "columns": [{"key": c.key, "title": c.en, "title_zh": c.zh} for c in self.columns],
                "rows": [{key: _plain(value, "en") for key, value in row.items()} for row in self.rows]}

    def csv(self, lang: str) -> str:
        """The table as CSV (with a BOM, so that spreadsheet programs read the Chinese), headed in ``lang``."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([c.en if lang == "en" else c.zh for c in self.columns])
        for row in self.rows:
            writer.writerow([_plain(row.get(c.key, ""), lang) for c in self.columns])
        return "\ufeff" + out.getvalue()


def _plain(value: Cell, lang: str) -> str | int:
    if isinstance(value, tuple):
        return value[1] if lang == "en" else value[0]
    return value


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def period(first: dt.date | None, last: dt.date | None) -> Period:
    """The period from ``first`` to ``last`` (Beijing days, both included): by default the last 30 days
    up to today; ValidationFailed when it runs backwards, is longer than three years or lies
    outside 2000-2100."""
    if first is not None:
        check_day(first, "first day", "起始日期")
    if last is not None:
        check_day(last, "last day", "结束日期")
    last = last or today()
    first = first or last - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    if first > last:
        raise ValidationFailed(f"The period starts ({first}) after it ends ({last}).",
                               f"起始日期（{first}）晚于结束日期（{last}）。", code="invalid_period")
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise ValidationFailed(f"A period is at most {MAX_PERIOD_DAYS} days.", f"统计期最长 {MAX_PERIOD_DAYS} 天。",
                               code="period_too_long")
    return Period(first, last)


def parse_day(value: str | None, english: str, chinese: str) -> dt.date | None:
    """A YYYY-MM-DD day from a query string (None when empty); ValidationFailed naming the field otherwise."""
    if value is None or not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(f"The {english} must be a date, YYYY-MM-DD; got {value!r}.",
                               f"{chinese}应为日期（YYYY-MM-DD），收到 {value!r}。", code="invalid_date") from None


@dataclass(frozen=True)
class Place:
    """The region a statistics read is about (None: the whole country, for the operator), the
    regions directly under it the caller may see, and the way down to it."""

    region: RegionNode | None
    children: tuple[RegionNode, ...]
    path: tuple[RegionNode, ...]

    @property
    def own_codes(self) -> list[str]:
        """The codes whose rows add up to the region's figures: its own, or the provinces' for the country."""
        return [self.region.code] if self.region is not None else [child.code for child in self.children]

    @property
    def name(self) -> tuple[str, str]:
        return (self.region.name, self.region.name) if self.region is not None else ("全国", "China")


def place(session: Session, principal: Principal, region_code: str | None) -> Place:
    """The region a regulator or the operator asked for (by default the regulator's own; the whole
    country for the operator); NotFound outside the caller's scope."""
    if principal.role not in (Role.OPERATOR, Role.REGULATOR):
        raise PermissionDenied("Statistics are for the operator and regulators.", "统计数据仅供运营中心和监管部门查看。")
    tree = region_tree(session)
    code = (region_code or "").strip() or principal.region_code
    if not code:
        if principal.role is not Role.OPERATOR:
            raise NotFound("You have no region.", "您没有管辖区域。", code="unknown_region")
        return Place(None, tree.provinces(), ())
    region = tree.require(code)
    if not covers_region(principal, region.code):
        raise NotFound(f"No region has the code {region.code} in your area.",
                       f"您的管辖范围内没有代码为 {region.code} 的行政区划。", code="unknown_region")
    path = tuple(node for node in tree.path(region.code) if covers_region(principal, node.code))
    children = tuple(child for child in tree.children(region.code) if covers_region(principal, child.code))
    return Place(region, children, path)


def _scope(principal: Principal, anchor: str, table: Any | None = None) -> ColumnElement[bool]:
    """The scope rule for roll-up rows of regions at or under ``anchor``, a region in the caller's
    scope (``place`` checked it, and the rows read are of it and of its children): the rule's
    region axis is evaluated on ``anchor``, once, as a constant, and its category axis on each row
    (``table``'s category; none for a table without). On each row against every code of a
    province's scope, the region test kept PostgreSQL from the primary key's index."""
    category = func.nullif(table.category_id, NO_CATEGORY) if table is not None else None
    return scope_condition(principal, region=literal(anchor, String(6)), category=category)


def _anchor(place: Place) -> str:
    return place.region.code if place.region is not None else ""


def _region_column() -> Column:
    return Column("region", "区域", "Region", numeric=False)


def region_rows(place: Place, figures: dict[str, Counter[str]], keys: Sequence[str]) -> list[dict[str, Cell]]:
    """A row for the region (its total) and one for each region under it."""
    def row(label: Cell, codes: Sequence[str], code: str = "") -> dict[str, Cell]:
        return {"region": label, "code": code, **{key: sum(figures[key][c] for c in codes) for key in keys}}
    total = row((f"{place.name[0]}（合计）", f"{place.name[1]} (total)"), place.own_codes,
                place.region.code if place.region else "")
    return [total, *(row(child.name, [child.code], child.code) for child in place.children)]


def funnel_counts(session: Session, principal: Principal, tree: RegionTree, codes: Collection[str] | None,
                  span: Period) -> dict[str, Counter[str]]:
    """Enterprises in scope per region (rolled up through the tree): for each stage, ``<stage>_new``
    (reached in the period) and ``<stage>_total`` (reached by its end)."""
    start, end = day_bounds(span.first)[0], day_bounds(span.last)[1]
    measures: list[Any] = [
        func.sum(case((and_(Enterprise.created_at >= start, Enterprise.created_at < end), 1), else_=0)),
        func.sum(case((Enterprise.created_at < end, 1), else_=0)),
    ]
    for stage in STAGES[1:]:
        column = _STAGE_DATES[stage]
        measures.append(func.sum(case((column.between(span.first, span.last), 1), else_=0)))
        measures.append(func.sum(case((column <= span.last, 1), else_=0)))
    statement = (select(Enterprise.region_code, *measures)
                 .where(scope_condition(principal, enterprise=Enterprise.id))
                 .group_by(Enterprise.region_code))
    if codes is not None:
        statement = statement.where(Enterprise.region_code.in_(sorted(codes)))
    keys = [f"{stage.value}_{kind}" for stage in STAGES for kind in ("new", "total")]
    per_county: dict[str, Counter[str]] = {key: Counter() for key in keys}
    for region, *values in session.execute(statement):
        for key, value in zip(keys, values, strict=True):
            per_county[key][region] += int(value or 0)
    return {key: tree.roll_up(counts) for key, counts in per_county.items()}


def application_counts(session: Session, principal: Principal, tree: RegionTree, codes: Collection[str] | None,
                       span: Period) -> dict[str, Counter[str]]:
    """Applications to join online (网上申请入网) in scope per region (rolled up): ``applied_new``
    (sent in the period) and ``applied_total`` (sent by its end), the funnel's entry."""
    start, end = day_bounds(span.first)[0], day_bounds(span.last)[1]
    statement = (select(Application.region_code,
                        func.sum(case((and_(Application.created_at >= start, Application.created_at < end), 1),
                                      else_=0)),
                        func.sum(case((Application.created_at < end, 1), else_=0)))
                 .where(scope_condition(principal, region=Application.region_code, category=Application.category_id,
                                        agency=Application.agency))
                 .group_by(Application.region_code))
    if codes is not None:
        statement = statement.where(Application.region_code.in_(sorted(codes)))
    per_county: dict[str, Counter[str]] = {"applied_new": Counter(), "applied_total": Counter()}
    for region, new, total in session.execute(statement):
        per_county["applied_new"][region] += int(new or 0)
        per_county["applied_total"][region] += int(total or 0)
    return {key: tree.roll_up(counts) for key, counts in per_county.items()}


def _funnel_table(session: Session, principal: Principal, tree: RegionTree, place: Place, span: Period) -> Table:
    codes = None if place.region is None else tree.descendants(place.region.code)
    figures = {**funnel_counts(session, principal, tree, codes, span),
               **application_counts(session, principal, tree, codes, span)}
    columns = [_region_column(), Column("applied_new", "网上申请（新增）", "applied online (new)"),
               Column("applied_total", "网上申请（累计）", "applied online (to date)")]
    for stage in STAGES:
        columns += [Column(f"{stage.value}_new", f"{stage.label_zh}（新增）", f"{stage.label_en} (new)"),
                    Column(f"{stage.value}_total", f"{stage.label_zh}（累计）", f"{stage.label_en} (to date)")]
    return Table("enrolment", "入网进度", "Enrolment", columns,
                 region_rows(place, figures, [c.key for c in columns[1:]]), drill=True)


def _sums(session: Session, statement: Any) -> list[Any]:
    return list(session.execute(statement))


def query_sums(session: Session, principal: Principal, anchor: str, codes: Sequence[str], span: Period,
               *keys: str) -> Counter[tuple[Any, ...]]:
    """Queries in ``codes`` (rows of exactly those regions) over ``span``, by the columns ``keys``:
    the whole months inside the period from the monthly rows, the days around them from the daily."""
    rolled = set(session.scalars(select(RolledMonth.month).where(RolledMonth.month >= month_start(span.first),
                                                                 RolledMonth.month <= span.last)))
    months, runs = split_period(span.first, span.last, rolled)
    sums: Counter[tuple[Any, ...]] = Counter()
    sources: list[tuple[Any, Any]] = [(QueryDay, and_(QueryDay.day >= first, QueryDay.day <= last))
                                      for first, last in runs]
    if months:
        sources.append((QueryMonth, QueryMonth.month.in_(months)))
    for table, when in sources:
        columns = [getattr(table, key) for key in keys]
        statement = (select(*columns, func.sum(table.queries))
                     .where(table.region_code.in_(list(codes)), when, _scope(principal, anchor, table))
                     .group_by(*columns))
        for *key, count in session.execute(statement):
            sums[tuple(key)] += int(count)
    return sums


def _query_tables(session: Session, principal: Principal, place: Place, span: Period) -> list[Table]:
    codes = [*place.own_codes, *(child.code for child in place.children)]
    channels = list(Channel)
    by_region: dict[str, Counter[str]] = {channel.value: Counter() for channel in channels}
    by_region["total"] = Counter()
    for (region, channel), count in query_sums(session, principal, _anchor(place), codes, span,
                                               "region_code", "channel").items():
        by_region.setdefault(channel, Counter())[region] += count
        by_region["total"][region] += count
    channel_columns = [Column(channel.value, channel.label_zh, channel.label_en) for channel in channels]
    regions = Table("queries_by_region", "查询量（按渠道）", "Verifications by channel",
                    [_region_column(), *channel_columns, Column("total", "合计", "Total")],
                    region_rows(place, by_region, [*(c.value for c in channels), "total"]), drill=True)

    in_period = (QueryDay.day >= span.first, QueryDay.day <= span.last, _scope(principal, _anchor(place), QueryDay))
    per_day: dict[dt.date, Counter[str]] = {}
    for day, channel, count in _sums(session, select(QueryDay.day, QueryDay.channel, func.sum(QueryDay.queries))
                                     .where(QueryDay.region_code.in_(place.own_codes), *in_period)
                                     .group_by(QueryDay.day, QueryDay.channel)):
        per_day.setdefault(day, Counter())[channel] += int(count)
    days = Table("queries_by_day", "每日查询量", "Verifications per day",
                 [Column("day", "日期", "Day", numeric=False), *channel_columns, Column("total", "合计", "Total")])
    for offset in range(span.days):
        day = span.first + dt.timedelta(days=offset)
        counts = per_day.get(day, Counter())
        days.rows.append({"day": day.isoformat(), **{c.value: counts[c.value] for c in channels},
                          "total": sum(counts.values())})

    verdicts = Table("queries_by_verdict", "查询结果", "Verdicts",
                     [Column("verdict", "结果", "Verdict", numeric=False), Column("queries", "查询量", "Verifications")])
    found = query_sums(session, principal, _anchor(place), place.own_codes, span, "verdict")
    for verdict in Verdict:
        verdicts.rows.append({"verdict": (verdict.label_zh, verdict.label_en), "queries": found[(verdict.value,)]})
    return [regions, days, verdicts]


def _code_tables(session: Session, principal: Principal, place: Place, span: Period) -> list[Table]:
    codes = [*place.own_codes, *(child.code for child in place.children)]
    in_period = (CodeDay.day >= span.first, CodeDay.day <= span.last, _scope(principal, _anchor(place), CodeDay))
    figures: dict[str, Counter[str]] = {key: Counter() for key in ("issued", "activated", "first_queried",
                                                                     "activated_total", "first_queried_total")}
    sums = (func.sum(CodeDay.issued), func.sum(CodeDay.activated), func.sum(CodeDay.first_queried))
    for region, issued, activated, first in _sums(session, select(CodeDay.region_code, *sums)
                                                  .where(CodeDay.region_code.in_(codes), *in_period)
                                                  .group_by(CodeDay.region_code)):
        figures["issued"][region] += int(issued or 0)
        figures["activated"][region] += int(activated or 0)
        figures["first_queried"][region] += int(first or 0)
    # The verification rate is of every code activated by the period's end: the days before it too.
    for region, _issued, activated, first in _sums(session, select(CodeDay.region_code, *sums)
                                                   .where(CodeDay.region_code.in_(codes), CodeDay.day <= span.last,
                                                          _scope(principal, _anchor(place), CodeDay))
                                                   .group_by(CodeDay.region_code)):
        figures["activated_total"][region] += int(activated or 0)
        figures["first_queried_total"][region] += int(first or 0)
    numbers = [Column("issued", "赋码量", "Codes issued"), Column("activated", "激活量", "Codes activated")]
    checked = [Column("first_queried", "首次查询", "Verified for the first time"),
               Column("verification_rate", "查询率（%，累计）", "Verified (% of activated, to date)")]
    rows = region_rows(place, figures, ["issued", "activated", "first_queried", "activated_total",
                                         "first_queried_total"])
    for row in rows:
        activated_total, first_total = row.pop("activated_total"), row.pop("first_queried_total")
        assert isinstance(activated_total, int) and isinstance(first_total, int)
        row["verification_rate"] = f"{100.0 * first_total / activated_total:.1f}" if activated_total else "—"
    regions = Table("codes_by_region", "赋码、激活与查询率", "Codes issued, activated and verified",
                    [_region_column(), *numbers, *checked], rows, drill=True)
    names = {row.id: (row.name_zh, row.name_en) for row in session.execute(
        select(Category.id, Category.name_zh, Category.name_en))}
    categories = Table("codes_by_category", "赋码与激活（按类别）", "Codes by category",
                       [Column("category", "产品类别", "Category", numeric=False), *numbers])
    for category, issued, activated in _sums(session, select(CodeDay.category_id, func.sum(CodeDay.issued),
                                                             func.sum(CodeDay.activated))
                                             .where(CodeDay.region_code.in_(place.own_codes), *in_period)
                                             .group_by(CodeDay.category_id).order_by(CodeDay.category_id)):
        categories.rows.append({"category": names.get(category, (str(category), str(category))),
                                "issued": int(issued or 0), "activated": int(activated or 0)})
    return [regions, categories]


def last_rolled_day(session: Session, on_or_before: dt.date) -> dt.date | None:
    """The last day the roll-up job computed, up to ``on_or_before``."""
    return session.scalar(select(func.max(RolledDay.day)).where(RolledDay.day <= on_or_before))


def terminals_installed(session: Session, principal: Principal, anchor: str, codes: Sequence[str],
                        day: dt.date) -> Counter[str]:
    """Terminals installed per region in ``codes`` (``anchor`` and regions under it) at the end of
    ``day`` (the last rolled day up to it)."""
    last = last_rolled_day(session, day)
    counts: Counter[str] = Counter()
    if last is None:
        return counts
    for region, installed in session.execute(
            select(TerminalDay.region_code, func.sum(TerminalDay.installed))
            .where(TerminalDay.day == last, TerminalDay.region_code.in_(list(codes)),
                   _scope(principal, anchor))
            .group_by(TerminalDay.region_code)):
        counts[region] += int(installed or 0)
    return counts


def _terminal_table(session: Session, principal: Principal, place: Place, span: Period) -> Table:
    codes = [*place.own_codes, *(child.code for child in place.children)]
    figures: dict[str, Counter[str]] = {}
    keys: list[str] = []
    last = last_rolled_day(session, span.last)
    for kind in MerchantKind:
        figures[f"{kind.value}_installed"] = Counter()
        figures[f"{kind.value}_added"] = Counter()
        keys += [f"{kind.value}_installed", f"{kind.value}_added"]
    scoped = _scope(principal, _anchor(place))
    if last is not None:
        for region, venue, installed in session.execute(
                select(TerminalDay.region_code, TerminalDay.venue_kind, TerminalDay.installed)
                .where(TerminalDay.day == last, TerminalDay.region_code.in_(codes), scoped)):
            figures.setdefault(f"{venue}_installed", Counter())[region] += int(installed)
    for region, venue, added in session.execute(
            select(TerminalDay.region_code, TerminalDay.venue_kind, func.sum(TerminalDay.added))
            .where(TerminalDay.day >= span.first, TerminalDay.day <= span.last, TerminalDay.region_code.in_(codes),
                   scoped).group_by(TerminalDay.region_code, TerminalDay.venue_kind)):
        figures.setdefault(f"{venue}_added", Counter())[region] += int(added or 0)
    columns = [_region_column()]
    for kind in MerchantKind:
        columns += [Column(f"{kind.value}_installed", f"{kind.label_zh}终端（在装）", f"At {kind.label_en}s (installed)"),
                    Column(f"{kind.value}_added", f"{kind.label_zh}终端（新增）", f"At {kind.label_en}s (new)")]
    return Table("terminals_by_region", "查询终端（按场所类型）", "Query terminals by venue kind", columns,
                 region_rows(place, figures, keys), drill=True)


def _online_table(session: Session, principal: Principal, tree: RegionTree, place: Place,
                  offline_after_seconds: int) -> Table:
    """Terminals installed now and how many are online (active and heard from within the setting,
    as the terminals page says), counted from the terminals themselves: a snapshot, not a day."""
    cutoff = utcnow() - dt.timedelta(seconds=offline_after_seconds)
    active = Terminal.status == TerminalStatus.ACTIVE
    statement = (select(Terminal.region_code, func.count(),
                        func.sum(case((and_(Terminal.last_heartbeat_at.is_not(None),
                                            Terminal.last_heartbeat_at >= cutoff), 1), else_=0)))
                 .where(active, scope_condition(principal, region=Terminal.region_code))
                 .group_by(Terminal.region_code))
    if place.region is not None:
        statement = statement.where(Terminal.region_code.in_(sorted(tree.descendants(place.region.code))))
    installed: Counter[str] = Counter()
    online: Counter[str] = Counter()
    for region, count, heard in session.execute(statement):
        installed[region] += int(count)
        online[region] += int(heard or 0)
    rolled_installed, rolled_online = tree.roll_up(installed), tree.roll_up(online)
    figures = {"installed": rolled_installed, "online": rolled_online,
               "offline": Counter({code: rolled_installed[code] - rolled_online[code] for code in rolled_installed})}
    return Table("terminals_online", "查询终端在线情况（当前）", "Query terminals online now",
                 [_region_column(), Column("installed", "在用", "Active"), Column("online", "在线", "Online"),
                  Column("offline", "离线", "Offline")],
                 region_rows(place, figures, ["installed", "online", "offline"]), drill=True)


TABLE_NAMES = ("enrolment", "queries_by_region", "queries_by_day", "queries_by_verdict", "codes_by_region",
               "codes_by_category", "catalogue_coverage", "terminals_by_region", "terminals_online", "casework")


def statistics(session: Session, *, principal: Principal, region_code: str | None = None,
               first: dt.date | None = None, last: dt.date | None = None,
               offline_after_seconds: int = 180) -> dict[str, Any]:
    """Every table of the statistics of ``region_code`` (by default the caller's region) for the
    period ``[first, last]``: enrolment (new and to date), verifications by channel, day and
    verdict, codes issued and activated by region and category, terminals by venue kind, the
    terminals online now (``offline_after_seconds``: the setting that says when one is offline), and
    the alerts and cases open now (``stats.casework``), and the coverage of the catalogue of
    products under supervision (``stats.coverage``; its totals in ``catalogue``)."""
    from jianguan.stats.casework import casework_table  # casework builds on this module's tables
    from jianguan.stats.coverage import coverage  # so does the coverage of the catalogue
    where = place(session, principal, region_code)
    span = period(first, last)
    tree = region_tree(session)
    covered, catalogue = coverage(session, principal, tree, where, span)
    tables = [_funnel_table(session, principal, tree, where, span),
              *_query_tables(session, principal, where, span),
              *_code_tables(session, principal, where, span), covered,
              _terminal_table(session, principal, where, span),
              _online_table(session, principal, tree, where, offline_after_seconds),
              casework_table(session, principal, tree, where)]
    return {
        "region": {"code": where.region.code, "name": where.region.name} if where.region else None,
        "path": [{"code": node.code, "name": node.name} for node in where.path],
        "children": [{"code": child.code, "name": child.name} for child in where.children],
        "from": span.first, "to": span.last,
        "rolled_to": last_rolled_day(session, today()),
        "catalogue": catalogue,
        "tables": {table.name: table for table in tables},
    }


def table_named(figures: dict[str, Any], name: str | None) -> Table:
    """One table of ``statistics``'s answer, by name; ValidationFailed for an unknown name."""
    tables: dict[str, Table] = figures["tables"]
    if name not in tables:
        choices = ", ".join(TABLE_NAMES)
        raise ValidationFailed(f"Unknown table {name!r}; one of {choices}.", f"未知的统计表 {name!r}，可选：{choices}。",
                               code="unknown_table", field="table")
    return tables[name]
