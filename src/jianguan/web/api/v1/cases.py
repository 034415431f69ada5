"""Cases (投诉举报) over the API: intake (``POST /cases``, and ``POST /reports`` as before), the
reporter's look-up, and for those in scope the list, one case and its transitions; the stages'
deadlines for the operator."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Router, get, post, put
from litestar.params import JSONBody, QueryParameter

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.cases import intake
from jianguan.cases import services as cases
from jianguan.cases.models import Case, CaseStep
from jianguan.cases.workflow import CaseStage, allowed_actions, is_overdue
from jianguan.channels.sms import phone_regions, sms_gateway
from jianguan.messaging.gateways import deliver_queued
from jianguan.storage import reading, transaction
from jianguan.storage.base import utcnow
from jianguan.verify.models import Channel
from jianguan.verify.services import QueryContext
from jianguan.web.access import PUBLIC, actor_for, client_address, current_principal, require_principal, roles
from jianguan.web.api.openapi import errors
from jianguan.web.params import Filter, Id, RegionCode, RowId, stored_in

CASES_ROLES = roles(Role.OPERATOR, Role.REGULATOR, Role.MANUFACTURER)
ACTING_ROLES = roles(Role.OPERATOR, Role.REGULATOR)


class NewCase(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, stored_in(Case.code_input, required=True)]
    place: Annotated[str, stored_in(Case.place, required=True)]
    kind: Literal["report", "complaint"] = "report"
    region_code: RegionCode | None = None
    contact: Annotated[str, stored_in(Case.contact, description="A phone number or an e-mail address "
                                                                "/ 电话号码或电子邮箱")] | None = None
    description: Annotated[str, stored_in(Case.description)] | None = None


class NewReport(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, stored_in(Case.code_input, required=True)]
    place: Annotated[str, stored_in(Case.place, required=True)]
    region_code: RegionCode | None = None
    contact: Annotated[str, stored_in(Case.contact, description="A phone number or an e-mail address "
                                                                "/ 电话号码或电子邮箱")] | None = None
    description: Annotated[str, stored_in(Case.description)] | None = None


class Transition(msgspec.Struct, forbid_unknown_fields=True):
    action: Literal["assign", "pass", "investigate", "resolve", "inform", "close"]
    user_id: Id | None = None
    agency: Literal["quality", "market", "agriculture", "food_drug"] | None = None
    reason: Annotated[str, stored_in(Case.finding)] | None = None
    finding: Annotated[str, stored_in(Case.finding)] | None = None
    measures: Annotated[str, stored_in(Case.measures)] | None = None
    region_code: RegionCode | None = None
    upheld: bool | None = None


class Deadline(msgspec.Struct, forbid_unknown_fields=True):
    stage: Literal["accepted", "assigned", "investigating", "resolved", "informed"]
    days: Annotated[int, msgspec.Meta(ge=1, le=365)]


def step_json(step: CaseStep) -> dict[str, Any]:
    return {"at": step.at.isoformat(), "action": step.action, "stage": step.stage,
            "stage_label": {"zh": CaseStage(step.stage).label_zh, "en": CaseStage(step.stage).label_en},
            "note": step.note}


def case_json(case: Case, principal: Principal, *, steps: list[CaseStep] | None = None) -> dict[str, Any]:
    """A case as the API shows it: a manufacturer never gets who reported (contact, number)."""
    stage = CaseStage(case.stage)
    body: dict[str, Any] = {
        "id": case.id, "number": case.number, "kind": str(case.kind), "stage": stage.value,
        "stage_label": {"zh": stage.label_zh, "en": stage.label_en},
        "created_at": case.created_at.isoformat(), "code": case.code_input, "verdict": case.verdict,
        "channel": case.channel, "place": case.place, "region_code": case.region_code,
        "region_from_phone": case.region_from_phone, "description": case.description,
        "enterprise_id": case.enterprise_id, "category_id": case.category_id, "agency": case.agency,
        "assigned_region": case.assigned_region, "assignee_id": case.assignee_id,
        "due_at": case.due_at.isoformat() if case.due_at else None,
        "overdue": is_overdue(stage, case.due_at, utcnow()), "escalations": case.escalations,
        "upheld": case.upheld, "finding": case.finding, "measures": case.measures,
        "actions": [action.value for action in allowed_actions(stage)],
    }
    if not cases.reporter_hidden(principal):
        body.update(contact=case.contact, reply_to=case.reply_to)
    if steps is not None:
        body["steps"] = [step_json(step) for step in steps]
    return body


def _deliver(request: Request[Any, Any, Any], message_ids: list[int]) -> None:
    deliver_queued(sms_gateway(request.app.state), request.app.state.sessions, message_ids)


def _open(request: Request[Any, Any, Any], data: NewCase | NewReport, kind: str) -> dict[str, Any]:
    answer = request.app.state.verifier.verify(data.code, QueryContext(Channel.API, source=client_address(request)))
    with transaction(request.app.state.sessions) as session:
        opened = intake.open_case(
            session, actor=actor_for(request, current_principal(request)), kind=kind, code=data.code,
            place=data.place, region_code=data.region_code, contact=data.contact, description=data.description,
            channel=Channel.API, verdict=answer.verdict,
            phone_region=phone_regions(request.app.state).region_of(data.contact))
        case = opened.case
        body = {"id": case.id, "number": case.number, "reference": case.number, "secret": opened.secret,
                "kind": str(case.kind), "stage": str(case.stage), "status": str(case.stage),
                "verdict": case.verdict, "agency": case.agency, "created_at": case.created_at.isoformat()}
    _deliver(request, opened.messages)
    return body


@post("/cases", opt=PUBLIC, sync_to_thread=True, summary="Send a complaint or report / 投诉举报")
def submit_case(request: Request[Any, Any, Any], data: JSONBody[NewCase]) -> dict[str, Any]:
    """A complaint (``complaint``, 投诉: the quality of a genuine product) or a report
    (``report``, 举报: a suspected fake): the code as found, where (required), the region code of
    that place (optional: it routes the case), a phone number or e-mail (optional: a phone number
    gets the acceptance and the outcome by text message) and what was noticed. The code is
    verified as on any channel. Answers the case number and the short secret to look it up
    with (shown once). Public, and rate limited per client."""
    return _open(request, data, data.kind)


@post("/reports", opt=PUBLIC, sync_to_thread=True, summary="Report a fake / 举报假冒")
def submit_report(request: Request[Any, Any, Any], data: JSONBody[NewReport]) -> dict[str, Any]:
    """A report of a suspected fake (举报): the same as ``POST /cases`` with kind ``report``."""
    return _open(request, data, "report")


@get("/cases/lookup", opt=PUBLIC, sync_to_thread=True, responses=errors(404, 429),
     summary="Look up a case / 查询案件进度")
def lookup_case(request: Request[Any, Any, Any],
                number: Annotated[str, QueryParameter(max_length=24, description="The case number / 案件编号")],
                secret: Annotated[str, QueryParameter(max_length=12, description="The secret / 查询码")]
                ) -> dict[str, Any]:
    """The stage of a case, its steps and, once the reporter is informed, the outcome: to the
    case number with its secret only. A wrong secret is answered like an unknown number (404);
    a client gets ten look-ups in ten minutes (429 after), so a secret cannot be guessed."""
    intake.throttle_lookup(request.app.state.counters, client_address(request), time.time(),
                           limit=request.app.state.settings.case_lookup_limit)
    with reading(request.app.state.sessions) as session:
        case = intake.lookup(session, number=number, secret=secret)
        stage = CaseStage(case.stage)
        told = stage in (CaseStage.INFORMED, CaseStage.CLOSED)
        return {"number": case.number, "kind": str(case.kind), "stage": stage.value,
                "stage_label": {"zh": stage.label_zh, "en": stage.label_en},
                "created_at": case.created_at.isoformat(),
                "steps": [{"at": s.at.isoformat(), "stage": s.stage} for s in intake.steps(session, case.id)],
                "upheld": case.upheld if told else None, "finding": case.finding if told else None,
                "measures": case.measures if told else None}


@get("/cases", opt=CASES_ROLES, sync_to_thread=True, summary="Cases / 投诉举报案件")
def list_cases(request: Request[Any, Any, Any], stage: Filter = None) -> dict[str, Any]:
    """Cases in the caller's scope, overdue first: an operator all; a regulator those of its
    region and agency; a manufacturer those about its products (without the reporter)."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        rows = cases.list_cases(session, principal=principal, stage=stage)
        return {"cases": [case_json(case, principal) for case in rows]}


@get("/cases/{case_id:int}", opt=CASES_ROLES, sync_to_thread=True, responses=errors(404), summary="A case / 案件")
def get_case(request: Request[Any, Any, Any], case_id: RowId) -> dict[str, Any]:
    """One case in scope with its steps (404 outside scope)."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        detail = cases.case_detail(session, principal=principal, case_id=case_id)
        return case_json(detail.case, principal, steps=detail.steps)


@post("/cases/{case_id:int}/transitions", opt=ACTING_ROLES, sync_to_thread=True, status_code=200,
      responses=errors(404, 409), summary="Move a case on / 办理案件")
def move_case(request: Request[Any, Any, Any], case_id: RowId, data: JSONBody[Transition]) -> dict[str, Any]:
    """Take one step: ``assign`` (``user_id``), ``pass`` (``agency`` and/or ``region_code``,
    ``reason``: to another agency, or to the agency of another place),
    ``investigate``, ``resolve`` (``upheld``: true 成立 or false 不成立, required; ``finding``,
    ``measures``), ``inform`` (the reporter and the
    manufacturer are sent the outcome), ``close``. A step the stage cannot reach is 409."""
    principal = require_principal(request)
    step = cases.Step(data.action, user_id=data.user_id, agency=data.agency, reason=data.reason,
                      finding=data.finding, measures=data.measures, region_code=data.region_code,
                      upheld=data.upheld)
    with transaction(request.app.state.sessions) as session:
        moved = cases.transition(session, actor=actor_for(request, principal), principal=principal,
                                 case_id=case_id, step=step)
        body = case_json(moved.case, principal)
    _deliver(request, moved.messages)
    return body


@get("/case-deadlines", opt=roles(Role.OPERATOR), sync_to_thread=True, summary="Stage deadlines / 办理期限")
def get_deadlines(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The days each stage may last before a case is overdue."""
    with reading(request.app.state.sessions) as session:
        return {"deadlines": {stage.value: days for stage, days in cases.deadline_days(session).items()}}


@put("/case-deadlines", opt=roles(Role.OPERATOR), sync_to_thread=True, summary="Set a stage deadline / 设置办理期限")
def set_deadline(request: Request[Any, Any, Any], data: JSONBody[Deadline]) -> dict[str, Any]:
    """Set the days one stage may last (1 to 365); cases entering it from now on are due accordingly."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        days = cases.set_deadline(session, actor=actor_for(request, principal), stage=data.stage, days=data.days)
        return {"deadlines": {stage.value: value for stage, value in days.items()}}


router = Router(path="/", route_handlers=[submit_case, submit_report, lookup_case, list_cases, get_case, move_case,
                                          get_deadlines, set_deadline], tags=["cases"])
