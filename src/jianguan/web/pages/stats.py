"""The statistics pages for regulators: a region's tables (drilling province -> city -> county, each
table with its CSV), and the targets (考核) with the progress against them."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Router, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from jianguan.accounts.models import Role
from jianguan.enterprises.models import QualificationKind
from jianguan.errors import ValidationFailed
from jianguan.stats import figures as stats
from jianguan.stats import targets
from jianguan.stats.targets import COUNTED, FIRST_YEAR, LAST_YEAR, MAX_TARGET
from jianguan.storage import reading, transaction
from jianguan.timezone import today
from jianguan.web.access import actor_for, require_principal, roles
from jianguan.web.forms import Form, form_int
from jianguan.web.i18n import message
from jianguan.web.params import RegionFilter

DayText = Annotated[str | None, QueryParameter(max_length=10)]
YearText = Annotated[str | None, QueryParameter(max_length=4)]
REGULATORS = roles(Role.OPERATOR, Role.REGULATOR)


@get("/manage/statistics", opt=REGULATORS, include_in_schema=False, sync_to_thread=True)
def statistics_page(request: Request[Any, Any, Any], region: RegionFilter = None,
                    first: Annotated[str | None, QueryParameter(name="from", max_length=10)] = None,
                    last: Annotated[str | None, QueryParameter(name="to", max_length=10)] = None) -> Template:
    """The regulators' dashboard: a region's statistics for a period (the caller's region and the last
    30 days by default), the progress against the year's targets first, each table with its chart
    (static/charts.js), and the map of the region."""
    principal = require_principal(request)
    error = None
    try:
        first_day = stats.parse_day(first, "first day", "起始日期")
        last_day = stats.parse_day(last, "last day", "结束日期")
        stats.period(first_day, last_day)
    except ValidationFailed as refused:
        error, first_day, last_day = refused, None, None
    with reading(request.app.state.sessions) as session:
        found = stats.statistics(session, principal=principal, region_code=region, first=first_day,
                                 last=last_day, offline_after_seconds=request.app.state.settings.terminal_offline_after_seconds)
        # The funnel against the year's targets (考核) leads the dashboard: the year of the period's end.
        progress = targets.progress(session, principal=principal, year=found["to"].year, region_code=region)
    query = {"from": found["from"].isoformat(), "to": found["to"].isoformat()}
    here = {**query, **({"region": found["region"]["code"]} if found["region"] else {})}
    return Template("stats.html", status_code=400 if error else 200, context={
        "found": found, "tables": [progress["table"], *found["tables"].values()], "error": message(request, error),
        "period_query": urlencode(query), "here_query": urlencode(here), "year": found["to"].year,
    })


def _targets_page(request: Request[Any, Any, Any], *, region: str | None, year: int,
                  values: dict[str, str] | None = None, error: ValidationFailed | None = None) -> Template:
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        found = targets.progress(session, principal=principal, year=year, region_code=region)
    choices = [*([found["own"]] if found["own"] else []), *sorted(found["regions"], key=lambda row: row["code"])]
    return Template("targets.html", status_code=400 if error else 200, context={
        "found": found, "table": found["table"], "error": message(request, error), "values": values or {},
        "choices": choices, "counted": COUNTED, "kinds": list(QualificationKind), "max_target": MAX_TARGET,
        "may_set": principal.role in (Role.OPERATOR, Role.REGULATOR),
    })


def _year(text: str | None) -> int:
    year = form_int(text, "year", "年度", maximum=LAST_YEAR)
    if year is None:
        return today().year
    if year < FIRST_YEAR:
        raise ValidationFailed(f"The year must be between {FIRST_YEAR} and {LAST_YEAR}.",
                               f"年份应在 {FIRST_YEAR} 至 {LAST_YEAR} 之间。", code="invalid_year", field="year")
    return year


@get("/manage/targets", opt=REGULATORS, include_in_schema=False, sync_to_thread=True)
def targets_page(request: Request[Any, Any, Any], region: RegionFilter = None, year: YearText = None) -> Template:
    """A year's targets of the region and the regions under it, with their progress, furthest behind
    first, and the form that sets them."""
    try:
        chosen = _year(year)
    except ValidationFailed as refused:
        return _targets_page(request, region=region, year=today().year, error=refused)
    return _targets_page(request, region=region, year=chosen)


@post("/manage/targets", opt=REGULATORS, include_in_schema=False, sync_to_thread=True)
def set_targets(request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
    """Set the targets of one region (the caller's or one under it) for a year."""
    principal = require_principal(request)
    values = {name: (value or "").strip() for name, value in data.items()}
    shown = values.get("shown_region") or None
    try:
        year = _year(values.get("year"))
        numbers = {key: form_int(values.get(key), f"target {key}", f"目标{zh}", maximum=MAX_TARGET)
                   for key, _stage, zh, _en in COUNTED}
        terminals = form_int(values.get("terminals"), "target terminals", "目标终端数", maximum=MAX_TARGET)
        rates = {}
        for kind in QualificationKind:
            rate = form_int(values.get(f"rate_{kind.value}"), f"signing rate ({kind.label_en})",
                            f"{kind.label_zh}签约率", maximum=1000)
            if rate is not None:
                rates[kind.value] = rate
        with transaction(request.app.state.sessions) as session:
            targets.set_target(session, actor=actor_for(request, principal), principal=principal, year=year,
                               region_code=values.get("region_code", ""), terminals=terminals, signing_rates=rates,
                               **numbers)
    except ValidationFailed as refused:
        return _targets_page(request, region=shown, year=today().year, values=values, error=refused)
    query = urlencode({"year": year, **({"region": shown} if shown else {})})
    return Redirect(f"/manage/targets?{query}", status_code=303)


router = Router(path="/", route_handlers=[statistics_page, targets_page, set_targets])
