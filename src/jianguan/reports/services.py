"""The monthly report's recipients and its sending by e-mail.

A regulator (or the operator) sets the addresses its region's report goes to; the sending job
(``jobs.run_jobs``) enters one row per month, region and address (the unique key: a second run,
or a run on another machine, enters none again), takes each due row with one atomic UPDATE (a
lease, so one process sends it), sends it through the service's one SMTP client
(``messaging.mail.send_smtp``, with ``JIANGUAN_EMAIL_GATEWAY=smtp``) and records the outcome; a
failure is tried again later, each wait twice the one before, until the attempts are used up.
"""

from __future__ import annotations

import datetime as dt
import re
import smtplib
from collections.abc import Callable
from typing import Any

from sqlalchemy import Table, and_, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.catalogue.models import Agency
from jianguan.config import Settings
from jianguan.errors import DomainError, ValidationFailed
from jianguan.messaging.mail import Attachment, send_smtp, smtp_enabled
from jianguan.regions.models import Region
from jianguan.regions.tree import RegionNode, region_tree
from jianguan.reports.models import ReportRecipient, ReportSending, SendingStatus
from jianguan.reports.monthly import Month, monthly_report, parse_month
from jianguan.reports.render import FORMATS, as_pdf, as_xlsx, file_name
from jianguan.stats.figures import place
from jianguan.stats.models import RolledDay
from jianguan.stats.rollup import day_bounds
from jianguan.storage import reading, transaction
from jianguan.storage.base import utcnow

MAX_RECIPIENTS = 20
LEASE = dt.timedelta(minutes=15)
SHOWN_SENDINGS = 50
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
Sender = Callable[..., None]


def _agency(principal: Principal) -> str:
    return principal.agency.value if principal.agency else ""


def _region(session: Session, principal: Principal, region_code: str | None) -> RegionNode:
    where = place(session, principal, region_code)
    if where.region is None:
        raise ValidationFailed("Name the region whose report is sent.", "请指定信息通报所属的地区。",
                               code="missing_field", field="region_code")
    return where.region


def clean_addresses(addresses: list[str]) -> list[str]:
    """The addresses without blanks and repeats (letter case ignored), in order; ValidationFailed
    listing every malformed one, or when there are more than ``MAX_RECIPIENTS``."""
    seen: dict[str, str] = {}
    bad = []
    for raw in addresses:
        address = (raw or "").strip()
        if not address:
            continue
        if len(address) > 254 or not _ADDRESS.match(address):
            bad.append(address[:80])
            continue
        seen.setdefault(address.lower(), address)
    if bad:
        listed = ", ".join(bad)
        raise ValidationFailed(f"Not e-mail addresses: {listed}.", f"以下不是有效的电子邮件地址：{listed}。",
                               code="invalid_email", field="addresses")
    if len(seen) > MAX_RECIPIENTS:
        raise ValidationFailed(f"At most {MAX_RECIPIENTS} addresses a region.", f"每个地区最多 {MAX_RECIPIENTS} 个地址。",
                               code="too_many_addresses", field="addresses")
    return list(seen.values())


def _addresses(session: Session, region_code: str, agency: str) -> list[str]:
    return list(session.scalars(select(ReportRecipient.address).where(
        ReportRecipient.region_code == region_code, ReportRecipient.agency == agency).order_by(ReportRecipient.id)))


def recipients(session: Session, *, principal: Principal, region_code: str | None = None) -> dict[str, Any]:
    """The addresses the caller's agency (the operator: its own) has set for the region (by default
    the caller's), and the latest sendings to them, newest first."""
    region = _region(session, principal, region_code)
    agency = _agency(principal)
    sendings = session.scalars(select(ReportSending).where(
        ReportSending.region_code == region.code, ReportSending.agency == agency)
        .order_by(ReportSending.month.desc(), ReportSending.id.desc()).limit(SHOWN_SENDINGS))
    return {"region": {"code": region.code, "name": region.name},
            "addresses": _addresses(session, region.code, agency),
            "sendings": [{"id": s.id, "month": s.month, "address": s.address, "status": s.status,
                          "attempts": s.attempts, "next_attempt_at": s.next_attempt_at, "sent_at": s.sent_at,
                          "last_error": s.last_error} for s in sendings]}


def set_recipients(session: Session, *, actor: Actor, principal: Principal, region_code: str,
                   addresses: list[str]) -> list[str]:
    """Replace the addresses the caller's agency has set for a region in its scope (NotFound outside
    it); an empty list stops the sending. Audited with the lists before and after."""
    region = _region(session, principal, region_code)
    cleaned = clean_addresses(addresses)
    agency = _agency(principal)
    # Two regulators setting the list at once take turns on the region's row.
    session.execute(select(Region.code).where(Region.code == region.code).with_for_update())
    before = _addresses(session, region.code, agency)
    session.execute(delete(ReportRecipient).where(ReportRecipient.region_code == region.code,
                                                  ReportRecipient.agency == agency))
    session.flush()
    session.add_all([ReportRecipient(region_code=region.code, address=address, agency=agency,
                                     set_by=actor.name) for address in cleaned])
    record(session, actor=actor, action=AuditAction.REPORTS_RECIPIENTS_SET, target_type="region",
           target_id=region.code, before={"agency": agency, "addresses": before},
           after={"agency": agency, "addresses": cleaned})
    return cleaned


def schedule_month(session: Session, *, month: Month) -> int:
    """Enter a sending of ``month``'s report for every address set; rows already there stay as they
    are (one statement; several runs at once enter each row once). Answers the rows entered."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    now = utcnow()
    rows = [{"month": str(month), "region_code": region, "agency": agency, "address": address,
             "status": SendingStatus.PENDING, "attempts": 0, "next_attempt_at": now, "last_error": "",
             "created_at": now}
            for region, agency, address in session.execute(
                select(ReportRecipient.region_code, ReportRecipient.agency, ReportRecipient.address))]
    if not rows:
        return 0
    table = ReportSending.__table__
    assert isinstance(table, Table)
    # The Core table, not the ORM entity: the ORM's bulk insert would not answer the rows entered.
    statement = insert(table).values(rows).on_conflict_do_nothing(
        index_elements=["month", "region_code", "agency", "address"]).returning(table.c.id)
    return len(session.execute(statement).all())


def _due(now: dt.datetime) -> Any:
    return (and_(ReportSending.status.in_([SendingStatus.PENDING, SendingStatus.FAILED]),
                 ReportSending.next_attempt_at <= now)
            | and_(ReportSending.status == SendingStatus.SENDING, ReportSending.lease_until < now))


def _claim(session: Session, now: dt.datetime) -> ReportSending | None:
    """Take one due sending: an UPDATE that matches only while it is still due, so of several
    processes one takes it."""
    for sending_id in session.scalars(select(ReportSending.id).where(_due(now)).order_by(ReportSending.id).limit(20)):
        taken = session.execute(update(ReportSending).where(ReportSending.id == sending_id, _due(now)).values(
            status=SendingStatus.SENDING, lease_until=now + LEASE, attempts=ReportSending.attempts + 1))
        if taken.rowcount == 1:  # type: ignore[attr-defined]  # a CursorResult
            return session.get(ReportSending, sending_id)
    return None


def _principal(session: Session, sending: ReportSending) -> Principal:
    """Whom the report is made for: the operator, or a regulator of the setter's agency in the region."""
    if not sending.agency:
        return Principal(kind="system", id=0, name="jobs", role=Role.OPERATOR)
    return Principal(kind="system", id=0, name="jobs", role=Role.REGULATOR, agency=Agency(sending.agency),
                     region_code=sending.region_code,
                     region_codes=region_tree(session).descendants(sending.region_code))


def _message(session: Session, sending: ReportSending) -> tuple[str, str, list[Attachment]]:
    report = monthly_report(session, principal=_principal(session, sending), month=parse_month(sending.month),
                            region_code=sending.region_code)
    subject = f"信息通报 {report.month} {report.region_name} / Monthly report"
    text = (f"{report.region_name} {report.month} 信息通报见附件（PDF 与 XLSX）。\n"
            f"The monthly report of {report.region_name} for {report.month} is attached (PDF and XLSX).\n")
    return subject, text, [(file_name(report, "pdf"), as_pdf(report), FORMATS["pdf"]),
                           (file_name(report, "xlsx"), as_xlsx(report), FORMATS["xlsx"])]


def rolled_through(session: Session, month: Month) -> bool:
    """Whether the statistics the report reads are complete for ``month``: its last day was rolled
    up after that day ended (a network still catching up on its roll-ups waits for them)."""
    rolled_at = session.scalar(select(RolledDay.rolled_at).where(RolledDay.day == month.last))
    return rolled_at is not None and rolled_at >= day_bounds(month.last)[1]


def deliver_due(sessions: sessionmaker[Session], settings: Settings, *, actor: Actor, send: Sender = send_smtp,
                now: dt.datetime | None = None) -> dict[str, int]:
    """Send every due sending, one at a time (each taken, sent and recorded in its own transactions).
    Unless e-mails go out by SMTP (``JIANGUAN_EMAIL_GATEWAY=smtp``) nothing is sent and the
    sendings wait, pending."""
    counts = {"sent": 0, "failed": 0}
    if not smtp_enabled(settings):
        return counts
    while True:
        moment = now or utcnow()
        with transaction(sessions) as session:
            sending = _claim(session, moment)
            if sending is None:
                return counts
            sending_id, address, attempts = sending.id, sending.address, sending.attempts
        error = ""
        try:
            with reading(sessions) as session:
                subject, text, attachments = _message(session, session.get(ReportSending, sending_id)
                                                      or sending)
            send(settings, address, subject, text, attachments=attachments)
        except (OSError, smtplib.SMTPException, DomainError) as failed:
            error = f"{type(failed).__name__}: {failed}"[:500]
        with transaction(sessions) as session:
            row = session.get(ReportSending, sending_id)
            if row is None:
                continue
            if not error:
                row.status, row.sent_at, row.lease_until, row.last_error = SendingStatus.SENT, utcnow(), None, ""
                counts["sent"] += 1
                record(session, actor=actor, action=AuditAction.REPORTS_EMAIL_SENT, target_type="report_sending",
                       target_id=row.id, after={"month": row.month, "region": row.region_code, "address": address,
                                                "attempt": attempts})
                continue
            retry = attempts < settings.report_email_attempts
            row.status, row.lease_until, row.last_error = SendingStatus.FAILED, None, error
            row.next_attempt_at = (moment + dt.timedelta(seconds=settings.report_email_retry_seconds
                                                         * 2 ** (attempts - 1))) if retry else None
            counts["failed"] += 1
            record(session, actor=actor, action=AuditAction.REPORTS_EMAIL_FAILED, target_type="report_sending",
                   target_id=row.id, after={"month": row.month, "region": row.region_code, "address": address,
                                            "attempt": attempts, "error": error,
                                            "next_attempt_at": row.next_attempt_at.isoformat()
                                            if row.next_attempt_at else None})
