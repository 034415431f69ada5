"""The early-warning rules (质量预警): their thresholds, which the operator edits, and their
evaluation as queries and events arrive and on a schedule.

Each rule is a grouped query over a window of the query log, the diversion signals, the cases,
the spot checks or the recalls; what passes a threshold raises one alert per rule, subject and
window (``services.raise_once``: the alerts' unique key), so evaluating again, in another process
or on the schedule, raises nothing new. The query log's writer hands each written batch to
``QueryWatcher`` (after the write, never on the answer path), which evaluates the query rules
for the codes, counties and sources of that batch only.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Integer, bindparam, distinct, func, select, true, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from jianguan.alerts.models import Alert, AlertRuleSetting, AlertSeverity, WarningRule
from jianguan.alerts.services import raise_once
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.codes.lookup import find_batch
from jianguan.codes.models import Activation
from jianguan.enterprises.models import Product
from jianguan.errors import ValidationFailed
from jianguan.storage.base import utcnow
from jianguan.verify.models import Query

ACTOR = Actor.system("early-warning")
MAX_THRESHOLD = 1_000_000
MAX_WINDOW_MINUTES = 60 * 24 * 30  # thirty days
_CHUNK = 128  # codes per statement: a power of two, the shapes ``_counts_of`` builds
_ISSUED = ("genuine", "queried_before", "expired", "recalled", "destroyed", "not_activated")
_INVALID = ("unknown", "malformed", "spoiled")
_EVIDENCE = 20


@dataclass(frozen=True, slots=True)
class RuleSetting:
    rule: WarningRule
    enabled: bool
    threshold: int
    max_queries: int | None
    window_minutes: int

    @property
    def windowed(self) -> bool:
        return self.rule not in EVENT_RULES

    def since(self, now: dt.datetime) -> dt.datetime:
        return now - dt.timedelta(minutes=self.window_minutes)

    def window_key(self, now: dt.datetime) -> str:
        """The window ``now`` falls in (windows of the rule's length from the epoch, UTC)."""
        seconds = self.window_minutes * 60
        start = int(now.timestamp()) // seconds * seconds
        return dt.datetime.fromtimestamp(start, dt.UTC).strftime("%Y%m%dT%H%M")

    def json(self) -> dict[str, Any]:
        return {"rule": self.rule.value, "label_zh": self.rule.label_zh, "label_en": self.rule.label_en,
                "enabled": self.enabled, "threshold": self.threshold, "max_queries": self.max_queries,
                "window_minutes": self.window_minutes, "windowed": self.windowed}


EVENT_RULES = frozenset({WarningRule.SPOT_CHECK_FAILED, WarningRule.RECALL_OPENED})
DEFAULTS = {
    WarningRule.CLONED_CODE: RuleSetting(WarningRule.CLONED_CODE, True, 3, 20, 24 * 60),
    WarningRule.UNKNOWN_CLUSTER: RuleSetting(WarningRule.UNKNOWN_CLUSTER, True, 20, None, 60),
    WarningRule.ENUMERATION: RuleSetting(WarningRule.ENUMERATION, True, 50, None, 10),
    WarningRule.DIVERSION: RuleSetting(WarningRule.DIVERSION, True, 1, None, 24 * 60),
    WarningRule.COMPLAINT_CLUSTER: RuleSetting(WarningRule.COMPLAINT_CLUSTER, True, 3, None, 7 * 24 * 60),
    WarningRule.SPOT_CHECK_FAILED: RuleSetting(WarningRule.SPOT_CHECK_FAILED, True, 1, None, 24 * 60),
    WarningRule.RECALL_OPENED: RuleSetting(WarningRule.RECALL_OPENED, True, 1, None, 24 * 60),
}


def settings(session: Session) -> dict[WarningRule, RuleSetting]:
    """Every rule's setting: the stored one, else the default."""
    found = dict(DEFAULTS)
    for row in session.scalars(select(AlertRuleSetting)):
        if row.rule in {rule.value for rule in WarningRule}:
            rule = WarningRule(row.rule)
            found[rule] = RuleSetting(rule, row.enabled, row.threshold, row.max_queries, row.window_minutes)
    return found


def _bounded(value: object, name: str, chinese: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationFailed(f"The {name} is a whole number from {low} to {high}.",
                               f"{chinese}应为 {low} 至 {high} 的整数。", code="invalid_threshold", field=name)
    return value


def set_rule(session: Session, *, actor: Actor, rule: str, enabled: object = None, threshold: object = None,
             max_queries: object = None, window_minutes: object = None) -> RuleSetting:
    """Change a rule's thresholds (what is not given stays); nonsensical ones are refused and
    nothing changes. One county is no clone: the cloned-code rule asks for at least two."""
    try:
        which = WarningRule(rule)
    except ValueError:
        raise ValidationFailed("No such warning rule.", "没有该预警规则。", code="unknown_rule", field="rule") from None
    current = settings(session)[which]
    if enabled is not None and not isinstance(enabled, bool):
        raise ValidationFailed("Enabled is true or false.", "启用应为是或否。", code="invalid_threshold", field="enabled")
    new_enabled = current.enabled if enabled is None else enabled
    new_threshold, new_max, new_window = current.threshold, current.max_queries, current.window_minutes
    if which not in EVENT_RULES:
        low = 2 if which is WarningRule.CLONED_CODE else 1
        if threshold is not None:
            new_threshold = _bounded(threshold, "threshold", "阈值", low, MAX_THRESHOLD)
        if window_minutes is not None:
            new_window = _bounded(window_minutes, "window_minutes", "时间窗口（分钟）", 1, MAX_WINDOW_MINUTES)
        if which is WarningRule.CLONED_CODE and max_queries is not None:
            new_max = _bounded(max_queries, "max_queries", "查询次数上限", 2, MAX_THRESHOLD)
    if (which in EVENT_RULES or which is not WarningRule.CLONED_CODE) and max_queries is not None:
        raise ValidationFailed("Only the cloned-code rule has a bound on queries.", "只有克隆码规则设置查询次数上限。",
                               code="invalid_threshold", field="max_queries")
    if which in EVENT_RULES and (threshold is not None or window_minutes is not None):
        raise ValidationFailed("This rule raises an alert for every event: it has no threshold.",
                               "该规则对每一事件发出预警，没有阈值。", code="invalid_threshold", field="threshold")
    row = session.get(AlertRuleSetting, which.value, with_for_update=True)
    if row is None:
        row = AlertRuleSetting(rule=which.value)
        session.add(row)
    row.enabled, row.threshold, row.max_queries, row.window_minutes = new_enabled, new_threshold, new_max, new_window
    row.changed_at, row.changed_by = utcnow(), actor.name[:100]
    session.flush()
    after = RuleSetting(which, new_enabled, new_threshold, new_max, new_window)
    record(session, actor=actor, action=AuditAction.ALERT_RULE_CHANGED, target_type="alert_rule",
           target_id=which.value, before=current.json(), after=after.json())
    return after


def _product_of(session: Session, generation: int, serial: int) -> tuple[int | None, int | None, int | None, str]:
    """The enterprise, category and product of an issued code, and its lot ("" when not activated)."""
    batch = find_batch(session, generation, serial)
    if batch is None:
        return None, None, None, ""
    category = session.scalar(select(Product.category_id).where(Product.id == batch.product_id))
    lot = session.scalar(select(Activation.lot).where(Activation.batch_id == batch.id,
                                                      Activation.serial_start <= serial,
                                                      Activation.serial_end > serial).limit(1))
    return batch.enterprise_id, category, batch.product_id, lot or ""


def _code_text(session: Session, generation: int, serial: int) -> str:
    from jianguan.codes.codec import encode_serial
    from jianguan.codes.keyring import keyring
    from jianguan.schemes.services import REGISTERED, code_of
    if generation == REGISTERED:  # a registered code of another scheme, as it is written
        registered = code_of(session.connection(), serial)
        return registered.text if registered else f"{generation}:{serial}"
    try:
        return encode_serial(keyring(session)[generation], serial)
    except Exception:  # a generation without its key: name the code by its numbers
        return f"{generation}:{serial}"


class CachedSettings:
    """``settings`` as read at most ``ttl`` seconds ago: the writer reads the rules after every write
    of the query log, tens of times a second, and they change a few times a year. A changed rule
    applies to what is written from ``ttl`` seconds later on (the schedule reads them afresh)."""

    def __init__(self, ttl: float = 1.0) -> None:
        self._ttl = ttl
        self._read: tuple[float, dict[WarningRule, RuleSetting]] | None = None

    def __call__(self, session: Session) -> dict[WarningRule, RuleSetting]:
        read = self._read
        if read is None or time.monotonic() - read[0] >= self._ttl:
            read = self._read = (time.monotonic(), settings(session))
        return read[1]


class KnownAlerts:
    """The once-only keys of cloned-code alerts a process has raised or found raised (at most
    ``limit``, the oldest forgotten): a code alerted in its window is not read again after every
    further query of it (a copied code queried a thousand times would be read a thousand times)."""

    def __init__(self, limit: int = 100_000) -> None:
        self._limit = limit
        self._keys: dict[str, None] = {}
        self._lock = threading.Lock()

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def add(self, key: str) -> None:
        with self._lock:
            self._keys[key] = None
            while len(self._keys) > self._limit:
                del self._keys[next(iter(self._keys))]


@functools.cache
def _counts_of(size: int) -> Any:
    """The queries and counties of ``size`` codes (parameters ``g0``, ``s0``, ... and ``since``) in
    the window: one aggregate per code, each a look-up of ``ix_queries_code`` on both columns. A
    list of codes in one condition (a row-value IN, or ORs) lets both databases' planners take the
    verdict index or the generation alone instead, and read the whole log for a few codes."""
    return union_all(*[
        select(bindparam(f"g{index}", type_=Integer).label("generation"),
               bindparam(f"s{index}", type_=BigInteger).label("serial"),
               func.count().label("queries"), func.count(distinct(Query.region_code)).label("counties"))
        .where(Query.generation == bindparam(f"g{index}", type_=Integer),
               Query.serial == bindparam(f"s{index}", type_=BigInteger),
               Query.at >= bindparam("since"),
               Query.verdict.in_([bindparam(f"v{index}", value) for index, value in enumerate(_ISSUED)]))
        for index in range(size)])


@functools.cache
def _counts_lateral() -> Any:
    """PostgreSQL's form of ``_counts_of``: the codes as two arrays, each counted in a LATERAL
    subquery on ``ix_queries_code`` (one plan for any number of codes; planning a union of a
    hundred parts cost tens of milliseconds a write)."""
    keys = (func.unnest(bindparam("generations", type_=ARRAY(Integer)), bindparam("serials", type_=ARRAY(BigInteger)))
            .table_valued("g", "s").render_derived(name="keys"))
    counted = (select(func.count().label("queries"), func.count(distinct(Query.region_code)).label("counties"))
               .where(Query.generation == keys.c.g, Query.serial == keys.c.s, Query.at >= bindparam("since"),
                      Query.verdict.in_(_ISSUED)).lateral("counted"))
    return select(keys.c.g.label("generation"), keys.c.s.label("serial"), counted.c.queries, counted.c.counties) \
        .select_from(keys.join(counted, true()))


def _clone_key(setting: RuleSetting, now: dt.datetime, generation: int, serial: int) -> str:
    return f"cloned_code:{generation}:{serial}:{setting.window_key(now)}"


def cloned_codes(session: Session, setting: RuleSetting, now: dt.datetime,
                 codes: Iterable[tuple[int, int]] | None = None, known: KnownAlerts | None = None) -> list[Alert]:
    """One code queried from at least ``threshold`` counties, or more than ``max_queries`` times,
    within the window: copies of a genuine code are in circulation. ``known`` skips the codes it
    holds the alert of, and learns those raised or found here."""
    since = setting.since(now)
    limit = setting.max_queries or MAX_THRESHOLD
    hits: list[Any] = []
    if codes is None:
        counted = (select(Query.generation, Query.serial, func.count(), func.count(distinct(Query.region_code)))
                   .where(Query.at >= since, Query.generation.is_not(None), Query.verdict.in_(_ISSUED))
                   .group_by(Query.generation, Query.serial))
        hits = list(session.execute(counted.having(
            (func.count(distinct(Query.region_code)) >= setting.threshold) | (func.count() > limit))))
    else:
        # One aggregate per code, each a look-up of ``ix_queries_code`` on both columns: a list of
        # codes in one condition (a row-value IN, or ORs) lets both databases' planners pick the
        # verdict index or the generation alone, reading the whole log for a few codes.
        wanted = sorted({code for code in codes if known is None or _clone_key(setting, now, *code) not in known})
        lateral = session.get_bind().dialect.name == "postgresql"
        for at in range(0, len(wanted), _CHUNK):
            chunk = wanted[at:at + _CHUNK]
            if lateral:
                hits.extend(tuple(row) for row in session.execute(_counts_lateral(), {
                    "generations": [code[0] for code in chunk], "serials": [code[1] for code in chunk],
                    "since": since}) if row.counties >= setting.threshold or row.queries > limit)
                continue
            size = 1 << (len(chunk) - 1).bit_length()  # a few statement shapes, each built once
            chunk += [chunk[-1]] * (size - len(chunk))
            values: dict[str, Any] = {"since": since}
            for index, (generation, serial) in enumerate(chunk):
                values[f"g{index}"], values[f"s{index}"] = generation, serial
            hits.extend({tuple(row): None for row in session.execute(_counts_of(size), values)
                         if row.counties >= setting.threshold or row.queries > limit})
    raised = []
    for generation, serial, count, counties in hits:
        regions = list(session.scalars(
            select(Query.region_code).where(Query.generation == generation, Query.serial == serial, Query.at >= since,
                                            Query.region_code.is_not(None))
            .group_by(Query.region_code).order_by(func.max(Query.at).desc()).limit(_EVIDENCE)))
        enterprise, category, product, lot = _product_of(session, generation, serial)
        code = _code_text(session, generation, serial)
        key = _clone_key(setting, now, generation, serial)
        if known is not None:
            known.add(key)  # raised now, or before (then ``raise_once`` finds it)
        alert = raise_once(session, actor=ACTOR, rule=setting.rule, dedup_key=key,
                           severity=AlertSeverity.CRITICAL, subject=code, region_code=regions[0] if regions else None,
                           category_id=category, enterprise_id=enterprise,
                           details={"code": code, "queries": int(count), "counties": int(counties), "regions": regions,
                                    "product_id": product, "lot": lot, "since": since.isoformat(),
                                    "threshold": setting.threshold, "max_queries": setting.max_queries})
        if alert is not None:
            raised.append(alert)
    return raised


def unknown_clusters(session: Session, setting: RuleSetting, now: dt.datetime,
                     regions: Iterable[str] | None = None) -> list[Alert]:
    """At least ``threshold`` queries of unknown codes in one county within the window: a fake
    batch in circulation there (unknown codes name no product, so the cluster is the county's)."""
    since = setting.since(now)
    query = (select(Query.region_code, func.count(), func.count(distinct(Query.source_hash)))
             .where(Query.at >= since, Query.verdict == "unknown", Query.region_code.is_not(None))
             .group_by(Query.region_code).having(func.count() >= setting.threshold))
    if regions is not None:
        wanted = sorted(set(regions))
        if not wanted:
            return []
        query = query.where(Query.region_code.in_(wanted))
    raised = []
    for region, count, sources in session.execute(query):
        samples = list(session.scalars(select(Query.raw_input).where(
            Query.at >= since, Query.verdict == "unknown", Query.region_code == region,
            Query.raw_input.is_not(None)).order_by(Query.at.desc()).limit(_EVIDENCE)))
        alert = raise_once(session, actor=ACTOR, rule=setting.rule,
                           dedup_key=f"unknown_cluster:{region}:{setting.window_key(now)}",
                           subject=region, region_code=region,
                           details={"queries": int(count), "sources": int(sources), "samples": samples,
                                    "since": since.isoformat(), "threshold": setting.threshold})
        if alert is not None:
            raised.append(alert)
    return raised


def enumerations(session: Session, setting: RuleSetting, now: dt.datetime,
                 sources: Iterable[str] | None = None) -> list[Alert]:
    """At least ``threshold`` invalid codes from one source (keyed hash of an address or phone)
    within the window: someone trying codes. The abuse guard's block files its alert here too."""
    since = setting.since(now)
    query = (select(Query.source_hash, func.count(), func.max(Query.region_code))
             .where(Query.at >= since, Query.verdict.in_(_INVALID), Query.source_hash.is_not(None))
             .group_by(Query.source_hash).having(func.count() >= setting.threshold))
    if sources is not None:
        wanted = sorted(set(sources))
        if not wanted:
            return []
        query = query.where(Query.source_hash.in_(wanted))
    raised = []
    for source, count, region in session.execute(query):
        alert = raise_once(session, actor=ACTOR, rule=setting.rule,
                           dedup_key=f"enumeration:{source}:{setting.window_key(now)}", subject=source,
                           region_code=region, details={"invalid_queries": int(count), "since": since.isoformat(),
                                                        "threshold": setting.threshold})
        if alert is not None:
            raised.append(alert)
    return raised


def diversions(session: Session, setting: RuleSetting, now: dt.datetime) -> list[Alert]:
    """Each diversion signal (串货, trace/diversions.py) of at least ``threshold`` codes within the window."""
    from jianguan.trace.models import Diversion
    signals = list(session.scalars(select(Diversion).where(Diversion.at >= setting.since(now),
                                                           Diversion.codes >= setting.threshold)))
    if not signals:
        return []
    keys = {f"diversion:{signal.id}": signal for signal in signals}
    known = set(session.scalars(select(Alert.dedup_key).where(Alert.dedup_key.in_(sorted(keys)))))
    raised = []
    for key, signal in keys.items():
        if key in known:
            continue
        alert = raise_once(session, actor=ACTOR, rule=setting.rule, dedup_key=key, subject=f"diversion {signal.id}",
                           region_code=signal.found_region, enterprise_id=signal.enterprise_id,
                           details={"diversion_id": signal.id, "kind": str(signal.kind), "codes": signal.codes,
                                    "sample_codes": list(signal.sample_codes or [])[:_EVIDENCE],
                                    "expected_region": signal.expected_region, "found_region": signal.found_region,
                                    "code": signal.sample_codes[0] if signal.sample_codes else None})
        if alert is not None:
            raised.append(alert)
    return raised


def complaint_clusters(session: Session, setting: RuleSetting, now: dt.datetime) -> list[Alert]:
    """At least ``threshold`` cases (complaints and reports) about one product's lot, or one
    product, within the window."""
    from jianguan.cases.models import Case
    rows = session.execute(select(Case.id, Case.generation, Case.serial, Case.region_code).where(
        Case.created_at >= setting.since(now), Case.generation.is_not(None), Case.serial.is_not(None))
        .order_by(Case.id).limit(5000)).all()
    by_lot: dict[tuple[int, str], list[Any]] = {}
    by_product: dict[int, list[Any]] = {}
    facts: dict[int, tuple[int | None, int | None]] = {}
    for case_id, generation, serial, region in rows:
        if generation is None or serial is None:
            continue
        enterprise, category, product, lot = _product_of(session, generation, serial)
        if product is None:
            continue
        facts[product] = (enterprise, category)
        by_product.setdefault(product, []).append((case_id, region))
        if lot:
            by_lot.setdefault((product, lot), []).append((case_id, region))
    raised = []
    groups: list[tuple[str, int, str, list[Any]]] = [
        (f"lot:{product}:{lot}", product, lot, found) for (product, lot), found in by_lot.items()]
    groups += [(f"product:{product}", product, "", found) for product, found in by_product.items()]
    for subject, product, lot, found in groups:
        if len(found) < setting.threshold:
            continue
        common = Counter(place for _, place in found if place).most_common(1)
        enterprise, category = facts[product]
        alert = raise_once(session, actor=ACTOR, rule=setting.rule,
                           dedup_key=f"complaint_cluster:{subject}:{setting.window_key(now)}", subject=subject,
                           region_code=common[0][0] if common else None, enterprise_id=enterprise, category_id=category,
                           details={"product_id": product, "lot": lot, "cases": [case for case, _ in found][:_EVIDENCE],
                                    "count": len(found), "threshold": setting.threshold})
        if alert is not None:
            raised.append(alert)
    return raised


def recalls_opened(session: Session, setting: RuleSetting, now: dt.datetime) -> list[Alert]:
    """Each recall opened within the window (a recall also raises its alert when it is opened)."""
    from jianguan.recalls.models import Recall
    raised = []
    for recall in session.scalars(select(Recall).where(Recall.opened_at >= setting.since(now))):
        alert = recall_alert(session, recall)
        if alert is not None:
            raised.append(alert)
    return raised


def recall_alert(session: Session, recall: Any) -> Alert | None:
    """The alert of a recall opened (once a recall)."""
    if not settings(session)[WarningRule.RECALL_OPENED].enabled:
        return None
    return raise_once(session, actor=ACTOR, rule=WarningRule.RECALL_OPENED, dedup_key=f"recall_opened:{recall.id}",
                      subject=f"recall {recall.id}", region_code=recall.region_code, category_id=recall.category_id,
                      enterprise_id=recall.enterprise_id,
                      details={"recall_id": recall.id, "level": str(recall.level), "reason": recall.reason,
                               "product_ids": list(recall.product_ids or []), "lots": list(recall.lots or [])})


def evaluate(session: Session, *, now: dt.datetime | None = None,
             only: Sequence[WarningRule] | None = None) -> list[Alert]:
    """Every enabled rule over its whole window (the schedule; idempotent)."""
    now = now or utcnow()
    found = settings(session)
    runs: dict[WarningRule, Callable[[Session, RuleSetting, dt.datetime], list[Alert]]] = {
        WarningRule.CLONED_CODE: cloned_codes, WarningRule.UNKNOWN_CLUSTER: unknown_clusters,
            WarningRule.ENUMERATION: enumerations, WarningRule.DIVERSION: diversions,
            WarningRule.COMPLAINT_CLUSTER: complaint_clusters, WarningRule.RECALL_OPENED: recalls_opened}
    raised: list[Alert] = []
    for rule, run in runs.items():
        if (only is None or rule in only) and found[rule].enabled:
            raised.extend(run(session, found[rule], now))
    return raised


@dataclass
class Batch:
    """What a batch of query-log rows gives the query rules to look at (``triage``)."""

    repeated: dict[tuple[int, int], tuple[int, bool]]  # code -> most queries told, a county new to it
    counties: set[str]  # counties of unknown codes
    sources: set[str]  # sources of invalid codes
    placed: bool  # a placed query of an issued code after a write that flagged a diversion

    def __bool__(self) -> bool:
        return bool(self.repeated or self.counties or self.sources or self.placed)


_ISSUED_SET, _INVALID_SET = frozenset(_ISSUED), frozenset(_INVALID)


def triage(rows: Sequence[dict[str, Any]], *, diverted: bool = True) -> Batch:
    """One pass over the rows (see ``evaluate_rows``); false when there is nothing to look at, so
    the writer opens no transaction for most of its writes."""
    batch = Batch({}, set(), set(), False)
    repeated = batch.repeated
    for row in rows:
        verdict = row.get("verdict")
        if verdict in _ISSUED_SET:
            region = row.get("region_code")
            if region and diverted:
                batch.placed = True
            if verdict == "genuine" or row.get("generation") is None:
                continue  # a first query cannot make a clone
            key = (row["generation"], row["serial"])
            before = row.get("regions_before")
            new_county = before is None or (region is not None and region not in before)
            queries, any_new = repeated.get(key, (0, False))
            repeated[key] = (max(queries, row.get("count_before", MAX_THRESHOLD) + 1), any_new or new_county)
        elif verdict in _INVALID_SET:
            if verdict == "unknown" and row.get("region_code"):
                batch.counties.add(row["region_code"])
            if row.get("source_hash"):
                batch.sources.add(row["source_hash"])
    return batch


def evaluate_rows(session: Session, rows: Sequence[dict[str, Any]] | Batch, *, now: dt.datetime | None = None,
                  diverted: bool = True, known: KnownAlerts | None = None,
                  rule_settings: Callable[[Session], dict[WarningRule, RuleSetting]] = settings) -> list[Alert]:
    """The query rules over a batch just written to the query log (its rows, or their ``triage``):
    only the issued codes queried again in it that may now meet the clone rule, the counties of
    its unknown codes and the sources of its invalid ones are looked at, and the diversion signals
    of the window when ``diverted`` says the write flagged some (the schedule reads them all).

    A verified row says what it was told (``count_before``) and where the code had been queried
    (``regions_before``: its first and last counties). A code queried fewer times in all than
    the rule needs cannot meet it; nor can a query in a county the code was already queried in
    add a county (it counts only towards ``max_queries``). The log is read for the other codes.
    ``rule_settings`` reads the rules (the writer passes a ``CachedSettings``)."""
    now = now or utcnow()
    batch = rows if isinstance(rows, Batch) else triage(rows, diverted=diverted)
    if not batch:
        return []
    found = rule_settings(session)
    raised: list[Alert] = []
    cloned = found[WarningRule.CLONED_CODE]
    if batch.repeated and cloned.enabled:
        limit = cloned.max_queries or MAX_THRESHOLD
        suspects = [code for code, (queries, new_county) in batch.repeated.items()
                    if queries > limit or (queries >= cloned.threshold and new_county)]
        if suspects:
            raised += cloned_codes(session, cloned, now, suspects, known)
    if batch.counties and found[WarningRule.UNKNOWN_CLUSTER].enabled:
        raised += unknown_clusters(session, found[WarningRule.UNKNOWN_CLUSTER], now, batch.counties)
    if batch.sources and found[WarningRule.ENUMERATION].enabled:
        raised += enumerations(session, found[WarningRule.ENUMERATION], now, batch.sources)
    if batch.placed and found[WarningRule.DIVERSION].enabled:
        raised += diversions(session, found[WarningRule.DIVERSION], now)
    return raised


def block_key(session: Session, source: str, now: dt.datetime | None = None) -> str:
    """The once-only key of the abuse guard's block of ``source``: the enumeration rule's."""
    return f"enumeration:{source}:{settings(session)[WarningRule.ENUMERATION].window_key(now or utcnow())}"
