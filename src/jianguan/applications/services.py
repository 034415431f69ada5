"""Applications to join the network (网上申请入网): sending, following, reviewing and signing.

Anyone may apply, without an account: the unified social credit code is checked, the county
and categories must exist, the contacts are a mobile number and an e-mail address, and the
documents asked for are attached (type by their bytes, size bounded; kept outside the
database). The application is routed at once to the agency responsible for its main category
in its county (``jurisdiction.responsible_agencies``), gets a number and a secret (shown once),
and the applicant is told both by text message (and by e-mail that it was received).

The agency reviews the applications in its scope (the jurisdiction rule on the region,
category and agency; NotFound outside it): it asks for corrections (the applicant edits and
resubmits with the number and secret), refuses with a reason, or approves: 签约, which
registers the enterprise and its products, records the signing (the funnel's first stage) and
makes the enterprise's first user with a one-time password sent to the applicant's mobile.
The applicant is told each step by text message and by e-mail (``notices``).
Each step is one transaction under a row lock on the application, audited; a step the stage
cannot take is a Conflict (409).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.accounts.services import create_user
from jianguan.applications import notices
from jianguan.applications.documents import Upload, check_documents
from jianguan.applications.models import (
    NUMBER_PREFIX,
    Application,
    ApplicationDocument,
    ApplicationProduct,
    ApplicationStep,
)
from jianguan.applications.workflow import OPEN_STAGES, ApplicationAction, ApplicationStage, next_stage
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.catalogue.models import CatalogueEntry
from jianguan.catalogue.services import active_category, entry_for_product
from jianguan.counters import Counters
from jianguan.enterprises.enrolment import mark_stage_reached
from jianguan.enterprises.identifiers import validate_credit_code
from jianguan.enterprises.models import EnrolmentStage, Enterprise
from jianguan.enterprises.services import EMAIL_PATTERN, add_product, register_enterprise, registrable_region
from jianguan.errors import Conflict, NotFound, RateLimited, ValidationFailed
from jianguan.fields import clean_text
from jianguan.jurisdiction import responsible_agencies, scope_condition
from jianguan.messaging.services import queue_email, queue_sms
from jianguan.storage.base import utcnow
from jianguan.uploads import store_file

MAX_PRODUCTS = 20
LIST_LIMIT = 500
SECRET_BYTES = 9  # 12 characters of URL-safe base64
LOOKUP_WINDOW_SECONDS = 600.0
NUMBER_PATTERN = re.compile(rf"^{NUMBER_PREFIX}(\d{{8}})(\d{{6,10}})$")
MOBILE_PATTERN = re.compile(r"^1[3-9][0-9]{9}$")

_FIELDS: dict[str, tuple[str, str, Any]] = {
    "name": ("name", "企业名称", Application.name),
    "address": ("address", "地址", Application.address),
    "licence_number": ("production licence number", "生产许可证编号", Application.licence_number),
    "licence_issuer": ("licence issuer", "发证机关", Application.licence_issuer),
    "contact_name": ("contact person", "联系人", Application.contact_name),
    "email": ("e-mail address", "电子邮箱", Application.email),
    "product_name": ("product name", "产品名称", ApplicationProduct.name),
    "specification": ("specification", "规格型号", ApplicationProduct.specification),
    "note": ("reason", "理由", Application.note),
}


@dataclass
class ProductLine:
    name: str
    specification: str
    category_id: int | None
    catalogue_entry_id: int | None = None  # its entry of the product catalogue (百种产品目录), if named


@dataclass
class ApplicationForm:
    """What an applicant fills in (checked by ``submit`` and ``resubmit``)."""

    credit_code: str
    name: str
    region_code: str
    category_id: int | None
    address: str
    licence_number: str
    contact_name: str
    mobile: str
    email: str
    products: list[ProductLine]
    licence_issuer: str = ""
    licence_valid_until: dt.date | None = None


@dataclass
class Sent:
    """An application just sent or resubmitted, its secret (shown once) and the messages queued."""

    application: Application
    secret: str | None
    messages: list[int] = field(default_factory=list)
    emails: list[int] = field(default_factory=list)


@dataclass
class Decided:
    """An application after a decision, the messages queued, and (approved) the first user's name."""

    application: Application
    messages: list[int] = field(default_factory=list)
    emails: list[int] = field(default_factory=list)
    username: str | None = None


def _text(value: str | None, name: str, *, required: bool = False) -> str:
    english, chinese, column = _FIELDS[name]
    return clean_text(value, column, english=english, chinese=chinese, required=required, field=name)


def _mobile(value: str | None) -> str:
    compact = re.sub(r"[ \-]", "", value or "")
    compact = compact[3:] if compact.startswith("+86") else compact
    if not MOBILE_PATTERN.match(compact):
        raise ValidationFailed("The mobile is an 11-digit mainland number starting with 1.",
                               "手机号码应为以 1 开头的 11 位数字。", code="invalid_mobile", field="mobile")
    return compact


def _email(value: str | None) -> str:
    email = _text(value, "email", required=True)
    if not EMAIL_PATTERN.match(email):
        raise ValidationFailed(f"The e-mail address {email!r} is not valid.", f"电子邮箱 {email!r} 格式不正确。",
                               code="invalid_email", field="email")
    return email


def _checked(session: Session, form: ApplicationForm) -> dict[str, Any]:
    """The form's fields checked, as the columns of an application (products apart)."""
    if form.category_id is None:
        raise ValidationFailed("The main category is required.", "请选择主营产品类别。", code="missing_field",
                               field="category_id")
    return {
        "credit_code": validate_credit_code(form.credit_code),
        "name": _text(form.name, "name", required=True),
        "region_code": registrable_region(session, form.region_code or "").code,
        "category_id": active_category(session, form.category_id).id,
        "address": _text(form.address, "address", required=True),
        "licence_number": _text(form.licence_number, "licence_number", required=True),
        "licence_issuer": _text(form.licence_issuer, "licence_issuer"),
        "licence_valid_until": form.licence_valid_until,
        "contact_name": _text(form.contact_name, "contact_name", required=True),
        "mobile": _mobile(form.mobile),
        "email": _email(form.email),
    }


def _products(session: Session, lines: list[ProductLine]) -> list[ProductLine]:
    products = [line for line in lines if (line.name or "").strip() or (line.specification or "").strip()]
    if not products:
        raise ValidationFailed("Name at least one product.", "请至少填写一种产品。", code="missing_field",
                               field="products")
    if len(products) > MAX_PRODUCTS:
        raise ValidationFailed(f"Name at most {MAX_PRODUCTS} products.", f"最多填写 {MAX_PRODUCTS} 种产品。",
                               code="too_many_products", field="products")
    checked = []
    for line in products:
        if line.category_id is None:
            raise ValidationFailed("Each product needs its category.", "请为每种产品选择类别。", code="missing_field",
                                   field="products")
        category = active_category(session, line.category_id).id
        entry = (entry_for_product(session, line.catalogue_entry_id, category).id
                 if line.catalogue_entry_id is not None else None)
        checked.append(ProductLine(_text(line.name, "product_name", required=True),
                                   _text(line.specification, "specification", required=True), category, entry))
    if len({(p.name, p.specification) for p in checked}) != len(checked):
        raise ValidationFailed("A product is named twice.", "产品重复填写。", code="duplicate_product", field="products")
    return checked


def _not_joined(session: Session, credit_code: str, *, other_than: int | None = None) -> None:
    if session.scalar(select(Enterprise.id).where(Enterprise.credit_code == credit_code)) is not None:
        raise Conflict(f"An enterprise with the credit code {credit_code} is already registered.",
                       f"统一社会信用代码为 {credit_code} 的企业已登记。", code="duplicate_enterprise")
    open_one = select(Application.id).where(Application.credit_code == credit_code,
                                            Application.stage.in_([s.value for s in OPEN_STAGES]))
    if other_than is not None:
        open_one = open_one.where(Application.id != other_than)
    if session.scalar(open_one) is not None:
        raise Conflict(f"An application with the credit code {credit_code} is already under review.",
                       f"统一社会信用代码为 {credit_code} 的入网申请正在审核中。", code="duplicate_application")


def _tell(session: Session, application: Application, told: Sent | Decided, step: str, text: str,
          email_text: str | None = None) -> None:
    """Queue ``text`` to the applicant's mobile and (or ``email_text``) to its e-mail address."""
    told.messages.append(queue_sms(session, to=application.mobile, text=text).id)
    told.emails.append(queue_email(session, to=application.email,
                                   subject=notices.email_subject(step, number=application.number),
                                   body=email_text or text).id)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _store(session: Session, application: Application, uploads: list[Upload], folder: Path | None) -> int:
    checked = check_documents(uploads, first=False)
    if checked and folder is None:
        raise ValidationFailed("Documents cannot be received here.", "此处不能上传材料。", code="no_documents",
                               field="documents")
    for upload in checked:
        assert folder is not None
        digest = store_file(folder, upload.data, upload.media_type)
        session.add(ApplicationDocument(application_id=application.id, kind=upload.kind.value,
                                        media_type=upload.media_type, size=len(upload.data), sha256=digest))
    return len(checked)


def _step(session: Session, application: Application, action: str, actor: Actor, note: str = "") -> None:
    session.add(ApplicationStep(application_id=application.id, at=application.stage_since, action=action,
                                stage=str(application.stage), actor=actor.name[:100], note=note))


def _audited(application: Application, products: list[ProductLine], documents: int) -> dict[str, Any]:
    """What the audit log keeps of an application: not its secret, mobile or e-mail."""
    return {"number": application.number, "credit_code": application.credit_code, "name": application.name,
            "region_code": application.region_code, "category_id": application.category_id,
            "licence_number": application.licence_number, "agency": application.agency,
            "assigned_region": application.assigned_region, "products": len(products), "documents": documents}


def submit(session: Session, *, actor: Actor, form: ApplicationForm, documents: list[Upload],
           document_dir: Path | None, secret: str | None = None) -> Sent:
    """Send an application (see the module doc); nothing is written unless everything is right."""
    fields = _checked(session, form)
    products = _products(session, form.products)
    check_documents(documents, first=True)
    _not_joined(session, fields["credit_code"])
    route = responsible_agencies(session, region_code=fields["region_code"], category_id=fields["category_id"])[0]
    plain = secret or secrets.token_urlsafe(SECRET_BYTES)
    now = utcnow()
    application = Application(**fields, secret_hash=hash_secret(plain), stage=ApplicationStage.SUBMITTED,
                              created_at=now, stage_since=now, agency=route.agency.value,
                              assigned_region=route.region.code)
    try:
        with session.begin_nested():
            session.add(application)
            session.flush()
    except IntegrityError:  # the same enterprise sent another at the same moment
        raise Conflict(f"An application with the credit code {fields['credit_code']} is already under review.",
                       f"统一社会信用代码为 {fields['credit_code']} 的入网申请正在审核中。",
                       code="duplicate_application") from None
    for line in products:
        session.add(ApplicationProduct(application_id=application.id, name=line.name,
                                       specification=line.specification, category_id=line.category_id,
                                       catalogue_entry_id=line.catalogue_entry_id))
    stored = _store(session, application, documents, document_dir)
    _step(session, application, "submitted", actor)
    session.flush()
    record(session, actor=actor, action=AuditAction.APPLICATION_APPLICATION_SUBMITTED, target_type="application",
           target_id=application.id, after=_audited(application, products, stored))
    sent = Sent(application, plain)
    _tell(session, application, sent, "received", notices.received(number=application.number, secret=plain))
    return sent


def application_id_of(number: str) -> int | None:
    """The application id a number names, or None when it is not shaped like one."""
    match = NUMBER_PATTERN.match((number or "").strip().upper())
    return int(match.group(2)) if match else None


def throttle_lookup(counters: Counters, client: str, now: float, *, limit: int) -> None:
    """Count one look-up (or resubmission) of ``client``; RateLimited past ``limit`` in ten minutes."""
    count, left = counters.hit(f"application-lookup:{client}", window=LOOKUP_WINDOW_SECONDS, now=now)
    if count > limit:
        raise RateLimited(max(1, int(left) + 1))


def lookup(session: Session, *, number: str, secret: str, lock: bool = False) -> Application:
    """The application ``number`` names if ``secret`` is its secret; NotFound otherwise (the same
    answer for a wrong secret and for a number that does not exist)."""
    missing = NotFound("No application has this number and secret.", "申请编号或查询密码不正确。",
                       code="application_not_found")
    ident = application_id_of(number)
    if ident is None or not secret:
        raise missing
    query = select(Application).where(Application.id == ident)
    application = session.scalars(query.with_for_update() if lock else query).first()
    if application is None or application.number != number.strip().upper() \
            or not hmac.compare_digest(application.secret_hash, hash_secret(secret.strip())):
        raise missing
    return application


def resubmit(session: Session, *, actor: Actor, number: str, secret: str, form: ApplicationForm,
             documents: list[Upload], document_dir: Path | None) -> Sent:
    """The applicant's corrected application, sent again (only when corrections were asked: 409
    otherwise). The credit code is the application's identity and cannot change; the documents
    sent now are added to the earlier ones."""
    application = lookup(session, number=number, secret=secret, lock=True)
    target = next_stage(application.stage, ApplicationAction.RESUBMIT)
    fields = _checked(session, form)
    if fields["credit_code"] != application.credit_code:
        raise ValidationFailed("The credit code of an application cannot change; apply afresh instead.",
                               "申请的统一社会信用代码不能修改，请重新申请。", code="credit_code_changed",
                               field="credit_code")
    products = _products(session, form.products)
    _not_joined(session, application.credit_code, other_than=application.id)
    before = {"name": application.name, "region_code": application.region_code,
              "category_id": application.category_id, "agency": application.agency}
    route = responsible_agencies(session, region_code=fields["region_code"], category_id=fields["category_id"])[0]
    for name, value in fields.items():
        setattr(application, name, value)
    application.agency, application.assigned_region = route.agency.value, route.region.code
    for old in session.scalars(select(ApplicationProduct).where(ApplicationProduct.application_id == application.id)):
        session.delete(old)
    for line in products:
        session.add(ApplicationProduct(application_id=application.id, name=line.name,
                                       specification=line.specification, category_id=line.category_id,
                                       catalogue_entry_id=line.catalogue_entry_id))
    stored = _store(session, application, documents, document_dir)
    application.stage, application.stage_since = target, utcnow()
    _step(session, application, ApplicationAction.RESUBMIT.value, actor)
    session.flush()
    record(session, actor=actor, action=AuditAction.APPLICATION_APPLICATION_RESUBMITTED,
           target_type="application", target_id=application.id, before=before,
           after={**_audited(application, products, stored), "stage": target.value})
    sent = Sent(application, None)
    _tell(session, application, sent, "resubmitted", notices.resubmitted(number=application.number))
    return sent


# --- the reviewing agency -------------------------------------------------------------------------


def _scope(principal: Principal) -> Any:
    return scope_condition(principal, region=Application.region_code, category=Application.category_id,
                           agency=Application.agency)


def list_applications(session: Session, *, principal: Principal, stage: str | None = None,
                      limit: int = LIST_LIMIT) -> list[Application]:
    """Applications in the caller's scope, the oldest waiting first, then the decided, newest first."""
    query = select(Application).where(_scope(principal))
    if stage:
        query = query.where(Application.stage == stage)
    waiting = Application.stage.in_([s.value for s in OPEN_STAGES])
    return list(session.scalars(query.order_by(waiting.desc(), Application.stage_since, Application.id.desc())
                                .limit(limit)))


def get_application(session: Session, *, principal: Principal, application_id: int,
                    lock: bool = False) -> Application:
    """One application in the caller's scope; NotFound outside it."""
    query = select(Application).where(Application.id == application_id, _scope(principal))
    application = session.scalars(query.with_for_update() if lock else query).first()
    if application is None:
        raise NotFound("No such application.", "没有这个入网申请。", code="application_not_found")
    return application


@dataclass
class ApplicationDetail:
    application: Application
    products: list[ApplicationProduct]
    documents: list[ApplicationDocument]
    steps: list[ApplicationStep]


def details(session: Session, application: Application) -> ApplicationDetail:
    """An application's products, documents and steps (the caller has it already, in scope)."""
    ident = application.id
    return ApplicationDetail(
        application,
        list(session.scalars(select(ApplicationProduct).where(ApplicationProduct.application_id == ident)
                             .order_by(ApplicationProduct.id))),
        list(session.scalars(select(ApplicationDocument).where(ApplicationDocument.application_id == ident)
                             .order_by(ApplicationDocument.id))),
        list(session.scalars(select(ApplicationStep).where(ApplicationStep.application_id == ident)
                             .order_by(ApplicationStep.id))))


def get_document(session: Session, *, principal: Principal, application_id: int,
                 document_id: int) -> ApplicationDocument:
    """A document of an application in the caller's scope."""
    application = get_application(session, principal=principal, application_id=application_id)
    document = session.get(ApplicationDocument, document_id)
    if document is None or document.application_id != application.id:
        raise NotFound("No such document.", "没有这份材料。", code="document_not_found")
    return document


def _note(value: str | None) -> str:
    note = _text(value, "note")
    if not note:
        raise ValidationFailed("Please give the reason.", "请填写理由。", code="missing_field", field="reason")
    return note


def decide(session: Session, *, actor: Actor, principal: Principal, application_id: int, decision: str,
           reason: str | None = None) -> Decided:
    """Ask for corrections (``corrections``, saying what), ``refuse`` (with the reason) or
    ``approve`` (签约: see the module doc) an application in scope."""
    try:
        action = ApplicationAction(decision)
    except ValueError:
        action = ApplicationAction.RESUBMIT
    if action is ApplicationAction.RESUBMIT:
        raise ValidationFailed("The decision is corrections, approve or refuse.", "审核决定应为要求补正、批准或不予通过。",
                               code="invalid_decision", field="decision")
    application = get_application(session, principal=principal, application_id=application_id, lock=True)
    target = next_stage(application.stage, action)
    note = _note(reason) if action is not ApplicationAction.APPROVE else _text(reason, "note")
    before = {"stage": str(application.stage)}
    decided = Decided(application)
    if action is ApplicationAction.APPROVE:
        decided.username = _sign(session, actor=actor, application=application, decided=decided)
    application.stage, application.stage_since, application.note = target, utcnow(), note
    _step(session, application, action.value, actor, note)
    session.flush()
    audited = {ApplicationAction.CORRECT: AuditAction.APPLICATION_CORRECTIONS_ASKED,
               ApplicationAction.APPROVE: AuditAction.APPLICATION_APPLICATION_APPROVED,
               ApplicationAction.REFUSE: AuditAction.APPLICATION_APPLICATION_REFUSED}[action]
    record(session, actor=actor, action=audited, target_type="application", target_id=application.id,
           before=before, after={"stage": target.value, "note": note, "enterprise_id": application.enterprise_id,
                                 "user_id": application.user_id})
    if action is ApplicationAction.CORRECT:
        _tell(session, application, decided, "corrections", notices.corrections(number=application.number, note=note))
    elif action is ApplicationAction.REFUSE:
        _tell(session, application, decided, "refused", notices.refused(number=application.number, note=note))
    return decided


def _sign(session: Session, *, actor: Actor, application: Application, decided: Decided) -> str:
    """Register and sign the enterprise, its products and first user; queue the password to the applicant."""
    enterprise = register_enterprise(
        session, actor=actor, credit_code=application.credit_code, name=application.name,
        region_code=application.region_code, category_id=application.category_id, address=application.address,
        contact_name=application.contact_name, contact_phone=application.mobile, contact_email=application.email)
    mark_stage_reached(session, actor=actor, enterprise_id=enterprise.id, stage=EnrolmentStage.SIGNED)
    password = secrets.token_urlsafe(12)
    user = create_user(session, actor=actor, username=application.credit_code.lower(),
                       display_name=application.contact_name, password=password, role=Role.MANUFACTURER,
                       enterprise_id=enterprise.id)
    own = Principal(kind="user", id=user.id, name=user.username, role=Role.MANUFACTURER,
                    display_name=user.display_name, enterprise_id=enterprise.id)
    for line in session.scalars(select(ApplicationProduct).where(ApplicationProduct.application_id == application.id)
                                .order_by(ApplicationProduct.id)):
        # An entry retired or moved to another category since the applicant named it is left out:
        # the enterprise or a regulator links the product later (the signing does not fail for it).
        entry = session.get(CatalogueEntry, line.catalogue_entry_id) if line.catalogue_entry_id else None
        linked = entry.id if entry is not None and entry.is_active and entry.category_id == line.category_id else None
        add_product(session, actor=actor, principal=own, enterprise_id=enterprise.id, name=line.name,
                    specification=line.specification, category_id=line.category_id, catalogue_entry_id=linked)
    application.enterprise_id, application.user_id = enterprise.id, user.id
    _tell(session, application, decided, "approved",
          notices.approved(number=application.number, username=user.username, password=password),
          notices.approved_email(number=application.number, username=user.username))
    return user.username

