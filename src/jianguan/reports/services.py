"""Receiving reports of fakes, and listing them for the people who follow them up.

Anyone may report, on any channel, without an account: the rules are only on the lengths of
what is sent and on the region, which must be a real division because it decides which
regulators see the report. The operations centre sees every report; a regulator sees those
from its region and the divisions under it. A report that names no region goes to the
operations centre only, which passes it on.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.services import Actor, record
from jianguan.codes.codec import MalformedCode, decode_code, parse_code
from jianguan.codes.services import load_keyring
from jianguan.enterprises.services import EMAIL_PATTERN, PHONE_PATTERN
from jianguan.errors import NotFound, PermissionDenied, ValidationFailed
from jianguan.regions.services import get_region
from jianguan.reports.models import FakeReport
from jianguan.verify.models import Channel
from jianguan.verify.verdict import Verdict

CODE_MAX = 64
PLACE_MAX = 200
CONTACT_MAX = 200
DESCRIPTION_MAX = 2000
LIST_LIMIT = 500

_FIELDS = {
    "code": ("code", "监管码", CODE_MAX),
    "place": ("place of purchase", "购买地点", PLACE_MAX),
    "contact": ("contact", "联系方式", CONTACT_MAX),
    "description": ("description", "情况说明", DESCRIPTION_MAX),
}


def _text(value: str | None, field: str, *, required: bool) -> str:
    english, chinese, limit = _FIELDS[field]
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed(f"Please give the {english}.", f"请填写{chinese}。", code="missing_field", field=field)
    if len(text) > limit:
        raise ValidationFailed(f"The {english} has at most {limit} characters; this has {len(text)}.",
                               f"{chinese}最多 {limit} 个字，当前 {len(text)} 个。", code="too_long", field=field)
    return text


def _region(session: Session, code: str | None) -> str | None:
    code = (code or "").strip()
    if not code:
        return None
    try:
        return get_region(session, code).code
    except NotFound as missing:  # a typed code that names no division is a mistake in the form
        raise ValidationFailed(missing.message, missing.message_zh, code="unknown_region",
                               field="region_code") from None


def _contact(value: str | None) -> str:
    contact = _text(value, "contact", required=False)
    if contact and not (PHONE_PATTERN.match(contact) or EMAIL_PATTERN.match(contact)):
        raise ValidationFailed("The contact is a phone number or an e-mail address.",
                               "联系方式应为电话号码或电子邮箱。", code="invalid_contact", field="contact")
    return contact


def _code_key(session: Session, code: str, master: bytes | None) -> tuple[int | None, int | None]:
    """The generation and serial of a well-formed code (None, None for anything else)."""
    if master is None:
        return None, None
    try:
        keyring = load_keyring(session, master=master)
        parsed = parse_code(code, keyring)
        return decode_code(keyring, parsed.code)
    except (MalformedCode, NotFound):
        return None, None


def submit_report(
    session: Session, *, actor: Actor, code: str, place: str, region_code: str | None = None,
    contact: str | None = None, description: str | None = None, channel: Channel | str = Channel.WEB,
    verifier_answer_verdict: Verdict | str | None = None, master: bytes | None = None,
) -> FakeReport:
    """Record a consumer's report of a suspected fake and its audit record.

    ``code`` is kept as given (at most 64 characters); with the ``master`` key its generation
    and serial are stored too when it is a well-formed code. ``place`` (where it was bought) is
    required; ``region_code`` must name a division; ``contact`` is a phone number or an e-mail
    address, stored as given for the regulator to call back and kept out of the audit log.
    """
    code_input = _text(code, "code", required=True)
    report = FakeReport(
        code_input=code_input, channel=Channel(channel).value, place=_text(place, "place", required=True),
        region_code=_region(session, region_code), contact=_contact(contact),
        description=_text(description, "description", required=False),
        verdict=Verdict(verifier_answer_verdict).value if verifier_answer_verdict else None,
    )
    report.generation, report.serial = _code_key(session, code_input, master)
    session.add(report)
    session.flush()
    record(session, actor=actor, action="report:fake:submitted", target_type="fake_report", target_id=report.id,
           after={"code": report.code_input, "verdict": report.verdict, "channel": report.channel,
                  "place": report.place, "region_code": report.region_code})
    return report


def list_reports(session: Session, *, principal: Principal, limit: int = LIST_LIMIT) -> list[FakeReport]:
    """Reports in the caller's scope, newest first: all for the operator, the region's for a regulator."""
    query = select(FakeReport).order_by(FakeReport.id.desc()).limit(limit)
    if principal.role is Role.REGULATOR:
        query = query.where(FakeReport.region_code.in_(sorted(principal.region_codes)))
    elif principal.role is not Role.OPERATOR:
        raise PermissionDenied("Only the operations centre and regulators read reports.",
                               "只有运营中心和监管部门可以查看举报。")
    return list(session.scalars(query))
