"""``verify(code, channel, context)``: the answer every channel gives, and its log row.

A ``Verifier`` lives once per process (the app keeps one in its state; a command makes its own).
It holds the keyring and the registry of batches in memory (batches only ever get added, and a
verification that misses reloads the new ones), asks the database for what changes (activation,
spoilage, the product's details and the enterprise's message: a few primary-key and index
look-ups), and hands the log row to the ``QueryRecorder``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import msgspec
from sqlalchemy import (
    Connection,
    Engine,
)
from sqlalchemy.orm import Session, sessionmaker

from jianguan.alerts import rules as query_rules
from jianguan.alerts.rules import CachedSettings, KnownAlerts, evaluate_rows
from jianguan.codes.codec import Keyring, MalformedCode, ParsedCode, decode_parsed, encode_serial, parse_code
from jianguan.codes.keyring import key_service
from jianguan.errors import NotFound
from jianguan.promotions.draw import draw
from jianguan.promotions.index import PromotionIndex
from jianguan.recalls.index import RecallIndex
from jianguan.regions.tree import RegionTree, region_tree
from jianguan.schemes import services as schemes
from jianguan.schemes.parsing import ForeignCode, foreign_code
from jianguan.storage.base import utcnow
from jianguan.storage.driver import DriverReader, DriverStatement
from jianguan.storage.engine import READ_ONLY_OPTION
from jianguan.storage.tx import reading, transaction
from jianguan.timezone import iso_moment, local_date
from jianguan.trace.diversions import PLACED, QueriedDiversions
from jianguan.verify.abuse import AbuseGuard, Standing
from jianguan.verify.facts import facts_of_many_statement, facts_statement, sqlite_size
from jianguan.verify.followup import FollowUps
from jianguan.verify.known import Batch, BatchIndex, Catalog, Productions, as_utc
from jianguan.verify.models import Channel
from jianguan.verify.recorder import QueryRecorder, Seen
from jianguan.verify.risk import Risk, Sighting, assess, sightings_of
from jianguan.verify.verdict import (
    GTIN_MISMATCH,
    CodeFacts,
    Decision,
    QueryHistory,
    Verdict,
    decide,
    malformed,
)

MAX_RAW_INPUT = 64  # what a malformed query's log row keeps of the input
MAX_COALESCED = 256  # codes whose facts one statement reads at most
KEYS_REREAD_SECONDS = 1.0  # how often at most the keyring is read again for a code of a new generation
_HASHES_KEPT = 10_000  # caller and address hashes remembered


@dataclass(slots=True)  # not frozen: see Answer
class QueryContext:
    """Where a query comes from. ``caller`` (a phone number) and ``source`` (a client address)
    are stored only as keyed hashes."""

    channel: Channel
    region_code: str | None = None
    terminal_id: int | None = None
    caller: str | None = None
    source: str | None = None
    # Reached through a GS1 Digital Link: the GTIN the link names ("" when it named no valid one).
    # A code of another product is then answered, and logged, as the copy it is.
    link_gtin: str | None = None


# The values a verification makes (this, the decision, the parsed code, the history, ...) are
# plain dataclasses with slots, not frozen ones: a frozen dataclass's __init__ sets every field
# through object.__setattr__, about 0.1 µs a field, and a verification makes ten of them. They
# are values all the same: nothing changes one after it is made.
@dataclass(slots=True)
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
    copied: bool = False  # a real code reached through another product's link (not a probe for codes)
    promotion: dict[str, Any] | None = None  # the draw of a promotion, on a first genuine query it covers
    risk: Risk | None = None  # the clone risk of a genuine code (verify/risk.py)
    scheme: ForeignCode | None = None  # a code of another scheme, registered here (schemes/)

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
            **({"promotion": self.promotion} if self.promotion else {}),
            **({"risk": self.risk.to_json()} if self.risk else {}),
            **({"scheme": {"name": self.scheme.scheme.value, "registered": True, "issued": False,
                           "label": {"zh": self.scheme.scheme.label_zh, "en": self.scheme.scheme.label_en}}}
               if self.scheme else {}),
        }


_FACTS = facts_statement()


@dataclass(slots=True)
class _Lookup:
    """A well-formed, issued code whose facts are still to be read, and its log row so far."""

    row: dict[str, Any]
    text: str
    parsed: ParsedCode
    generation: int
    serial: int
    batch: Batch
    now: dt.datetime
    epoch: int
    link_gtin: str | None
    scheme: ForeignCode | None = None  # a registered code of another scheme

    def values(self) -> dict[str, int]:
        return {"g": self.generation, "s": self.serial, "b": self.batch.id}


class _FactsCoalescer:
    """Reads the facts of the verifications waiting on an event loop together, in one statement.

    A verification that needs its code's facts parks a future here; the first one in schedules a
    read for the loop's next turn, and that read takes every look-up parked by then (up to
    ``MAX_COALESCED`` a statement). Under load the requests of one turn of the loop share a
    statement, and the per-statement cost (the driver's call and, on PostgreSQL, the round trip)
    is paid once for all of them; a lone verification waits for nothing but its own read. The read
    runs on the loop itself: it is a few indexed look-ups, cheaper than a hand-off to a thread.
    A failed read fails every verification that shared it, and none of them is logged.
    """

    def __init__(self, read: Callable[[Sequence[_Lookup]], list[Sequence[Any]]]) -> None:
        self._read = read
        self._waiting: dict[asyncio.AbstractEventLoop, list[tuple[_Lookup, asyncio.Future[Sequence[Any]]]]] = {}

    def fetch(self, lookup: _Lookup) -> asyncio.Future[Sequence[Any]]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Sequence[Any]] = loop.create_future()
        waiting = self._waiting.setdefault(loop, [])
        waiting.append((lookup, future))
        if len(waiting) == 1:
            loop.call_soon(self._run, loop)
        return future

    def _run(self, loop: asyncio.AbstractEventLoop) -> None:
        waiting = self._waiting.pop(loop, [])
        for start in range(0, len(waiting), MAX_COALESCED):
            chunk = [(lookup, future) for lookup, future in waiting[start:start + MAX_COALESCED] if not future.done()]
            if not chunk:
                continue
            try:
                rows = self._read([lookup for lookup, _ in chunk])
            except Exception as error:  # handed to every caller that shared the read
                for _, future in chunk:
                    future.set_exception(error)
                continue
            for (_, future), row in zip(chunk, rows, strict=True):
                future.set_result(row)


class Verifier:
    """Answers verifications and logs them (one per process; see the module doc)."""

    def __init__(self, sessions: sessionmaker[Session], *, hash_key: bytes,
                 recorder: QueryRecorder | None = None, abuse: AbuseGuard | None = None) -> None:
        self._sessions = sessions
        self._key_service = key_service(sessions)
        self._keys_read_at = -KEYS_REREAD_SECONDS
        self._keys_lock = threading.Lock()
        self._hash_key = hash_key
        self._keyring: Keyring | None = None
        self._batches = BatchIndex()
        self._regions: RegionTree | None = None
        self.recorder = recorder or QueryRecorder(sessions)
        self._engine: Engine = sessions.kw["bind"]
        self._facts_statement = DriverStatement(_FACTS, self._engine.dialect)
        self._facts_of_many = (DriverStatement(facts_of_many_statement("postgresql"), self._engine.dialect)
                               if self._engine.dialect.name == "postgresql" else None)
        self._facts_of_size: dict[int, tuple[DriverStatement, list[tuple[str, str, str]]]] = {}  # SQLite
        self._coalescer = _FactsCoalescer(self._read_facts)
        self._reader = DriverReader(self._engine)
        self._hashes: dict[str, str] = {}
        self._catalog = Catalog()
        self._productions = Productions()
        self._recalls = RecallIndex(self._connect)
        self._promotions = PromotionIndex(self._connect, self._region_tree)
        self._diversions = QueriedDiversions()
        self._clones_known = KnownAlerts()  # cloned codes alerted in their window: not read again
        self._rule_settings = CachedSettings()
        # After each write of the query log: diversions and the early-warning rules (verify/followup.py).
        self.followups = FollowUps(self._flag_diversions, self._evaluate)
        if self.recorder.after_write is None:
            self.recorder.after_write = self.followups.submit
        self.abuse = abuse or AbuseGuard.disabled()

    def _keys(self, *, reread: bool = False) -> Keyring | None:
        """The keyring as last read; read again when there is none yet or ``reread`` asks (a code of
        a generation it lacks: rotated by another process), at most once a second. Threads that
        find a read under way wait for it rather than answer without keys."""
        keyring = self._keyring
        if keyring is not None and not reread:
            return keyring
        with self._keys_lock:
            if self._keyring is not keyring:  # read by another thread while this one waited
                return self._keyring
            now = time.monotonic()
            if now - self._keys_read_at >= KEYS_REREAD_SECONDS:
                self._keys_read_at = now
                try:
                    with reading(self._sessions) as session:
                        self._keyring = self._key_service.keyring(session)
                except NotFound:  # a network that has issued nothing yet: every code is unknown
                    self._keyring = None
        return self._keyring

    def _region_tree(self) -> RegionTree:
        if self._regions is None:
            self._regions = region_tree(self._engine)
        return self._regions

    def _region_name(self, code: str | None) -> str | None:
        """The name of the region where a query was made, from the process's region tree."""
        if code is None:
            return None
        return self._region_tree().name(code)

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

    def verify(self, raw: str, context: QueryContext, standing: Standing | None = None) -> Answer:
        """The verdict on ``raw`` (whatever was typed or scanned), logged with ``context``. A source that
        sends many malformed or unknown codes is slowed, then refused with RateLimited (verify/abuse.py);
        ``standing`` is its standing when it was read with the request's rate-limit count (see
        ``abuse_source``). A caller on the event loop uses ``verify_async``."""
        caller_hash, source_hash = self.hashed(context.caller), self.hashed(context.source)
        if delay := self.abuse.check(caller_hash or source_hash, standing):
            time.sleep(delay)
        answer = self._answer(raw, context, caller_hash, source_hash)
        if not answer.copied:  # the guard counts probes for codes; a copied code is a real one
            self.abuse.note(caller_hash or source_hash, answer.verdict, context.region_code)
        return answer

    def abuse_source(self, address: str) -> tuple[str, float] | None:
        """The abuse guard's key for a client at ``address`` (verifying with no caller named) and
        the window its standing is counted in; None when the guard is off or the address unknown."""
        window = self.abuse.standing_window()
        key = self.hashed(address)
        return (key, window) if window is not None and key is not None else None

    async def verify_async(self, raw: str, context: QueryContext, standing: Standing | None = None) -> Answer:
        """``verify`` for a caller on the event loop: the same answer and log row, but the code's
        facts are read together with those of every other verification waiting on the loop, in
        one statement (see ``_FactsCoalescer``). A source the abuse guard slows is held back with
        a non-blocking sleep, so it never stalls others. ``standing`` is the source's standing when
        it was read with the request's rate-limit count (see ``abuse_source``)."""
        caller_hash, source_hash = self.hashed(context.caller), self.hashed(context.source)
        if delay := self.abuse.check(caller_hash or source_hash, standing):
            await asyncio.sleep(delay)
        step = self._begin(raw, context, caller_hash, source_hash)
        answer = step if isinstance(step, Answer) else self._finish(step, await self._coalescer.fetch(step))
        if not answer.copied:  # the guard counts probes for codes; a copied code is a real one
            self.abuse.note(caller_hash or source_hash, answer.verdict, context.region_code)
        return answer

    def _answer(self, raw: str, context: QueryContext, caller_hash: str | None, source_hash: str | None) -> Answer:
        step = self._begin(raw, context, caller_hash, source_hash)
        if isinstance(step, Answer):
            return step
        return self._finish(step, self._reader.fetchone(self._facts_statement, step.values()))

    def _begin(self, raw: str, context: QueryContext, caller_hash: str | None, source_hash: str | None
               ) -> Answer | _Lookup:
        """The answer to input that is malformed or was never issued (logged here), or else the
        look-up that the code's facts will finish."""
        now = utcnow()
        text = raw if isinstance(raw, str) else ""
        row: dict[str, Any] = {"at": now, "channel": context.channel.value, "region_code": context.region_code,
                               "terminal_id": context.terminal_id, "caller_hash": caller_hash,
                               "source_hash": source_hash, "generation": None, "serial": None,
                               "raw_input": None}
        keyring = self._keys()
        try:
            try:
                parsed = parse_code(text, keyring)
            except MalformedCode as error:
                if error.reason != "unknown_generation" or (keyring := self._keys(reread=True)) is None:
                    raise
                parsed = parse_code(text, keyring)
            generation, serial = decode_parsed(keyring, parsed) if keyring else (parsed.generation, -1)
        except MalformedCode as error:
            # Not one of ours: perhaps a registered code of another scheme (only such input is looked up).
            if (registered := self._registered(text, row, now, context)) is not None:
                return registered
            # PostgreSQL text cannot hold NUL: one such row would fail every flush after it.
            row.update(raw_input=text[:MAX_RAW_INPUT].replace("\x00", "\N{REPLACEMENT CHARACTER}"),
                       verdict=Verdict.MALFORMED.value)
            self.recorder.record(row, None)
            return Answer(malformed(error.message_zh, error.message), input=text[:MAX_RAW_INPUT],
                          history={"reason": error.reason})
        row.update(generation=generation, serial=serial if serial >= 0 else None)
        batch = None if serial < 0 else self._find_batch(generation, serial)
        if batch is None:
            # 20 digits no batch of ours holds: perhaps a registered drug code.
            if (registered := self._registered(text, row, now, context)) is not None:
                return registered
            row["verdict"] = Verdict.UNKNOWN.value
            self.recorder.record(row, None)
            return Answer(decide(CodeFacts(issued=False), QueryHistory(), local_date(now)), input=text[:MAX_RAW_INPUT],
                          code=parsed.code, grouped=parsed.grouped)
        # The epoch before the read: a state read before an eviction is not trusted after it.
        return _Lookup(row, text[:MAX_RAW_INPUT], parsed, generation, serial, batch, now, self.recorder.epoch,
                       context.link_gtin)

    def _registered(self, text: str, row: dict[str, Any], now: dt.datetime, context: QueryContext
                    ) -> Answer | _Lookup | None:
        """For input that is not one of our codes: the look-up of the registered code of another
        scheme it is (schemes/), its "unknown" answer (logged here) when it is a GS1 code nobody
        registered, or None (a drug code nobody registered: the answer on our reading stands)."""
        code = foreign_code(text, link_gtin=context.link_gtin)
        if code is None:
            return None
        with self._connect() as connection:
            found = schemes.find(connection, code)
        batch = None if found is None else self._find_batch(schemes.REGISTERED, found[0])
        if found is None or batch is None:
            if code.gtin is None:
                return None
            row.update(generation=None, serial=None, verdict=Verdict.UNKNOWN.value,
                       raw_input=text[:MAX_RAW_INPUT].replace("\x00", "\N{REPLACEMENT CHARACTER}"))
            self.recorder.record(row, None)
            return Answer(decide(CodeFacts(issued=False), QueryHistory(), local_date(now)), input=text[:MAX_RAW_INPUT],
                          code=code.text, grouped=code.text)
        row.update(generation=schemes.REGISTERED, serial=found[0])
        parsed = ParsedCode(code.text, schemes.REGISTERED, code.gtin)
        # The GTIN was matched by the look-up: a registered code is never another product's copy.
        return _Lookup(row, text[:MAX_RAW_INPUT], parsed, schemes.REGISTERED, found[0], batch, now,
                       self.recorder.epoch, None, code)

    def _finish(self, lookup: _Lookup, fetched: Sequence[Any]) -> Answer:
        """The answer to an issued code, from its facts as read (a row of ``_FACTS``); logged here."""
        facts, fields, stored = self._facts(lookup.batch, fetched)
        recalled = self._recalls.notice(lookup.generation, lookup.serial)
        if recalled is not None:
            facts.recalled, facts.recall_notice = True, recalled[1]
        if fetched[10] is not None and lookup.serial < fetched[10] and fetched[9] == "destroyed":
            facts.destroyed = True
        now, decided = lookup.now, []
        copied = lookup.link_gtin is not None and fields["product"]["gtin"] != lookup.link_gtin

        def verdict_for(seen: Seen) -> str:
            # Decided under the recorder's lock, so the log row says exactly what the caller is told.
            history = QueryHistory(seen.count, seen.first_at, seen.first_region_code,
                                   self._region_name(seen.first_region_code))
            decided.append(GTIN_MISMATCH if copied else decide(facts, history, local_date(now)))
            # Not columns: the rules after the write read them (alerts/rules.py ``evaluate_rows``).
            lookup.row["count_before"] = seen.count
            lookup.row["regions_before"] = (seen.first_region_code, seen.last_region_code)
            return decided[-1].verdict.value

        # Whether a position run places the code (read with its facts): the diversion probe after
        # the write looks up only such codes again.
        lookup.row["placed"] = fetched[9] in PLACED and fetched[10] is not None and lookup.serial < fetched[10]

        seen = self.recorder.record(lookup.row, (lookup.generation, lookup.serial), verdict_for, stored=stored,
                                    epoch=lookup.epoch)
        if copied:  # nothing of the other product is told
            return Answer(decided[-1], input=lookup.text, code=lookup.parsed.code, grouped=lookup.parsed.grouped,
                          copied=True)
        scheme = lookup.scheme
        return Answer(decided[-1], input=lookup.text, code=lookup.parsed.code,
                      grouped=lookup.parsed.grouped if scheme is None or scheme.gtin is None else lookup.parsed.code,
                      scheme=scheme,
                      promotion=self._draw(lookup, decided[-1], fields), risk=self._risk(lookup, decided[-1], seen),
                      history={"count_before": seen.count,
                               "first_at": iso_moment(seen.first_at) if seen.first_at else None,
                               "first_region": seen.first_region_code,
                               "first_region_name": self._region_name(seen.first_region_code)},
                      gone=facts.recalled or facts.destroyed, **fields)

    def _risk(self, lookup: _Lookup, decision: Decision, seen: Seen) -> Risk | None:
        """The clone risk of a genuine code (from what was read with its facts: no read of its own)."""
        if decision.verdict not in (Verdict.GENUINE, Verdict.QUERIED_BEFORE):
            return None
        return assess(seen.count, sightings_of(seen, Sighting(lookup.now, lookup.row["region_code"])),
                      self._region_tree(), evidence=False)

    def _draw(self, lookup: _Lookup, decision: Decision, fields: dict[str, Any]) -> dict[str, Any] | None:
        """The draw of the promotion covering a code on its first genuine query (promotions/draw.py):
        only then is the database asked; else a look-up in memory (promotions/index.py)."""
        if decision.verdict is not Verdict.GENUINE:
            return None
        production = fields.get("production")
        region = lookup.row["region_code"]
        running = self._promotions.find(lookup.batch.product_id, production["lot"] if production else None, region,
                                        local_date(lookup.now))
        if running is None:
            return None
        result = draw(self._sessions, running, generation=lookup.generation, serial=lookup.serial,
                      channel=lookup.row["channel"], region_code=region)
        return result.to_json() if result is not None else None

    def _read_facts(self, lookups: Sequence[_Lookup]) -> list[Sequence[Any]]:
        """The facts of many codes, in order: one statement whatever their number."""
        if len(lookups) == 1:
            return [self._reader.fetchone(self._facts_statement, lookups[0].values())]
        if self._facts_of_many is not None:  # PostgreSQL
            read = self._reader.fetchall(self._facts_of_many, {
                "generations": [lookup.generation for lookup in lookups],
                "serials": [lookup.serial for lookup in lookups], "batches": [lookup.batch.id for lookup in lookups]})
        else:
            statement, names = self._sqlite_facts_of(sqlite_size(len(lookups)))
            values: dict[str, Any] = {}
            last = lookups[-1]
            for i, (g, s, b) in enumerate(names):  # the look-ups, then the last repeated up to the size
                lookup = lookups[i] if i < len(lookups) else last
                values[g], values[s], values[b] = lookup.generation, lookup.serial, lookup.batch.id
            read = [row for row in msgspec.json.decode(self._reader.fetchone(statement, values)[0])
                    if row[0] < len(lookups)]
        rows = sorted(read, key=itemgetter(0))
        if len(rows) != len(lookups):
            raise RuntimeError(f"{len(lookups)} codes looked up, {len(rows)} rows read")
        return [row[1:] for row in rows]

    def _sqlite_facts_of(self, size: int) -> tuple[DriverStatement, list[tuple[str, str, str]]]:
        """SQLite's statement for ``size`` look-ups and the names of its values, made once."""
        made = self._facts_of_size.get(size)
        if made is None:
            made = self._facts_of_size[size] = (
                DriverStatement(facts_of_many_statement("sqlite", size), self._engine.dialect),
                [(f"g{i}", f"s{i}", f"b{i}") for i in range(size)])
        return made

    def _connect(self) -> Connection:
        """A Core connection for reads (on SQLite it does not take the write lock)."""
        return self._engine.connect().execution_options(**{READ_ONLY_OPTION: True})

    def _find_batch(self, generation: int, serial: int) -> Batch | None:
        batch = self._batches.find(generation, serial)
        if batch is None:
            with self._connect() as connection:
                self._batches.refresh(connection)  # a batch issued since we last looked
            batch = self._batches.find(generation, serial)
        return batch

    def _facts(self, batch: Batch, fetched: Sequence[Any]) -> tuple[CodeFacts, dict[str, Any], Seen]:
        """Spoilage, activation and query state of one code, from its row of ``_FACTS``."""
        spoiled, count, first_at, first_region, activation_id = fetched[:5]
        product, enterprise, message = self._catalog.describe(self._connect, batch, self._region_name)
        fields: dict[str, Any] = {"product": product, "enterprise": enterprise, "message": message}
        expiry = None
        if activation_id is not None:
            fields["production"], expiry = self._productions.describe(tuple(fetched[4:9]))
        facts = CodeFacts(issued=True, spoiled=bool(spoiled), activated=activation_id is not None,
                          expiry_date=expiry)
        stored = Seen(int(count or 0), as_utc(first_at), first_region, fetched[11], as_utc(fetched[12]))
        return facts, fields, stored

    def _flag_diversions(self, rows: list[dict[str, Any]]) -> bool:
        """Flag the codes of ``rows`` (just written to the query log) queried where they were not
        shipped (trace/diversions.py); the follow-ups hand over only rows that name a region and
        a code a run places. Whether a signal was added."""
        keyring = self._keys()
        if keyring is None:
            return False
        def code(generation: int, serial: int) -> str:
            if generation == schemes.REGISTERED:  # a registered code of another scheme, as it is written
                registered = schemes.code_of(session.connection(), serial)
                return registered.text if registered else f"{generation}:{serial}"
            return encode_serial(keyring[generation], serial)

        with transaction(self._sessions) as session:
            return bool(self._diversions.flag(session, rows, code))

    def _evaluate(self, batch: query_rules.Batch) -> None:
        """The early-warning rules over what written rows hold (alerts/rules.py), in a transaction."""
        with transaction(self._sessions) as session:
            evaluate_rows(session, batch, known=self._clones_known, rule_settings=self._rule_settings)

    def start(self) -> None:
        """Start the query log's writer and its follow-ups, each on a thread of its own (a server
        does; a command writes and follows up when it closes)."""
        self.recorder.start()
        self.followups.start()

    def close(self) -> None:
        """Write every buffered query and follow it up (a graceful stop loses nothing)."""
        self.recorder.close()
        self.followups.close()
        self._reader.close()


def query_hash_key(secret: str) -> bytes:
    """The key of the caller and address hashes, derived from the service secret."""
    return hashlib.sha256(f"jianguan query hash:{secret}".encode()).digest()
