"""Early warning (质量预警) in the browser: the alerts in scope and their handling (an alert may
open an enforcement action, 执法打假联动, whose outcome is recorded on its page), the rules'
thresholds (the operator edits them), and the spot checks (监督抽查) with their form."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Router, get, post
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from jianguan.accounts.models import Role
from jianguan.alerts import rules as warning_rules
from jianguan.alerts import services as alerts
from jianguan.alerts import spot_checks
from jianguan.alerts.models import AlertKind, AlertSeverity, AlertStatus, WarningRule
from jianguan.cases import enforcement
from jianguan.catalogue.models import Agency
from jianguan.errors import DomainError, ValidationFailed
from jianguan.regions.tree import region_tree
from jianguan.storage import reading, transaction
from jianguan.web.access import actor_for, require_principal, roles
from jianguan.web.forms import Form, form_int
from jianguan.web.i18n import message
from jianguan.web.params import RowId

KIND_LABELS = {kind.value: kind for kind in AlertKind}
RULE_LABELS = {rule.value: rule for rule in WarningRule}
VIEWERS = roles(Role.OPERATOR, Role.REGULATOR, Role.MANUFACTURER)
HANDLERS = roles(Role.OPERATOR, Role.REGULATOR)
SPOT_FIELDS = ("product_id", "lot", "region_code", "place", "sampled_on", "items", "passed", "report_number", "agency")


def _labels() -> dict[str, Any]:
    return {"kinds": KIND_LABELS, "rules": RULE_LABELS, "Severity": AlertSeverity, "Status": AlertStatus}


@get("/manage/alerts", opt=VIEWERS, include_in_schema=False, sync_to_thread=True)
def alerts_page(request: Request[Any, Any, Any]) -> Template:
    """The newest alerts in the user's scope, newest first."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        rows = alerts.list_alerts(session, principal=principal)
        tree = region_tree(session)
        names = {alert.region_code: tree.name(alert.region_code) for alert in rows if alert.region_code}
    return Template("manage_alerts.html", context={"me": principal, "alerts": rows, "region_names": names, **_labels()})


def alert_page_with(request: Request[Any, Any, Any], alert_id: int, *, error: DomainError | None = None
                    ) -> Template:
    """The alert's page, with ``error`` (a refused step) shown at its top."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        alert = alerts.get_alert(session, principal=principal, alert_id=alert_id)
        region = region_tree(session).name(alert.region_code) if alert.region_code else None
        actions = enforcement.list_actions(session, principal=principal, alert_id=alert.id)
    acting = principal.role in (Role.OPERATOR, Role.REGULATOR)
    can_act = acting and str(alert.status) in (AlertStatus.OPEN.value, AlertStatus.ACKNOWLEDGED.value)
    return Template("alert.html", status_code=error.status_code if error else 200, context={
        "me": principal, "alert": alert, "region_name": region, "can_act": can_act, "acting": acting,
        "enforcement": actions, "error": message(request, error), **_labels()})


@get("/manage/alerts/{alert_id:int}", opt=VIEWERS, include_in_schema=False, sync_to_thread=True)
def alert_page(request: Request[Any, Any, Any], alert_id: RowId) -> Template:
    """One alert: its rule, evidence and region, and (for a regulator in scope) its handling."""
    return alert_page_with(request, alert_id)


def _act(request: Request[Any, Any, Any], alert_id: int, step: str, reason: str | None = None) -> Template | Redirect:
    """Take one step of the alert's handling (``reason``: a dismissal's reason, an action's basis)."""
    principal = require_principal(request)
    try:
        with transaction(request.app.state.sessions) as session:
            actor = actor_for(request, principal)
            if step == "acknowledge":
                alerts.acknowledge(session, actor=actor, principal=principal, alert_id=alert_id)
            elif step == "dismiss":
                alerts.dismiss(session, actor=actor, principal=principal, alert_id=alert_id, reason=reason)
            elif step == "enforcement":
                enforcement.open_action(session, actor=actor, principal=principal, alert_id=alert_id, basis=reason)
            else:
                alert = alerts.open_case_from_alert(session, actor=actor, principal=principal, alert_id=alert_id)
                return Redirect(f"/manage/cases/{alert.case_id}", status_code=303)
    except DomainError as error:
        if error.status_code == 404:
            raise
        return alert_page_with(request, alert_id, error=error)
    return Redirect(f"/manage/alerts/{alert_id}", status_code=303)


@post("/manage/alerts/{alert_id:int}/acknowledge", opt=HANDLERS, include_in_schema=False, sync_to_thread=True)
def acknowledge_alert(request: Request[Any, Any, Any], alert_id: RowId) -> Template | Redirect:
    """Acknowledge an open alert."""
    return _act(request, alert_id, "acknowledge")


@post("/manage/alerts/{alert_id:int}/dismiss", opt=HANDLERS, include_in_schema=False, sync_to_thread=True)
def dismiss_alert(request: Request[Any, Any, Any], alert_id: RowId, data: Form) -> Template | Redirect:
    """Dismiss an alert with the reason given."""
    return _act(request, alert_id, "dismiss", data.get("reason"))


@post("/manage/alerts/{alert_id:int}/case", opt=HANDLERS, include_in_schema=False, sync_to_thread=True)
def alert_to_case(request: Request[Any, Any, Any], alert_id: RowId) -> Template | Redirect:
    """Turn an alert into a case; the case's page follows."""
    return _act(request, alert_id, "case")


@post("/manage/alerts/{alert_id:int}/enforcement", opt=HANDLERS, include_in_schema=False, sync_to_thread=True)
def alert_to_enforcement(request: Request[Any, Any, Any], alert_id: RowId, data: Form) -> Template | Redirect:
    """Open an enforcement action (执法打假) straight from the alert, with its basis."""
    return _act(request, alert_id, "enforcement", data.get("basis"))


def _rules_page(request: Request[Any, Any, Any], *, error: DomainError | None = None) -> Template:
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        found = list(warning_rules.settings(session).values())
    return Template("alert_rules.html", status_code=error.status_code if error else 200, context={
        "me": principal, "settings": found, "can_edit": principal.role is Role.OPERATOR,
        "error": message(request, error), "maximum": warning_rules.MAX_THRESHOLD,
        "max_window": warning_rules.MAX_WINDOW_MINUTES})


@get("/manage/alert-rules", opt=HANDLERS, include_in_schema=False, sync_to_thread=True)
def rules_page(request: Request[Any, Any, Any]) -> Template:
    """The early-warning rules and their thresholds (the operator's form to change them)."""
    return _rules_page(request)


@post("/manage/alert-rules/{rule:str}", opt=roles(Role.OPERATOR), include_in_schema=False, sync_to_thread=True)
def change_rule(request: Request[Any, Any, Any], rule: Annotated[str, PathParameter(max_length=32)], data: Form) -> Template | Redirect:
    """Change one rule's thresholds from its form."""
    principal = require_principal(request)
    try:
        if rule not in RULE_LABELS:
            raise ValidationFailed("No such warning rule.", "没有该预警规则。", code="unknown_rule", field="rule")
        windowed = WarningRule(rule) not in warning_rules.EVENT_RULES
        numbers = {name: form_int(data.get(name), english, chinese) if windowed else None
                   for name, english, chinese in (("threshold", "threshold", "阈值"),
                                                  ("window_minutes", "window", "时间窗口"),
                                                  ("max_queries", "bound on queries", "查询次数上限"))}
        if rule != WarningRule.CLONED_CODE.value:
            numbers["max_queries"] = None
        with transaction(request.app.state.sessions) as session:
            warning_rules.set_rule(session, actor=actor_for(request, principal), rule=rule,
                                   enabled=data.get("enabled") == "on", **numbers)
    except DomainError as error:
        return _rules_page(request, error=error)
    return Redirect("/manage/alert-rules", status_code=303)


def _spot_page(request: Request[Any, Any, Any], *, values: dict[str, str] | None = None,
               error: DomainError | None = None) -> Template:
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        rows = spot_checks.list_spot_checks(session, principal=principal)
        products = spot_checks.checkable_products(session, principal=principal)
        names = {product.id: product.name for product in products}
        tree = region_tree(session)
        regions = {check.region_code: tree.name(check.region_code) for check in rows}
    return Template("spot_checks.html", status_code=error.status_code if error else 200, context={
        "me": principal, "checks": rows, "products": products, "product_names": names, "region_names": regions,
        "can_record": principal.role in (Role.OPERATOR, Role.REGULATOR), "agencies": list(Agency),
        "values": values or {}, "error": message(request, error)})


@get("/manage/spot-checks", opt=VIEWERS, include_in_schema=False, sync_to_thread=True)
def spot_checks_page(request: Request[Any, Any, Any]) -> Template:
    """The spot checks in the user's scope (a failed one offers the recall form), and the form."""
    return _spot_page(request)


@post("/manage/spot-checks", opt=HANDLERS, include_in_schema=False, sync_to_thread=True)
def record_spot_check(request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
    """Record a spot check from the form."""
    principal = require_principal(request)
    values = {name: data.get(name) or "" for name in SPOT_FIELDS}
    try:
        product = form_int(values["product_id"], "product", "产品")
        if product is None:
            raise ValidationFailed("Choose the product sampled.", "请选择抽查的产品。", code="missing_field",
                                   field="product_id")
        if values["passed"] not in ("yes", "no"):
            raise ValidationFailed("Say whether the lot passed.", "请选择抽查结果。", code="missing_field", field="passed")
        given = spot_checks.SpotCheckInput(
            product_id=product, lot=values["lot"], region_code=values["region_code"], place=values["place"],
            sampled_on=values["sampled_on"], items=values["items"], passed=values["passed"] == "yes",
            report_number=values["report_number"], agency=values["agency"] or None)
        with transaction(request.app.state.sessions) as session:
            spot_checks.record_spot_check(session, actor=actor_for(request, principal), principal=principal,
                                          given=given)
    except DomainError as error:
        return _spot_page(request, values=values, error=error)
    return Redirect("/manage/spot-checks", status_code=303)


router = Router(path="/", route_handlers=[alerts_page, alert_page, acknowledge_alert, dismiss_alert, alert_to_case,
                                          alert_to_enforcement,
                                          rules_page, change_rule, spot_checks_page, record_spot_check])
