"""The brand owner's view (保名优) of one enterprise for a period: where its codes were queried (a
row per county, from the query log), the clone alerts about its products and the unknown-code
clusters in the counties where its codes were queried, the reports and complaints about its
products by stage, and the enforcement actions about them with their outcomes.

Who reads it: the enterprise itself (its users and keys) and the operator, who names the
enterprise. The one scope rule decides (``get_enterprise``): anyone else is answered NotFound.

The county table reads the log through ``ix_queries_code``: the enterprise's batches (a few
rows, adjacent ones merged) become serial ranges, and each range is one range scan of
``(generation, serial)``, so the work grows with the enterprise's queries, not with the whole log. A query
whose place is unknown is counted in its own row.

An unknown-code cluster names no enterprise (an unknown code names no product): the view lists
those raised in a county where the enterprise's codes were queried in the period, with the
county, the day, the status and the number of queries only; their samples and sources stay with
the regulators (the alert itself is not in the manufacturer's scope).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.alerts.models import Alert, AlertStatus, WarningRule
from jianguan.cases.models import Case, CaseKind, EnforcementAction
from jianguan.cases.workflow import CaseStage
from jianguan.codes.models import CodeBatch
from jianguan.credit.services import AGAINST_RULES
from jianguan.enterprises.models import Enterprise
from jianguan.enterprises.services import get_enterprise
from jianguan.errors import ValidationFailed
from jianguan.regions.tree import region_tree
from jianguan.stats.figures import Period, period
from jianguan.timezone import LOCAL_ZONE, local_date
from jianguan.verify.models import Query
from jianguan.verify.verdict import Verdict

COLUMNS = (("region_code", "地区代码", "region code"), ("county", "区县", "county"), ("place", "所在地区", "place"),
           ("queries", "查询次数", "queries"), ("genuine", "正品首次查询", "genuine, first check"),
           ("queried_before", "已被查询过", "checked before"), ("other", "其他结果", "other verdicts"))


@dataclass(frozen=True)
class CountyRow:
    """The queries of the enterprise's codes in one county (``region_code`` None: place unknown)."""

    region_code: str | None
    county: str
    place: str
    queries: int
    genuine: int
    queried_before: int

    @property
    def other(self) -> int:
        return self.queries - self.genuine - self.queried_before


@dataclass(frozen=True)
class BrandView:
    enterprise: Enterprise
    period: Period
    counties: list[CountyRow]
    clone_alerts: list[Alert]
    unknown_clusters: list[Alert]
    cases_by_stage: dict[str, dict[str, int]]
    enforcement: list[tuple[EnforcementAction, Case | None, str | None]]  # the action, its case or its alert's rule

    @property
    def county_names(self) -> dict[str | None, str]:
        """The names of the counties in the table (every unknown-code cluster listed lies in one)."""
        return {row.region_code: row.county for row in self.counties}

    @property
    def clone_counties(self) -> dict[str, int]:
        """How many of the period's clone alerts name each county: where the alert was raised and
        every county its code was queried in (``details["regions"]``). The county table marks its
        rows with them, and the map draws those counties outlined (static/charts.js)."""
        counted: dict[str, int] = {}
        for alert in self.clone_alerts:
            named = {alert.region_code, *(alert.details or {}).get("regions", ())} - {None}
            for code in named:
                counted[str(code)] = counted.get(str(code), 0) + 1
        return counted

    @property
    def total(self) -> CountyRow:
        return CountyRow(None, "合计", "", sum(r.queries for r in self.counties),
                         sum(r.genuine for r in self.counties), sum(r.queried_before for r in self.counties))


def _enterprise(session: Session, principal: Principal, enterprise_id: int | None) -> Enterprise:
    if enterprise_id is None:
        if principal.role is not Role.MANUFACTURER or principal.enterprise_id is None:
            raise ValidationFailed("Name the enterprise: enterprise_id.", "请指定企业（enterprise_id）。",
                                   code="enterprise_required", field="enterprise_id")
        enterprise_id = principal.enterprise_id
    return get_enterprise(session, principal=principal, enterprise_id=enterprise_id)


def bounds(chosen: Period) -> tuple[dt.datetime, dt.datetime]:
    """The period's Beijing days as UTC instants: from the first day's midnight to the one after the last."""
    start = dt.datetime.combine(chosen.first, dt.time(), LOCAL_ZONE).astimezone(dt.UTC)
    return start, dt.datetime.combine(chosen.last + dt.timedelta(days=1), dt.time(), LOCAL_ZONE).astimezone(dt.UTC)


RANGES_A_STATEMENT = 50


def merge_ranges(batches: Iterable[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """``(generation, serial_start, quantity)`` of batches as ``(generation, first, end)`` serial
    ranges, sorted, with adjacent and overlapping ones of a generation merged."""
    merged: list[tuple[int, int, int]] = []
    for generation, first, quantity in sorted(batches):
        if merged and merged[-1][0] == generation and merged[-1][2] >= first:
            merged[-1] = (generation, merged[-1][1], max(merged[-1][2], first + quantity))
        else:
            merged.append((generation, first, first + quantity))
    return merged


def serial_ranges(session: Session, enterprise_id: int) -> list[tuple[int, int, int]]:
    """The enterprise's batches as merged serial ranges (``merge_ranges``)."""
    return merge_ranges((generation, first, quantity) for generation, first, quantity in session.execute(
        select(CodeBatch.generation, CodeBatch.serial_start, CodeBatch.quantity)
        .where(CodeBatch.enterprise_id == enterprise_id)))


def county_rows(session: Session, *, enterprise_id: int, start: dt.datetime, end: dt.datetime) -> list[CountyRow]:
    """The enterprise's queries in ``[start, end)`` by county and verdict, most queried first.

    Each statement names its serial ranges as literal bounds (an OR of ranges), so both databases
    read them from ``ix_queries_code`` whatever they guess of the batches table; a join to the
    batches let PostgreSQL choose a scan of the whole log."""
    genuine = func.sum(case((Query.verdict == Verdict.GENUINE.value, 1), else_=0))
    before = func.sum(case((Query.verdict == Verdict.QUERIED_BEFORE.value, 1), else_=0))
    counted: dict[str | None, list[int]] = {}
    ranges = serial_ranges(session, enterprise_id)
    for at in range(0, len(ranges), RANGES_A_STATEMENT):
        chunk = ranges[at:at + RANGES_A_STATEMENT]
        statement = (select(Query.region_code, func.count(), genuine, before)
                     .where(or_(*(and_(Query.generation == generation, Query.serial >= first, Query.serial < last)
                                  for generation, first, last in chunk)),
                            Query.at >= start, Query.at < end)
                     .group_by(Query.region_code))
        for code, count, first_checks, again in session.execute(statement):
            totals = counted.setdefault(code, [0, 0, 0])
            totals[0] += int(count)
            totals[1] += int(first_checks or 0)
            totals[2] += int(again or 0)
    tree = region_tree(session)
    rows = [CountyRow(code, (tree.name(code) or code) if code else "未知地点", tree.path_name(code), *totals)
            for code, totals in counted.items()]
    return sorted(rows, key=lambda r: (r.region_code is None, -r.queries, r.region_code or ""))


def brand_view(session: Session, *, principal: Principal, enterprise_id: int | None = None,
               first: dt.date | None = None, last: dt.date | None = None) -> BrandView:
    """The view of the enterprise (the caller's own; the operator names one) for the period from
    ``first`` to ``last`` (Beijing days; the last 30 by default): ValidationFailed for a period
    that runs backwards, NotFound for an enterprise outside the caller's scope."""
    chosen = period(first, last)
    enterprise = _enterprise(session, principal, enterprise_id)
    start, end = bounds(chosen)
    counties = county_rows(session, enterprise_id=enterprise.id, start=start, end=end)
    open_first = (case((Alert.status == AlertStatus.OPEN.value, 0), else_=1), Alert.created_at.desc(), Alert.id.desc())
    clones = list(session.scalars(select(Alert).where(
        Alert.enterprise_id == enterprise.id, Alert.rule == WarningRule.CLONED_CODE.value,
        Alert.created_at >= start, Alert.created_at < end).order_by(*open_first)))
    places = [row.region_code for row in counties if row.region_code]
    unknown = list(session.scalars(select(Alert).where(
        Alert.rule == WarningRule.UNKNOWN_CLUSTER.value, Alert.region_code.in_(places),
        Alert.created_at >= start, Alert.created_at < end).order_by(*open_first))) if places else []
    by_stage: dict[str, dict[str, int]] = {stage.value: {CaseKind.REPORT.value: 0, CaseKind.COMPLAINT.value: 0}
                                           for stage in CaseStage}
    for stage, kind, count in session.execute(
            select(Case.stage, Case.kind, func.count()).where(
                Case.enterprise_id == enterprise.id, Case.created_at >= start, Case.created_at < end)
            .group_by(Case.stage, Case.kind)):
        by_stage.setdefault(str(stage), {})[str(kind)] = int(count)
    enforcement: list[tuple[EnforcementAction, Case | None, str | None]] = [
        (action, c, rule) for action, c, rule in session.execute(
        select(EnforcementAction, Case, Alert.rule).outerjoin(Case, Case.id == EnforcementAction.case_id)
        .outerjoin(Alert, Alert.id == EnforcementAction.alert_id)
        .where(EnforcementAction.enterprise_id == enterprise.id, EnforcementAction.opened_at >= start,
               EnforcementAction.opened_at < end)
        .order_by(EnforcementAction.opened_at.desc(), EnforcementAction.id.desc()))]
    return BrandView(enterprise, chosen, counties, clones, unknown, by_stage, enforcement)


def _row_json(row: CountyRow) -> dict[str, Any]:
    return {"region_code": row.region_code, "county": row.county, "place": row.place, "queries": row.queries,
            "genuine": row.genuine, "queried_before": row.queried_before, "other": row.other}


def view_json(view: BrandView) -> dict[str, Any]:
    """The view as the API answers it."""
    return {
        "enterprise": {"id": view.enterprise.id, "name": view.enterprise.name},
        "from": view.period.first.isoformat(), "to": view.period.last.isoformat(),
        "counties": [_row_json(row) for row in view.counties], "total": _row_json(view.total),
        "clone_alerts": [{"id": a.id, "status": a.status, "subject": a.subject, "region_code": a.region_code,
                          "created_on": local_date(a.created_at).isoformat(), "details": a.details}
                         for a in view.clone_alerts],
        "unknown_clusters": [{"region_code": a.region_code, "county": view.county_names.get(a.region_code),
                              "status": a.status,
                              "created_on": local_date(a.created_at).isoformat(),
                              "queries": a.details.get("queries")} for a in view.unknown_clusters],
        "cases_by_stage": view.cases_by_stage,
        "cases_total": sum(sum(kinds.values()) for kinds in view.cases_by_stage.values()),
        "enforcement": [{"id": action.id, "case_id": action.case_id, "case_number": c.number if c else None,
                         "alert_id": action.alert_id, "basis": action.basis,
                         "protecting_brand": (c.kind == CaseKind.REPORT.value if c is not None
                                              else rule not in AGAINST_RULES),
                         "opened_on": local_date(action.opened_at).isoformat(),
                         "concluded_on": local_date(action.concluded_at).isoformat() if action.concluded_at else None,
                         "goods_seized": action.goods_seized, "goods_value": action.goods_value,
                         "cases_filed": action.cases_filed, "penalty": action.penalty, "outcome": action.outcome}
                        for action, c, rule in view.enforcement],
    }


def counties_csv(view: BrandView, lang: str = "zh") -> str:
    """The county table as CSV (UTF-8 with a BOM, as the statistics' CSV), headed in ``lang``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([en if lang == "en" else zh for _key, zh, en in COLUMNS])
    for row in view.counties:
        values = _row_json(row)
        if row.region_code is None:
            values["county"] = "unknown place" if lang == "en" else row.county
        writer.writerow(["" if values[key] is None else values[key] for key, _zh, _en in COLUMNS])
    return "\ufeff" + out.getvalue()
