"""Designated printers: registering them and their filing (印刷备案).

A printer may receive code files only while its filing is valid; the public list shows the
printers a manufacturer may name, so it holds only those.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.audit.services import Actor, record
from jianguan.enterprises.identifiers import validate_credit_code
from jianguan.enterprises.services import registrable_region
from jianguan.errors import Conflict, NotFound, ValidationFailed
from jianguan.fields import clean_text
from jianguan.printers.models import Printer
from jianguan.timezone import today


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
    filing_number = clean_text(filing_number, Printer.filing_number, english="filing number", chinese="备案编号") or None
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
        raise Conflict(f"The filing number {filing_number} is already recorded for another printer.",
                       f"备案编号 {filing_number} 已属于另一家印刷企业。", code="duplicate_filing")
    printer = Printer(credit_code=code, name=name, region_code=region.code, address=address,
                      filing_number=filing_number, filing_valid_until=filing_valid_until)
    session.add(printer)
    session.flush()
    record(session, actor=actor, action="printer:printer:registered", target_type="printer", target_id=printer.id,
           after={"credit_code": code, "name": name, "region_code": region.code, "address": printer.address,
                  "filing_number": filing_number, "filing_valid_until": filing_valid_until})
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
