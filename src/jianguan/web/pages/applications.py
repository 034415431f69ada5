"""Joining online (网上申请入网) in the browser: the public application form and the applicant's
status page (where a corrected application is resubmitted), and the reviewing agency's list
and review page with its decisions and the documents."""

from __future__ import annotations

import time
from typing import Annotated, Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect, Template

from jianguan.accounts.models import Role
from jianguan.applications import services as applications
from jianguan.applications.documents import MAX_DOCUMENT_BYTES, DocumentKind, Upload
from jianguan.applications.services import ApplicationForm, ProductLine
from jianguan.applications.workflow import ApplicationAction, ApplicationStage, allowed_decisions
from jianguan.catalogue.models import Agency
from jianguan.catalogue.services import list_categories, list_entries
from jianguan.channels.sms import sms_gateway
from jianguan.errors import DomainError
from jianguan.messaging.gateways import deliver_queued
from jianguan.messaging.mail import deliver_emails
from jianguan.regions.tree import region_tree
from jianguan.storage import reading, transaction
from jianguan.uploads import stored_path
from jianguan.web.access import PUBLIC, actor_for, client_address, current_principal, require_principal, roles
from jianguan.web.forms import Form, form_date, form_int
from jianguan.web.i18n import language
from jianguan.web.params import Filter, RowId

REVIEWERS = roles(Role.OPERATOR, Role.REGULATOR)
UploadForm = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
PRODUCT_ROWS = 3
FIELDS = ("credit_code", "name", "region_code", "category_id", "address", "licence_number", "licence_issuer",
          "licence_valid_until", "contact_name", "mobile", "email")


def _deliver(request: Request[Any, Any, Any], told: applications.Sent | applications.Decided) -> None:
    deliver_queued(sms_gateway(request.app.state), request.app.state.sessions, told.messages)
    deliver_emails(request.app.state.settings, request.app.state.sessions, told.emails)


def _message(request: Request[Any, Any, Any], error: DomainError) -> str:
    return error.message if language(request) == "en" else error.message_zh


def _field(value: Any) -> str:
    """A text field of the form ("" for a file or nothing in its place)."""
    return value.strip() if isinstance(value, str) else ""


def _uploads(data: dict[str, Any]) -> list[Upload]:
    """The files of the form, one input a kind: each read up to one byte past the limit (an
    empty file input sends one empty, nameless file, which is no document)."""
    uploads = []
    for kind in DocumentKind:
        value = data.get(kind.value)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, UploadFile):
                content = item.file.read(MAX_DOCUMENT_BYTES + 1)
                if content or item.filename:
                    uploads.append(Upload(kind.value, content))
    return uploads


def _values(data: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {name: _field(data.get(name)) for name in FIELDS}
    values["products"] = [{"name": _field(data.get(f"product_name_{i}")),
                           "specification": _field(data.get(f"product_spec_{i}")),
                           "category_id": _field(data.get(f"product_category_{i}")),
                           "catalogue_entry_id": _field(data.get(f"product_entry_{i}"))} for i in range(PRODUCT_ROWS)]
    return values


def _form(values: dict[str, Any]) -> ApplicationForm:
    return ApplicationForm(
        credit_code=values["credit_code"], name=values["name"], region_code=values["region_code"],
        category_id=form_int(values["category_id"], "main category", "主营类别"), address=values["address"],
        licence_number=values["licence_number"], licence_issuer=values["licence_issuer"],
        licence_valid_until=form_date(values["licence_valid_until"], "licence validity", "许可证有效期"),
        contact_name=values["contact_name"], mobile=values["mobile"], email=values["email"],
        products=[ProductLine(p["name"], p["specification"], form_int(p["category_id"], "product category", "产品类别"),
                              form_int(p["catalogue_entry_id"], "catalogue entry", "目录产品"))
                  for p in values["products"]])


def _form_page(request: Request[Any, Any, Any], values: dict[str, Any], *, error: str | None = None,
               status_code: int = 200, resubmit: dict[str, Any] | None = None) -> Template:
    with reading(request.app.state.sessions) as session:
        categories = list_categories(session)
        entries = list_entries(session)
    return Template("apply.html", status_code=status_code, context={
        "values": values, "categories": categories, "entries": entries, "error": error, "Kind": DocumentKind, "resubmit": resubmit,
        "max_mb": MAX_DOCUMENT_BYTES // (1024 * 1024)})


def _empty() -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(FIELDS, "")
    values["products"] = [{"name": "", "specification": "", "category_id": "", "catalogue_entry_id": ""}
                          for _ in range(PRODUCT_ROWS)]
    return values


@get("/apply", opt=PUBLIC, include_in_schema=False, sync_to_thread=True)
def apply_page(request: Request[Any, Any, Any]) -> Template:
    """The application form (网上申请入网)."""
    return _form_page(request, _empty())


@post("/apply", opt={**PUBLIC, "csrf": True}, include_in_schema=False, sync_to_thread=True)
def apply(request: Request[Any, Any, Any], data: UploadForm) -> Template:
    """Send the application; the page then shows its number and secret (once)."""
    values = _values(data)
    state = request.app.state
    try:
        form, uploads = _form(values), _uploads(data)
        with transaction(state.sessions) as session:
            sent = applications.submit(session, actor=actor_for(request, current_principal(request)), form=form,
                                       documents=uploads, document_dir=state.settings.application_document_dir)
            number, secret, agency = sent.application.number, sent.secret, sent.application.agency
            office = region_tree(session).path_name(sent.application.assigned_region)
    except DomainError as error:
        return _form_page(request, values, error=_message(request, error), status_code=error.status_code)
    _deliver(request, sent)
    return Template("apply_sent.html", context={"number": number, "secret": secret, "office": office,
                                                "agency": Agency(agency)})


def _status(request: Request[Any, Any, Any], number: str, secret: str, *, error: str | None = None,
            status_code: int = 200, values: dict[str, Any] | None = None) -> Template:
    context: dict[str, Any] = {"number": number, "application": None, "error": error, "Stage": ApplicationStage,
                               "Action": ApplicationAction}
    if number or secret:
        try:
            applications.throttle_lookup(request.app.state.counters, client_address(request), time.time(),
                                         limit=request.app.state.settings.case_lookup_limit)
            with reading(request.app.state.sessions) as session:
                application = applications.lookup(session, number=number, secret=secret)
                detail = applications.details(session, application)
                categories = list_categories(session)
                entries = list_entries(session)
        except DomainError as failure:
            context["error"] = _message(request, failure)
            return Template("apply_status.html", context=context, status_code=failure.status_code)
        if values is None:
            values = {name: getattr(application, name) or "" for name in FIELDS}
            values["licence_valid_until"] = (application.licence_valid_until.isoformat()
                                             if application.licence_valid_until else "")
            rows = [{"name": p.name, "specification": p.specification, "category_id": p.category_id,
                     "catalogue_entry_id": p.catalogue_entry_id or ""} for p in detail.products]
            values["products"] = (rows + _empty()["products"])[:max(PRODUCT_ROWS, len(rows))]
        context.update(application=application, stage=ApplicationStage(application.stage), detail=detail,
                       secret=secret, values=values, categories=categories, entries=entries, Kind=DocumentKind,
                       max_mb=MAX_DOCUMENT_BYTES // (1024 * 1024))
    return Template("apply_status.html", context=context, status_code=status_code)


@get("/apply/status", opt=PUBLIC, include_in_schema=False, sync_to_thread=True)
def status_page(request: Request[Any, Any, Any], number: Filter = None, secret: Filter = None) -> Template:
    """The applicant's status page: the stage, the corrections asked or the reason of a
    refusal; with corrections asked, the form to correct and resubmit."""
    return _status(request, (number or "").strip(), (secret or "").strip())


@post("/apply/status", opt={**PUBLIC, "csrf": True}, include_in_schema=False, sync_to_thread=True)
def resubmit(request: Request[Any, Any, Any], data: UploadForm) -> Template | Redirect:
    """Resubmit the corrected application; a refused one shows the status page with the reason."""
    number, secret = _field(data.get("number")), _field(data.get("secret"))
    values = _values(data)
    state = request.app.state
    try:
        applications.throttle_lookup(state.counters, client_address(request), time.time(),
                                     limit=state.settings.case_lookup_limit)
        form, uploads = _form(values), _uploads(data)
        with transaction(state.sessions) as session:
            sent = applications.resubmit(session, actor=actor_for(request, current_principal(request)),
                                         number=number, secret=secret, form=form, documents=uploads,
                                         document_dir=state.settings.application_document_dir)
    except DomainError as error:
        if error.status_code in (404, 429):
            return Template("apply_status.html", status_code=error.status_code, context={
                "number": number, "application": None, "error": _message(request, error)})
        return _status(request, number, secret, error=_message(request, error), status_code=error.status_code,
                       values=values)
    _deliver(request, sent)
    return _status(request, number, secret)


# --- the reviewing agency -------------------------------------------------------------------------


@get("/manage/applications", opt=REVIEWERS, include_in_schema=False, sync_to_thread=True)
def applications_page(request: Request[Any, Any, Any], stage: Filter = None) -> Template:
    """Applications in the caller's scope, the oldest waiting first."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        chosen = stage if stage in {s.value for s in ApplicationStage} else None
        rows = applications.list_applications(session, principal=principal, stage=chosen)
        tree = region_tree(session)
        regions = {row.id: tree.path_name(row.region_code) for row in rows}
    return Template("manage_applications.html", context={"rows": rows, "regions": regions, "Stage": ApplicationStage,
                                                         "stage": chosen, "Agency": Agency})


def _review(request: Request[Any, Any, Any], application_id: int, *, error: str | None = None,
            status_code: int = 200) -> Template:
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        application = applications.get_application(session, principal=principal, application_id=application_id)
        detail = applications.details(session, application)
        categories = {c.id: c for c in list_categories(session, include_inactive=True)}
        entries = {entry.id: entry for entry, _category in list_entries(session, include_inactive=True)}
        region = region_tree(session).path_name(application.region_code)
    return Template("manage_application.html", status_code=status_code, context={
        "application": application, "detail": detail, "stage": ApplicationStage(application.stage),
        "Stage": ApplicationStage, "decisions": allowed_decisions(application.stage), "Action": ApplicationAction,
        "categories": categories, "entries": entries, "region": region, "Agency": Agency, "Kind": DocumentKind,
        "error": error})


@get("/manage/applications/{application_id:int}", opt=REVIEWERS, include_in_schema=False, sync_to_thread=True)
def review_page(request: Request[Any, Any, Any], application_id: RowId) -> Template:
    """One application: what was sent, its documents, its steps and the decisions it can take."""
    return _review(request, application_id)


@post("/manage/applications/{application_id:int}/decision", opt=REVIEWERS, include_in_schema=False,
      sync_to_thread=True)
def decide(request: Request[Any, Any, Any], application_id: RowId, data: Form) -> Template | Redirect:
    """Take a decision; a refused one shows the application again with the reason."""
    principal = require_principal(request)
    try:
        with transaction(request.app.state.sessions) as session:
            decided = applications.decide(session, actor=actor_for(request, principal), principal=principal,
                                          application_id=application_id, decision=data.get("decision") or "",
                                          reason=data.get("reason"))
    except DomainError as error:
        if error.status_code == 404:
            raise
        return _review(request, application_id, error=_message(request, error), status_code=error.status_code)
    _deliver(request, decided)
    return Redirect(f"/manage/applications/{application_id}", status_code=303)


@get("/manage/applications/{application_id:int}/documents/{document_id:int}", opt=REVIEWERS,
     include_in_schema=False, sync_to_thread=True)
def document(request: Request[Any, Any, Any], application_id: RowId, document_id: RowId) -> Response[bytes]:
    """A document of an application in scope, as it was sent."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        row = applications.get_document(session, principal=principal, application_id=application_id,
                                        document_id=document_id)
        media_type, digest = row.media_type, row.sha256
    path = stored_path(request.app.state.settings.application_document_dir, digest, media_type)
    if not path.is_file():
        raise NotFoundException()
    return Response(path.read_bytes(), media_type=media_type,
                    headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


router = Router(path="/", route_handlers=[apply_page, apply, status_page, resubmit, applications_page, review_page,
                                          decide, document])
