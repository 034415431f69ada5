"""Designated printers: registering them and their filing (印刷备案).

A printer may be named for codes only while its filing is valid (``Printer.filing_valid_on``);
the public list shows the printers a manufacturer may name, so it holds only those. The
operator renews a filing (a new number or the same one, with a new expiry date) and revokes
one (with the reason); each is audited with the filing before and after.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.enterprises.identifiers import validate_credit_code
from jianguan.enterprises.services import registrable_region
from jianguan.errors import Conflict, NotFound, ValidationFailed
from jianguan.fields import clean_text
from jianguan.printers.models import Printer
from jianguan.storage.base import utcnow
from jianguan.timezone import today


def _filing_number(value: str | None) -> str | None:
    """A filing number as stored: trimmed, None when empty, at most the column's width."""
    return clean_text(value, Printer.filing_number, english="filing number", chinese="备案编号") or None


def _duplicate_filing(number: str) -> Conflict:
    return Conflict(f"The filing number {number} is already recorded for another printer.",
                    f"备案编号 {number} 已属于另一家印刷企业。", code="duplicate_filing")


def register_printer(
    session: Session,
    *,
    actor: Actor,
    credit_code: str,
    name: str,
    region_code: str,
    address: str = "",
    filing_number: str | None = None,
    filing_valid_until: dt.date | None = None,
) -> Printer:
    """Enter a printing company in the registry, with its filing if it has one."""
    code = validate_credit_code(credit_code)
    name = clean_text(name, Printer.name, english="printer's name", chinese="印刷企业名称", required=True)
    address = clean_text(address, Printer.address, english="address", chinese="地址")
    filing_number = _filing_number(filing_number)
    region = registrable_region(session, region_code)
    if filing_valid_until is not None and filing_number is None:
        raise ValidationFailed("A filing expiry date needs the filing number.", "填写备案有效期时必须同时填写备案编号。",
                               code="missing_field", field="filing_number")
    if filing_number is not None and filing_valid_until is None:
        raise ValidationFailed("A filing needs the date it is valid until.", "填写备案编号时必须同时填写备案有效期。",
                               code="missing_field", field="filing_valid_until")
    if session.scalar(select(Printer.id).where(Printer.credit_code == code)) is not None:
        raise Conflict(f"A printer with the credit code {code} is already registered.",
                       f"统一社会信用代码为 {code} 的印刷企业已登记。", code="duplicate_printer")
    if filing_number and session.scalar(select(Printer.id).where(Printer.filing_number == filing_number)):
        raise _duplicate_filing(filing_number)
    printer = Printer(credit_code=code, name=name, region_code=region.code, address=address,
                      filing_number=filing_number, filing_valid_until=filing_valid_until)
    session.add(printer)
    session.flush()
    record(session, actor=actor, action=AuditAction.PRINTER_PRINTER_REGISTERED, target_type="printer",
           target_id=printer.id, after={"credit_code": code, "name": name, "region_code": region.code,
                                        "address": printer.address, "filing_number": filing_number,
                                        "filing_valid_until": filing_valid_until})
    return printer


def list_printers(session: Session, *, valid_on: dt.date | None = None) -> list[Printer]:
    """Every printer by name; with ``valid_on``, only those whose filing is valid that day
    (``Printer.filing_valid_on``: a registry of a few hundred, filtered in memory by the one rule)."""
    printers = session.scalars(select(Printer).order_by(Printer.name, Printer.id))
    return [printer for printer in printers if valid_on is None or printer.filing_valid_on(valid_on)]


def usable_printer(session: Session, printer_id: int) -> Printer:
    """The printer a manufacturer names for its codes; NotFound if there is none, and refused unless its
    filing is valid today."""
    printer = get_printer(session, printer_id)
    if not printer.filing_valid_on(today()):
        raise ValidationFailed(
            f"{printer.name} has no valid printing filing (印刷备案) and cannot be named.",
            f"{printer.name} 没有有效的印刷备案，不能承印监管码。", code="printer_not_filed",
        )
    return printer


def get_printer(session: Session, printer_id: int) -> Printer:
    """The printer with ``printer_id``; NotFound if there is none."""
    printer = session.get(Printer, printer_id)
    if printer is None:
        raise NotFound(f"No printer {printer_id}.", f"印刷企业 {printer_id} 不存在。", code="unknown_printer")
    return printer


def _filing(printer: Printer) -> dict[str, Any]:
    """The printer's filing as the audit log records it."""
    return {"filing_number": printer.filing_number, "filing_valid_until": printer.filing_valid_until,
            "filing_revoked_at": printer.filing_revoked_at, "filing_revoked_reason": printer.filing_revoked_reason}


def _locked_printer(session: Session, printer_id: int) -> Printer:
    """The printer with its row locked until commit, so two changes of its filing run one after the other."""
    printer = session.scalar(select(Printer).where(Printer.id == printer_id).with_for_update()
                             .execution_options(populate_existing=True))
    if printer is None:
        raise NotFound(f"No printer {printer_id}.", f"印刷企业 {printer_id} 不存在。", code="unknown_printer")
    return printer


def renew_filing(session: Session, *, actor: Actor, printer_id: int, filing_number: str,
                 valid_until: dt.date) -> Printer:
    """Record a printer's filing as renewed (operator): a new number or the same one, valid until
    ``valid_until`` (today or later). It also files a printer registered without a filing, and
    restores a revoked one (the revocation is cleared). A number another printer holds is a
    Conflict; the same filing given again changes nothing.
    """
    number = _filing_number(filing_number)
    if number is None:
        raise ValidationFailed("The filing number is required.", "请填写备案编号。", code="missing_field",
                               field="filing_number")
    if not isinstance(valid_until, dt.date):
        raise ValidationFailed("The date the filing is valid until is required.", "请填写备案有效期。",
                               code="missing_field", field="valid_until")
    if valid_until < today():
        raise ValidationFailed(f"A renewed filing cannot have expired already ({valid_until.isoformat()}).",
                               f"续期后的备案有效期（{valid_until.isoformat()}）不能早于今天。",
                               code="date_in_past", field="valid_until")
    printer = _locked_printer(session, printer_id)
    holder = session.scalar(select(Printer.id).where(Printer.filing_number == number))
    if holder is not None and holder != printer.id:
        raise _duplicate_filing(number)
    if (printer.filing_number, printer.filing_valid_until, printer.filing_revoked_at) == (number, valid_until, None):
        return printer
    before = _filing(printer)
    printer.filing_number, printer.filing_valid_until = number, valid_until
    printer.filing_revoked_at = printer.filing_revoked_reason = None
    try:
        with session.begin_nested():  # another printer took the number since the check above
            session.flush()
    except IntegrityError:
        raise _duplicate_filing(number) from None
    record(session, actor=actor, action=AuditAction.PRINTER_FILING_RENEWED, target_type="printer", target_id=printer.id,
           before=before, after=_filing(printer))
    return printer


def revoke_filing(session: Session, *, actor: Actor, printer_id: int, reason: str) -> Printer:
    """Revoke a printer's filing (operator), with the reason: from now on it cannot be named for
    codes and leaves the public list. Only a filing valid today can be revoked (Conflict
    otherwise); the number stays on the record, marked revoked, until a renewal.
    """
    reason = clean_text(reason, Printer.filing_revoked_reason, english="reason for revoking", chinese="撤销备案的理由",
                        required=True, field="reason")
    printer = _locked_printer(session, printer_id)
    if not printer.filing_valid_on(today()):
        if printer.filing_revoked:
            english, chinese = "was revoked already", "已被撤销"
        elif printer.filing_number is None:
            english, chinese = "has no filing", "尚未备案"
        else:
            english, chinese = "has expired", "已过期"
        raise Conflict(f"{printer.name} has no valid filing to revoke: its filing {english}.",
                       f"{printer.name} 没有可撤销的有效备案：其印刷备案{chinese}。", code="no_valid_filing")
    before = _filing(printer)
    printer.filing_revoked_at = utcnow()
    printer.filing_revoked_reason = reason
    session.flush()
    record(session, actor=actor, action=AuditAction.PRINTER_FILING_REVOKED, target_type="printer", target_id=printer.id,
           before=before, after=_filing(printer))
    return printer
