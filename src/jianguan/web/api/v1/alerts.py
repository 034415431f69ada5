"""Alerts (质量预警) over the API: the alerts in the caller's scope and their handling, the
early-warning rules' thresholds (the operator edits them) and the spot checks (监督抽查)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Router, get, post, put
from litestar.params import JSONBody, PathParameter, QueryParameter

from jianguan.accounts.models import Role
from jianguan.alerts import rules as warning_rules
from jianguan.alerts import services as alerts
from jianguan.alerts import spot_checks
from jianguan.alerts.models import Alert, AlertStatus, SpotCheck
from jianguan.storage import reading, transaction
from jianguan.web.access import actor_for, require_principal, roles
from jianguan.web.api.openapi import errors
from jianguan.web.params import Id, Offset, RowId, stored_in

VIEWERS = roles(Role.OPERATOR, Role.REGULATOR, Role.MANUFACTURER)
HANDLERS = roles(Role.OPERATOR, Role.REGULATOR)
RuleName = Annotated[str, PathParameter(min_length=1, max_length=32, description="The rule's name / 规则名称")]
Threshold = Annotated[int, msgspec.Meta(ge=1, le=warning_rules.MAX_THRESHOLD)]
Window = Annotated[int, msgspec.Meta(ge=1, le=warning_rules.MAX_WINDOW_MINUTES)]
StatusFilter = Annotated[Literal["open", "acknowledged", "case_opened", "enforcement", "dismissed"] | None,
                        QueryParameter(description="open, acknowledged, case_opened, enforcement or dismissed / 处理状态")]


def alert_json(alert: Alert) -> dict[str, Any]:
    """An alert as the API shows it."""
    return {
        "id": alert.id,
        "kind": alert.kind,
        "rule": alert.rule,
        "severity": str(alert.severity),
        "subject": alert.subject,
        "region_code": alert.region_code,
        "category_id": alert.category_id,
        "enterprise_id": alert.enterprise_id,
        "details": alert.details,
        "status": str(alert.status),
        "created_at": alert.created_at.isoformat(),
        "acknowledged_at": alert.acknowledged_at.isoformat() if alert.acknowledged_at else None,
        "acknowledged_by": alert.acknowledged_by,
        "handled_at": alert.handled_at.isoformat() if alert.handled_at else None,
        "handled_by": alert.handled_by,
        "reason": alert.reason,
        "case_id": alert.case_id,
    }


class Dismissal(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, stored_in(Alert.reason, required=True)]


class RuleChange(msgspec.Struct, forbid_unknown_fields=True):
    enabled: bool | None = None
    threshold: Threshold | None = None
    max_queries: Threshold | None = None
    window_minutes: Window | None = None


class NewSpotCheck(msgspec.Struct, forbid_unknown_fields=True):
    product_id: Id
    lot: Annotated[str, stored_in(SpotCheck.lot, required=True)]
    region_code: Annotated[str, msgspec.Meta(min_length=6, max_length=6, pattern=r"^[0-9]{6}$")]
    place: Annotated[str, stored_in(SpotCheck.place, required=True)]
    sampled_on: dt.date
    items: Annotated[str, stored_in(SpotCheck.items, required=True)]
    passed: bool
    report_number: Annotated[str, stored_in(SpotCheck.report_number, required=True)]
    agency: Literal["quality", "market", "agriculture", "food_drug"] | None = None


@get("/alerts", opt=VIEWERS, sync_to_thread=True, summary="Alerts / 预警信息")
def list_alerts(request: Request[Any, Any, Any], status: StatusFilter = None) -> dict[str, Any]:
    """The newest alerts in the caller's scope, newest first: an operator all, a regulator those in
    its region of the categories its agency supervises or about enterprises in its scope, a
    manufacturer those about its own products."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        found = alerts.list_alerts(session, principal=principal, status=AlertStatus(status) if status else None)
        return {"alerts": [alert_json(alert) for alert in found]}


@get("/alerts/{alert_id:int}", opt=VIEWERS, sync_to_thread=True, summary="An alert / 预警详情")
def show_alert(request: Request[Any, Any, Any], alert_id: RowId) -> dict[str, Any]:
    """One alert with its rule, evidence and region (outside the caller's scope: 404)."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        return alert_json(alerts.get_alert(session, principal=principal, alert_id=alert_id))


@post("/alerts/{alert_id:int}/acknowledge", opt=HANDLERS, sync_to_thread=True, status_code=200,
      summary="Acknowledge an alert / 确认预警", responses=errors(409))
def acknowledge_alert(request: Request[Any, Any, Any], alert_id: RowId) -> dict[str, Any]:
    """open -> acknowledged. 409 when the alert is not open."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        return alert_json(alerts.acknowledge(session, actor=actor_for(request, principal), principal=principal,
                                             alert_id=alert_id))


@post("/alerts/{alert_id:int}/dismiss", opt=HANDLERS, sync_to_thread=True, status_code=200,
      summary="Dismiss an alert / 排除预警", responses=errors(409))
def dismiss_alert(request: Request[Any, Any, Any], alert_id: RowId, data: JSONBody[Dismissal]) -> dict[str, Any]:
    """open or acknowledged -> dismissed, with the reason. 409 when it was dismissed or made a case."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        return alert_json(alerts.dismiss(session, actor=actor_for(request, principal), principal=principal,
                                         alert_id=alert_id, reason=data.reason))


@post("/alerts/{alert_id:int}/case", opt=HANDLERS, sync_to_thread=True, status_code=201,
      summary="Turn an alert into a case / 预警转为案件", responses=errors(409))
def alert_to_case(request: Request[Any, Any, Any], alert_id: RowId) -> dict[str, Any]:
    """open or acknowledged -> case opened: a report carrying the alert's code and region, routed
    to the responsible agency like any case. 409 when it was dismissed or made a case."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        alert = alerts.open_case_from_alert(session, actor=actor_for(request, principal), principal=principal,
                                            alert_id=alert_id, channel="api")
        return alert_json(alert)


@get("/alert-rules", opt=HANDLERS, sync_to_thread=True, summary="Early-warning rules / 预警规则")
def list_rules(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """Every rule with its thresholds (the same for every caller: the network's rules)."""
    with reading(request.app.state.sessions) as session:
        return {"rules": [setting.json() for setting in warning_rules.settings(session).values()]}


@put("/alert-rules/{rule:str}", opt=roles(Role.OPERATOR), sync_to_thread=True,
     summary="Change a rule's thresholds / 修改预警规则")
def change_rule(request: Request[Any, Any, Any], rule: RuleName, data: JSONBody[RuleChange]) -> dict[str, Any]:
    """Change what is given of a rule's thresholds (the operator). A nonsensical threshold (a
    cloned code from one county, a threshold on a rule that raises on every event) is 400 and
    changes nothing."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        return warning_rules.set_rule(session, actor=actor_for(request, principal), rule=rule, enabled=data.enabled,
                                      threshold=data.threshold, max_queries=data.max_queries,
                                      window_minutes=data.window_minutes).json()


@get("/spot-checks", opt=VIEWERS, sync_to_thread=True, summary="Spot checks / 监督抽查")
def list_spot_checks(request: Request[Any, Any, Any], offset: Offset = 0) -> dict[str, Any]:
    """The spot checks in the caller's scope, newest first (a manufacturer those of its products)."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        found = spot_checks.list_spot_checks(session, principal=principal, offset=offset)
        return {"spot_checks": [spot_checks.spot_check_json(check) for check in found]}


@get("/spot-checks/{check_id:int}", opt=VIEWERS, sync_to_thread=True, summary="A spot check / 抽查记录")
def show_spot_check(request: Request[Any, Any, Any], check_id: RowId) -> dict[str, Any]:
    """One spot check (outside the caller's scope: 404); a failed one links the recall form."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        return spot_checks.spot_check_json(spot_checks.get_spot_check(session, principal=principal, check_id=check_id))


@post("/spot-checks", opt=HANDLERS, sync_to_thread=True, status_code=201,
      summary="Record a spot check / 登记监督抽查", responses=errors(409))
def record_spot_check(request: Request[Any, Any, Any], data: JSONBody[NewSpotCheck]) -> dict[str, Any]:
    """Record a spot check of a product's lot; a failure raises an alert (returned with it). A
    product its agency does not supervise in the caller's region is 404; a report number
    recorded already 409. The operator names the agency; a regulator's is its own."""
    principal = require_principal(request)
    given = spot_checks.SpotCheckInput(product_id=data.product_id, lot=data.lot, region_code=data.region_code,
                                       place=data.place, sampled_on=data.sampled_on, items=data.items,
                                       passed=data.passed, report_number=data.report_number, agency=data.agency)
    with transaction(request.app.state.sessions) as session:
        made = spot_checks.record_spot_check(session, actor=actor_for(request, principal), principal=principal,
                                             given=given)
        return {**spot_checks.spot_check_json(made.check),
                "alert": alert_json(made.alert) if made.alert is not None else None}


router = Router(path="/", route_handlers=[list_alerts, show_alert, acknowledge_alert, dismiss_alert, alert_to_case,
                                          list_rules, change_rule, list_spot_checks, show_spot_check,
                                          record_spot_check])
