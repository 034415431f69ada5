"""Turning what events name into what the network knows, in bulk: codes into serial runs of their
batches, GLNs and credit codes into parties and places, and activations into ranges.

A document of fifty thousand codes is read with a handful of statements: codes are decoded as
one numpy array, consecutive serials find their batch once, and the activations of every batch
involved are read in one go.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.codes.codec import Keyring, MalformedCode, decode_codes, parse_code, well_formed
from jianguan.codes.models import Activation, CodeBatch
from jianguan.codes.ranges import Range, merge_ranges
from jianguan.enterprises.models import Enterprise, Product
from jianguan.merchants.models import Merchant
from jianguan.schemes import services as schemes
from jianguan.schemes.parsing import ForeignCode, drug_code, gs1_code
from jianguan.trace.identifiers import CODE_URN, CodeName, ForeignSerial, PartyName, name_code, name_party
from jianguan.trace.models import Location, PartyKind
from jianguan.trace.moves import Party

MAX_PROBLEMS = 100  # a capture stops looking once it has found this many things wrong


@dataclass(slots=True)  # not frozen: a frozen dataclass is slower to make, and these are made by the thousand
class Batch:
    """What a capture needs of a batch."""

    id: int
    generation: int
    start: int
    end: int
    enterprise_id: int
    product_id: int
    packaging_level: str
    gtin: str | None


@dataclass(slots=True)
class Located:
    """A code found: its generation, serial and batch."""

    generation: int
    serial: int
    batch: Batch


@dataclass(frozen=True, slots=True)
class Unresolved:
    """Why an identifier names no code the capture may use: ``reason`` is one of ``not_a_code``,
    ``malformed``, ``unknown``, ``foreign`` (a GS1 serial no enterprise registered) and
    ``wrong_product`` (a Digital Link naming another product's GTIN)."""

    reason: str
    detail: str = ""
    detail_zh: str = ""


def _gtin14(gtin: str | None) -> str | None:
    return gtin.zfill(14) if gtin else None


class CodeResolver:
    """Resolves code identifiers, remembering each, for one capture."""

    def __init__(self, session: Session, ring: Keyring) -> None:
        self._session = session
        self.ring = ring
        self.found: dict[str, Located | Unresolved] = {}
        self._batches: dict[int, list[Batch]] = {}

    def resolve(self, uris: Iterable[str]) -> None:
        """Resolve every identifier not resolved yet. Codes of ours are decoded together; what may
        be a registered code of another scheme (a GS1 serial, 20 digits that are no code of ours)
        is looked up at the end, all at once (``schemes.find_many``)."""
        names: dict[str, CodeName] = {}
        found = self.found
        # What may be a registered code, and the answer when it is not one.
        registered: dict[str, tuple[ForeignCode, Unresolved]] = {}
        for uri in uris:
            if uri in found or uri in names or uri in registered:
                continue
            if len(uri) == 38 and uri.startswith(CODE_URN) and uri[18:].isdigit():  # the common case, fast
                names[uri] = CodeName(uri[18:])
                continue
            named = name_code(uri)
            if isinstance(named, CodeName):
                names[uri] = named
            elif isinstance(named, ForeignSerial):
                code = gs1_code(named.gtin, unquote(named.serial))
                foreign = Unresolved("foreign", f"{named.gtin}/{named.serial}")
                if code is None:
                    found[uri] = foreign
                else:
                    registered[uri] = code, foreign
            else:
                found[uri] = Unresolved("not_a_code")
        if names:
            self._ours(names, registered)
        if registered:
            self._registered(registered)

    def _ours(self, names: dict[str, CodeName], registered: dict[str, tuple[ForeignCode, Unresolved]]) -> None:
        """Our codes, decoded as one array and placed in their batches; 20 digits that are no code
        of ours go to ``registered``, to be looked up as drug codes."""
        found = self.found

        def maybe_drug(uri: str, otherwise: Unresolved) -> None:
            code = drug_code(names[uri].code)
            if code is None:
                found[uri] = otherwise
            else:
                registered[uri] = code, otherwise

        uris_of_codes = list(names)
        texts = np.array([names[uri].code for uri in uris_of_codes])
        keep = well_formed(self.ring, texts)
        problems = 0
        for bad in np.flatnonzero(~keep).tolist():  # set aside at once: drug codes are 20 digits too
            uri = uris_of_codes[bad]
            if problems >= MAX_PROBLEMS and drug_code(names[uri].code) is None:
                found[uri] = Unresolved("malformed", "not checked: too many malformed codes", "错误过多，未再检查")
                continue
            try:
                parse_code(names[uri].code, self.ring)
                reason = Unresolved("malformed")  # not reached: ``well_formed`` reads as ``parse_code`` does
            except MalformedCode as error:
                reason = Unresolved("malformed", error.message, error.message_zh)
            problems += drug_code(names[uri].code) is None
            maybe_drug(uri, reason)
        generations = serials = np.empty(0, dtype=np.uint64)
        for _attempt in range(MAX_PROBLEMS + 1):
            try:
                generations, serials = decode_codes(self.ring, texts[keep])
                break
            except MalformedCode as error:
                bad = int(np.flatnonzero(keep)[error.details["index"]])
                keep[bad] = False
                # Not one of ours: perhaps a registered drug code.
                maybe_drug(uris_of_codes[bad], Unresolved("malformed", error.message, error.message_zh))
        else:
            for at in np.flatnonzero(keep).tolist():
                found[uris_of_codes[at]] = Unresolved("malformed", "not checked: too many malformed codes",
                                                             "错误过多，未再检查")
            return
        kept = [uris_of_codes[at] for at in np.flatnonzero(keep).tolist()]
        order = np.lexsort((serials, generations)).tolist()
        generation_of, serial_of = generations.tolist(), serials.tolist()
        batch: Batch | None = None
        for at in order:
            uri, generation, serial = kept[at], generation_of[at], serial_of[at]
            if batch is None or batch.generation != generation or not batch.start <= serial < batch.end:
                batch = self.batch_of(generation, serial)
            if batch is None:
                maybe_drug(uri, Unresolved("unknown"))
                continue
            linked = names[uri].gtin
            if linked is not None and _gtin14(linked) != _gtin14(batch.gtin):
                found[uri] = Unresolved("wrong_product", _gtin14(linked) or "")
                continue
            found[uri] = Located(generation, serial, batch)

    def _registered(self, candidates: dict[str, tuple[ForeignCode, Unresolved]]) -> None:
        """Codes registered by their enterprises (schemes/), looked up together: each the code it is
        in generation 0, or the answer it had without a registration (``foreign`` for a GS1 serial;
        ``malformed`` or ``unknown`` for 20 digits, as our reading said)."""
        registered = schemes.find_many(self._session.connection(), (code for code, _otherwise in candidates.values()))
        for uri, (code, otherwise) in candidates.items():
            place = registered.get(code)
            batch = self.batch_of(schemes.REGISTERED, place[0]) if place is not None else None
            self.found[uri] = (Located(schemes.REGISTERED, place[0], batch)
                               if place is not None and batch is not None else otherwise)

    def batch_of(self, generation: int, serial: int) -> Batch | None:
        for batch in self._batches.get(generation, []):
            if batch.start <= serial < batch.end:
                return batch
        row = self._session.execute(
            select(CodeBatch, Product.gtin).join(Product, Product.id == CodeBatch.product_id)
            .where(CodeBatch.generation == generation, CodeBatch.serial_start <= serial)
            .order_by(CodeBatch.serial_start.desc()).limit(1)).first()
        if row is None or serial >= row[0].serial_end:
            return None
        found, gtin = row
        batch = Batch(found.id, generation, found.serial_start, found.serial_end, found.enterprise_id,
                      found.product_id, found.packaging_level, gtin)
        self._batches.setdefault(generation, []).append(batch)
        return batch


def runs_of(batch: Batch, serials: list[int]) -> list[tuple[Batch, int, int]]:
    """Serials of one batch (any order, repeats count once) as the fewest runs ``(batch, start, end)``."""
    serials.sort()
    runs: list[tuple[Batch, int, int]] = []
    start = last = serials[0]
    for serial in serials:
        if serial > last + 1:
            runs.append((batch, start, last + 1))
            start = serial
        last = serial
    runs.append((batch, start, last + 1))
    return runs


class Activations:
    """The active ranges of the batches a capture touches, read once, and what it activates."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._ranges: dict[int, list[Range]] = {}

    def load(self, batch_ids: Iterable[int]) -> None:
        wanted = [batch_id for batch_id in set(batch_ids) if batch_id not in self._ranges]
        for batch_id in wanted:
            self._ranges[batch_id] = []
        for at in range(0, len(wanted), 500):
            rows = self._session.execute(select(Activation.batch_id, Activation.serial_start, Activation.serial_end)
                                         .where(Activation.batch_id.in_(wanted[at:at + 500]),
                                                Activation.withdrawn_at.is_(None)))
            for batch_id, start, end in rows:
                self._ranges[batch_id].append((start, end))
        for batch_id in wanted:
            self._ranges[batch_id] = merge_ranges(self._ranges[batch_id])

    def add(self, batch_id: int, start: int, end: int) -> None:
        self._ranges[batch_id] = merge_ranges([*self._ranges.get(batch_id, []), (start, end)])

    def first_inactive(self, batch_id: int, start: int, end: int) -> int | None:
        """The first serial of ``[start, end)`` not activated, or None."""
        position = start
        for low, high in self._ranges.get(batch_id, []):
            if high <= position:
                continue
            if low > position:
                return position
            position = high
            if position >= end:
                return None
        return position if position < end else None


@dataclass(frozen=True, slots=True)
class PartyInfo:
    """A party or place an event names: the party, its county, and the place's GLN if one."""

    party: Party
    region: str
    gln: str | None = None


class PartyResolver:
    """Resolves parties and places by credit code or GLN, remembering each."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._found: dict[str, PartyInfo | None] = {}

    def resolve(self, uri: str) -> PartyInfo | None:
        if uri not in self._found:
            self._found[uri] = self._lookup(name_party(uri))
        return self._found[uri]

    def _lookup(self, name: PartyName | None) -> PartyInfo | None:
        if name is None:
            return None
        if name.gln is not None:
            location = self._session.get(Location, name.gln)
            if location is None:
                return None
            return PartyInfo((PartyKind(location.party_kind), location.party_id), location.region_code, name.gln)
        return party_by_credit_code(self._session, name.credit_code or "")


def party_by_credit_code(session: Session, credit_code: str) -> PartyInfo | None:
    """The enterprise or merchant with this credit code."""
    enterprise = session.execute(select(Enterprise.id, Enterprise.region_code)
                                 .where(Enterprise.credit_code == credit_code)).first()
    if enterprise is not None:
        return PartyInfo((PartyKind.ENTERPRISE, enterprise.id), enterprise.region_code)
    merchant = session.execute(select(Merchant.id, Merchant.region_code)
                               .where(Merchant.credit_code == credit_code)).first()
    if merchant is not None:
        return PartyInfo((PartyKind.MERCHANT, merchant.id), merchant.region_code)
    return None
