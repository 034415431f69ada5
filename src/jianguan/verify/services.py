"""``verify(code, channel, context)``: the answer every channel gives, and its log row.

A ``Verifier`` lives once per process (the app keeps one in its state; a command makes its own).
It holds the keyring and the registry of batches in memory (batches only ever get added, and a
verification that misses reloads the new ones), asks the database for what changes (activation,
spoilage, the product's details and the enterprise's message: a few primary-key and index
look-ups), and hands the log row to the ``QueryRecorder``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Select, bindparam, exists, literal, select
from sqlalchemy.orm import Session, sessionmaker

from jianguan.codes.codec import Keyring, MalformedCode, decode_parsed, parse_code
from jianguan.codes.models import Activation, CodeBatch, SpoiledCode
from jianguan.codes.services import load_keyring
from jianguan.enterprises.models import Broadcast, Enterprise, Product
from jianguan.errors import NotFound
from jianguan.regions.models import Region
from jianguan.storage.base import utcnow
from jianguan.storage.driver import DriverReader, DriverStatement
from jianguan.storage.engine import READ_ONLY_OPTION
from jianguan.storage.tx import reading
from jianguan.verify.abuse import AbuseGuard
from jianguan.verify.models import Channel, CodeQueryState
from jianguan.verify.recorder import QueryRecorder, Seen
from jianguan.verify.verdict import CodeFacts, Decision, QueryHistory, Verdict, decide, malformed

MAX_RAW_INPUT = 64  # what a malformed query's log row keeps of the input
_HASHES_KEPT = 10_000  # caller and address hashes remembered


@dataclass(frozen=True)
class QueryContext:
    """Where a query comes from. ``caller`` (a phone number) and ``source`` (a client address)
    are stored only as keyed hashes."""

    channel: Channel
    region_code: str | None = None
    terminal_id: int | None = None
    caller: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Answer:
    """A verdict with everything a channel may show about the code."""

    decision: Decision
    input: str
    code: str | None = None
    grouped: str | None = None
    product: dict[str, Any] | None = None
    enterprise: dict[str, Any] | None = None
    production: dict[str, Any] | None = None
    message: str | None = None
    history: dict[str, Any] = field(default_factory=dict)
    gone: bool = False  # recalled or destroyed: GS1 resolvers answer 410 Gone

    @property
    def verdict(self) -> Verdict:
        return self.decision.verdict

    def to_json(self) -> dict[str, Any]:
        decision = self.decision
        return {
            "verdict": decision.verdict.value,
            "verdict_label": {"zh": decision.verdict.label_zh, "en": decision.verdict.label_en},
            "tone": decision.tone.value,
            "alarm": decision.alarm,
            "headline": {"zh": decision.headline_zh, "en": decision.headline_en},
            "advice": {"zh": decision.advice_zh, "en": decision.advice_en},
            "input": self.input,
            "code": self.code,
            "grouped": self.grouped,
            "product": self.product,
            "enterprise": self.enterprise,
            "production": self.production,
            "message": self.message,
            "history": self.history,
            **({"details": decision.details} if decision.details else {}),
        }


@dataclass(frozen=True)
class _Batch:
    id: int
    start: int
    end: int
    enterprise_id: int
    product_id: int
    packaging_level: str


class BatchIndex:
    """Every batch's range, per generation, sorted: finding a code's batch is a bisection."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._starts: dict[int, list[int]] = {}
        self._batches: dict[int, list[_Batch]] = {}
        self._last_id = 0

    def refresh(self, connection: Connection) -> None:
        rows = connection.execute(select(CodeBatch.id, CodeBatch.generation, CodeBatch.serial_start, CodeBatch.quantity,
                                      CodeBatch.enterprise_id, CodeBatch.product_id, CodeBatch.packaging_level)
                               .where(CodeBatch.id > self._last_id).order_by(CodeBatch.id)).all()
        if not rows:
            return
        with self._lock:
            for row in rows:
                batch = _Batch(row.id, row.serial_start, row.serial_start + row.quantity, row.enterprise_id,
                               row.product_id, row.packaging_level)
                starts = self._starts.setdefault(row.generation, [])
                batches = self._batches.setdefault(row.generation, [])
                at = bisect.bisect(starts, batch.start)
                starts.insert(at, batch.start)
                batches.insert(at, batch)
                self._last_id = max(self._last_id, row.id)

    def find(self, generation: int, serial: int) -> _Batch | None:
        with self._lock:
            starts = self._starts.get(generation, [])
            at = bisect.bisect_right(starts, serial) - 1
            if at < 0:
                return None
            batch = self._batches[generation][at]
        return batch if serial < batch.end else None


def _facts_statement() -> Select[Any]:
    """Spoiled?, query state and the active activation of one code, as one statement of indexed
    look-ups: one row, with the state and the activation outer-joined to it. Built once and
    compiled once per dialect: the hot path runs it on the driver (storage/driver.py)."""
    spoiled = exists().where((SpoiledCode.generation == bindparam("g")) & (SpoiledCode.serial == bindparam("s")))
    state, activation = CodeQueryState.__table__, Activation.__table__
    active_id = (select(Activation.id)
                 .where(Activation.batch_id == bindparam("b"), Activation.serial_start <= bindparam("s"),
                        Activation.serial_end > bindparam("s"), Activation.withdrawn_at.is_(None))
                 .order_by(Activation.serial_start.desc()).limit(1).scalar_subquery())
    one = select(literal(1).label("one")).subquery("one")
    return (
        select(spoiled.label("spoiled"), state.c.count, state.c.first_at, state.c.first_region_code,
               activation.c.id, activation.c.lot, activation.c.production_date, activation.c.expiry_date,
               activation.c.inspection_record)
        .select_from(one.outerjoin(state, (state.c.generation == bindparam("g")) & (state.c.serial == bindparam("s")))
                     .outerjoin(activation, activation.c.id == active_id))
    )


_FACTS = _facts_statement()
_PRODUCT = select(Product.name, Product.specification, Product.gtin).where(Product.id == bindparam("id"))
_ENTERPRISE = select(Enterprise.id, Enterprise.name, Enterprise.region_code).where(Enterprise.id == bindparam("id"))
_MESSAGE = (select(Broadcast.text).where(Broadcast.enterprise_id == bindparam("id"), Broadcast.withdrawn_at.is_(None))
            .order_by(Broadcast.id.desc()).limit(1))


class _Catalog:
    """Products, enterprises and enterprise messages, kept for a few seconds: they change rarely,
    and every verification of a product's codes names them. An edit shows within ``ttl``."""

    def __init__(self, ttl: float = 5.0) -> None:
        self._ttl = ttl
        self._lock = threading.Lock()
        self._entries: dict[tuple[int, int], tuple[float, tuple[dict[str, Any], dict[str, Any], str | None]]] = {}

    def describe(self, connect: Callable[[], Connection], product_id: int, enterprise_id: int
                 ) -> tuple[dict[str, Any], dict[str, Any], str | None]:
        """The product, enterprise and message, from memory when fresh, else read with ``connect``."""
        key = (product_id, enterprise_id)
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and now - entry[0] < self._ttl:
            return entry[1]
        with connect() as connection:
            product = connection.execute(_PRODUCT, {"id": product_id}).one()
            enterprise = connection.execute(_ENTERPRISE, {"id": enterprise_id}).one()
            message = connection.execute(_MESSAGE, {"id": enterprise_id}).scalar()
        value = ({"name": product.name, "specification": product.specification, "gtin": product.gtin},
                 {"id": enterprise.id, "name": enterprise.name, "region_code": enterprise.region_code}, message)
        with self._lock:
            self._entries[key] = (now, value)
        return value


def _as_utc(value: dt.datetime | str | None) -> dt.datetime | None:
    """A stored UTC timestamp as the driver gives it (SQLite: naive text) as an aware datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _as_date(value: dt.date | str | None) -> dt.date | None:
    """A stored date as the driver gives it (SQLite: text) as a date."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


class Verifier:
    """Answers verifications and logs them (one per process; see the module doc)."""

    def __init__(self, sessions: sessionmaker[Session], *, master: bytes, hash_key: bytes,
                 recorder: QueryRecorder | None = None, abuse: AbuseGuard | None = None) -> None:
        self._sessions = sessions
        self._master = master
        self._hash_key = hash_key
        self._keyring: Keyring | None = None
        self._batches = BatchIndex()
        self._regions: dict[str, str] | None = None
        self.recorder = recorder or QueryRecorder(sessions)
        self._engine: Engine = sessions.kw["bind"]
        self._facts_statement = DriverStatement(_FACTS, self._engine.dialect)
        self._reader = DriverReader(self._engine)
        self._hashes: dict[str, str] = {}
        self._catalog = _Catalog()
        self.abuse = abuse or AbuseGuard.disabled()

    def _keys(self) -> Keyring | None:
        if self._keyring is None:
            try:
                with reading(self._sessions) as session:
                    self._keyring = load_keyring(session, master=self._master)
            except NotFound:  # a network that has issued nothing yet: every code is unknown
                return None
        return self._keyring

    def region_name(self, code: str | None) -> str | None:
        """The name of a region, from a table loaded once."""
        if code is None:
            return None
        if self._regions is None:
            with reading(self._sessions) as session:
                self._regions = {row.code: row.name for row in session.execute(select(Region.code, Region.name))}
        return self._regions.get(code)

    def hashed(self, value: str | None) -> str | None:
        """A keyed hash of a phone number or address: the same caller can be counted, not named.
        Recent ones are remembered (the same clients come back; an HMAC costs microseconds)."""
        if not value:
            return None
        digest = self._hashes.get(value)
        if digest is None:
            if len(self._hashes) >= _HASHES_KEPT:
                self._hashes.clear()
            digest = self._hashes[value] = hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()
        return digest

    def admit(self, context: QueryContext) -> float:
        """How long to hold this source's answer back (0 for a well-behaved one); raises
        RateLimited for a source that is blocked (verify/abuse.py). An event-loop caller awaits
        the delay itself and then calls ``verify(..., admitted=True)``."""
        return self.abuse.check(self.hashed(context.caller) or self.hashed(context.source))

    def verify(self, raw: str, context: QueryContext, *, admitted: bool = False) -> Answer:
        """The verdict on ``raw`` (whatever was typed or scanned), logged with ``context``. A source that
        sends many malformed or unknown codes is slowed, then refused with RateLimited (verify/abuse.py)."""
        caller_hash, source_hash = self.hashed(context.caller), self.hashed(context.source)
        if not admitted and (delay := self.abuse.check(caller_hash or source_hash)):
            time.sleep(delay)
        answer = self._answer(raw, context, caller_hash, source_hash)
        self.abuse.note(caller_hash or source_hash, answer.verdict, context.region_code)
        return answer

    def _answer(self, raw: str, context: QueryContext, caller_hash: str | None, source_hash: str | None) -> Answer:
        now = utcnow()
        text = raw if isinstance(raw, str) else ""
        row: dict[str, Any] = {"at": now, "channel": context.channel.value, "region_code": context.region_code,
                               "terminal_id": context.terminal_id, "caller_hash": caller_hash,
                               "source_hash": source_hash, "generation": None, "serial": None,
                               "raw_input": None}
        keyring = self._keys()
        try:
            parsed = parse_code(text, keyring)
            generation, serial = decode_parsed(keyring, parsed) if keyring else (parsed.generation, -1)
        except MalformedCode as error:
            row.update(raw_input=text[:MAX_RAW_INPUT], verdict=Verdict.MALFORMED.value)
            self.recorder.record(row, None)
            return Answer(malformed(error.message_zh, error.message), input=text[:MAX_RAW_INPUT],
                          history={"reason": error.reason})
        row.update(generation=generation, serial=serial if serial >= 0 else None)
        batch = None if serial < 0 else self._find_batch(generation, serial)
        if batch is None:
            row["verdict"] = Verdict.UNKNOWN.value
            self.recorder.record(row, None)
            return Answer(decide(CodeFacts(issued=False), QueryHistory(), now.date()), input=text[:MAX_RAW_INPUT],
                          code=parsed.code, grouped=parsed.grouped)
        epoch = self.recorder.epoch
        facts, fields, stored = self._facts(batch, generation, serial)
        decided: list[Decision] = []

        def verdict_for(seen: Seen) -> str:
            # Decided under the recorder's lock, so the log row says exactly what the caller is told.
            history = QueryHistory(seen.count, seen.first_at, seen.first_region_code,
                                   self.region_name(seen.first_region_code))
            decided.append(decide(facts, history, now.date()))
            return decided[-1].verdict.value

        seen = self.recorder.record(row, (generation, serial), verdict_for, stored=stored, epoch=epoch)
        return Answer(decided[-1], input=text[:MAX_RAW_INPUT], code=parsed.code, grouped=parsed.grouped,
                      history={"count_before": seen.count,
                               "first_at": seen.first_at.isoformat() if seen.first_at else None,
                               "first_region": seen.first_region_code,
                               "first_region_name": self.region_name(seen.first_region_code)},
                      gone=facts.recalled or facts.destroyed, **fields)

    def _connect(self) -> Connection:
        """A Core connection for reads (on SQLite it does not take the write lock)."""
        return self._engine.connect().execution_options(**{READ_ONLY_OPTION: True})

    def _find_batch(self, generation: int, serial: int) -> _Batch | None:
        batch = self._batches.find(generation, serial)
        if batch is None:
            with self._connect() as connection:
                self._batches.refresh(connection)  # a batch issued since we last looked
            batch = self._batches.find(generation, serial)
        return batch

    def _facts(self, batch: _Batch, generation: int, serial: int) -> tuple[CodeFacts, dict[str, Any], Seen]:
        """Spoilage, activation and query state of one code: one statement on the driver."""
        (spoiled, count, first_at, first_region, activation_id, lot, production_date, expiry_date,
         inspection_record) = self._reader.fetchone(self._facts_statement, {"g": generation, "s": serial, "b": batch.id})
        product, enterprise, message = self._catalog.describe(self._connect, batch.product_id, batch.enterprise_id)
        expiry = _as_date(expiry_date)
        facts = CodeFacts(issued=True, spoiled=bool(spoiled), activated=activation_id is not None,
                          expiry_date=expiry)
        fields: dict[str, Any] = {
            "product": {**product, "packaging_level": batch.packaging_level},
            "enterprise": {**enterprise, "region": self.region_name(enterprise["region_code"])},
            "message": message,
        }
        if activation_id is not None:
            made = _as_date(production_date)
            fields["production"] = {
                "lot": lot, "production_date": made.isoformat() if made else None,
                "expiry_date": expiry.isoformat() if expiry else None, "inspection_record": inspection_record}
        stored = Seen(int(count or 0), _as_utc(first_at), first_region)
        return facts, fields, stored

    def close(self) -> None:
        """Write every buffered query (a graceful stop loses nothing)."""
        self.recorder.close()
        self._reader.close()


def query_hash_key(secret: str) -> bytes:
    """The key of the caller and address hashes, derived from the service secret."""
    return hashlib.sha256(f"jianguan query hash:{secret}".encode()).digest()
