"""Enforcement linkage (执法打假联动) over the API: the actions cases and alerts opened, their outcome, and
their statistics, for the regulators in scope and the manufacturer whose brand was faked."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Router, get, post
from litestar.params import JSONBody

from jianguan.accounts.models import Role
from jianguan.cases import enforcement
from jianguan.cases.models import EnforcementAction
from jianguan.channels.sms import sms_gateway
from jianguan.messaging.gateways import deliver_queued
from jianguan.storage import reading, transaction
from jianguan.web.access import actor_for, require_principal, roles
from jianguan.web.api.openapi import errors
from jianguan.web.params import Id, RowId, stored_in

VIEWERS = roles(Role.OPERATOR, Role.REGULATOR, Role.MANUFACTURER)
ACTORS = roles(Role.OPERATOR, Role.REGULATOR)
Amount = Annotated[int, msgspec.Meta(ge=0, le=enforcement.MAX_AMOUNT, description="Whole yuan / 元")]


class NewAction(msgspec.Struct, forbid_unknown_fields=True):
    basis: Annotated[str, stored_in(EnforcementAction.basis, required=True)]
    case_id: Id | None = None
    alert_id: Id | None = None


class NewOutcome(msgspec.Struct, forbid_unknown_fields=True):
    goods_seized: Annotated[str, stored_in(EnforcementAction.goods_seized, required=True)]
    goods_value: Amount
    cases_filed: Annotated[int, msgspec.Meta(ge=0, le=enforcement.MAX_CASES_FILED)]
    penalty: Amount
    outcome: Annotated[str, stored_in(EnforcementAction.outcome)] | None = None


def action_json(action: EnforcementAction) -> dict[str, Any]:
    return {"id": action.id, "case_id": action.case_id, "alert_id": action.alert_id, "enterprise_id": action.enterprise_id,
            "region_code": action.region_code, "agency": action.agency, "basis": action.basis,
            "opened_at": action.opened_at.isoformat(),
            "concluded_at": action.concluded_at.isoformat() if action.concluded_at else None,
            "goods_seized": action.goods_seized, "goods_value": action.goods_value,
            "cases_filed": action.cases_filed, "penalty": action.penalty, "outcome": action.outcome}


@get("/enforcement-actions", opt=VIEWERS, sync_to_thread=True, summary="Enforcement actions / 执法打假联动")
def list_actions(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The actions in scope, newest first, and their totals (opened, concluded, value seized,
    cases filed, penalties): a manufacturer those about its brand."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        return {"actions": [action_json(a) for a in enforcement.list_actions(session, principal=principal)],
                "totals": enforcement.totals(session, principal=principal)}


@get("/enforcement-actions/{action_id:int}", opt=VIEWERS, sync_to_thread=True, responses=errors(404),
     summary="An enforcement action / 执法行动")
def get_action(request: Request[Any, Any, Any], action_id: RowId) -> dict[str, Any]:
    """One action in scope (404 outside it)."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        return action_json(enforcement.get_action(session, principal=principal, action_id=action_id))


@post("/enforcement-actions", opt=ACTORS, sync_to_thread=True, responses=errors(404, 409),
      summary="Open an enforcement action / 发起执法行动")
def open_action(request: Request[Any, Any, Any], data: JSONBody[NewAction]) -> dict[str, Any]:
    """Open an action, with its basis, from a case in scope that is not closed (``case_id``; 409
    for a closed one) or from an alert in scope that is open or acknowledged (``alert_id``; the
    alert is then handled: 409 for one handled already). Exactly one of the two (400 otherwise)."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        action = enforcement.open_action(session, actor=actor_for(request, principal), principal=principal,
                                         case_id=data.case_id, alert_id=data.alert_id, basis=data.basis)
        return action_json(action)


@post("/enforcement-actions/{action_id:int}/outcome", opt=ACTORS, sync_to_thread=True, status_code=200,
      responses=errors(404, 409), summary="Record an enforcement outcome / 记录执法结果")
def record_outcome(request: Request[Any, Any, Any], action_id: RowId, data: JSONBody[NewOutcome]) -> dict[str, Any]:
    """Record the outcome once (409 after): goods seized, their value and the penalty in whole
    yuan, the cases filed; the manufacturer whose brand was faked is told by text message."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        recorded = enforcement.record_outcome(
            session, actor=actor_for(request, principal), principal=principal, action_id=action_id,
            outcome=enforcement.Outcome(data.goods_seized, data.goods_value, data.cases_filed, data.penalty,
                                        data.outcome))
        body = action_json(recorded.action)
    deliver_queued(sms_gateway(request.app.state), request.app.state.sessions, recorded.messages)
    return body


router = Router(path="/", route_handlers=[list_actions, get_action, open_action, record_outcome],
                tags=["enforcement"])
