"""Cases (投诉举报) in the browser: the list (overdue first) and the case page with its transition
forms and its enforcement actions (执法打假) for the operator and the regulators in scope, a manufacturer's view of the cases about its
products (without the reporter), the stages' deadlines for the operator, and the reporter's
look-up page."""

from __future__ import annotations

import time
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template

from jianguan.accounts.models import Role
from jianguan.cases import enforcement, intake
from jianguan.cases import services as cases
from jianguan.cases.photos import photo_path
from jianguan.cases.workflow import CaseAction, CaseStage, allowed_actions, is_overdue
from jianguan.catalogue.models import Agency
from jianguan.channels.sms import sms_gateway
from jianguan.errors import DomainError
from jianguan.messaging.gateways import deliver_queued
from jianguan.regions.tree import region_tree
from jianguan.storage import reading, transaction
from jianguan.storage.base import utcnow
from jianguan.verify.models import Channel
from jianguan.verify.verdict import Verdict
from jianguan.web.access import PUBLIC, actor_for, client_address, require_principal, roles
from jianguan.web.forms import Form, form_int
from jianguan.web.i18n import language
from jianguan.web.pages.alerts import alert_page_with
from jianguan.web.params import Filter, RowId

VIEWERS = roles(Role.OPERATOR, Role.REGULATOR, Role.MANUFACTURER)
ACTORS = roles(Role.OPERATOR, Role.REGULATOR)


def _message(request: Request[Any, Any, Any], error: DomainError) -> str:
    return error.message if language(request) == "en" else error.message_zh


@get("/manage/cases", opt=VIEWERS, include_in_schema=False, sync_to_thread=True)
def cases_page(request: Request[Any, Any, Any], stage: Filter = None) -> Template:
    """Cases in the caller's scope, overdue first; the operator also sets the stages' deadlines."""
    principal = require_principal(request)
    now = utcnow()
    with reading(request.app.state.sessions) as session:
        rows = cases.list_cases(session, principal=principal, stage=stage if stage in set(CaseStage) else None)
        tree = region_tree(session)
        deadlines = cases.deadline_days(session) if principal.role is Role.OPERATOR else None
        overdue = {row.id for row in rows if is_overdue(row.stage, row.due_at, now)}
        regions = {row.id: tree.path_name(row.assigned_region) if row.assigned_region else "" for row in rows}
    return Template("manage_cases.html", context={
        "rows": rows, "overdue": overdue, "regions": regions, "Stage": CaseStage, "stage": stage,
        "deadlines": deadlines, "hidden": cases.reporter_hidden(principal), "Agency": Agency, "Verdict": Verdict,
    })


@post("/manage/case-deadlines", opt=roles(Role.OPERATOR), include_in_schema=False, sync_to_thread=True)
def set_deadline(request: Request[Any, Any, Any], data: Form) -> Redirect:
    """Set the days one stage may last."""
    principal = require_principal(request)
    days = form_int(data.get("days"), "deadline", "期限")
    with transaction(request.app.state.sessions) as session:
        cases.set_deadline(session, actor=actor_for(request, principal), stage=data.get("stage") or "", days=days)
    return Redirect("/manage/cases", status_code=303)


def _case_page(request: Request[Any, Any, Any], case_id: int, *, error: str | None = None,
               status_code: int = 200) -> Template:
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        detail = cases.case_detail(session, principal=principal, case_id=case_id)
        case = detail.case
        tree = region_tree(session)
        acting = principal.role in (Role.OPERATOR, Role.REGULATOR)
        users = cases.assignable_users(session, case) if acting else []
        context = {
            "case": case, "detail": detail, "stage": CaseStage(case.stage), "Stage": CaseStage,
            "actions": allowed_actions(case.stage) if acting else [], "Action": CaseAction, "users": users,
            "agencies": sorted(Agency, key=lambda agency: agency.value == case.agency), "Agency": Agency,
            "region": tree.path_name(case.region_code) if case.region_code else "",
            "assigned": tree.path_name(case.assigned_region) if case.assigned_region else "",
            "overdue": is_overdue(case.stage, case.due_at, utcnow()), "hidden": cases.reporter_hidden(principal),
            "error": error, "Verdict": Verdict, "Channel": Channel, "acting": acting,
            "enforcement": enforcement.list_actions(session, principal=principal, case_id=case.id),
        }
    return Template("manage_case.html", status_code=status_code, context=context)


@get("/manage/cases/{case_id:int}", opt=VIEWERS, include_in_schema=False, sync_to_thread=True)
def case_page(request: Request[Any, Any, Any], case_id: RowId) -> Template:
    """One case: what was sent, its route, its steps, and the forms of the steps it can take."""
    return _case_page(request, case_id)


@post("/manage/cases/{case_id:int}/transitions", opt=ACTORS, include_in_schema=False, sync_to_thread=True)
def case_transition(request: Request[Any, Any, Any], case_id: RowId, data: Form) -> Template | Redirect:
    """Take one step; a refused step shows the case again with the reason."""
    principal = require_principal(request)
    step = cases.Step(data.get("action") or "", agency=data.get("agency") or None, reason=data.get("reason"),
                      finding=data.get("finding"), measures=data.get("measures"),
                      region_code=data.get("region_code") or None,
                      upheld={"yes": True, "no": False}.get(data.get("upheld") or ""))
    try:
        step.user_id = form_int(data.get("user_id"), "person", "承办人")
        with transaction(request.app.state.sessions) as session:
            moved = cases.transition(session, actor=actor_for(request, principal), principal=principal,
                                     case_id=case_id, step=step)
    except DomainError as error:
        if error.status_code == 404:
            raise
        return _case_page(request, case_id, error=_message(request, error), status_code=error.status_code)
    deliver_queued(sms_gateway(request.app.state), request.app.state.sessions, moved.messages)
    return Redirect(f"/manage/cases/{case_id}", status_code=303)


@post("/manage/cases/{case_id:int}/enforcement", opt=ACTORS, include_in_schema=False, sync_to_thread=True)
def open_enforcement(request: Request[Any, Any, Any], case_id: RowId, data: Form) -> Template | Redirect:
    """Open an enforcement action (执法打假) from the case."""
    principal = require_principal(request)
    try:
        with transaction(request.app.state.sessions) as session:
            enforcement.open_action(session, actor=actor_for(request, principal), principal=principal,
                                    case_id=case_id, basis=data.get("basis"))
    except DomainError as error:
        if error.status_code == 404:
            raise
        return _case_page(request, case_id, error=_message(request, error), status_code=error.status_code)
    return Redirect(f"/manage/cases/{case_id}", status_code=303)


@post("/manage/enforcement-actions/{action_id:int}/outcome", opt=ACTORS, include_in_schema=False,
      sync_to_thread=True)
def enforcement_outcome(request: Request[Any, Any, Any], action_id: RowId, data: Form) -> Template | Redirect:
    """Record an action's outcome; the manufacturer whose brand was faked is told. The page of
    the case or alert that opened it follows."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        action = enforcement.get_action(session, principal=principal, action_id=action_id)
        case_id, alert_id = action.case_id, action.alert_id
    try:
        outcome = enforcement.Outcome(
            data.get("goods_seized"), form_int(data.get("goods_value"), "value of the goods", "货值（元）", maximum=enforcement.MAX_AMOUNT) or 0,
            form_int(data.get("cases_filed"), "number of cases filed", "立案数") or 0,
            form_int(data.get("penalty"), "penalty", "罚款（元）", maximum=enforcement.MAX_AMOUNT) or 0, data.get("outcome"))
        with transaction(request.app.state.sessions) as session:
            recorded = enforcement.record_outcome(session, actor=actor_for(request, principal), principal=principal,
                                                  action_id=action_id, outcome=outcome)
    except DomainError as error:
        if error.status_code == 404:
            raise
        if case_id is None:
            return alert_page_with(request, alert_id or 0, error=error)
        return _case_page(request, case_id, error=_message(request, error), status_code=error.status_code)
    deliver_queued(sms_gateway(request.app.state), request.app.state.sessions, recorded.messages)
    return Redirect(f"/manage/cases/{case_id}" if case_id is not None else f"/manage/alerts/{alert_id}",
                    status_code=303)


@get("/manage/cases/{case_id:int}/photos/{photo_id:int}", opt=ACTORS, include_in_schema=False,
     sync_to_thread=True)
def case_photo(request: Request[Any, Any, Any], case_id: RowId, photo_id: RowId) -> Response[bytes]:
    """A photo of a case in scope, as it was sent."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        photo = cases.get_photo(session, principal=principal, case_id=case_id, photo_id=photo_id)
        media_type, digest = photo.media_type, photo.sha256
    path = photo_path(request.app.state.settings.case_photo_dir, digest, media_type)
    if not path.is_file():
        raise NotFoundException()
    return Response(path.read_bytes(), media_type=media_type,
                    headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


@get("/cases/lookup", opt=PUBLIC, include_in_schema=False, sync_to_thread=True)
def lookup_page(request: Request[Any, Any, Any], number: Filter = None, secret: Filter = None) -> Template:
    """The reporter's look-up: the form, and the case's stage and steps to its number and secret."""
    context: dict[str, Any] = {"number": number or "", "secret": "", "case": None, "steps": [], "error": None,
                               "Stage": CaseStage}
    if number or secret:
        try:
            intake.throttle_lookup(request.app.state.counters, client_address(request), time.time(),
                                   limit=request.app.state.settings.case_lookup_limit)
            with reading(request.app.state.sessions) as session:
                case = intake.lookup(session, number=number or "", secret=secret or "")
                context.update(case=case, stage=CaseStage(case.stage), steps=intake.steps(session, case.id))
        except DomainError as error:
            context["error"] = _message(request, error)
            return Template("case_lookup.html", context=context, status_code=error.status_code)
    return Template("case_lookup.html", context=context)


router = Router(path="/", route_handlers=[cases_page, set_deadline, case_page, case_transition, open_enforcement,
                                          enforcement_outcome, case_photo, lookup_page])
