"""What a distributor or shop has coming and has on hand, from where codes are now (positions).

Deliveries are the shipments addressed to the party that it has not received yet: the codes in
transit to it, by the shipping event that sent them. Stock is what it holds now, by product.
Reads only; each answers for the caller's own party.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from jianguan.accounts.principal import Principal
from jianguan.codes.models import CodeBatch
from jianguan.enterprises.models import Enterprise, PackagingLevel, Product
from jianguan.merchants.models import Merchant
from jianguan.trace.models import Event, PartyKind, Position, Whereabouts
from jianguan.trace.places import own_party


def party_names(session: Session, parties: set[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """The names of parties ``(kind, id)``, enterprises and merchants."""
    names: dict[tuple[str, int], str] = {}
    for kind, table in ((PartyKind.ENTERPRISE, Enterprise), (PartyKind.MERCHANT, Merchant)):
        ids = sorted(party_id for party_kind, party_id in parties if party_kind == kind)
        if ids:
            names.update(((kind.value, row_id), name) for row_id, name in session.execute(
                select(table.id, table.name).where(table.id.in_(ids))))
    return names


@dataclass
class ProductCount:
    product_id: int
    product: str
    enterprise: str
    level: str
    codes: int

    @property
    def level_choice(self) -> PackagingLevel:
        return PackagingLevel(self.level)


@dataclass
class Delivery:
    """Codes shipped to the party by one shipping event and not received yet."""

    event_id: int
    shipped_at: dt.datetime
    sender: str
    codes: int = 0
    products: list[ProductCount] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"event_id": self.event_id, "shipped_at": self.shipped_at.isoformat(), "sender": self.sender,
                "codes": self.codes, "products": [vars(p) for p in self.products]}


def _by_product(session: Session, *conditions: ColumnElement[bool]) -> list[tuple[int, ProductCount]]:
    """Codes of the positions meeting ``conditions``, by event and product and packaging level."""
    rows = session.execute(
        select(Position.event_id, Product.id, Product.name, Enterprise.name, CodeBatch.packaging_level,
               func.sum(Position.serial_end - Position.serial_start))
        .join(CodeBatch, CodeBatch.id == Position.batch_id).join(Product, Product.id == CodeBatch.product_id)
        .join(Enterprise, Enterprise.id == Position.enterprise_id).where(*conditions)
        .group_by(Position.event_id, Product.id, Product.name, Enterprise.name, CodeBatch.packaging_level)
        .order_by(Product.name, CodeBatch.packaging_level)).all()
    return [(event_id, ProductCount(product_id, product, enterprise, level, int(count)))
            for event_id, product_id, product, enterprise, level, count in rows]


def deliveries(session: Session, *, principal: Principal) -> list[Delivery]:
    """The shipments addressed to the caller's party that it has not received, newest first."""
    me = own_party(principal)
    counted = _by_product(session, Position.status == Whereabouts.IN_TRANSIT, Position.shipped_to_kind == me.kind,
                          Position.shipped_to_id == me.id)
    events = {row.id: row for row in session.scalars(select(Event).where(
        Event.id.in_(sorted({event_id for event_id, _count in counted}))))}
    names = party_names(session, {(row.party_kind, row.party_id) for row in events.values()})
    found: dict[int, Delivery] = {}
    for event_id, count in counted:
        event = events[event_id]
        delivery = found.get(event_id)
        if delivery is None:
            delivery = found[event_id] = Delivery(event_id, event.event_time,
                                                  names.get((event.party_kind, event.party_id), ""))
        delivery.products.append(count)
        if count.level == PackagingLevel.ITEM.value:
            delivery.codes += count.codes
    return sorted(found.values(), key=lambda d: (d.shipped_at, d.event_id), reverse=True)


def stock(session: Session, *, principal: Principal) -> list[ProductCount]:
    """What the caller's party holds now, by product and packaging level."""
    me = own_party(principal)
    merged: dict[tuple[int, str], ProductCount] = {}
    for _event, count in _by_product(session, Position.status == Whereabouts.IN_STOCK, Position.holder_kind == me.kind,
                                     Position.holder_id == me.id):
        key = (count.product_id, count.level)
        if key in merged:
            merged[key].codes += count.codes
        else:
            merged[key] = count
    return sorted(merged.values(), key=lambda c: (c.product, c.level))
