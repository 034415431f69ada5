"""The enrolment funnel (入网进度): the day each enterprise reached each stage, and the counts.

签约入网 (signed) → 已申请密钥 (credentials) → 已赋码 (codes issued) → 已激活 (activated): the
seeds' progress reports count enterprises at each stage, each stage a subset of the one before.
The dates are facts, set once as the stages happen, by the services that make them happen.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.applications.models import Application
from jianguan.applications.workflow import ApplicationStage
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.enterprises.models import EnrolmentStage, Enterprise
from jianguan.errors import NotFound, PermissionDenied, ValidationFailed
from jianguan.jurisdiction import covers_region, scope_condition
from jianguan.regions.tree import region_tree
from jianguan.timezone import today

STAGE_COLUMNS = {
    EnrolmentStage.SIGNED: "signed_on",
    EnrolmentStage.CREDENTIALS_ISSUED: "credentials_issued_on",
    EnrolmentStage.CODES_ISSUED: "codes_issued_on",
    EnrolmentStage.ACTIVATED: "activated_on",
}
FUNNEL = (EnrolmentStage.SIGNED, EnrolmentStage.CREDENTIALS_ISSUED, EnrolmentStage.CODES_ISSUED,
          EnrolmentStage.ACTIVATED)


def mark_stage_reached(
    session: Session, *, actor: Actor, enterprise_id: int, stage: EnrolmentStage | str, on: dt.date | None = None
) -> bool:
    """Record the day ``enterprise_id`` first reached ``stage``, and the stages before it that it
    implies and that have no date yet (the same day); stages already dated change nothing.

    The funnel only runs forward (签约 → 密钥 → 赋码 → 激活): an enterprise whose codes were
    issued has credentials and has signed, whatever order the records came in, so every count
    of the funnel holds the counts after it. Returns whether any date was set now. Services call
    this as the stage happens (the first API key issued, the first codes, the first activation);
    ``on`` defaults to today (Beijing).
    """
    stage = EnrolmentStage(stage)
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound(f"No enterprise {enterprise_id}.", f"企业 {enterprise_id} 不存在。")
    day = on or today()
    reached = FUNNEL[:FUNNEL.index(stage) + 1]
    unset = [STAGE_COLUMNS[s] for s in reached if getattr(enterprise, STAGE_COLUMNS[s]) is None]
    if not unset:
        return False
    for column in unset:
        setattr(enterprise, column, day)
    record(session, actor=actor, action=AuditAction.ENTERPRISE_STAGE_REACHED, target_type="enterprise",
           target_id=enterprise.id, before=dict.fromkeys(unset),
           after={**dict.fromkeys(unset, day), "stage": stage.value})
    return True


def _furthest_stage(stage: EnrolmentStage) -> ColumnElement[bool]:
    """Enterprises whose furthest stage is ``stage``."""
    ordered = [EnrolmentStage.REGISTERED, *FUNNEL]
    later = ordered[ordered.index(stage) + 1:]
    conditions = [getattr(Enterprise, STAGE_COLUMNS[s]).is_(None) for s in later]
    if stage is not EnrolmentStage.REGISTERED:
        conditions.append(getattr(Enterprise, STAGE_COLUMNS[stage]).is_not(None))
    return and_(*conditions)


def _parse_stage(stage: EnrolmentStage | str) -> EnrolmentStage:
    try:
        return EnrolmentStage(stage)
    except ValueError:
        choices = ", ".join(s.value for s in EnrolmentStage)
        raise ValidationFailed(f"Unknown stage {stage!r}; one of {choices}.", f"未知的入网阶段 {stage!r}，可选：{choices}。",
                               code="unknown_stage") from None



def stage_condition(stage: EnrolmentStage | str) -> ColumnElement[bool]:
    """Enterprises whose furthest stage is ``stage`` (a stage's value, checked)."""
    return _furthest_stage(_parse_stage(stage))


def _applications(session: Session, principal: Principal, regions: Any) -> dict[str, int]:
    """The applications to join online (网上申请入网) in scope and in ``regions`` (None: all), by
    stage: the funnel's entry, before an enterprise signs."""
    query = select(Application.stage, func.count()).where(scope_condition(
        principal, region=Application.region_code, category=Application.category_id, agency=Application.agency))
    if regions is not None:
        query = query.where(Application.region_code.in_(sorted(regions)))
    counts = dict.fromkeys((stage.value for stage in ApplicationStage), 0)
    for stage, count in session.execute(query.group_by(Application.stage)):
        counts[str(stage)] = count
    return counts


def enrolment_progress(session: Session, *, principal: Principal, region_code: str | None = None) -> dict[str, Any]:
    """The enrolment funnel (签约入网 / 已申请密钥 / 已赋码 / 已激活) in ``principal``'s scope.

    Counts are of enterprises that reached each stage (so they shrink along the funnel), in
    the chosen region (the regulator's own by default, the whole country for an operator),
    with the same counts for each division directly under it, and the applications to join
    online there by stage (``applications``). A region outside the caller's scope is NotFound.
    """
    if principal.role not in (Role.OPERATOR, Role.REGULATOR):
        raise PermissionDenied("Enrolment progress is for the operator and regulators.",
                               "入网进度仅供运营中心和监管部门查看。")
    tree = region_tree(session)
    region_code = (region_code or "").strip() or principal.region_code
    region = tree.require(region_code) if region_code else None
    if region is not None and not covers_region(principal, region.code):
        raise NotFound(f"No region has the code {region.code} in your area.",
                       f"您的管辖范围内没有代码为 {region.code} 的行政区划。", code="unknown_region")
    statement = select(Enterprise.region_code, *(getattr(Enterprise, STAGE_COLUMNS[s]) for s in FUNNEL)).where(
        scope_condition(principal, enterprise=Enterprise.id))
    if region is not None:
        statement = statement.where(Enterprise.region_code.in_(sorted(tree.descendants(region.code))))
    stages = ("registered", *(stage.value for stage in FUNNEL))
    per_region: dict[str, Counter[str]] = {stage: Counter() for stage in stages}
    for row in session.execute(statement):
        per_region["registered"][row[0]] += 1
        for stage, reached in zip(FUNNEL, row[1:], strict=True):
            if reached is not None:
                per_region[stage.value][row[0]] += 1
    rolled = {stage: tree.roll_up(counts) for stage, counts in per_region.items()}
    below = tree.children(region.code if region is not None else None)

    def figures(code: str | None) -> dict[str, int]:
        if code is None:
            return {stage: sum(per_region[stage].values()) for stage in stages}
        return {stage: rolled[stage][code] for stage in stages}

    return {
        "applications": _applications(session, principal, tree.descendants(region.code) if region is not None else None),
        "region": {"code": region.code, "name": region.name} if region is not None else None,
        "stages": [stage.value for stage in (EnrolmentStage.REGISTERED, *FUNNEL)],
        "totals": figures(region.code if region is not None else None),
        "children": [{"code": child.code, "name": child.name, **figures(child.code)} for child in below
                     if covers_region(principal, child.code)],
    }
