"""Joining online (网上申请入网) over the API: the public application and its status and
resubmission with the number and secret; for the reviewing agencies the list, one application
and the decision."""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Router, get, post, put
from litestar.params import JSONBody, PathParameter, QueryParameter

from jianguan.accounts.models import Role
from jianguan.applications import services as applications
from jianguan.applications.documents import MAX_DOCUMENTS, Upload
from jianguan.applications.models import Application, ApplicationProduct
from jianguan.applications.workflow import ApplicationStage, allowed_decisions
from jianguan.channels.sms import sms_gateway
from jianguan.messaging.gateways import deliver_queued
from jianguan.messaging.mail import deliver_emails
from jianguan.storage import reading, transaction
from jianguan.web.access import PUBLIC, actor_for, client_address, current_principal, require_principal, roles
from jianguan.web.api.openapi import errors
from jianguan.web.params import CreditCode, Filter, Id, RegionCode, RowId, stored_in

REVIEWERS = roles(Role.OPERATOR, Role.REGULATOR)
# A document's bytes, base64 in JSON: at most 5 MB decoded.
DocumentBytes = Annotated[bytes, msgspec.Meta(max_length=5 * 1024 * 1024,
                                              description="The file, base64 (PDF, JPEG or PNG) / 文件内容")]
Number = Annotated[str, PathParameter(max_length=24, description="The application number / 申请编号")]
Secret = Annotated[str, QueryParameter(max_length=24, description="The secret / 查询密码")]


class Document(msgspec.Struct, forbid_unknown_fields=True):
    kind: Literal["business_licence", "production_licence", "other"]
    content: DocumentBytes


class ProductIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, stored_in(ApplicationProduct.name, required=True)]
    specification: Annotated[str, stored_in(ApplicationProduct.specification, required=True)]
    category_id: Id
    catalogue_entry_id: Id | None = None  # its entry of the product catalogue (百种产品目录), of the same category


class NewApplication(msgspec.Struct, forbid_unknown_fields=True):
    credit_code: CreditCode
    name: Annotated[str, stored_in(Application.name, required=True)]
    region_code: RegionCode
    category_id: Id
    address: Annotated[str, stored_in(Application.address, required=True)]
    licence_number: Annotated[str, stored_in(Application.licence_number, required=True)]
    contact_name: Annotated[str, stored_in(Application.contact_name, required=True)]
    mobile: Annotated[str, msgspec.Meta(max_length=20, description="A mainland mobile number / 手机号码")]
    email: Annotated[str, stored_in(Application.email, required=True)]
    products: Annotated[list[ProductIn], msgspec.Meta(min_length=1, max_length=applications.MAX_PRODUCTS)]
    documents: Annotated[list[Document], msgspec.Meta(max_length=MAX_DOCUMENTS)] = []
    licence_issuer: Annotated[str, stored_in(Application.licence_issuer)] = ""
    licence_valid_until: dt.date | None = None


class Decision(msgspec.Struct, forbid_unknown_fields=True):
    decision: Literal["corrections", "approve", "refuse"]
    reason: Annotated[str, stored_in(Application.note)] | None = None


def _form(data: NewApplication) -> tuple[applications.ApplicationForm, list[Upload]]:
    form = applications.ApplicationForm(
        credit_code=data.credit_code, name=data.name, region_code=data.region_code, category_id=data.category_id,
        address=data.address, licence_number=data.licence_number, licence_issuer=data.licence_issuer,
        licence_valid_until=data.licence_valid_until, contact_name=data.contact_name, mobile=data.mobile,
        email=data.email,
        products=[applications.ProductLine(p.name, p.specification, p.category_id, p.catalogue_entry_id)
                  for p in data.products])
    return form, [Upload(d.kind, d.content) for d in data.documents]


def _stage(application: Application) -> dict[str, Any]:
    stage = ApplicationStage(application.stage)
    return {"stage": stage.value, "stage_label": {"zh": stage.label_zh, "en": stage.label_en}}


def status_json(application: Application, detail: applications.ApplicationDetail) -> dict[str, Any]:
    """What the applicant sees: the stage, the note of the last decision, the steps."""
    return {"number": application.number, "name": application.name, "credit_code": application.credit_code,
            **_stage(application), "note": application.note, "created_at": application.created_at.isoformat(),
            "steps": [{"at": s.at.isoformat(), "action": s.action, "stage": s.stage, "note": s.note}
                      for s in detail.steps]}


def review_json(application: Application, detail: applications.ApplicationDetail | None = None) -> dict[str, Any]:
    """What the reviewing agency sees."""
    body: dict[str, Any] = {
        "id": application.id, "number": application.number, "credit_code": application.credit_code,
        "name": application.name, "region_code": application.region_code, "category_id": application.category_id,
        "address": application.address, "licence_number": application.licence_number,
        "licence_issuer": application.licence_issuer,
        "licence_valid_until": application.licence_valid_until.isoformat() if application.licence_valid_until
        else None,
        "contact_name": application.contact_name, "mobile": application.mobile, "email": application.email,
        **_stage(application), "stage_since": application.stage_since.isoformat(), "note": application.note,
        "agency": application.agency, "assigned_region": application.assigned_region,
        "created_at": application.created_at.isoformat(), "enterprise_id": application.enterprise_id,
        "decisions": [action.value for action in allowed_decisions(application.stage)],
    }
    if detail is not None:
        body["products"] = [{"name": p.name, "specification": p.specification, "category_id": p.category_id,
                             "catalogue_entry_id": p.catalogue_entry_id} for p in detail.products]
        body["documents"] = [{"id": d.id, "kind": d.kind, "media_type": d.media_type, "size": d.size,
                              "url": f"/manage/applications/{application.id}/documents/{d.id}"}
                             for d in detail.documents]
        body["steps"] = [{"at": s.at.isoformat(), "action": s.action, "stage": s.stage, "actor": s.actor,
                          "note": s.note} for s in detail.steps]
    return body


def _deliver(request: Request[Any, Any, Any], told: applications.Sent | applications.Decided) -> None:
    deliver_queued(sms_gateway(request.app.state), request.app.state.sessions, told.messages)
    deliver_emails(request.app.state.settings, request.app.state.sessions, told.emails)


def _throttle(request: Request[Any, Any, Any]) -> None:
    applications.throttle_lookup(request.app.state.counters, client_address(request), time.time(),
                                 limit=request.app.state.settings.case_lookup_limit)


@post("/applications", opt=PUBLIC, sync_to_thread=True, responses=errors(409),
      summary="Apply to join the network / 网上申请入网")
def apply(request: Request[Any, Any, Any], data: JSONBody[NewApplication]) -> dict[str, Any]:
    """An enterprise's application: the unified social credit code (checked), name, county
    (``region_code``), main category, address, production licence, contact person with a
    mobile number and an e-mail address, the products, and the documents (base64; the business
    licence is required; PDF, JPEG or PNG by their bytes, at most 5 MB each). It is routed to the
    agency responsible for the main category in the county. Answers the application number and
    the secret to follow it with (shown once; both are also sent to the mobile). 409 when the
    enterprise is registered already or has an application under review. Public, rate limited."""
    form, uploads = _form(data)
    with transaction(request.app.state.sessions) as session:
        sent = applications.submit(session, actor=actor_for(request, current_principal(request)), form=form,
                                   documents=uploads, document_dir=request.app.state.settings.application_document_dir)
        application = sent.application
        body = {"id": application.id, "number": application.number, "secret": sent.secret, **_stage(application),
                "agency": application.agency, "assigned_region": application.assigned_region,
                "created_at": application.created_at.isoformat()}
    _deliver(request, sent)
    return body


@get("/applications/{number:str}", opt=PUBLIC, sync_to_thread=True, responses=errors(404, 429),
     summary="Follow an application / 查询入网申请")
def application_status(request: Request[Any, Any, Any], number: Number,
                       secret: Secret) -> dict[str, Any]:
    """The stage of an application, the corrections asked or the reason of a refusal, and its
    steps: to the number with its secret only (a wrong secret is answered like an unknown
    number, 404; ten look-ups in ten minutes a client, 429 after)."""
    _throttle(request)
    with reading(request.app.state.sessions) as session:
        application = applications.lookup(session, number=number, secret=secret)
        return status_json(application, applications.details(session, application))


@put("/applications/{number:str}", opt=PUBLIC, sync_to_thread=True, responses=errors(404, 409, 429),
     summary="Resubmit a corrected application / 补正后重新提交")
def resubmit(request: Request[Any, Any, Any], number: Number,
             secret: Secret, data: JSONBody[NewApplication]) -> dict[str, Any]:
    """The whole application again, corrected, with any further documents (added to those
    sent before); the credit code cannot change. Only when corrections were asked (409 otherwise)."""
    _throttle(request)
    form, uploads = _form(data)
    with transaction(request.app.state.sessions) as session:
        sent = applications.resubmit(session, actor=actor_for(request, current_principal(request)), number=number,
                                     secret=secret, form=form, documents=uploads,
                                     document_dir=request.app.state.settings.application_document_dir)
        body = status_json(sent.application, applications.details(session, sent.application))
    _deliver(request, sent)
    return body


@get("/applications", opt=REVIEWERS, sync_to_thread=True, summary="Applications to review / 入网申请")
def list_applications(request: Request[Any, Any, Any], stage: Filter = None) -> dict[str, Any]:
    """Applications in the caller's scope (those routed to its agency in its region, or of a
    category it supervises there), the oldest waiting first."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        rows = applications.list_applications(session, principal=principal, stage=stage)
        return {"applications": [review_json(row) for row in rows]}


@get("/applications/{application_id:int}/review", opt=REVIEWERS, sync_to_thread=True, responses=errors(404),
     summary="An application to review / 审核入网申请")
def review(request: Request[Any, Any, Any], application_id: RowId) -> dict[str, Any]:
    """One application in scope with its products, documents and steps (404 outside scope)."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        application = applications.get_application(session, principal=principal, application_id=application_id)
        return review_json(application, applications.details(session, application))


@post("/applications/{application_id:int}/decision", opt=REVIEWERS, sync_to_thread=True, status_code=200,
      responses=errors(404, 409), summary="Decide on an application / 审核决定")
def decide(request: Request[Any, Any, Any], application_id: RowId, data: JSONBody[Decision]) -> dict[str, Any]:
    """``corrections`` (``reason``: what to correct), ``refuse`` (``reason``) or ``approve``
    (签约: the enterprise is registered and signed, its products entered, and its first user
    made, whose one-time password is sent to the applicant's mobile). The applicant is told by
    text message. A decision the stage cannot take is 409."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        decided = applications.decide(session, actor=actor_for(request, principal), principal=principal,
                                      application_id=application_id, decision=data.decision, reason=data.reason)
        body = review_json(decided.application)
        body["username"] = decided.username
    _deliver(request, decided)
    return body


router = Router(path="/", route_handlers=[apply, application_status, resubmit, list_applications, review, decide],
                tags=["applications"])
