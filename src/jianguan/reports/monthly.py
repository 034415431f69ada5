"""The monthly report (信息通报) of a region: one row for each region directly under it and a total row.

The figures of a calendar month, each with the month before's beside it: the enrolment funnel
(new in the month and cumulative, against the year's targets), signing rates among qualification
holders, codes issued and activated, terminals installed by venue kind and verifications by
channel (the roll-up tables of ``stats``), complaints and reports received and closed, alerts,
recalls and enforcement outcomes (counted from their own tables, a few rows a month). Every count
is limited by the scope rule of the one who asks; a month that has not ended is refused.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from jianguan.accounts.principal import Principal
from jianguan.alerts.models import Alert
from jianguan.cases.models import Case, EnforcementAction
from jianguan.cases.workflow import CaseStage
from jianguan.enterprises.models import QualificationKind
from jianguan.errors import ValidationFailed
from jianguan.jurisdiction import scope_condition
from jianguan.merchants.models import MerchantKind
from jianguan.recalls.models import Recall
from jianguan.regions.tree import RegionTree, region_tree
from jianguan.stats.figures import STAGES, Period, funnel_counts, last_rolled_day, place
from jianguan.stats.models import NO_CATEGORY, CodeDay, QueryDay, Target, TerminalDay
from jianguan.stats.rollup import check_day, day_bounds
from jianguan.stats.targets import COUNTED, signing_rates
from jianguan.timezone import today
from jianguan.verify.models import Channel

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Month:
    """A calendar month (Beijing days)."""

    year: int
    month: int

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last(self) -> dt.date:
        return self.following().first - dt.timedelta(days=1)

    def following(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def parse_month(value: str | None) -> Month:
    """A YYYY-MM month between 2000 and 2100; ValidationFailed otherwise."""
    found = _MONTH.match((value or "").strip())
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise ValidationFailed(f"The month must be YYYY-MM; got {value!r}.", f"月份应为 YYYY-MM 格式，收到 {value!r}。",
                               code="invalid_month", field="month")
    month = Month(int(found.group(1)), int(found.group(2)))
    check_day(month.first, "month", "月份")
    return month


def last_full_month(on: dt.date | None = None) -> Month:
    """The month before the one ``on`` (by default today, Beijing) lies in."""
    day = on or today()
    return Month(day.year, day.month).previous()


def check_ended(month: Month) -> Month:
    """``month`` if it has ended (Beijing time); ValidationFailed for this month or one to come."""
    if month.last >= today():
        raise ValidationFailed(f"The month {month} has not ended yet: a report covers a whole month.",
                               f"{month} 尚未结束，信息通报只统计已结束的整月。", code="month_not_ended", field="month")
    return month


@dataclass(frozen=True)
class Figure:
    """One figure of the report: its key, its group and labels; ``change`` whether the month
    before's value is shown beside it (a target has none)."""

    key: str
    group_zh: str
    group_en: str
    zh: str
    en: str
    change: bool = True
    percent: bool = False


def _figures() -> list[Figure]:
    figures: list[Figure] = []
    for stage in STAGES:
        figures.append(Figure(f"{stage.value}_new", "入网进度", "Enrolment", f"{stage.label_zh}（当月新增）",
                              f"{stage.label_en} (new)"))
        figures.append(Figure(f"{stage.value}_total", "入网进度", "Enrolment", f"{stage.label_zh}（累计）",
                              f"{stage.label_en} (to date)"))
    for key, _stage, zh, en in COUNTED:
        figures.append(Figure(f"{key}_target", "年度目标", "Year's targets", f"{zh}目标", f"Target, {en}", change=False))
    for kind in QualificationKind:
        figures.append(Figure(f"rate_{kind.value}", "持证企业签约率（%）", "Signing rate of holders (%)", kind.label_zh,
                              kind.label_en, percent=True))
    figures += [Figure("codes_issued", "赋码", "Codes", "赋码量", "Codes issued"),
                Figure("codes_activated", "赋码", "Codes", "激活量", "Codes activated")]
    for venue in MerchantKind:
        figures.append(Figure(f"terminals_{venue.value}", "查询终端（在装）", "Terminals installed", venue.label_zh,
                              venue.label_en))
    for channel in Channel:
        figures.append(Figure(f"queries_{channel.value}", "查询量（按渠道）", "Verifications by channel",
                              channel.label_zh, channel.label_en))
    figures += [Figure("queries_total", "查询量（按渠道）", "Verifications by channel", "合计", "Total"),
                Figure("cases_received", "投诉举报", "Complaints and reports", "受理", "Received"),
                Figure("cases_closed", "投诉举报", "Complaints and reports", "办结", "Closed"),
                Figure("alerts", "预警", "Alerts", "新增预警", "Raised"),
                Figure("recalls", "召回", "Recalls", "发起召回", "Opened"),
                Figure("enforcement_opened", "执法", "Enforcement", "立案", "Opened"),
                Figure("enforcement_concluded", "执法", "Enforcement", "结案", "Concluded"),
                Figure("enforcement_penalty", "执法", "Enforcement", "罚没款（元）", "Penalties (yuan)")]
    return figures


FIGURES = _figures()
Value = int | float | None


@dataclass
class ReportRow:
    code: str
    name: str
    total: bool
    values: dict[str, Value] = field(default_factory=dict)
    before: dict[str, Value] = field(default_factory=dict)

    def change(self, key: str) -> Value:
        """This month's value less the month before's (None where either is missing)."""
        now, then = self.values.get(key), self.before.get(key)
        if now is None or then is None:
            return None
        return round(now - then, 1) if isinstance(now, float) or isinstance(then, float) else now - then


@dataclass
class MonthlyReport:
    month: Month
    region_code: str
    region_name: str
    rows: list[ReportRow]
    rolled_to: dt.date | None
    figures: list[Figure] = field(default_factory=lambda: list(FIGURES))

    def as_json(self) -> dict[str, Any]:
        return {"month": str(self.month), "region": {"code": self.region_code, "name": self.region_name},
                "rolled_to": self.rolled_to,
                "figures": [{"key": f.key, "group": f.group_en, "group_zh": f.group_zh, "title": f.en,
                             "title_zh": f.zh, "change": f.change} for f in self.figures],
                "rows": [{"code": row.code, "name": row.name, "total": row.total, "values": row.values,
                          "month_before": {f.key: row.before.get(f.key) for f in self.figures if f.change},
                          "change": {f.key: row.change(f.key) for f in self.figures if f.change}}
                         for row in self.rows]}


def _count_by_region(session: Session, tree: RegionTree, statement: Any) -> Counter[str]:
    counts: Counter[str] = Counter()
    for region, value in session.execute(statement):
        if region:
            counts[region] += int(value or 0)
    return tree.roll_up(counts)


def _in_month(column: Any, month: Month) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    start, end = day_bounds(month.first)[0], day_bounds(month.last)[1]
    return column >= start, column < end


def _events(session: Session, principal: Principal, tree: RegionTree, codes: Collection[str],
            month: Month) -> dict[str, Counter[str]]:
    """Cases received and closed, alerts, recalls and enforcement outcomes of the month, per region."""
    within = sorted(codes)
    case_scope = scope_condition(principal, region=Case.region_code, category=Case.category_id, agency=Case.agency)
    action_scope = scope_condition(principal, region=EnforcementAction.region_code,
                                   category=EnforcementAction.category_id)
    found = {
        "cases_received": select(Case.region_code, func.count()).where(
            Case.region_code.in_(within), case_scope, *_in_month(Case.created_at, month)).group_by(Case.region_code),
        "cases_closed": select(Case.region_code, func.count()).where(
            Case.region_code.in_(within), case_scope, Case.stage == CaseStage.CLOSED,
            *_in_month(Case.stage_since, month)).group_by(Case.region_code),
        "alerts": select(Alert.region_code, func.count()).where(
            Alert.region_code.in_(within), scope_condition(principal, region=Alert.region_code,
                                                           category=Alert.category_id),
            *_in_month(Alert.created_at, month)).group_by(Alert.region_code),
        "recalls": select(Recall.region_code, func.count()).where(
            Recall.region_code.in_(within), scope_condition(principal, enterprise=Recall.enterprise_id,
                                                            region=Recall.region_code, category=Recall.category_id),
            *_in_month(Recall.opened_at, month)).group_by(Recall.region_code),
        "enforcement_opened": select(EnforcementAction.region_code, func.count()).where(
            EnforcementAction.region_code.in_(within), action_scope,
            *_in_month(EnforcementAction.opened_at, month)).group_by(EnforcementAction.region_code),
        "enforcement_concluded": select(EnforcementAction.region_code, func.count()).where(
            EnforcementAction.region_code.in_(within), action_scope,
            *_in_month(EnforcementAction.concluded_at, month)).group_by(EnforcementAction.region_code),
        "enforcement_penalty": select(EnforcementAction.region_code, func.sum(EnforcementAction.penalty)).where(
            EnforcementAction.region_code.in_(within), action_scope,
            *_in_month(EnforcementAction.concluded_at, month)).group_by(EnforcementAction.region_code),
    }
    return {key: _count_by_region(session, tree, statement) for key, statement in found.items()}


def _rolled(session: Session, principal: Principal, codes: list[str], month: Month) -> dict[str, Counter[str]]:
    """Codes, verifications and terminals of the month per region, read from the roll-up tables
    (each region has its own rows there: nothing is added up here)."""
    out: dict[str, Counter[str]] = {}
    category_scope = scope_condition(principal, region=CodeDay.region_code,
                                     category=func.nullif(CodeDay.category_id, NO_CATEGORY))
    out["codes_issued"], out["codes_activated"] = Counter(), Counter()
    for region, issued, activated in session.execute(
            select(CodeDay.region_code, func.sum(CodeDay.issued), func.sum(CodeDay.activated))
            .where(CodeDay.region_code.in_(codes), CodeDay.day >= month.first, CodeDay.day <= month.last,
                   category_scope).group_by(CodeDay.region_code)):
        out["codes_issued"][region] += int(issued or 0)
        out["codes_activated"][region] += int(activated or 0)
    query_scope = scope_condition(principal, region=QueryDay.region_code,
                                  category=func.nullif(QueryDay.category_id, NO_CATEGORY))
    for channel in Channel:
        out[f"queries_{channel.value}"] = Counter()
    out["queries_total"] = Counter()
    for region, used, count in session.execute(
            select(QueryDay.region_code, QueryDay.channel, func.sum(QueryDay.queries))
            .where(QueryDay.region_code.in_(codes), QueryDay.day >= month.first, QueryDay.day <= month.last,
                   query_scope).group_by(QueryDay.region_code, QueryDay.channel)):
        out.setdefault(f"queries_{used}", Counter())[region] += int(count or 0)
        out["queries_total"][region] += int(count or 0)
    for venue in MerchantKind:
        out[f"terminals_{venue.value}"] = Counter()
    last = last_rolled_day(session, month.last)
    if last is not None:
        for region, kind, installed in session.execute(
                select(TerminalDay.region_code, TerminalDay.venue_kind, TerminalDay.installed)
                .where(TerminalDay.day == last, TerminalDay.region_code.in_(codes),
                       scope_condition(principal, region=TerminalDay.region_code))):
            out.setdefault(f"terminals_{kind}", Counter())[region] += int(installed or 0)
    return out


def _month_values(session: Session, principal: Principal, tree: RegionTree, regions: list[str],
                  month: Month) -> dict[str, dict[str, Value]]:
    descendants: set[str] = set()
    for code in regions:
        descendants |= tree.descendants(code)
    funnel = funnel_counts(session, principal, tree, sorted(descendants), Period(month.first, month.last))
    rates = signing_rates(session, principal, descendants, month.last)
    events = _events(session, principal, tree, descendants, month)
    rolled = _rolled(session, principal, regions, month)
    values: dict[str, dict[str, Value]] = {}
    for code in regions:
        row: dict[str, Value] = {key: counts[code] for key, counts in {**funnel, **events, **rolled}.items()}
        for kind in QualificationKind:
            held, signed = rates[kind.value][0][code], rates[kind.value][1][code]
            row[f"rate_{kind.value}"] = round(100.0 * signed / held, 1) if held else None
        values[code] = row
    return values


def monthly_report(session: Session, *, principal: Principal, month: Month, region_code: str | None = None) -> MonthlyReport:
    """The report of ``month`` (ended) for ``region_code`` (by default the caller's region): the
    region's total row first, then one row for each region directly under it in the caller's
    scope; NotFound for a region outside it, ValidationFailed for a month not ended."""
    check_ended(month)
    where = place(session, principal, region_code)
    tree = region_tree(session)
    own = where.region.code if where.region else ""
    children = [child.code for child in where.children]
    regions = [*([own] if own else []), *children]
    now = _month_values(session, principal, tree, regions, month)
    before = _month_values(session, principal, tree, regions, month.previous())
    targets = {target.region_code: target for target in session.scalars(
        select(Target).where(Target.year == month.year, Target.region_code.in_(regions)))}
    rows: list[ReportRow] = []
    if not own:  # the operator's country: the total is the provinces' sum
        total = ReportRow("", "全国", True)
        for key in now[children[0]] if children else []:
            parts = [now[c][key] for c in children]
            total.values[key] = None if key.startswith("rate_") else sum(int(v or 0) for v in parts)
            total.before[key] = None if key.startswith("rate_") else sum(int(before[c][key] or 0) for c in children)
        rows.append(total)
    for code in regions:
        row = ReportRow(code, tree.name(code) or code, code == own, dict(now[code]), dict(before[code]))
        target = targets.get(code)
        for key, _stage, _zh, _en in COUNTED:
            row.values[f"{key}_target"] = getattr(target, key) if target else None
        rows.append(row)
    return MonthlyReport(month, own, where.name[0], rows, last_rolled_day(session, today()))
