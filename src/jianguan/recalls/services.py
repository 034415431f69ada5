"""Recalls: opening one (the codes it affects and the parties holding them, each notified), its
progress (codes returned and destroyed, by party), closing or withdrawing it; and reads.

Who sees a recall: those who see its enterprise's products (the one scope rule on its
enterprise, region and category), and the distributors and shops that held its codes when it
was opened (the rule on the merchant of each party it names). A manufacturer opens recalls of
its own products, a regulator of products in its scope; either may end it, except that a recall
a regulator opened is ended by a regulator (or the operator).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.codes.models import Activation, CodeBatch
from jianguan.enterprises.models import Enterprise, Product
from jianguan.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jianguan.fields import clean_text
from jianguan.jurisdiction import scope_condition
from jianguan.merchants.models import Merchant
from jianguan.messaging.services import queue_sms
from jianguan.recalls.models import Recall, RecallLevel, RecallParty, RecallRange, RecallStatus
from jianguan.storage.base import utcnow
from jianguan.terminals.models import Terminal
from jianguan.trace.models import FINAL, Event, EventRange, PartyKind, Position, Whereabouts

MAX_PRODUCTS = 20
MAX_LOTS = 50
_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")


def recall_condition(principal: Principal) -> ColumnElement[bool]:
    """The recalls ``principal`` sees (see the module doc)."""
    held = exists().where(RecallParty.recall_id == Recall.id, RecallParty.party_kind == PartyKind.MERCHANT.value,
                          scope_condition(principal, merchant=RecallParty.party_id))
    return or_(scope_condition(principal, enterprise=Recall.enterprise_id, region=Recall.region_code,
                               category=Recall.category_id), held)


def get_recall(session: Session, *, principal: Principal, recall_id: int) -> Recall:
    """One recall in ``principal``'s scope, else NotFound."""
    recall = session.scalar(select(Recall).where(Recall.id == recall_id, recall_condition(principal)))
    if recall is None:
        raise NotFound("No such recall.", "没有这个召回。")
    return recall


def list_recalls(session: Session, *, principal: Principal, status: RecallStatus | None = None,
                 limit: int = 100, offset: int = 0) -> list[Recall]:
    """The recalls ``principal`` sees, newest first."""
    query = select(Recall).where(recall_condition(principal))
    if status is not None:
        query = query.where(Recall.status == status)
    return list(session.scalars(query.order_by(Recall.id.desc()).limit(limit).offset(offset)))


def _products(session: Session, principal: Principal, product_ids: Sequence[int]) -> list[Product]:
    """The products named, all of one enterprise and in ``principal``'s scope (else NotFound)."""
    ids = sorted(set(product_ids))
    if not ids or len(ids) > MAX_PRODUCTS:
        raise ValidationFailed(f"Name between 1 and {MAX_PRODUCTS} products.", f"请选择 1 至 {MAX_PRODUCTS} 个产品。",
                               code="invalid_products", field="product_ids")
    products = list(session.scalars(
        select(Product).join(Enterprise, Enterprise.id == Product.enterprise_id)
        .where(Product.id.in_(ids), scope_condition(principal, enterprise=Product.enterprise_id,
                                                    region=Enterprise.region_code, category=Product.category_id))
        .order_by(Product.id)))
    if len(products) != len(ids):
        raise NotFound("No such product.", "没有这个产品。")
    if len({product.enterprise_id for product in products}) != 1:
        raise ValidationFailed("A recall names products of one enterprise.", "一次召回只能针对同一企业的产品。",
                               code="mixed_enterprises", field="product_ids")
    return products


def _lots(lots: Sequence[str]) -> list[str]:
    cleaned = sorted({clean_text(lot, Activation.lot, english="lot", chinese="批次号", required=True)
                      for lot in lots})
    if len(cleaned) > MAX_LOTS:
        raise ValidationFailed(f"Name at most {MAX_LOTS} lots.", f"批次最多 {MAX_LOTS} 个。", code="too_many_lots",
                               field="lots")
    return cleaned


def _ranges(session: Session, products: Sequence[Product], lots: Sequence[str]) -> list[tuple[int, int, int, int]]:
    """``(batch, generation, start, end)`` of the active activations of the products' lots (every
    lot when none is named)."""
    query = (select(CodeBatch.id, CodeBatch.generation, Activation.serial_start, Activation.serial_end)
             .join(Activation, Activation.batch_id == CodeBatch.id)
             .where(CodeBatch.product_id.in_([product.id for product in products]), Activation.withdrawn_at.is_(None))
             .order_by(CodeBatch.generation, Activation.serial_start))
    if lots:
        query = query.where(Activation.lot.in_(lots))
    return [(row[0], row[1], row[2], row[3]) for row in session.execute(query)]


def holders(session: Session, ranges: Sequence[tuple[int, int, int, int]], owner: int) -> dict[tuple[str, int], int]:
    """Who holds how many of the codes in ``ranges`` now, by ``(party kind, id)``: from where the
    codes are (goods in transit are counted for the party they were shipped to; codes that never
    moved are at their enterprise, ``owner``); destroyed and decommissioned codes are held by nobody."""
    held: dict[tuple[str, int], int] = {}
    for batch, _generation, start, end in ranges:
        covered = 0
        # Runs never cross a batch: the batch's index finds them.
        runs = session.execute(select(Position.serial_start, Position.serial_end, Position.status,
                                      Position.holder_kind, Position.holder_id, Position.shipped_to_kind,
                                      Position.shipped_to_id)
                               .where(Position.batch_id == batch, Position.serial_start < end,
                                      Position.serial_end > start))
        for run in runs:
            count = min(end, run.serial_end) - max(start, run.serial_start)
            covered += count
            if Whereabouts(run.status) in FINAL:
                continue
            if run.status == Whereabouts.IN_TRANSIT and run.shipped_to_kind is not None:
                party = (str(run.shipped_to_kind), int(run.shipped_to_id))
            else:
                party = (str(run.holder_kind), int(run.holder_id))
            held[party] = held.get(party, 0) + count
        if end - start > covered:
            key = (PartyKind.ENTERPRISE.value, owner)
            held[key] = held.get(key, 0) + end - start - covered
    return held


def mobile_number(phone: str | None) -> str | None:
    """The mobile number in ``phone`` (a text message can reach it), else None."""
    match = _MOBILE.match(re.sub(r"[\s-]", "", phone or ""))
    return match.group(1) if match else None


def _party_contact(session: Session, kind: str, ident: int) -> tuple[str, str | None, str | None]:
    """A party's name, county and mobile number on file (an enterprise's contact; a shop's terminal's)."""
    if kind == PartyKind.ENTERPRISE.value:
        enterprise = session.get(Enterprise, ident)
        if enterprise is None:
            return f"#{ident}", None, None
        return enterprise.name, enterprise.region_code, mobile_number(enterprise.contact_phone)
    merchant = session.get(Merchant, ident)
    if merchant is None:
        return f"#{ident}", None, None
    phones = session.scalars(select(Terminal.contact_phone).where(Terminal.merchant_id == ident)
                             .order_by(Terminal.id))
    return merchant.name, merchant.region_code, next((m for m in map(mobile_number, phones) if m), None)


def _notice(enterprise: Enterprise, products: Sequence[Product], lots: Sequence[str], level: RecallLevel,
            reason: str, instructions: str) -> str:
    names = "、".join(product.name for product in products)
    which = f"批次 {'、'.join(lots)}" if lots else "全部批次"
    return (f"{enterprise.name}{level.label_zh}：{names}（{which}）。原因：{reason}。处置：{instructions}")[:2000]


def open_recall(session: Session, *, actor: Actor, principal: Principal, product_ids: Sequence[int],
                lots: Sequence[str], level: RecallLevel, reason: str, instructions: str) -> Recall:
    """Open a recall of ``product_ids`` (of one enterprise) and ``lots`` (none: every lot): its codes
    are the lots' activations, stored as ranges; every party holding some is recorded and told."""
    if principal.role not in (Role.MANUFACTURER, Role.REGULATOR, Role.OPERATOR):
        raise PermissionDenied("Only the enterprise or its regulators open a recall.", "只有企业或其监管部门可以发起召回。")
    reason = clean_text(reason, Recall.reason, english="reason", chinese="召回原因", required=True)
    instructions = clean_text(instructions, Recall.instructions, english="instructions", chinese="处置要求",
                              required=True)
    products = _products(session, principal, product_ids)
    lots = _lots(lots)
    enterprise = session.get(Enterprise, products[0].enterprise_id)
    assert enterprise is not None  # a product's enterprise exists (foreign key)
    ranges = _ranges(session, products, lots)
    if not ranges:
        raise ValidationFailed("No activated codes of these products and lots: nothing to recall.",
                               "这些产品和批次没有已激活的监管码，无可召回。", code="nothing_to_recall", field="lots")
    now = utcnow()
    recall = Recall(enterprise_id=enterprise.id, region_code=enterprise.region_code,
                    category_id=products[0].category_id, level=level, reason=reason, instructions=instructions,
                    notice=_notice(enterprise, products, lots, level, reason, instructions),
                    product_ids=[product.id for product in products], lots=lots,
                    codes=sum(end - start for _b, _g, start, end in ranges), status=RecallStatus.OPEN,
                    opened_by=actor.name, opened_by_role=principal.role.value, opened_at=now, changed_at=now)
    session.add(recall)
    session.flush()
    session.add_all(RecallRange(recall_id=recall.id, batch_id=batch, generation=generation, serial_start=start,
                                serial_end=end) for batch, generation, start, end in ranges)
    notified = 0
    for (kind, ident), count in sorted(holders(session, ranges, enterprise.id).items()):
        name, region, mobile = _party_contact(session, kind, ident)
        sms_id = None
        if mobile is not None:
            text = (f"【监管网】召回通知（{level.label_zh}）：{recall.notice[:200]} 贵单位持有 {count} 件，"
                    f"请立即停止销售并按要求处置。召回编号 {recall.id}。")
            sms_id = queue_sms(session, to=mobile, text=text).id
            notified += 1
        session.add(RecallParty(recall_id=recall.id, party_kind=kind, party_id=ident, name=name, region_code=region,
                                held=count, sms_id=sms_id, notified_at=now))
    session.flush()
    record(session, actor=actor, action=AuditAction.RECALL_RECALL_OPENED, target_type="recall", target_id=recall.id,
           after={"enterprise_id": enterprise.id, "product_ids": recall.product_ids, "lots": lots,
                  "level": level.value, "reason": reason, "codes": recall.codes, "sms": notified})
    from jianguan.alerts.rules import recall_alert  # the early-warning rule "a recall opened"
    recall_alert(session, recall)
    return recall


def end_recall(session: Session, *, actor: Actor, principal: Principal, recall_id: int, withdraw: bool,
               note: str | None) -> Recall:
    """Close a recall (its work is done) or withdraw it (it should not have been opened): either
    way its codes stop answering ``recalled`` in every process within two seconds."""
    get_recall(session, principal=principal, recall_id=recall_id)
    # Locked (SQLite serialises writers already): two requests ending it at once end it once.
    recall = session.scalars(select(Recall).where(Recall.id == recall_id).with_for_update()
                             .execution_options(populate_existing=True)).one()
    if principal.role not in (Role.MANUFACTURER, Role.REGULATOR, Role.OPERATOR) or (
            principal.role is Role.MANUFACTURER and principal.enterprise_id != recall.enterprise_id):
        raise NotFound("No such recall.", "没有这个召回。")
    if principal.role is Role.MANUFACTURER and recall.opened_by_role != Role.MANUFACTURER.value:
        raise PermissionDenied("A recall a regulator opened is ended by a regulator.", "监管部门发起的召回须由监管部门结束。")
    note = clean_text(note, Recall.end_note, english="note", chinese="说明") or None
    if recall.status != RecallStatus.OPEN:
        raise Conflict("This recall has ended already.", "该召回已经结束。", code="recall_ended")
    before = recall.status
    now = utcnow()
    recall.status = RecallStatus.WITHDRAWN if withdraw else RecallStatus.CLOSED
    recall.ended_by, recall.ended_at, recall.end_note, recall.changed_at = actor.name, now, note, now
    session.flush()
    record(session, actor=actor, action=AuditAction.RECALL_RECALL_WITHDRAWN if withdraw
           else AuditAction.RECALL_RECALL_CLOSED, target_type="recall", target_id=recall.id,
           before={"status": before}, after={"status": recall.status, "note": note})
    return recall


@dataclass
class PartyProgress:
    """One party's part in a recall: what it held when the recall was opened, and what it has
    returned and destroyed since."""

    kind: str
    id: int
    name: str
    region_code: str | None
    held: int = 0
    returned: int = 0
    destroyed: int = 0
    notified_by_sms: bool = False


@dataclass
class Progress:
    recall: Recall
    parties: list[PartyProgress] = field(default_factory=list)

    @property
    def returned(self) -> int:
        return sum(party.returned for party in self.parties)

    @property
    def destroyed(self) -> int:
        return sum(party.destroyed for party in self.parties)


def _overlap(ranges: dict[int, list[tuple[int, int]]], generation: int, start: int, end: int) -> int:
    return sum(max(0, min(end, high) - max(start, low)) for low, high in ranges.get(generation, []))


def progress(session: Session, *, principal: Principal, recall_id: int) -> Progress:
    """The recall and, by party, the codes held when it opened and those returned (returning events)
    and destroyed (destroying events) since, counted from the events that name them."""
    recall = get_recall(session, principal=principal, recall_id=recall_id)
    ranges: dict[int, list[tuple[int, int]]] = {}
    batches = set()
    for stored in session.scalars(select(RecallRange).where(RecallRange.recall_id == recall.id)):
        ranges.setdefault(stored.generation, []).append((stored.serial_start, stored.serial_end))
        batches.add(stored.batch_id)
    parties = {(row.party_kind, row.party_id): PartyProgress(row.party_kind, row.party_id, row.name, row.region_code,
                                                             row.held, notified_by_sms=row.sms_id is not None)
               for row in session.scalars(select(RecallParty).where(RecallParty.recall_id == recall.id)
                                          .order_by(RecallParty.id))}
    rows = session.execute(
        select(Event.biz_step, Event.party_kind, Event.party_id, EventRange.generation, EventRange.serial_start,
               EventRange.serial_end)
        .join(EventRange, EventRange.event_id == Event.id)
        .where(EventRange.batch_id.in_(sorted(batches)), Event.biz_step.in_(("returning", "destroying")),
               Event.event_time >= recall.opened_at.replace(microsecond=0), EventRange.role != "parent"))
    for row in rows:
        count = _overlap(ranges, row.generation, row.serial_start, row.serial_end)
        if not count:
            continue
        key = (str(row.party_kind), int(row.party_id))
        party = parties.get(key)
        if party is None:
            name, region, _mobile = _party_contact(session, *key)
            party = parties[key] = PartyProgress(key[0], key[1], name, region)
        if row.biz_step == "returning":
            party.returned += count
        else:
            party.destroyed += count
    return Progress(recall, list(parties.values()))


def recall_json(recall: Recall) -> dict[str, Any]:
    """A recall as the API gives it."""
    level, status = RecallLevel(recall.level), RecallStatus(recall.status)
    return {"id": recall.id, "enterprise_id": recall.enterprise_id, "level": level.value,
            "level_label": {"zh": level.label_zh, "en": level.label_en}, "status": status.value,
            "status_label": {"zh": status.label_zh, "en": status.label_en}, "reason": recall.reason,
            "instructions": recall.instructions, "notice": recall.notice, "product_ids": recall.product_ids,
            "lots": recall.lots, "codes": recall.codes, "opened_by": recall.opened_by,
            "opened_at": _iso(recall.opened_at), "ended_by": recall.ended_by, "ended_at": _iso(recall.ended_at),
            "end_note": recall.end_note}


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()


def progress_json(made: Progress) -> dict[str, Any]:
    return {**recall_json(made.recall), "returned": made.returned, "destroyed": made.destroyed,
            "parties": [{"kind": party.kind, "id": party.id, "name": party.name, "region_code": party.region_code,
                         "held": party.held, "returned": party.returned, "destroyed": party.destroyed,
                         "notified_by_sms": party.notified_by_sms} for party in made.parties]}



def recallable_products(session: Session, *, principal: Principal, limit: int = 200) -> list[tuple[Product, str]]:
    """The products ``principal`` may recall (in its scope), with their enterprise's name."""
    rows = session.execute(
        select(Product, Enterprise.name).join(Enterprise, Enterprise.id == Product.enterprise_id)
        .where(scope_condition(principal, enterprise=Product.enterprise_id, region=Enterprise.region_code,
                               category=Product.category_id))
        .order_by(Enterprise.name, Product.id).limit(limit))
    return [(row[0], row[1]) for row in rows]
