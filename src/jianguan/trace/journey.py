"""Tracing (追溯): a code's journey on one page, and a lot's forward trace.

A code's journey is everything the network knows of it in time order: issued, printed (or
spoiled), activated, packed, each supply-chain event that named it or a container it was in
(with the party and the place), the recalls that covered it, and the consumers' queries with where they came from. A lot's
forward trace says where every code of a lot is now: by party and county, and the counties
rolled up to city and province (the region tree's roll-up).

Both are for the code's or lot's manufacturer and the regulators whose scope holds it (the
jurisdiction rule); anyone else is answered NotFound.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.codes.codec import format_grouped
from jianguan.codes.keyring import keyring
from jianguan.codes.lookup import find_batch
from jianguan.codes.models import Activation, CodeBatch, SpoiledCode
from jianguan.enterprises.models import Enterprise, Product
from jianguan.errors import NotFound
from jianguan.jurisdiction import in_scope
from jianguan.merchants.models import Merchant
from jianguan.printers.models import Printer
from jianguan.recalls.models import Recall, RecallRange
from jianguan.regions.tree import region_tree
from jianguan.trace.identifiers import name_party
from jianguan.trace.models import Event, EventRange, Location, PartyKind, Position, Whereabouts
from jianguan.trace.store import container_of
from jianguan.verify.models import Query

MAX_QUERIES = 50  # queries a journey lists (the latest)
MAX_EVENTS = 500

STEP_LABELS = {
    "issued": ("发码", "issued"), "printed": ("印刷", "printed"), "spoiled": ("印刷作废", "spoiled in printing"),
    "activated": ("激活", "activated"), "withdrawn": ("撤销激活", "activation withdrawn"),
    "commissioning": ("赋码", "commissioned"), "packing": ("装箱", "packed"), "unpacking": ("拆箱", "unpacked"),
    "shipping": ("发货", "shipped"), "receiving": ("收货", "received"), "retail_selling": ("销售", "sold"),
    "returning": ("退货", "returned"), "destroying": ("销毁", "destroyed"),
    "decommissioning": ("注销", "decommissioned"), "observed": ("记录", "observed"), "query": ("查询", "queried"),
    "recall": ("召回", "recall opened"), "recall_ended": ("召回结束", "recall ended"),
}


@dataclass
class Step:
    """One thing that happened to a code: when, what, who, where, and the details."""

    at: dt.datetime
    kind: str
    party: str = ""
    place: str = ""
    region: str = ""
    detail: str = ""
    via: str | None = None  # the container that moved with the code in it

    @property
    def label_zh(self) -> str:
        return STEP_LABELS.get(self.kind, STEP_LABELS["observed"])[0]

    @property
    def label_en(self) -> str:
        return STEP_LABELS.get(self.kind, STEP_LABELS["observed"])[1]

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "step": self.kind, "label_zh": self.label_zh, "label_en": self.label_en,
                "party": self.party, "place": self.place, "region": self.region, "detail": self.detail,
                "via": self.via}


@dataclass
class Journey:
    code: str
    grouped: str
    enterprise: str
    product: str
    status: str
    holder: str
    region: str
    product_id: int
    lot: str | None
    steps: list[Step] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "enterprise": self.enterprise, "product": self.product,
                "product_id": self.product_id, "lot": self.lot, "status": self.status,
                "holder": self.holder, "region": self.region, "steps": [step.as_dict() for step in self.steps]}


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class _Names:
    """Names of parties, places and regions, each read once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.tree = region_tree(session)
        self._parties: dict[tuple[str, int], str] = {}

    def party(self, kind: str | None, party_id: int | None) -> str:
        if kind is None or party_id is None:
            return ""
        key = (str(kind), party_id)
        if key not in self._parties:
            table = Enterprise if key[0] == PartyKind.ENTERPRISE.value else Merchant
            self._parties[key] = self.session.scalar(select(table.name).where(table.id == party_id)) or ""
        return self._parties[key]

    def region(self, code: str | None) -> str:
        return self.tree.path_name(code) if code and code in self.tree else ""

    def place(self, uri: str | None) -> str:
        name = name_party(uri) if uri else None
        if name is None or name.gln is None:
            return ""
        location = self.session.get(Location, name.gln)
        return location.name if location is not None else name.gln


def _locate(session: Session, principal: Principal, raw: str) -> tuple[str, int, int, CodeBatch]:
    from jianguan.schemes.services import locate_code  # schemes build on codes and trace

    text, generation, serial = locate_code(session, keyring(session), raw)  # ours, or a registered code
    batch = find_batch(session, generation, serial)
    if batch is None or not (principal.role is Role.OPERATOR
                             or in_scope(session, principal, enterprise=batch.enterprise_id)):
        raise NotFound(f"No code {text} is known in your scope.", f"您的范围内没有监管码 {text}。",
                       code="unknown_code")
    return text, generation, serial, batch


def _events_naming(session: Session, generation: int, serial: int, batch_id: int) -> list[tuple[Event, str]]:
    rows = session.execute(select(Event, EventRange.role).join(EventRange, EventRange.event_id == Event.id).where(
        EventRange.batch_id == batch_id, EventRange.generation == generation, EventRange.serial_start <= serial,
        EventRange.serial_end > serial).order_by(Event.event_time, Event.id).limit(MAX_EVENTS)).all()
    return [(event, role) for event, role in rows]


def _event_step(names: _Names, event: Event, via: str | None = None) -> Step:
    kind = event.biz_step or ("packing" if event.type == "AggregationEvent" and event.action == "ADD" else
                              "unpacking" if event.type == "AggregationEvent" else "observed")
    detail = ""
    if event.to_id is not None:
        detail = "→ " + names.party(event.to_kind, event.to_id)
    return Step(_aware(event.event_time), kind, names.party(event.party_kind, event.party_id),
                names.place(event.biz_location or event.read_point), names.region(event.region_code), detail, via)


def code_journey(session: Session, *, principal: Principal, code: str) -> Journey:
    """Everything known of a code, in time order, for its manufacturer and regulators in scope."""
    from jianguan.schemes.services import code_text

    text, generation, serial, batch = _locate(session, principal, code)
    ring = keyring(session)
    names = _Names(session)
    product = session.get(Product, batch.product_id)
    enterprise = names.party(PartyKind.ENTERPRISE.value, batch.enterprise_id)
    steps = [Step(_aware(batch.issued_at), "issued", enterprise, detail=f"#{batch.id}")]
    lot = None
    if batch.printed_at is not None:
        printer = session.scalar(select(Printer.name).where(Printer.id == batch.printer_id)) if batch.printer_id \
            else enterprise
        spoiled = session.get(SpoiledCode, (generation, serial)) is not None
        steps.append(Step(_aware(batch.printed_at), "spoiled" if spoiled else "printed", printer or ""))
    for activation in session.scalars(select(Activation).where(
            Activation.batch_id == batch.id, Activation.serial_start <= serial, Activation.serial_end > serial)):
        expiry = f" → {activation.expiry_date}" if activation.expiry_date else ""
        steps.append(Step(_aware(activation.activated_at), "activated", enterprise,
                          detail=f"{activation.lot} · {activation.production_date}{expiry}"))
        if activation.withdrawn_at is None:
            lot = activation.lot
        else:
            steps.append(Step(_aware(activation.withdrawn_at), "withdrawn", enterprise,
                              detail=activation.withdrawn_reason or ""))
    own = _events_naming(session, generation, serial, batch.id)
    containers: dict[tuple[int, int], tuple[dt.datetime, dt.datetime | None]] = {}
    for event, role in own:
        steps.append(_event_step(names, event))
        if role == "child":
            parent = session.execute(select(EventRange.generation, EventRange.serial_start).where(
                EventRange.event_id == event.id, EventRange.role == "parent")).first()
            if parent is not None:
                key = (parent[0], parent[1])
                if event.action == "ADD":
                    containers[key] = (_aware(event.event_time), None)
                elif key in containers:
                    containers[key] = (containers[key][0], _aware(event.event_time))
    current = container_of(session, generation, serial)
    if current is not None and current not in containers:  # packed before events were kept
        containers[current] = (dt.datetime.max.replace(tzinfo=dt.UTC), None)
    own_moves = sorted(_aware(event.event_time) for event, role in own if role == "epc")
    for (container_generation, container_serial), (since, until) in containers.items():
        if until is None:  # still in it: it went wherever the container went since the code last moved alone
            since = max((at for at in own_moves if at < since), default=dt.datetime.min.replace(tzinfo=dt.UTC))
        container_batch = find_batch(session, container_generation, container_serial)
        if container_batch is None:
            continue
        container_code = code_text(session.connection(), ring, container_generation, container_serial)
        for event, role in _events_naming(session, container_generation, container_serial, container_batch.id):
            at = _aware(event.event_time)
            if role == "epc" and at >= since and (until is None or at < until):
                steps.append(_event_step(names, event, via=container_code))
    for recall in session.scalars(select(Recall).where(Recall.id.in_(select(RecallRange.recall_id).where(
            RecallRange.batch_id == batch.id, RecallRange.generation == generation, RecallRange.serial_start <= serial,
            RecallRange.serial_end > serial))).order_by(Recall.id)):
        steps.append(Step(_aware(recall.opened_at), "recall", enterprise, detail=f"#{recall.id} · {recall.reason}"))
        if recall.ended_at is not None:
            steps.append(Step(_aware(recall.ended_at), "recall_ended", detail=f"#{recall.id}"))
    for query in session.scalars(select(Query).where(Query.generation == generation, Query.serial == serial)
                                 .order_by(Query.at.desc()).limit(MAX_QUERIES)):
        steps.append(Step(_aware(query.at), "query", place=str(query.channel), region=names.region(query.region_code),
                          detail=str(query.verdict)))
    steps.sort(key=lambda step: step.at)
    position = session.scalars(select(Position).where(Position.generation == generation,
                                                      Position.serial_start <= serial)
                               .order_by(Position.serial_start.desc()).limit(1)).first()
    if position is not None and serial < position.serial_end:
        status, holder, region = (Whereabouts(position.status).value, names.party(position.holder_kind,
                                  position.holder_id), names.region(position.region_code))
    else:
        status, holder = Whereabouts.COMMISSIONED.value, enterprise
        region = names.region(session.scalar(select(Enterprise.region_code).where(Enterprise.id == batch.enterprise_id)))
    return Journey(text, format_grouped(text), enterprise, product.name if product else "", status, holder, region,
                   batch.product_id, lot, steps)


# --- a lot's forward trace ----------------------------------------------------------------------


@dataclass
class Holding:
    """Codes of the lot at one party, in one state and county."""

    party: str
    party_kind: str
    status: str
    region_code: str | None
    region: str
    level: str
    codes: int


@dataclass
class RegionCount:
    code: str
    name: str
    codes: int
    children: list[RegionCount] = field(default_factory=list)


@dataclass
class LotTrace:
    product_id: int
    product: str
    enterprise: str
    lot: str
    codes: int
    holdings: list[Holding]
    regions: list[RegionCount]  # provinces, their cities, their counties

    def as_dict(self) -> dict[str, Any]:
        def region(count: RegionCount) -> dict[str, Any]:
            return {"code": count.code, "name": count.name, "codes": count.codes,
                    "children": [region(child) for child in count.children]}

        return {"product_id": self.product_id, "product": self.product, "enterprise": self.enterprise,
                "lot": self.lot, "codes": self.codes, "holdings": [vars(h) for h in self.holdings],
                "regions": [region(r) for r in self.regions]}


def lot_trace(session: Session, *, principal: Principal, product_id: int, lot: str) -> LotTrace:
    """Where every code of ``lot`` of the product is now, by party and county, rolled up."""
    product = session.get(Product, product_id)
    lot = lot.strip()
    if product is None or not (principal.role is Role.OPERATOR
                               or in_scope(session, principal, enterprise=product.enterprise_id)):
        raise NotFound(f"No product {product_id} in your scope.", f"您的范围内没有产品 {product_id}。")
    ranges = session.execute(select(CodeBatch, Activation.serial_start, Activation.serial_end)
                             .join(Activation, Activation.batch_id == CodeBatch.id)
                             .where(CodeBatch.product_id == product_id, Activation.lot == lot,
                                    Activation.withdrawn_at.is_(None))).all()
    if not ranges:
        raise NotFound(f"No activated lot {lot} of this product.", f"该产品没有已激活的批号 {lot}。", code="unknown_lot")
    names = _Names(session)
    enterprise = session.get(Enterprise, product.enterprise_id)
    assert enterprise is not None
    counts: Counter[tuple[str, int, str, str | None, str]] = Counter()
    total = 0
    for batch, start, end in ranges:
        total += end - start
        covered = 0
        for run in session.scalars(select(Position).where(
                Position.batch_id == batch.id, Position.serial_start < end, Position.serial_end > start)):
            overlap = min(end, run.serial_end) - max(start, run.serial_start)
            covered += overlap
            counts[(str(run.holder_kind), run.holder_id, str(run.status), run.region_code,
                    batch.packaging_level)] += overlap
        if covered < end - start:
            counts[(PartyKind.ENTERPRISE.value, enterprise.id, Whereabouts.COMMISSIONED.value, enterprise.region_code,
                    batch.packaging_level)] += end - start - covered
    holdings = [Holding(names.party(kind, party_id), kind, status, region, names.region(region), level, number)
                for (kind, party_id, status, region, level), number in counts.items()]
    holdings.sort(key=lambda h: (h.level != "item", -h.codes, h.party))
    by_county: Counter[str] = Counter()
    items = [h for h in holdings if h.level == "item"] or holdings
    for holding in items:
        if holding.region_code:
            by_county[holding.region_code] += holding.codes
    return LotTrace(product.id, product.name, enterprise.name, lot, total, holdings,
                    _rolled_up(names, by_county))


def _rolled_up(names: _Names, by_county: Counter[str]) -> list[RegionCount]:
    """Provinces, each with its cities, each with its counties, from counts by county."""
    tree = names.tree
    totals = tree.roll_up(by_county)

    def node(code: str, depth: int) -> RegionCount:
        count = RegionCount(code, tree.name(code) or code, totals[code])
        if depth < 2:
            count.children = sorted((node(child.code, depth + 1) for child in tree.children(code)
                                     if totals.get(child.code)), key=lambda c: (-c.codes, c.code))
        return count

    return sorted((node(province.code, 0) for province in tree.provinces() if totals.get(province.code)),
                  key=lambda c: (-c.codes, c.code))
