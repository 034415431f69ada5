"""Receiving complaints and reports (投诉举报), and listing them for the people who follow them up.

Anyone may report, on any channel, without an account: the rules are only on the lengths of
what is sent and on the region, which must be a real division because it decides which
regulators see the report. Who sees a report is the jurisdiction rule: the operations centre
every one; a regulator those from its region whose product's category its agency supervises
(a report of a code nobody issued names no product, and is for the general agencies). A report
that names no region is for the operations centre, which passes it on.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.accounts.principal import Principal
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.codes.codec import MalformedCode, decode_code, parse_code
from jianguan.codes.keyring import keyring
from jianguan.codes.lookup import find_batch
from jianguan.codes.models import CodeBatch
from jianguan.complaints.models import Complaint, ComplaintKind
from jianguan.enterprises.models import Product
from jianguan.enterprises.services import EMAIL_PATTERN, PHONE_PATTERN
from jianguan.errors import NotFound, ValidationFailed
from jianguan.fields import clean_text, text_limit
from jianguan.jurisdiction import scope_condition
from jianguan.regions.tree import region_tree
from jianguan.verify.models import Channel
from jianguan.verify.verdict import Verdict

CODE_MAX = text_limit(Complaint.code_input)
LIST_LIMIT = 500

_FIELDS = {
    "code": ("code", "监管码", Complaint.code_input),
    "place": ("place of purchase", "购买地点", Complaint.place),
    "contact": ("contact", "联系方式", Complaint.contact),
    "description": ("description", "情况说明", Complaint.description),
}


def _text(value: str | None, field: str, *, required: bool) -> str:
    english, chinese, column = _FIELDS[field]
    text = clean_text(value, column, english=english, chinese=chinese, field=field)
    if required and not text:  # a consumer reads this: asked, not told
        raise ValidationFailed(f"Please give the {english}.", f"请填写{chinese}。", code="missing_field", field=field)
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


def _locate(session: Session, code: str) -> tuple[int | None, int | None, CodeBatch | None]:
    """The generation, serial and batch of a well-formed code (None for what is not known)."""
    try:
        ring = keyring(session)
        generation, serial = decode_code(ring, parse_code(code, ring).code)
    except (MalformedCode, NotFound):
        return None, None, None
    return generation, serial, find_batch(session, generation, serial)


def submit_report(
    session: Session, *, actor: Actor, code: str, place: str, region_code: str | None = None,
    contact: str | None = None, description: str | None = None, channel: Channel | str = Channel.WEB,
    verifier_answer_verdict: Verdict | str | None = None,
) -> Complaint:
    """Record a consumer's report of a suspected fake (举报) and its audit record.

    ``code`` is kept as given (at most 64 characters); its generation
    and serial are stored too when it is a well-formed code, and the product's enterprise and
    category when it was issued. ``place`` (where it was bought) is
    required; ``region_code`` must name a division; ``contact`` is a phone number or an e-mail
    address, stored as given for the regulator to call back and kept out of the audit log.
    """
    code_input = _text(code, "code", required=True)
    report = Complaint(
        kind=ComplaintKind.REPORT, code_input=code_input, channel=Channel(channel).value, place=_text(place, "place", required=True),
        region_code=_region(session, region_code), contact=_contact(contact),
        description=_text(description, "description", required=False),
        verdict=Verdict(verifier_answer_verdict).value if verifier_answer_verdict else None,
    )
    report.generation, report.serial, batch = _locate(session, code_input)
    if batch is not None:
        report.enterprise_id = batch.enterprise_id
        report.category_id = session.scalar(select(Product.category_id).where(Product.id == batch.product_id))
    session.add(report)
    session.flush()
    record(session, actor=actor, action=AuditAction.COMPLAINT_REPORT_SUBMITTED, target_type="complaint",
           target_id=report.id,
           after={"kind": report.kind.value, "code": report.code_input, "verdict": report.verdict,
                  "channel": report.channel, "place": report.place, "region_code": report.region_code,
                  "enterprise_id": report.enterprise_id, "category_id": report.category_id})
    return report


def list_complaints(session: Session, *, principal: Principal, limit: int = LIST_LIMIT) -> list[Complaint]:
    """Complaints and reports in the caller's scope (the jurisdiction rule), newest first."""
    return list(session.scalars(
        select(Complaint).where(scope_condition(principal, region=Complaint.region_code, category=Complaint.category_id))
        .order_by(Complaint.id.desc()).limit(limit)))
