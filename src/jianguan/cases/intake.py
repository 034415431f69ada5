"""Receiving complaints and reports (投诉举报) on every channel, and the reporter's look-up.

Anyone may report, on any channel, without an account: the rules are on the lengths of what is
sent, the region (a real division, since it decides who sees the case), the contact (a phone
number or an e-mail address) and the photos (type by their bytes, size). Each case is routed at
once (``routing``), gets a number and a short secret, and the reporter is told both by text
message when a phone number is known; the manufacturer whose product is named is told that a
case concerns it, without the reporter's identity.

The look-up answers a case only to the number with its secret, and the same "not found" for a
wrong secret as for a number that does not exist; guesses are throttled per client.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.cases import notices
from jianguan.cases.models import NUMBER_PREFIX, Case, CaseKind, CasePhoto, CaseStep
from jianguan.cases.photos import check_photos, store_photo
from jianguan.cases.routing import route_case
from jianguan.cases.services import deadline_days
from jianguan.cases.workflow import CaseStage, due_at
from jianguan.codes.codec import MalformedCode, decode_code, parse_code
from jianguan.codes.keyring import keyring
from jianguan.codes.lookup import find_batch
from jianguan.codes.models import CodeBatch
from jianguan.counters import Counters
from jianguan.enterprises.models import Enterprise, Product
from jianguan.enterprises.services import EMAIL_PATTERN, PHONE_PATTERN
from jianguan.errors import NotFound, RateLimited, ValidationFailed
from jianguan.fields import clean_text, text_limit
from jianguan.messaging.services import queue_sms
from jianguan.regions.tree import region_tree
from jianguan.storage.base import utcnow
from jianguan.verify.models import Channel
from jianguan.verify.verdict import Verdict

CODE_MAX = text_limit(Case.code_input)
SECRET_DIGITS = 6
LOOKUP_WINDOW_SECONDS = 600.0
NUMBER_PATTERN = re.compile(rf"^{NUMBER_PREFIX}(\d{{8}})(\d{{6,10}})$")
_MOBILE = re.compile(r"^\+?[0-9]{5,20}$")

_FIELDS = {
    "code": ("code", "监管码", Case.code_input),
    "place": ("place of purchase", "购买地点", Case.place),
    "contact": ("contact", "联系方式", Case.contact),
    "description": ("description", "情况说明", Case.description),
}


@dataclass
class Opened:
    """A case just opened, its secret (shown once: only its hash is kept) and the messages queued."""

    case: Case
    secret: str
    messages: list[int] = field(default_factory=list)


def _text(value: str | None, name: str, *, required: bool) -> str:
    english, chinese, column = _FIELDS[name]
    text = clean_text(value, column, english=english, chinese=chinese, field=name)
    if required and not text:  # a consumer reads this: asked, not told
        raise ValidationFailed(f"Please give the {english}.", f"请填写{chinese}。", code="missing_field", field=name)
    return text


def _region(session: Session, code: str | None) -> str | None:
    code = (code or "").strip()
    if not code:
        return None
    try:
        return region_tree(session).require(code).code
    except NotFound as missing:  # a typed code that names no division is a mistake in the form
        raise ValidationFailed(missing.message, missing.message_zh, code="unknown_region",
                               field="region_code") from None


def _contact(value: str | None) -> str:
    contact = _text(value, "contact", required=False)
    if contact and not (PHONE_PATTERN.match(contact) or EMAIL_PATTERN.match(contact)):
        raise ValidationFailed("The contact is a phone number or an e-mail address.",
                               "联系方式应为电话号码或电子邮箱。", code="invalid_contact", field="contact")
    return contact


def _phone(value: str) -> str | None:
    """``value`` as a number a text message can reach, or None (an e-mail address, nothing)."""
    compact = re.sub(r"[ ()\-]", "", value)
    return compact if _MOBILE.match(compact) else None


def _locate(session: Session, code: str) -> tuple[int | None, int | None, CodeBatch | None]:
    """The generation, serial and batch of a well-formed code (None for what is not known)."""
    try:
        ring = keyring(session)
        generation, serial = decode_code(ring, parse_code(code, ring).code)
    except (MalformedCode, NotFound):
        return None, None, None
    return generation, serial, find_batch(session, generation, serial)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    """A short secret a reporter can type on a phone: six digits."""
    return f"{secrets.randbelow(10 ** SECRET_DIGITS):0{SECRET_DIGITS}d}"


def open_case(
    session: Session, *, actor: Actor, code: str, place: str | None, kind: CaseKind | str = CaseKind.REPORT,
    region_code: str | None = None, contact: str | None = None, description: str | None = None,
    channel: Channel | str = Channel.WEB, verdict: Verdict | str | None = None, reply_to: str | None = None,
    default_place: str = "", photos: list[bytes] | None = None, photo_dir: Path | None = None,
    secret: str | None = None, tell_reporter: bool = True, phone_region: str | None = None,
) -> Opened:
    """Open a case from a complaint or report, route it, and queue the notices (see the module doc).

    ``code`` is kept as given; its generation and serial when it is well-formed, and the
    product's enterprise and category when it was issued. ``place`` is required unless the
    channel gives a ``default_place`` (a text message, a call); ``region_code`` must name a
    division; ``contact`` is a phone number or an e-mail address; ``reply_to`` the number a text
    or a call came from. Neither is written to the audit log. ``photos`` (bytes) are checked
    before anything is written, and stored in ``photo_dir``. ``tell_reporter`` False: the
    channel answers the reporter itself (the reply to a text message). ``phone_region`` is the
    region of the reporter's number, which routes a case whose place names no region.
    """
    try:
        case_kind = CaseKind(kind)
    except ValueError:
        raise ValidationFailed("The kind is complaint (投诉) or report (举报).", "类型应为投诉或举报。",
                               code="invalid_kind", field="kind") from None
    code_input = _text(code, "code", required=True)
    place_text = _text(place, "place", required=not default_place) or default_place
    media_types = check_photos(photos or [])
    if media_types and photo_dir is None:
        raise ValidationFailed("Photos cannot be received here.", "此处不能上传照片。", code="no_photos", field="photos")
    case = Case(kind=case_kind, code_input=code_input, channel=Channel(channel).value, place=place_text,
                region_code=_region(session, region_code), contact=_contact(contact),
                reply_to=(_phone(reply_to or "") or ""), description=_text(description, "description", required=False),
                verdict=Verdict(verdict).value if verdict else None)
    case.generation, case.serial, batch = _locate(session, code_input)
    if batch is not None:
        case.enterprise_id = batch.enterprise_id
        case.category_id = session.scalar(select(Product.category_id).where(Product.id == batch.product_id))
    reporter_phone = case.reply_to or _phone(case.contact)
    route = route_case(session, region_code=case.region_code, category_id=case.category_id,
                       phone_region=phone_region if reporter_phone else None)
    case.region_code, case.region_from_phone = route.region_code, route.from_phone
    case.agency, case.assigned_region = route.agency, route.assigned_region
    plain = secret or new_secret()
    case.secret_hash = hash_secret(plain)
    now = utcnow()
    case.created_at = case.stage_since = now
    case.stage = CaseStage.ACCEPTED
    case.due_at = due_at(CaseStage.ACCEPTED, now, deadline_days(session))
    session.add(case)
    session.flush()
    for data, media_type in zip(photos or [], media_types, strict=True):
        assert photo_dir is not None
        digest = store_photo(photo_dir, data, media_type)
        session.add(CasePhoto(case_id=case.id, media_type=media_type, size=len(data), sha256=digest))
    session.add(CaseStep(case_id=case.id, at=now, action="opened", stage=CaseStage.ACCEPTED.value,
                         actor=actor.name[:100], note=""))
    record(session, actor=actor, action=AuditAction.CASE_CASE_OPENED, target_type="case", target_id=case.id,
           after={"number": case.number, "kind": case.kind.value, "code": case.code_input, "verdict": case.verdict,
                  "channel": case.channel, "place": case.place, "region_code": case.region_code,
                  "region_from_phone": case.region_from_phone, "enterprise_id": case.enterprise_id,
                  "category_id": case.category_id, "agency": case.agency,
                  "assigned_region": case.assigned_region, "photos": len(media_types)})
    opened = Opened(case, plain)
    if reporter_phone and tell_reporter:
        opened.messages.append(queue_sms(session, to=reporter_phone, text=notices.accepted_to_reporter(
            kind_zh=case.kind.label_zh, number=case.number, secret=plain)).id)
    enterprise = session.get(Enterprise, case.enterprise_id) if case.enterprise_id else None
    if enterprise is not None and _phone(enterprise.contact_phone):
        opened.messages.append(queue_sms(session, to=_phone(enterprise.contact_phone) or "",
                                         text=notices.case_to_manufacturer(
            kind_zh=case.kind.label_zh, number=case.number, code_tail=code_input[-4:], place=case.place,
            agency=case.agency)).id)
    return opened


def case_id_of(number: str) -> int | None:
    """The case id a number names, or None when it is not shaped like one."""
    match = NUMBER_PATTERN.match((number or "").strip().upper())
    return int(match.group(2)) if match else None


def throttle_lookup(counters: Counters, client: str, now: float, *, limit: int) -> None:
    """Count one look-up of ``client`` (an address, or a phone number on SMS); RateLimited past
    ``limit`` in the ten-minute window (``JIANGUAN_CASE_LOOKUP_LIMIT``): a secret of six digits
    cannot be guessed by trying many."""
    count, left = counters.hit(f"case-lookup:{client}", window=LOOKUP_WINDOW_SECONDS, now=now)
    if count > limit:
        raise RateLimited(max(1, int(left) + 1))


def lookup(session: Session, *, number: str, secret: str) -> Case:
    """The case ``number`` names if ``secret`` is its secret; NotFound otherwise (the same answer
    for a wrong secret and for a number that does not exist)."""
    missing = NotFound("No case has this number and secret.", "编号或查询码不正确。", code="case_not_found")
    ident = case_id_of(number)
    if ident is None or not secret:
        raise missing
    case = session.get(Case, ident)
    given = hash_secret(secret.strip())
    if case is None or case.secret_hash is None or case.number != number.strip().upper() \
            or not hmac.compare_digest(case.secret_hash, given):
        raise missing
    return case


def steps(session: Session, case_id: int) -> list[CaseStep]:
    """The steps of a case, oldest first."""
    return list(session.scalars(select(CaseStep).where(CaseStep.case_id == case_id).order_by(CaseStep.id)))
