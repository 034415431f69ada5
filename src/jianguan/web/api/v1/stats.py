"""Statistics and targets (考核): ``/api/v1/statistics`` (every table of a region and period, JSON),
``/api/v1/statistics.csv`` (one table as CSV) and ``/api/v1/targets`` (progress; setting targets)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.params import JSONBody, QueryParameter

from jianguan.accounts.models import Role
from jianguan.enterprises.models import QualificationKind
from jianguan.stats import figures as stats
from jianguan.stats import targets
from jianguan.stats.targets import FIRST_YEAR, LAST_YEAR, MAX_TARGET
from jianguan.storage import reading, transaction
from jianguan.timezone import today
from jianguan.web.access import actor_for, require_principal, roles
from jianguan.web.params import RegionCode, RegionFilter

From = Annotated[dt.date | None, QueryParameter(name="from", description="First day (YYYY-MM-DD) / 起始日期")]
To = Annotated[dt.date | None, QueryParameter(name="to", description="Last day (YYYY-MM-DD) / 结束日期")]
TableName = Annotated[str, QueryParameter(max_length=40, description="The table / 统计表: "
                                          + ", ".join(stats.TABLE_NAMES))]
Language = Annotated[str | None, QueryParameter(max_length=2, description="zh (default) or en / 表头语言")]
Format = Annotated[str | None, QueryParameter(name="format", pattern="^(json|csv)$", max_length=4,
                                             description="json (default) or csv (one table, see table) / 格式")]
Year = Annotated[int | None, QueryParameter(ge=FIRST_YEAR, le=LAST_YEAR, description="The year / 年度")]
# Litestar drops a minimum of 0 from an optional field's schema (0 is falsy): it is stated again.
TargetNumber = Annotated[int, msgspec.Meta(ge=0, le=MAX_TARGET, extra_json_schema={"extra": {"minimum": 0}})]
Percent = Annotated[int, msgspec.Meta(ge=0, le=100, description="Percent / 百分数", extra_json_schema={"extra": {"minimum": 0}})]


@get("/statistics", opt=roles(Role.OPERATOR, Role.REGULATOR), sync_to_thread=True,
     summary="Statistics of a region and period / 统计数据")
def statistics(request: Request[Any, Any, Any], region: RegionFilter = None, first: From = None,
               last: To = None, fmt: Format = None, table: TableName = "enrolment",
               lang: Language = None) -> Response[Any]:
    """Every table of a region's statistics for a period (by default the caller's region and the last
    30 days): enrolment new in the period and to date, verifications by channel, day and verdict,
    codes issued and activated by region and category, terminals by venue kind and online now,
    alerts and cases open now (regions with overdue cases first); each table holds the region's
    total and a row for each region under it. Queries and codes are read from the daily roll-ups.
    ``catalogue_coverage`` lists the entries of the catalogue of products under supervision
    (百种产品目录) of the caller's agency, those not covered in the region first, and
    ``catalogue`` gives its totals (``covered`` of ``entries``, the numbers ``not_covered``).
    ``format=csv`` answers one table (``table``, by default ``enrolment``) as CSV, as
    ``/statistics.csv``."""
    if fmt == "csv":
        return statistics_csv_answer(request, table=table, region=region, first=first, last=last, lang=lang)
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        found = stats.statistics(session, principal=principal, region_code=region, first=first, last=last,
                                    offline_after_seconds=request.app.state.settings.terminal_offline_after_seconds)
    return Response({**found, "tables": [one.as_json() for one in found["tables"].values()]})


@get("/statistics.csv", opt=roles(Role.OPERATOR, Role.REGULATOR), sync_to_thread=True, media_type="text/csv",
     summary="One statistics table as CSV / 统计表（CSV）")
def statistics_csv(request: Request[Any, Any, Any], table: TableName = "enrolment", region: RegionFilter = None,
                   first: From = None, last: To = None, lang: Language = None) -> Response[str]:
    """One table of ``/statistics`` as CSV (UTF-8 with a BOM), headed in Chinese or, with
    ``lang=en``, English."""
    return statistics_csv_answer(request, table=table, region=region, first=first, last=last, lang=lang)


def statistics_csv_answer(request: Request[Any, Any, Any], *, table: str, region: str | None, first: dt.date | None,
                          last: dt.date | None, lang: str | None) -> Response[str]:
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        found = stats.statistics(session, principal=principal, region_code=region, first=first, last=last,
                                    offline_after_seconds=request.app.state.settings.terminal_offline_after_seconds)
    chosen = stats.table_named(found, table)
    name = f"{chosen.name}-{found['region']['code'] if found['region'] else 'all'}-{found['from']}-{found['to']}.csv"
    return Response(chosen.csv("en" if lang == "en" else "zh"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


class SigningRates(msgspec.Struct, forbid_unknown_fields=True):
    """Target signing rates (percent) among the holders of each kind of qualification."""

    china_top_brand: Percent | None = None
    inspection_exempt: Percent | None = None
    geographical_indication: Percent | None = None
    provincial_brand: Percent | None = None
    city_quality_award: Percent | None = None
    production_licence: Percent | None = None


class NewTargets(msgspec.Struct, forbid_unknown_fields=True):
    year: Annotated[int, msgspec.Meta(ge=FIRST_YEAR, le=LAST_YEAR)]
    region_code: RegionCode
    signed: TargetNumber | None = None
    credentials: TargetNumber | None = None
    coding: TargetNumber | None = None
    activating: TargetNumber | None = None
    terminals: TargetNumber | None = None
    signing_rates: SigningRates | None = None


def _rates(rates: SigningRates | None) -> dict[str, int]:
    if rates is None:
        return {}
    return {kind.value: getattr(rates, kind.value) for kind in QualificationKind
            if getattr(rates, kind.value) is not None}


def _progress_json(found: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in found.items() if key != "table"}


@get("/targets", opt=roles(Role.OPERATOR, Role.REGULATOR), sync_to_thread=True,
     summary="Progress against targets / 考核目标完成情况")
def progress(request: Request[Any, Any, Any], region: RegionFilter = None, year: Year = None) -> dict[str, Any]:
    """A year's targets (by default this year's) for the region (by default the caller's) and each
    region under it, with the figures at the year's end (today for this year): enterprises
    signed, with credentials, coding and activating, signing rates among qualification holders,
    terminals installed; the regions furthest behind first."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        return _progress_json(targets.progress(session, principal=principal, year=year or today().year,
                                               region_code=region))


@get("/targets.csv", opt=roles(Role.OPERATOR, Role.REGULATOR), sync_to_thread=True, media_type="text/csv",
     summary="Progress against targets as CSV / 考核目标完成情况（CSV）")
def progress_csv(request: Request[Any, Any, Any], region: RegionFilter = None, year: Year = None,
                 lang: Language = None) -> Response[str]:
    """The table of ``/targets`` as CSV (UTF-8 with a BOM), headed in Chinese or, with ``lang=en``, English."""
    principal = require_principal(request)
    chosen = year or today().year
    with reading(request.app.state.sessions) as session:
        found = targets.progress(session, principal=principal, year=chosen, region_code=region)
    name = f"targets-{found['region']['code'] if found['region'] else 'all'}-{chosen}.csv"
    return Response(found["table"].csv("en" if lang == "en" else "zh"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@post("/targets", opt=roles(Role.OPERATOR, Role.REGULATOR), sync_to_thread=True,
      summary="Set a region's targets for a year / 设定考核目标")
def set_targets(request: Request[Any, Any, Any], data: JSONBody[NewTargets]) -> dict[str, Any]:
    """Set (or replace) the targets of a region (the caller's or one under it) for a year; a figure
    left out has no target. Answers the region's progress against them."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        targets.set_target(session, actor=actor_for(request, principal), principal=principal, year=data.year,
                           region_code=data.region_code, signed=data.signed, credentials=data.credentials,
                           coding=data.coding, activating=data.activating, terminals=data.terminals,
                           signing_rates=_rates(data.signing_rates))
    with reading(request.app.state.sessions) as session:
        return _progress_json(targets.progress(session, principal=principal, year=data.year,
                                               region_code=data.region_code))


router = Router(path="/", route_handlers=[statistics, statistics_csv, progress, progress_csv, set_targets], tags=["statistics"])
