"""Supervisory spot checks (监督抽查): a regulator records the result of testing a product's lot
(sampling place and date, items tested, pass or fail, the report's number, the agency). A failure
raises an alert (rule ``spot_check_failed``) for the regulators in scope and the manufacturer, and
the pages offer to open a recall of that lot. Who sees a check is the jurisdiction rule on the
sampling region, the product's category and its enterprise; a regulator records checks of the
products its agency supervises in its own region only (anything else: not found)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.alerts.models import Alert, AlertSeverity, SpotCheck, WarningRule
from jianguan.alerts.rules import ACTOR, settings
from jianguan.alerts.services import raise_once
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.catalogue.models import Agency
from jianguan.enterprises.models import Product
from jianguan.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jianguan.fields import clean_text
from jianguan.jurisdiction import in_scope, scope_condition
from jianguan.regions.tree import region_tree
from jianguan.storage.base import utcnow
from jianguan.timezone import LOCAL_ZONE

LIST_LIMIT = 500
EARLIEST = dt.date(2000, 1, 1)


@dataclass
class SpotCheckInput:
    """What a regulator records (checked by ``record_spot_check``)."""

    product_id: int
    lot: str | None
    region_code: str | None
    place: str | None
    sampled_on: object
    items: str | None
    passed: object
    report_number: str | None
    agency: str | None = None


@dataclass
class Recorded:
    check: SpotCheck
    alert: Alert | None


def _scope(principal: Principal) -> Any:
    return scope_condition(principal, region=SpotCheck.region_code, category=SpotCheck.category_id,
                           enterprise=SpotCheck.enterprise_id)


def _date(value: object) -> dt.date:
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            value = None
    today = utcnow().astimezone(LOCAL_ZONE).date()
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime) or not EARLIEST <= value <= today:
        raise ValidationFailed(f"The sampling date is a day (YYYY-MM-DD) from {EARLIEST} to today.",
                               f"抽样日期应为 {EARLIEST} 至今天的日期（年-月-日）。", code="invalid_date",
                               field="sampled_on")
    return value


def record_spot_check(session: Session, *, actor: Actor, principal: Principal, given: SpotCheckInput) -> Recorded:
    """Record one spot check; a failure raises its alert in the same transaction."""
    if principal.role not in (Role.OPERATOR, Role.REGULATOR):
        raise PermissionDenied()
    if not isinstance(given.passed, bool):
        raise ValidationFailed("Say whether the lot passed (true or false).", "请注明抽查结果：合格或不合格。",
                               code="missing_field", field="passed")
    lot = clean_text(given.lot, SpotCheck.lot, english="lot", chinese="批次号", required=True)
    place = clean_text(given.place, SpotCheck.place, english="sampling place", chinese="抽样地点", required=True)
    items = clean_text(given.items, SpotCheck.items, english="items tested", chinese="检验项目", required=True)
    number = clean_text(given.report_number, SpotCheck.report_number, english="report number", chinese="检验报告编号",
                        required=True)
    sampled_on = _date(given.sampled_on)
    try:
        region = region_tree(session).require((given.region_code or "").strip()).code
    except NotFound as missing:
        raise ValidationFailed(missing.message, missing.message_zh, code="unknown_region", field="region_code") from None
    if principal.role is Role.REGULATOR:
        assert principal.agency is not None
        agency = principal.agency.value
    else:
        try:
            agency = Agency((given.agency or "").strip()).value
        except ValueError:
            raise ValidationFailed("Name the agency that sampled (quality, market, agriculture or food_drug).",
                                   "请选择抽查部门。", code="invalid_agency", field="agency") from None
    product = session.get(Product, given.product_id)
    if product is None or not in_scope(session, principal, region=region, category=product.category_id):
        raise NotFound("No such product in your scope.", "您的管辖范围内没有该产品。")
    if session.scalar(select(SpotCheck.id).where(SpotCheck.report_number == number)) is not None:
        raise Conflict("A spot check with this report number is recorded already.", "该检验报告编号已登记。",
                       code="duplicate_report")
    check = SpotCheck(product_id=product.id, enterprise_id=product.enterprise_id, category_id=product.category_id,
                      lot=lot, region_code=region, place=place, sampled_on=sampled_on, items=items,
                      passed=given.passed, report_number=number, agency=agency, recorded_at=utcnow(),
                      recorded_by=actor.name[:100])
    try:
        with session.begin_nested():
            session.add(check)
            session.flush()
    except IntegrityError:
        raise Conflict("A spot check with this report number is recorded already.", "该检验报告编号已登记。",
                       code="duplicate_report") from None
    record(session, actor=actor, action=AuditAction.ALERT_SPOT_CHECK_RECORDED, target_type="spot_check",
           target_id=check.id, after={"product_id": product.id, "enterprise_id": product.enterprise_id, "lot": lot,
                                      "region_code": region, "sampled_on": sampled_on.isoformat(), "passed": given.passed,
                                      "report_number": number, "agency": agency})
    alert = None
    if not given.passed and settings(session)[WarningRule.SPOT_CHECK_FAILED].enabled:
        alert = raise_once(session, actor=ACTOR, rule=WarningRule.SPOT_CHECK_FAILED,
                           dedup_key=f"spot_check_failed:{check.id}", severity=AlertSeverity.CRITICAL,
                           subject=f"spot check {number}", region_code=region, category_id=product.category_id,
                           enterprise_id=product.enterprise_id,
                           details={"spot_check_id": check.id, "product_id": product.id, "product": product.name,
                                    "lot": lot, "place": place, "items": items, "report_number": number,
                                    "sampled_on": sampled_on.isoformat(), "agency": agency})
    return Recorded(check, alert)


def list_spot_checks(session: Session, *, principal: Principal, limit: int = LIST_LIMIT, offset: int = 0
                     ) -> list[SpotCheck]:
    """The spot checks ``principal`` sees, newest first (a manufacturer those of its products)."""
    return list(session.scalars(select(SpotCheck).where(_scope(principal))
                                .order_by(SpotCheck.recorded_at.desc(), SpotCheck.id.desc()).limit(limit).offset(offset)))


def get_spot_check(session: Session, *, principal: Principal, check_id: int) -> SpotCheck:
    check = session.scalar(select(SpotCheck).where(SpotCheck.id == check_id, _scope(principal)))
    if check is None:
        raise NotFound("No such spot check.", "没有该抽查记录。")
    return check


def spot_check_json(check: SpotCheck) -> dict[str, Any]:
    return {"id": check.id, "product_id": check.product_id, "enterprise_id": check.enterprise_id,
            "category_id": check.category_id, "lot": check.lot, "region_code": check.region_code,
            "place": check.place, "sampled_on": check.sampled_on.isoformat(), "items": check.items,
            "passed": check.passed, "report_number": check.report_number, "agency": check.agency,
            "recorded_at": check.recorded_at.isoformat(), "recorded_by": check.recorded_by,
            "recall_form": None if check.passed else f"/recalls?product_id={check.product_id}&lots={check.lot}"}


def checkable_products(session: Session, *, principal: Principal, limit: int = 300) -> list[Product]:
    """Products a regulator's agency supervises (the form's choices; the operator every product)."""
    from jianguan.jurisdiction import enterprises_in_scope
    query = select(Product).order_by(Product.id).limit(limit)
    if principal.role is Role.REGULATOR:
        query = query.where(Product.enterprise_id.in_(enterprises_in_scope(principal)))
    elif principal.role is not Role.OPERATOR:
        return []
    return list(session.scalars(query))
