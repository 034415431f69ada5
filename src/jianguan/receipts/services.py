"""Receiving checks (进货验收) and sales at the scan page: the only writers of the receipts tables.

``receive`` checks every code of a delivery (``checks``), takes the party's refusals, keeps the
record with each code's result, and records the accepted codes as one receiving event through the
capture service, all in one transaction. A party's checks queue on its row, so the same delivery
checked twice at once is received once: the second check finds it received. ``sell`` records one
sale (retail_selling) of a code the shop holds.

A record is the merchant's, and seen by the regulators of its county: the quality and market
regulators (general business), and a regulator whose agency supervises the category of a code on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.enterprises.models import Enterprise, Product
from jianguan.errors import NotFound, PermissionDenied
from jianguan.fields import clean_text
from jianguan.jurisdiction import scope_condition
from jianguan.merchants.models import Merchant
from jianguan.receipts.checks import CheckedCode, Checker
from jianguan.receipts.models import CheckResult, Receipt, ReceiptLine
from jianguan.storage.base import utcnow
from jianguan.timezone import today
from jianguan.trace.capture import capture
from jianguan.trace.epcis_model import Action, EPCISEvent, EventType
from jianguan.trace.identifiers import code_uri
from jianguan.trace.models import Event, Location, PartyKind

MAX_LISTED = 200  # receipts a list shows


def _merchant(session: Session, principal: Principal, *, lock: bool = False) -> Merchant:
    """The caller's distributor or shop; with ``lock``, its row locked (its checks queue on it)."""
    if principal.role is not Role.MERCHANT or principal.merchant_id is None:
        raise PermissionDenied("Only distributors and shops check deliveries and record sales.",
                               "只有经销商和商店可以进行进货验收和销售登记。")
    query = select(Merchant).where(Merchant.id == principal.merchant_id)
    merchant = session.scalars(query.with_for_update() if lock else query).first()
    if merchant is None:
        raise NotFound("Your distributor or shop is not registered.", "本单位未登记。")
    return merchant


def check_delivery(session: Session, *, principal: Principal, codes: Sequence[str]) -> list[CheckedCode]:
    """What a receiving check would find of each scanned code (and what the cases hold): reads only."""
    merchant = _merchant(session, principal)
    return Checker(session, merchant.id, today()).check(codes)


def _place(session: Session, merchant: Merchant) -> str | None:
    """The merchant's first registered place, as events name it (SGLN), or None."""
    gln = session.scalar(select(Location.gln).where(Location.party_kind == PartyKind.MERCHANT,
                                                    Location.party_id == merchant.id).order_by(Location.gln).limit(1))
    return f"urn:epc:id:sgln:{gln[:7]}.{gln[7:12]}.0" if gln else None


def _event(step: str, codes: Sequence[str], place: str | None, at: dt.datetime) -> EPCISEvent:
    return EPCISEvent(index=0, type=EventType.OBJECT, action=Action.OBSERVE, event_time=at,
                      event_time_zone_offset="+08:00", biz_step=step, epc_list=tuple(code_uri(c) for c in codes),
                      read_point=place, biz_location=place)


def _decide(lines: Sequence[CheckedCode], refused: set[str]) -> list[bool]:
    """Whether each line is accepted: it passed, the party did not refuse it or its container, and
    (a container) everything in it is accepted."""
    accepted: dict[str, bool] = {}
    for line in lines:
        parent_ok = line.container is None or accepted.get(line.container, False)
        accepted[line.code] = line.ok and line.code not in refused and parent_ok
    for line in reversed(lines):  # contents come after their container: refusals climb up
        if not accepted[line.code] and line.container is not None:
            accepted[line.container] = False
    return [accepted[line.code] for line in lines]


def receive(session: Session, *, actor: Actor, principal: Principal, codes: Sequence[str],
            refused: Sequence[str] = (), note: str = "") -> Receipt:
    """Check a delivery and keep the record: each code's result, the party's refusals (``refused``:
    codes it turns down although they passed), and the accepted codes received in one event."""
    merchant = _merchant(session, principal, lock=True)
    note = clean_text(note, Receipt.note, english="note", chinese="备注")
    checker = Checker(session, merchant.id, today())
    lines = checker.check(codes)
    turned_down = {checker.canonical(raw) for raw in refused}
    decisions = _decide(lines, turned_down)
    accepted_codes = {line.code for line, ok in zip(lines, decisions, strict=True) if ok}
    named = [line.code for line, ok in zip(lines, decisions, strict=True)
             if ok and (line.container is None or line.container not in accepted_codes)]
    event_id = None
    if named:
        result = capture(session, actor=actor, principal=principal, source="scan",
                         events=[_event("receiving", named, _place(session, merchant), utcnow())])
        event_id = session.scalar(select(Event.id).where(Event.capture_id == result.capture.id))
    receipt = Receipt(merchant_id=merchant.id, region_code=merchant.region_code, event_id=event_id,
                      accepted=len(accepted_codes), refused=len(lines) - len(accepted_codes), note=note,
                      checked_by=actor.name)
    session.add(receipt)
    session.flush()
    session.add_all([ReceiptLine(receipt_id=receipt.id, code=line.code, container=line.container,
                                 batch_id=line.batch_id, enterprise_id=line.enterprise_id, product_id=line.product_id,
                                 category_id=line.category_id, result=line.result, accepted=ok)
                     for line, ok in zip(lines, decisions, strict=True)])
    session.flush()
    record(session, actor=actor, action=AuditAction.RECEIPTS_RECEIPT_RECORDED, target_type="receipt",
           target_id=receipt.id, after={"merchant_id": merchant.id, "accepted": receipt.accepted,
                                        "refused": receipt.refused, "event_id": event_id, "note": note,
                                        "problems": sorted({line.result.value for line in lines if not line.ok})})
    return receipt


def sell(session: Session, *, actor: Actor, principal: Principal, code: str) -> tuple[CheckedCode, bool]:
    """Record the sale of one code the shop holds in stock; answers the code as checked and whether
    the sale was recorded (a code that fails the check records nothing)."""
    merchant = _merchant(session, principal, lock=True)
    checker = Checker(session, merchant.id, today(), selling=True)
    checked = checker.check_one(*checker.locate(code))
    if not checked.ok:
        return checked, False
    capture(session, actor=actor, principal=principal, source="scan",
            events=[_event("retail_selling", [checked.code], _place(session, merchant), utcnow())])
    return checked, True


# --- reading the records ------------------------------------------------------------------------


def _visible(principal: Principal) -> ColumnElement[bool]:
    """The receipts ``principal`` sees: the merchant's own; a regulator's of its region, as general
    business or for a code of a category its agency supervises (the jurisdiction rule)."""
    return or_(scope_condition(principal, region=Receipt.region_code, merchant=Receipt.merchant_id),
               exists(select(ReceiptLine.id).where(
                   ReceiptLine.receipt_id == Receipt.id,
                   scope_condition(principal, region=Receipt.region_code, category=ReceiptLine.category_id))))


@dataclass(frozen=True)
class ReceiptView:
    """A receipt with the name of its merchant and, for the record page, its lines."""

    receipt: Receipt
    merchant: str
    lines: tuple[ReceiptLine, ...] = ()
    products: tuple[tuple[str, str], ...] = ()  # (product, enterprise) of each line, in order

    def as_dict(self) -> dict[str, object]:
        r = self.receipt
        answer: dict[str, object] = {
            "id": r.id, "merchant_id": r.merchant_id, "merchant": self.merchant, "region_code": r.region_code,
            "accepted": r.accepted, "refused": r.refused, "note": r.note, "checked_by": r.checked_by,
            "event_id": r.event_id, "created_at": r.created_at.isoformat()}
        if self.lines:
            answer["lines"] = [{"code": line.code, "container": line.container, "result": line.result,
                                "result_zh": CheckResult(line.result).label_zh,
                                "result_en": CheckResult(line.result).label_en, "accepted": line.accepted,
                                "product": product, "enterprise": enterprise}
                               for line, (product, enterprise) in zip(self.lines, self.products, strict=True)]
        return answer


def list_receipts(session: Session, *, principal: Principal, offset: int = 0) -> list[ReceiptView]:
    """The receipts ``principal`` may see, newest first."""
    rows = session.execute(select(Receipt, Merchant.name).join(Merchant, Merchant.id == Receipt.merchant_id)
                           .where(_visible(principal)).order_by(Receipt.created_at.desc(), Receipt.id.desc())
                           .offset(offset).limit(MAX_LISTED)).all()
    return [ReceiptView(receipt, name) for receipt, name in rows]


def count_receipts(session: Session, *, principal: Principal) -> int:
    return session.scalar(select(func.count()).select_from(Receipt).where(_visible(principal))) or 0


def get_receipt(session: Session, *, principal: Principal, receipt_id: int) -> ReceiptView:
    """One receipt with its lines, if ``principal`` may see it; NotFound otherwise."""
    row = session.execute(select(Receipt, Merchant.name).join(Merchant, Merchant.id == Receipt.merchant_id)
                          .where(Receipt.id == receipt_id, _visible(principal))).first()
    if row is None:
        raise NotFound(f"No receiving record {receipt_id}.", f"进货验收记录 {receipt_id} 不存在。")
    lines = session.execute(select(ReceiptLine, Product.name, Enterprise.name)
                            .outerjoin(Product, Product.id == ReceiptLine.product_id)
                            .outerjoin(Enterprise, Enterprise.id == ReceiptLine.enterprise_id)
                            .where(ReceiptLine.receipt_id == receipt_id).order_by(ReceiptLine.id)).all()
    return ReceiptView(row[0], row[1], tuple(line for line, _p, _e in lines),
                       tuple((product or "", enterprise or "") for _l, product, enterprise in lines))
