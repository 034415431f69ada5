"""Yearly targets (考核目标) and the progress of each region against them.

A regulator sets, for its region or a region under it and one year, how many enterprises should
have signed, hold credentials, be coding and be activating by the year's end, the signing rate
it expects among the holders of each kind of qualification (名牌, 免检, 生产许可证, …) and how
many query terminals should be installed. Progress compares the figures at the year's end (or
today, for the current year) with those targets, for the region and each region under it, the
regions furthest behind first.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from jianguan.accounts.principal import Principal
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.enterprises.models import Enterprise, Qualification, QualificationKind
from jianguan.errors import ValidationFailed
from jianguan.jurisdiction import scope_condition
from jianguan.regions.tree import region_tree
from jianguan.stats.figures import (
    Cell,
    Column,
    Period,
    Place,
    Table,
    funnel_counts,
    place,
    terminals_installed,
)
from jianguan.stats.models import Target
from jianguan.storage.base import utcnow
from jianguan.timezone import today

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_TARGET = 10_000_000
# The funnel's targets, by the stage whose count to date they are compared with.
COUNTED = (("signed", "signed", "签约入网", "signed"),
           ("credentials", "credentials_issued", "已申请密钥", "with credentials"),
           ("coding", "codes_issued", "已赋码", "coding"),
           ("activating", "activated", "已激活", "activating"))
NUMBERS = ("signed", "credentials", "coding", "activating", "terminals")


def _check_year(year: int) -> int:
    if not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationFailed(f"The year must be between {FIRST_YEAR} and {LAST_YEAR}.",
                               f"年份应在 {FIRST_YEAR} 至 {LAST_YEAR} 之间。", code="invalid_year", field="year")
    return year


def _check_number(name: str, value: int | None) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_TARGET:
        raise ValidationFailed(f"The target {name} must be a whole number from 0 to {MAX_TARGET}.",
                               f"目标 {name} 应为 0 至 {MAX_TARGET} 之间的整数。", code="invalid_target", field=name)
    return value


def _check_rates(rates: dict[str, int] | None) -> dict[str, int]:
    checked: dict[str, int] = {}
    for kind, percent in (rates or {}).items():
        try:
            QualificationKind(kind)
        except ValueError:
            choices = ", ".join(k.value for k in QualificationKind)
            raise ValidationFailed(f"Unknown qualification kind {kind!r}; one of {choices}.",
                                   f"未知的资质类型 {kind!r}，可选：{choices}。", code="unknown_kind",
                                   field="signing_rates") from None
        if not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= 100:
            raise ValidationFailed(f"A signing rate is a percentage from 0 to 100; {kind} has {percent!r}.",
                                   f"签约率应为 0 至 100 的百分数；{kind} 为 {percent!r}。", code="invalid_rate",
                                   field="signing_rates")
        checked[kind] = percent
    return dict(sorted(checked.items()))


def _values(target: Target | None) -> dict[str, Any] | None:
    if target is None:
        return None
    return {**{name: getattr(target, name) for name in NUMBERS}, "signing_rates": dict(target.signing_rates or {})}


def set_target(session: Session, *, actor: Actor, principal: Principal, year: int, region_code: str,
               signed: int | None = None, credentials: int | None = None, coding: int | None = None,
               activating: int | None = None, terminals: int | None = None,
               signing_rates: dict[str, int] | None = None) -> Target:
    """Set (or replace) the targets of ``region_code`` for ``year``: the caller's region or one under
    it (NotFound otherwise); numbers from 0, rates from 0 to 100 percent (ValidationFailed)."""
    _check_year(year)
    where = place(session, principal, region_code)
    assert where.region is not None  # a code was given
    values: dict[str, Any] = {name: _check_number(name, value) for name, value in
                              (("signed", signed), ("credentials", credentials), ("coding", coding),
                               ("activating", activating), ("terminals", terminals))}
    values["signing_rates"] = _check_rates(signing_rates)
    before = _values(session.scalars(select(Target).where(Target.year == year,
                                                          Target.region_code == where.region.code)
                                     .with_for_update()).first())
    row = {"year": year, "region_code": where.region.code, **values, "set_by": actor.name, "set_at": utcnow()}
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Target).values(**row)
    statement = statement.on_conflict_do_update(
        index_elements=[Target.year, Target.region_code],
        set_={name: statement.excluded[name] for name in (*NUMBERS, "signing_rates", "set_by", "set_at")})
    target_id = session.execute(statement.returning(Target.id)).scalar_one()
    session.expire_all()
    target = session.get(Target, target_id)
    assert target is not None
    record(session, actor=actor, action=AuditAction.STATS_TARGET_SET, target_type="region",
           target_id=f"{where.region.code}/{year}", before=before, after={"year": year, **values})
    return target


def _as_of(year: int) -> dt.date:
    return min(dt.date(year, 12, 31), today())


def signing_rates(session: Session, principal: Principal, codes: Any, day: dt.date) -> dict[str, tuple[Counter[str],
                                                                                                    Counter[str]]]:
    """Per kind of qualification: the enterprises in scope holding one in force on ``day`` per region,
    and those of them signed by then (both rolled up through the region tree)."""
    tree = region_tree(session)
    in_force = and_(Qualification.valid_from <= day,
                    or_(Qualification.valid_until.is_(None), Qualification.valid_until >= day))
    holders = (select(Qualification.kind, Enterprise.region_code, Enterprise.id, Enterprise.signed_on)
               .join(Enterprise, Enterprise.id == Qualification.enterprise_id)
               .where(in_force, scope_condition(principal, enterprise=Enterprise.id),
                      Enterprise.region_code.in_(sorted(codes)))
               .distinct().subquery())
    statement = (select(holders.c.kind, holders.c.region_code, func.count(),
                        func.count(holders.c.signed_on).filter(holders.c.signed_on <= day))
                 .group_by(holders.c.kind, holders.c.region_code))
    raw: dict[str, tuple[Counter[str], Counter[str]]] = {kind.value: (Counter(), Counter()) for kind in QualificationKind}
    for kind, region, held, signed in session.execute(statement):
        pair = raw.setdefault(kind, (Counter(), Counter()))
        pair[0][region] += int(held)
        pair[1][region] += int(signed or 0)
    return {kind: (tree.roll_up(held), tree.roll_up(signed)) for kind, (held, signed) in raw.items()}


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def progress(session: Session, *, principal: Principal, year: int, region_code: str | None = None) -> dict[str, Any]:
    """The targets of ``year`` for the region (the caller's by default) and each region under it,
    with the figures as they stand at the year's end (today, for the current year), the regions
    furthest behind their targets first. A region's attainment is the lowest of its figures'
    shares of their targets; a region without targets comes last."""
    _check_year(year)
    where = place(session, principal, region_code)
    tree = region_tree(session)
    day = _as_of(year)
    regions = [*([where.region] if where.region else []), *where.children]
    codes = set().union(*(tree.descendants(region.code) for region in regions)) if regions else set()
    funnel = funnel_counts(session, principal, tree, sorted(codes), Period(dt.date(year, 1, 1), max(day, dt.date(year, 1, 1))))
    rates = signing_rates(session, principal, codes, day)
    installed = terminals_installed(session, principal, where.region.code if where.region else "",
                                    [region.code for region in regions], day)
    targets = {target.region_code: target for target in session.scalars(
        select(Target).where(Target.year == year, Target.region_code.in_([region.code for region in regions])))}
    rows = []
    for region in regions:
        rows.append(_progress_row(region.code, region.name, targets.get(region.code), funnel, rates, installed))
    own = rows[0] if where.region else None
    under = sorted(rows[1:] if where.region else rows,
                   key=lambda row: (row["attainment"] is None, row["attainment"] or 0, row["code"]))
    return {"year": year, "as_of": day,
            "region": {"code": where.region.code, "name": where.region.name} if where.region else None,
            "path": [{"code": node.code, "name": node.name} for node in where.path],
            "own": own, "regions": under, "table": _progress_table(where, own, under)}


def _progress_row(code: str, name: str, target: Target | None, funnel: dict[str, Counter[str]],
                  rates: dict[str, tuple[Counter[str], Counter[str]]], installed: Counter[str]) -> dict[str, Any]:
    shares: list[float] = []
    figures: dict[str, Any] = {}
    for key, stage, _zh, _en in COUNTED:
        actual = funnel[f"{stage}_total"][code]
        wanted = getattr(target, key) if target else None
        figures[key] = {"actual": actual, "target": wanted, "percent": _percent(actual, wanted or 0)}
        if wanted:
            shares.append(actual / wanted)
    actual_terminals = installed[code]
    wanted_terminals = target.terminals if target else None
    figures["terminals"] = {"actual": actual_terminals, "target": wanted_terminals,
                            "percent": _percent(actual_terminals, wanted_terminals or 0)}
    if wanted_terminals:
        shares.append(actual_terminals / wanted_terminals)
    signing: dict[str, Any] = {}
    for kind in QualificationKind:
        held, signed = rates[kind.value][0][code], rates[kind.value][1][code]
        rate = _percent(signed, held)
        wanted_rate = (target.signing_rates or {}).get(kind.value) if target else None
        signing[kind.value] = {"holders": held, "signed": signed, "rate": rate, "target": wanted_rate}
        if wanted_rate:
            shares.append((rate or 0.0) / wanted_rate)
    attainment = round(100.0 * min(shares), 1) if shares else None
    return {"code": code, "name": name, "has_target": target is not None, "attainment": attainment,
            "behind": attainment is not None and attainment < 100, **figures, "signing_rates": signing}


def _progress_table(where: Place, own: dict[str, Any] | None, under: list[dict[str, Any]]) -> Table:
    columns = [Column("region", "区域", "Region", numeric=False), Column("attainment", "完成度（%）", "Attainment (%)")]
    for key, _stage, zh, en in COUNTED:
        columns += [Column(key, zh, en.capitalize()), Column(f"{key}_target", f"{zh}目标", f"{en} target")]
    columns += [Column("terminals", "查询终端", "Terminals"), Column("terminals_target", "终端目标", "Terminals target")]
    for kind in QualificationKind:
        columns += [Column(f"rate_{kind.value}", f"{kind.label_zh}签约率（%）", f"Signing rate, {kind.label_en} (%)"),
                    Column(f"rate_{kind.value}_target", f"{kind.label_zh}目标（%）", f"target, {kind.label_en} (%)")]
    table = Table("targets", "考核目标完成情况", "Progress against targets", columns, drill=True)
    for row in [*([own] if own else []), *under]:
        cells: dict[str, Cell] = {"region": row["name"], "code": row["code"],
                                  "attainment": _text(row["attainment"])}
        for key in NUMBERS:
            cells[key] = row[key]["actual"]
            cells[f"{key}_target"] = _text(row[key]["target"])
        for kind, figures in row["signing_rates"].items():
            cells[f"rate_{kind}"] = _text(figures["rate"])
            cells[f"rate_{kind}_target"] = _text(figures["target"])
        table.rows.append(cells)
    return table


def _text(value: float | int | None) -> Cell:
    if value is None:
        return "—"
    return value if isinstance(value, int) else f"{value:.1f}"
