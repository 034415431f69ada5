"""Capturing supply-chain events (EPCIS 2.0 capture): a document is taken whole or not at all.

``capture`` checks every event of a document against the rules (``moves``), the codes and
places the sender may name, and the codes' activations, then stores the new events (an event
seen before, by its eventID or else its event hash, is counted and skipped), their codes as
serial ranges, and what changed of where codes are and what they are packed in. Anything wrong
refuses the whole document with a list of what is wrong, by event index, and stores nothing.

Events apply in event-time order, so a document may commission, pack and ship the same codes.
A commissioning that carries the lot and dates (ILMD) activates its codes, as ``codes.activation``
does; one that does not needs them activated already.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.services import Actor
from jianguan.codes.activation import ProductionData, activate
from jianguan.codes.codec import encode_serial
from jianguan.codes.keyring import keyring
from jianguan.codes.models import CodeBatch
from jianguan.enterprises.models import Enterprise, PackagingLevel
from jianguan.errors import DomainError, PermissionDenied
from jianguan.merchants.models import Merchant
from jianguan.schemes.services import REGISTERED, code_text
from jianguan.trace.epcis import parse_document
from jianguan.trace.epcis_model import EPCISError, EPCISEvent, EPCISRefused
from jianguan.trace.gs1_uri import canonical_identifier
from jianguan.trace.models import Capture, DiversionKind, Event, PartyKind
from jianguan.trace.moves import (
    MOVES_GOODS,
    NEEDS_ACTIVATION,
    Context,
    Move,
    Party,
    Place,
    destined_region,
    move_of,
    step,
)
from jianguan.trace.recording import CaptureResult, Prepared, Run, Signal, write_capture
from jianguan.trace.resolve import (
    MAX_PROBLEMS,
    Activations,
    Batch,
    CodeResolver,
    Located,
    PartyInfo,
    PartyResolver,
    Unresolved,
    runs_of,
)
from jianguan.trace.store import (
    Held,
    Packed,
    contents_of,
    packing_runs,
    position_runs,
)

_LEVEL = {PackagingLevel.ITEM.value: 0, PackagingLevel.CASE.value: 1, PackagingLevel.PALLET.value: 2}
_SAMPLE = 20  # codes a diversion signal lists as evidence
_DESTINATION_TYPES = ("possessing_party", "owning_party", "location")



class _Problems:
    """What is wrong with a document, by event index; the capture stops looking at ``MAX_PROBLEMS``."""

    def __init__(self) -> None:
        self.found: list[EPCISError] = []
        self.events: set[int | None] = set()

    def add(self, index: int | None, english: str, chinese: str) -> None:
        self.events.add(index)
        if len(self.found) <= MAX_PROBLEMS:
            self.found.append(EPCISError(index, english, chinese))

    @property
    def full(self) -> bool:
        return len(self.found) > MAX_PROBLEMS

    def raise_any(self) -> None:
        if self.found:
            raise EPCISRefused(sorted(self.found, key=lambda error: (error.index is None, error.index or 0)))


def capturer(session: Session, principal: Principal) -> PartyInfo:
    """The party a principal captures as: its enterprise or its distributor/shop."""
    if principal.role is Role.MANUFACTURER and principal.enterprise_id is not None:
        region = session.scalar(select(Enterprise.region_code).where(Enterprise.id == principal.enterprise_id))
        return PartyInfo((PartyKind.ENTERPRISE, principal.enterprise_id), region or "")
    if principal.role is Role.MERCHANT and principal.merchant_id is not None:
        region = session.scalar(select(Merchant.region_code).where(Merchant.id == principal.merchant_id))
        return PartyInfo((PartyKind.MERCHANT, principal.merchant_id), region or "")
    raise PermissionDenied("Only enterprises, distributors and shops capture supply-chain events.",
                           "只有生产企业、经销商和商店可以上报流向事件。")


def _always(value: Held) -> Callable[[Held | None], Held]:
    """The edit that gives every part of a range ``value``."""
    return lambda _old: value


def _key(event: EPCISEvent) -> str:
    return event.event_id or event.event_hash


def _fresh(session: Session, events: Sequence[EPCISEvent], problems: _Problems) -> tuple[list[EPCISEvent], int]:
    """The events not captured before, and how many were; an eventID reused for another event is wrong."""
    stored: dict[str, str] = {}
    keys = list({_key(event) for event in events})
    for at in range(0, len(keys), 500):
        stored.update((key, hash_id) for key, hash_id in session.execute(
            select(Event.event_key, Event.hash_id).where(Event.event_key.in_(keys[at:at + 500]))))
    fresh: list[EPCISEvent] = []
    seen: dict[str, str] = {}
    repeated = 0
    for event in events:
        key = _key(event)
        known = stored.get(key, seen.get(key))
        if known is None:
            seen[key] = event.event_hash
            fresh.append(event)
        elif known == event.event_hash:
            repeated += 1
        else:
            problems.add(event.index, f"The eventID {key} already names another event.",
                         f"事件标识 {key} 已被另一事件使用。")
    return fresh, repeated


_UNRESOLVED = {
    "not_a_code": ("{uri} is not a supervision code.", "{uri} 不是监管码。"),
    "malformed": ("{uri}: {detail}", "{uri}：{detail_zh}"),
    "unknown": ("{uri} is not a code of yours.", "{uri} 不是本单位可上报的监管码。"),
    "foreign": ("{uri} is a GS1 serial no enterprise registered with the network.",
                "{uri} 是未在监管网登记的 GS1 序列号。"),
    "wrong_product": ("{uri} names the GTIN {detail}, not the product of this code.",
                      "{uri} 中的 GTIN {detail} 与该监管码的产品不符。"),
}


_NOT_YOURS = Unresolved("unknown")
# Written through Core: the ORM's bulk path costs more than the rows.
class _Capture:
    """One capture in progress: what it has read, and what it has changed in memory."""

    def __init__(self, session: Session, actor: Actor, principal: Principal, me: PartyInfo) -> None:
        self.session = session
        self.actor = actor
        self.principal = principal
        self.me = me
        self.problems = _Problems()
        self.codes = CodeResolver(session, keyring(session))
        self.parties = PartyResolver(session)
        self.activations = Activations(session)
        self.positions = position_runs()
        self.packings = packing_runs()
        self.diversions: dict[tuple[Any, ...], Signal] = {}
        self._contents: dict[tuple[int, int], list[tuple[int, int, int]]] | None = None
        self._batches: dict[int, Batch] = {}

    # --- reading and checking -----------------------------------------------------------

    def _problem(self, index: int, uri: str, resolved: Unresolved) -> None:
        english, chinese = _UNRESOLVED[resolved.reason]
        self.problems.add(index, english.format(uri=uri, detail=resolved.detail),
                          chinese.format(uri=uri, detail=resolved.detail, detail_zh=resolved.detail_zh))

    def _runs(self, index: int, uris: Iterable[str]) -> list[Run]:
        """The codes ``uris`` name as runs of consecutive serials of one batch; what names no code
        the capturer may use is a problem of event ``index``."""
        found = self.codes.found
        by_batch: dict[int, tuple[Batch, str, list[int]]] = {}
        for uri in uris:
            resolved = found[uri]
            if resolved.__class__ is Located:
                batch = resolved.batch
                entry = by_batch.get(batch.id)
                if entry is None:
                    entry = by_batch[batch.id] = (batch, uri, [])
                entry[2].append(resolved.serial)
            else:
                self._problem(index, uri, resolved)  # type: ignore[arg-type]
        runs: list[Run] = []
        enterprise = self.me.party[1] if self.me.party[0] is PartyKind.ENTERPRISE else None
        for batch, uri, serials in by_batch.values():
            if enterprise is not None and batch.enterprise_id != enterprise:
                self._problem(index, uri, _NOT_YOURS)
                continue
            self._batches[batch.id] = batch
            runs.extend(runs_of(batch, serials))
        return runs

    def _own_place(self, index: int, uri: str | None, what: str) -> PartyInfo | None:
        if uri is None:
            return None
        place = self.parties.resolve(uri)
        named = "读取点" if what == "readPoint" else "业务地点"
        if place is None:
            self.problems.add(index, f"The {what} {uri} is not a registered place.", f"{named} {uri} 不是已登记的地点。")
        elif place.party != self.me.party:
            self.problems.add(index, f"The {what} {uri} is not one of your places.", f"{named} {uri} 不是本单位的地点。")
        return place

    def _outside(self, index: int, uri: str, move: Move | None) -> bool:
        """Whether the parentID ``uri`` is a GS1 key of no serialised item (an SSCC, a returnable
        asset), and so is kept with the event as it was sent and not followed. Anything else that
        names no code (a mistyped code, a UUID) is wrong as before. Only a packing or unpacking
        needs its container to be a code of the network: the network records what is packed in its
        own codes, and a packing into a pallet it cannot follow would be lost the moment it ships;
        such an event is refused."""
        found = self.codes.found[uri]
        if not isinstance(found, Unresolved) or found.reason != "not_a_code" or canonical_identifier(uri) is None:
            return False
        if move in (Move.PACK, Move.UNPACK):
            self.problems.add(index, f"The container {uri} is not a code of the network; a packing or unpacking "
                              "names a supervision code (or a registered code) as its parentID.",
                              f"包装 {uri} 不是监管网的监管码；关联包装或解除关联的 parentID 须为监管码（或已登记的码）。")
        return True

    def _destination(self, index: int, event: EPCISEvent) -> PartyInfo | None:
        listed = dict(event.destination_list)
        for kind in _DESTINATION_TYPES:
            uri = listed.get(kind)
            if uri is None:
                continue
            found = self.parties.resolve(uri)
            if found is None:
                self.problems.add(index, f"The destination {uri} is not a registered party or place.",
                                  f"目的地 {uri} 不是已登记的单位或地点。")
            return found
        return None

    def prepare(self, events: Sequence[EPCISEvent]) -> list[Prepared]:
        self.codes.resolve(uri for event in events
                           for uri in (*event.epc_list, *event.child_epcs, *((event.parent_id,) if event.parent_id else ())))
        prepared = []
        for event in events:
            if self.problems.full:
                break
            index = event.index
            move = move_of(event.type.value, event.action.value, event.biz_step)
            places = [self._own_place(index, event.read_point, "readPoint"),
                      self._own_place(index, event.biz_location, "bizLocation")]
            region = next((place.region for place in reversed(places) if place is not None), self.me.region)
            parent = None
            if event.parent_id is not None and self._outside(index, event.parent_id, move):
                pass  # a container the network does not code (an SSCC pallet): its children are what moves
            elif event.parent_id is not None:
                container = self._runs(index, [event.parent_id])
                if container:
                    batch, serial, _end = container[0]
                    parent = Located(batch.generation, serial, batch)
            epcs = self._runs(index, event.epc_list)
            children = self._runs(index, event.child_epcs)
            if move in (Move.PACK, Move.UNPACK) and event.parent_id is None:
                self.problems.add(index, "A packing or unpacking names its container (parentID).",
                                  "关联包装或解除关联须给出包装码（parentID）。")
            if move is Move.COMMISSION and self.me.party[0] is not PartyKind.ENTERPRISE:
                self.problems.add(index, "Only the enterprise commissions its codes.", "只有生产企业可以赋码。")
            destination = self._destination(index, event) if move in (Move.SHIP, Move.RETURN) else None
            prepared.append(Prepared(index, event, _key(event), move, region, destination, epcs, parent, children))
        return prepared

    def load(self, prepared: Sequence[Prepared]) -> None:
        """Lock the batches involved (PostgreSQL), then read their activations, and the positions
        and packings of every code named and of everything packed in them."""
        batch_ids = sorted(self._batches)
        for at in range(0, len(batch_ids), 500):
            self.session.execute(select(CodeBatch.id).where(CodeBatch.id.in_(batch_ids[at:at + 500]))
                                 .order_by(CodeBatch.id).with_for_update(key_share=True)).all()
        self.activations.load(batch_ids)
        wanted = [(batch.generation, start, end) for p in prepared for batch, start, end in (*p.epcs, *p.children)]
        wanted += [(p.parent.generation, p.parent.serial, p.parent.serial + 1) for p in prepared if p.parent]
        containers = wanted
        for _depth in range(3):  # pallets hold cases, which hold items
            self.packings.load(self.session, containers)
            self.positions.load(self.session, containers)
            containers = [run for run in contents_of(self.session, containers)
                          if self.packings.map(run[0]).missing(run[1], run[2])]
            if not containers:
                break

    # --- applying -------------------------------------------------------------------------

    def _code(self, batch: Batch, serial: int) -> str:
        if batch.generation == REGISTERED:  # a registered code of another scheme, as it is written
            return code_text(self.session.connection(), self.codes.ring, batch.generation, serial)
        return encode_serial(self.codes.ring[batch.generation], serial)

    def _contents_index(self) -> dict[tuple[int, int], list[tuple[int, int, int]]]:
        if self._contents is None:
            index: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
            for generation, runs in self.packings.maps.items():
                for run in runs.intervals():
                    index.setdefault(run.value.container, []).append((generation, run.start, run.end))
            self._contents = index
        return self._contents

    def _batch_of(self, generation: int, serial: int) -> Batch:
        for batch in self._batches.values():
            if batch.generation == generation and batch.start <= serial < batch.end:
                return batch
        found = self.codes.batch_of(generation, serial)
        if found is None:  # pragma: no cover - packed codes were checked when packed
            raise LookupError((generation, serial))
        self._batches[found.id] = found
        return found

    def _with_contents(self, runs: Sequence[Run]) -> list[Run]:
        """``runs`` and, recursively, every code packed in them."""
        index = self._contents_index()
        result, queue = list(runs), list(runs)
        while queue:
            batch, start, end = queue.pop()
            if _LEVEL[batch.packaging_level] == 0:
                continue
            for serial in range(start, end):
                for generation, low, high in index.get((batch.generation, serial), []):
                    self.positions.load(self.session, [(generation, low, high)])
                    inner = self._batch_of(generation, low)
                    packed = (inner, low, high)
                    result.append(packed)
                    queue.append(packed)
        return result

    def _check_active(self, p: Prepared, runs: Iterable[Run]) -> None:
        for batch, start, end in runs:
            inactive = self.activations.first_inactive(batch.id, start, end)
            if inactive is not None:
                self.problems.add(p.index, f"Code {self._code(batch, inactive)} is not activated.",
                                  f"监管码 {self._code(batch, inactive)} 尚未激活。")

    def _commission(self, p: Prepared) -> None:
        production = production_data(p.event)
        if production is None:
            self._check_active(p, p.epcs)
            return
        by_batch: dict[int, list[tuple[int, int]]] = {}
        for batch, start, end in p.epcs:
            by_batch.setdefault(batch.id, []).append((start - batch.start, end - batch.start))
        for batch_id, offsets in by_batch.items():
            try:
                activate(self.session, actor=self.actor, principal=self.principal, batch_id=batch_id, data=production,
                         offsets=offsets)
            except DomainError as error:
                self.problems.add(p.index, error.message, error.message_zh)
                continue
            batch = self._batches[batch_id]
            for low, high in offsets:
                self.activations.add(batch_id, batch.start + low, batch.start + high)

    def _pack(self, p: Prepared) -> None:
        parent = p.parent
        if parent is None:
            return
        self._check_active(p, [(parent.batch, parent.serial, parent.serial + 1), *p.children])
        container = (parent.generation, parent.serial)
        for batch, start, end in p.children:
            if _LEVEL[batch.packaging_level] >= _LEVEL[parent.batch.packaging_level]:
                self.problems.add(p.index, f"Code {self._code(batch, start)} ({batch.packaging_level}) cannot go into "
                                  f"a {parent.batch.packaging_level}.",
                                  f"监管码 {self._code(batch, start)} 的包装层级不低于容器，不能装入。")
                continue
            runs = self.packings.map(batch.generation)
            for low, _high, packed in runs.segments(start, end):
                if packed is not None and packed.container != container:
                    self.problems.add(p.index, f"Code {self._code(batch, low)} is already packed in another container; "
                                      "unpack it first.", f"监管码 {self._code(batch, low)} 已关联到其他包装，请先解除关联。")
            packed_now = Packed(container, -1 - p.index, p.event.event_time)

            def pack_in(old: Packed | None, packed_now: Packed = packed_now) -> Packed:
                return old if old is not None and old.container == packed_now.container else packed_now

            runs.assign(start, end, pack_in)
        self._contents = None
        self._move(p, [(parent.batch, parent.serial, parent.serial + 1), *p.children], expand=False)

    def _unpack(self, p: Prepared) -> None:
        parent = p.parent
        if parent is None:
            return
        container = (parent.generation, parent.serial)
        listed = [(batch.generation, start, end) for batch, start, end in p.children]
        for generation, start, end in listed or self._contents_index().get(container, []):
            self.packings.map(generation).assign(
                start, end, lambda old: None if old is not None and old.container == container else old)
        self._contents = None

    def _unpack_moved(self, named: Sequence[Run], moved: Sequence[Run]) -> None:
        """Codes named on their own leave the container they were in, unless it moves with them."""
        moving = {(batch.generation, serial) for batch, start, end in moved if _LEVEL[batch.packaging_level] > 0
                  for serial in range(start, end)}
        for batch, start, end in named:
            runs = self.packings.map(batch.generation)
            if any(packed is not None and packed.container not in moving for _l, _h, packed in runs.segments(start, end)):
                runs.assign(start, end, lambda old: None if old is not None and old.container not in moving else old)
                self._contents = None

    def _move(self, p: Prepared, runs: Sequence[Run], *, expand: bool = True) -> None:
        moved = self._with_contents(runs) if expand else list(runs)
        destination = p.destination
        context = Context(p.move or Move.PACK, self.me.party, p.region, p.event.event_time, -1 - p.index,
                          destination.party if destination else None, destination.region if destination else None)
        for batch, start, end in moved:
            owner: Party = (PartyKind.ENTERPRISE, batch.enterprise_id)
            runs_of_generation = self.positions.map(batch.generation)
            for low, high, old in list(runs_of_generation.segments(start, end)):
                outcome = step(old.place if old else None, context, owner=owner)
                if outcome.refusal is not None:
                    self._refuse(p, batch, low, outcome.refusal.value, old)
                    break
                if outcome.diversion:
                    self._diverted(p, batch, low, high, old.place if old else None)
                if outcome.place is not None:
                    runs_of_generation.assign(low, high, _always(Held(batch.id, batch.enterprise_id, outcome.place)))
        if expand and p.move in MOVES_GOODS:
            self._unpack_moved(runs, moved)

    def _refuse(self, p: Prepared, batch: Batch, serial: int, reason: str, held: Held | None) -> None:
        code = self._code(batch, serial)
        if reason == "final":
            status = held.place.status if held else None
            label = status.label_en if status else "ended"
            self.problems.add(p.index, f"Code {code} was {label}; it never moves again.",
                              f"监管码 {code} 已{status.label_zh if status else '终结'}，不能再流转。")
        elif reason == "not_held":
            self.problems.add(p.index, f"Code {code} is not in your stock and was not shipped to you.",
                              f"监管码 {code} 不在本单位库存中，也未发往本单位。")
        else:
            self.problems.add(p.index, f"Code {code} was commissioned and has moved since.",
                              f"监管码 {code} 已赋码并已流转。")

    def _diverted(self, p: Prepared, batch: Batch, start: int, end: int, place: Place | None) -> None:
        """Note codes ``[start, end)`` taken where they were not sent, as evidence for their enterprise."""
        kind = DiversionKind.SOLD if p.move is Move.SELL else DiversionKind.RECEIVED
        expected = (place.shipped_to or place.holder) if place else (PartyKind.ENTERPRISE, batch.enterprise_id)
        expected_region = destined_region(place) if place else None
        key = (p.index, batch.enterprise_id, kind, expected, expected_region)
        signal = self.diversions.get(key)
        if signal is None:
            signal = self.diversions[key] = Signal(p.index, batch.enterprise_id, kind, expected, expected_region,
                                                    p.region, p.event.event_time)
        signal.codes += end - start
        for serial in range(start, min(end, start + _SAMPLE - len(signal.sample))):
            signal.sample.append(self._code(batch, serial))

    def apply(self, prepared: Sequence[Prepared]) -> None:
        for p in sorted(prepared, key=lambda p: (p.event.event_time, p.index)):
            if self.problems.full:
                return
            if p.move is Move.COMMISSION:
                self._commission(p)
                self._move(p, p.epcs, expand=False)
            elif p.move is Move.PACK:
                self._pack(p)
            elif p.move is Move.UNPACK:
                self._unpack(p)
            else:
                runs = [*p.epcs, *p.children] + ([(p.parent.batch, p.parent.serial, p.parent.serial + 1)]
                                                 if p.parent else [])
                if p.move in NEEDS_ACTIVATION:
                    self._check_active(p, runs)
                if p.move is None:
                    self._observe(p, runs)
                else:
                    self._move(p, runs)

    def _observe(self, p: Prepared, runs: Sequence[Run]) -> None:
        """An observation moves nothing; it may not name a code that has ended."""
        for batch, start, end in runs:
            for low, _high, held in self.positions.map(batch.generation).segments(start, end):
                if held is not None and held.place.status.value in ("destroyed", "decommissioned"):
                    self._refuse(p, batch, low, "final", held)
                    break


def production_data(event: EPCISEvent) -> ProductionData | None:
    """The lot and dates a commissioning's ILMD carries (CBV master data ``lotNumber``,
    ``itemExpirationDate``; ``productionDate``, else the event's day), or None without a lot."""
    ilmd = event.extra.get("ilmd")
    if not isinstance(ilmd, dict):
        return None
    values = {str(key).rsplit(":", 1)[-1].rsplit("#", 1)[-1]: value for key, value in ilmd.items()}
    lot = values.get("lotNumber")
    if not isinstance(lot, str) or not lot.strip():
        return None

    def day(name: str) -> dt.date | None:
        value = values.get(name)
        return dt.date.fromisoformat(value[:10]) if isinstance(value, str) and len(value) >= 10 else None

    try:
        made = day("productionDate") or event.event_time.date()
        return ProductionData(lot=lot, production_date=made, expiry_date=day("itemExpirationDate"),
                              inspection_record=str(values.get("inspectionRecord", "")))
    except ValueError:
        return ProductionData(lot=lot, production_date=event.event_time.date())


def capture_document(session: Session, *, actor: Actor, principal: Principal, data: bytes,
                     content_type: str) -> CaptureResult:
    """Capture an EPCIS document as sent (JSON-LD or XML). The same bytes sent again by the same
    party are answered with the capture they made, without reading them again (``repeated``)."""
    me = capturer(session, principal)
    digest = hashlib.sha256(data).hexdigest()
    earlier = session.scalar(select(Capture).where(Capture.party_kind == me.party[0], Capture.party_id == me.party[1],
                                                   Capture.digest == digest).order_by(Capture.id).limit(1))
    if earlier is not None:
        return CaptureResult(earlier, repeated=True)
    document = parse_document(data, content_type)
    return capture(session, actor=actor, principal=principal, events=document.events, source=document.syntax,
                   digest=digest)


def capture(session: Session, *, actor: Actor, principal: Principal, events: Sequence[EPCISEvent],
            source: str, digest: str | None = None) -> CaptureResult:
    """Capture a document's events whole, or refuse it whole (``EPCISRefused``, by event index)."""
    me = capturer(session, principal)
    work = _Capture(session, actor, principal, me)
    fresh, repeated = _fresh(session, events, work.problems)
    prepared = work.prepare(fresh)
    if not work.problems.full:  # the events found sound so far are applied too, to list all that is wrong
        sound = [p for p in prepared if p.index not in work.problems.events]
        work.load(sound)
        work.apply(sound)
    work.problems.raise_any()
    return write_capture(session, actor=actor, party=me, prepared=prepared, positions=work.positions,
                         packings=work.packings, signals=work.diversions.values(), repeated=repeated,
                         source=source, digest=digest)
