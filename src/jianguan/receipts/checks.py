"""Checking codes at a shop's door: what the network knows of each code a distributor or shop
scans, for a delivery (进货验收) or a sale.

A code passes a receiving check when it was issued, not spoiled, activated, not recalled (an open
recall covers it), not expired, has not been destroyed or decommissioned, and is on its way to the party checking it (shipped to it, not
received yet). A case or pallet scanned whole stands for everything packed in it: each code in it
is checked as well, and the container passes only if all of them do. A sale needs a code the
party holds in stock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.codes.codec import Keyring, MalformedCode
from jianguan.codes.keyring import keyring
from jianguan.codes.lookup import find_batch
from jianguan.codes.models import Activation, CodeBatch, SpoiledCode
from jianguan.enterprises.models import Enterprise, PackagingLevel, Product
from jianguan.errors import ValidationFailed
from jianguan.recalls.models import Recall, RecallRange, RecallStatus
from jianguan.receipts.models import CheckResult
from jianguan.schemes.services import code_text, locate_code
from jianguan.trace.models import FINAL, PartyKind, Position, Whereabouts
from jianguan.trace.services import packed_in

# Codes one receiving check may hold, containers' contents included.
MAX_RECEIPT_CODES = 2_000


@dataclass(slots=True)
class CheckedCode:
    """One code as checked: its product and enterprise (None for a code nobody issued), the case it
    came in, what the check found, and whether it is a container."""

    code: str
    result: CheckResult
    container: str | None = None
    batch_id: int | None = None
    enterprise_id: int | None = None
    enterprise: str | None = None
    product_id: int | None = None
    product: str | None = None
    category_id: int | None = None
    lot: str | None = None
    expiry_date: dt.date | None = None
    is_container: bool = False
    contents: int = 0  # codes packed in it, at every level below

    @property
    def ok(self) -> bool:
        return self.result is CheckResult.OK

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "result": self.result.value, "result_zh": self.result.label_zh,
                "result_en": self.result.label_en, "ok": self.ok, "container": self.container,
                "enterprise": self.enterprise, "product": self.product, "lot": self.lot,
                "expiry_date": self.expiry_date.isoformat() if self.expiry_date else None,
                "is_container": self.is_container, "contents": self.contents}


def position_of(session: Session, generation: int, serial: int) -> Position | None:
    """The position run holding a code, or None when it has not moved since its activation."""
    row = session.scalars(select(Position).where(Position.generation == generation, Position.serial_start <= serial)
                          .order_by(Position.serial_start.desc()).limit(1)).first()
    return row if row is not None and serial < row.serial_end else None


def _recalled(session: Session, batch: CodeBatch, serial: int) -> bool:
    """Whether an open recall covers the code ``serial`` of ``batch``."""
    return session.scalar(select(RecallRange.id).join(Recall, Recall.id == RecallRange.recall_id).where(
        RecallRange.batch_id == batch.id, RecallRange.generation == batch.generation,
        RecallRange.serial_start <= serial, RecallRange.serial_end > serial,
        Recall.status == RecallStatus.OPEN.value).limit(1)) is not None


def _activation(session: Session, batch: CodeBatch, serial: int) -> Activation | None:
    return session.scalars(select(Activation).where(
        Activation.batch_id == batch.id, Activation.serial_start <= serial, Activation.serial_end > serial,
        Activation.withdrawn_at.is_(None)).limit(1)).first()


class Checker:
    """Checks codes for one party (a distributor or shop) on one day; remembers products read."""

    def __init__(self, session: Session, merchant_id: int, today: dt.date, *, selling: bool = False) -> None:
        self.session = session
        self.party = (PartyKind.MERCHANT, merchant_id)
        self.today = today
        self.selling = selling
        self.ring: Keyring = keyring(session)
        self._products: dict[int, tuple[Product, str]] = {}

    def _product(self, product_id: int) -> tuple[Product, str]:
        known = self._products.get(product_id)
        if known is None:
            product = self.session.get(Product, product_id)
            assert product is not None
            enterprise = self.session.get(Enterprise, product.enterprise_id)
            known = self._products[product_id] = (product, enterprise.name if enterprise else "")
        return known

    def _where(self, position: Position | None) -> CheckResult:
        if position is not None and Whereabouts(position.status) in FINAL:
            return CheckResult.ENDED
        held = position is not None and (PartyKind(position.holder_kind), position.holder_id) == self.party
        if self.selling:
            return CheckResult.OK if held and position is not None and position.status == Whereabouts.IN_STOCK \
                else CheckResult.NOT_IN_STOCK
        if position is None:
            return CheckResult.NOT_SHIPPED
        if position.status == Whereabouts.IN_TRANSIT and position.shipped_to_kind is not None and \
                (PartyKind(position.shipped_to_kind), position.shipped_to_id) == self.party:
            return CheckResult.OK
        if held and position.status == Whereabouts.IN_STOCK:
            return CheckResult.ALREADY_RECEIVED
        return CheckResult.NOT_SHIPPED

    def check_one(self, generation: int, serial: int, container: str | None = None) -> CheckedCode:
        """What is known of the code ``(generation, serial)`` (its key generation is in the ring)."""
        code = code_text(self.session.connection(), self.ring, generation, serial)
        batch = find_batch(self.session, generation, serial)
        if batch is None:
            return CheckedCode(code, CheckResult.UNKNOWN, container)
        product, enterprise = self._product(batch.product_id)
        checked = CheckedCode(code, CheckResult.OK, container, batch.id, batch.enterprise_id, enterprise, product.id,
                              product.name, product.category_id,
                              is_container=batch.packaging_level != PackagingLevel.ITEM.value)
        activation = _activation(self.session, batch, serial)
        if activation is not None:
            checked.lot, checked.expiry_date = activation.lot, activation.expiry_date
        if self.session.get(SpoiledCode, (generation, serial)) is not None:
            checked.result = CheckResult.SPOILED
        elif activation is None:
            checked.result = CheckResult.NOT_ACTIVATED
        elif _recalled(self.session, batch, serial):
            checked.result = CheckResult.RECALLED
        elif activation.expiry_date is not None and activation.expiry_date < self.today:
            checked.result = CheckResult.EXPIRED
        else:
            checked.result = self._where(position_of(self.session, generation, serial))
        return checked

    def locate(self, raw: str) -> tuple[int, int]:
        """``(generation, serial)`` of a code as scanned (ours, or a registered code of another scheme:
        generation 0); MalformedCode naming the text otherwise."""
        try:
            _text, generation, serial = locate_code(self.session, self.ring, raw)
            return generation, serial
        except MalformedCode as error:
            shown = raw.strip()[:40]
            raise MalformedCode(error.reason, f"{shown}: {error.message}", f"{shown}：{error.message_zh}",
                                input=shown) from None

    def canonical(self, raw: str) -> str:
        """The 20 digits of a code as scanned; MalformedCode naming the text otherwise."""
        generation, serial = self.locate(raw)
        return code_text(self.session.connection(), self.ring, generation, serial)

    def check(self, raws: Sequence[str]) -> list[CheckedCode]:
        """Every scanned code, and what each container holds after it; the same code once."""
        if not raws:
            raise ValidationFailed("Scan at least one code.", "请至少扫描一个监管码。", code="bad_quantity")
        seen: set[tuple[int, int]] = set()
        checked: list[CheckedCode] = []
        for raw in raws:
            located = self.locate(raw)
            if located not in seen:
                seen.add(located)
                checked.extend(self._with_contents(located, None, seen))
            if len(checked) > MAX_RECEIPT_CODES:
                raise ValidationFailed(f"One receiving check holds at most {MAX_RECEIPT_CODES:,} codes.",
                                       f"一次进货验收最多 {MAX_RECEIPT_CODES:,} 个监管码。", code="bad_quantity")
        return checked

    def _with_contents(self, located: tuple[int, int], container: str | None,
                       seen: set[tuple[int, int]]) -> list[CheckedCode]:
        top = self.check_one(*located, container=container)
        found = [top]
        if top.is_container:
            for generation, start, end in packed_in(self.session, *located):
                for serial in range(start, end):
                    if (generation, serial) not in seen:
                        seen.add((generation, serial))
                        found.extend(self._with_contents((generation, serial), top.code, seen))
                if len(found) > MAX_RECEIPT_CODES:
                    break
            top.contents = len(found) - 1
            if top.ok and any(not line.ok for line in found[1:]):
                top.result = next(line.result for line in found[1:] if not line.ok)
        return found
