"""Diversion signals (串货): flagging codes queried where they were not shipped, and reading the
signals a manufacturer (or a regulator in scope) sees. Receiving and selling elsewhere are
flagged by the capture (``trace.capture``); consumers are never shown any of it.

A query is flagged when it names a region (a terminal's county, a caller's phone region) and
the code was shipped to a county that neither holds nor lies in that region: goods meant for
栾城区 checked at a terminal in 桥西区. The verifier's query log hands its rows here after each
write (``flag_queried``); the signals of one write are grouped by enterprise, expected county and
the region found, with some of the codes as evidence, and a code is flagged once a region a
process (the same code checked again there says nothing new). The verifier reads each code's
position run with its facts and marks a row ``placed`` False when no run places the code: only
the other rows are looked up again here (goods that never moved cannot be out of place).
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import BigInteger, Integer, bindparam, func, select, true, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from jianguan.accounts.principal import Principal
from jianguan.enterprises.models import Enterprise
from jianguan.jurisdiction import scope_condition
from jianguan.merchants.models import Merchant
from jianguan.regions.tree import region_tree
from jianguan.trace.models import Diversion, DiversionKind, PartyKind, Position, Whereabouts

_CHUNK = 128  # a power of two: the statement shapes ``_runs_statement`` builds
_SAMPLE = 20
# Where a code has been shipped to a known county: queried elsewhere, it is out of place.
PLACED = (Whereabouts.IN_TRANSIT.value, Whereabouts.IN_STOCK.value, Whereabouts.SOLD.value)
# Verdicts of issued, activated codes (a code never issued or not activated has not moved).
_ISSUED = frozenset({"genuine", "queried_before", "expired", "recalled"})
_SEEN_KEPT = 100_000


class QueriedDiversions:
    """Flags queried codes out of place (see the module doc); one a process, called after the query
    log's writes with the rows written."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flagged: set[tuple[int, int, str]] = set()

    def flag(self, session: Session, rows: Iterable[dict[str, Any]],
             code: Callable[[int, int], str]) -> list[Diversion]:
        """Add the diversion signals of ``rows`` (query log rows) to ``session``; ``code`` writes a
        code from its generation and serial (the evidence)."""
        wanted: dict[tuple[int, int], tuple[str, dt.datetime]] = {}
        with self._lock:
            for row in rows:
                region, generation, serial = row.get("region_code"), row.get("generation"), row.get("serial")
                if region is None or generation is None or serial is None or row.get("verdict") not in _ISSUED:
                    continue
                if row.get("placed") is False:  # the verifier read the code's run with its facts: none placed it
                    continue
                if (generation, serial, region) in self._flagged:
                    continue
                wanted.setdefault((generation, serial), (region, row["at"]))
        if not wanted:
            return []
        tree = region_tree(session)
        signals: dict[tuple[int, str | None, str], Diversion] = {}
        flagged = []
        for place in _runs_of(session, sorted(wanted)):
            generation, serial, run = place
            region, at = wanted[(generation, serial)]
            if run is None or serial >= run.serial_end or run.status not in PLACED:
                continue
            expected = run.shipped_region if run.status == Whereabouts.IN_TRANSIT.value else run.region_code
            if expected is None or expected not in tree or region not in tree:
                continue
            if tree.contains(region, expected) or tree.contains(expected, region):
                continue
            key = (run.enterprise_id, expected, region)
            signal = signals.get(key)
            if signal is None:
                expected_party = ((run.shipped_to_kind, run.shipped_to_id) if run.status == Whereabouts.IN_TRANSIT.value
                                  else (run.holder_kind, run.holder_id))
                signal = signals[key] = Diversion(
                    enterprise_id=run.enterprise_id, kind=DiversionKind.QUERIED, event_id=None, codes=0,
                    sample_codes=[], expected_kind=expected_party[0], expected_id=expected_party[1],
                    expected_region=expected, found_kind=None, found_id=None, found_region=region, at=at)
            signal.codes += 1
            if len(signal.sample_codes) < _SAMPLE:
                signal.sample_codes = [*signal.sample_codes, code(generation, serial)]
            flagged.append((generation, serial, region))
        for signal in signals.values():
            session.add(signal)
        with self._lock:
            if len(self._flagged) > _SEEN_KEPT:
                self._flagged.clear()
            self._flagged.update(flagged)
        return list(signals.values())


@functools.cache
def _runs_statement(size: int) -> Any:
    """The position runs starting at or before each of ``size`` codes (parameters ``g0``, ``s0``, ...):
    one indexed look-up a code. Built once for each size (padded to a power of two): building and
    compiling a statement of a few hundred parts cost more than running it, after every log write."""
    probes = [select(Position.id).where(Position.generation == bindparam(f"g{index}", type_=Integer),
                                        Position.serial_start <= bindparam(f"s{index}", type_=BigInteger))
              .order_by(Position.serial_start.desc()).limit(1).subquery() for index in range(size)]
    return select(Position).where(Position.id.in_(union_all(*(select(probe.c.id) for probe in probes))))


@functools.cache
def _runs_lateral() -> Any:
    """PostgreSQL's form of ``_runs_statement``: the codes as two arrays, each a LATERAL look-up with
    LIMIT 1 (an index probe whatever the statistics say), one plan for any number of codes: planning
    a union of a hundred parts cost tens of milliseconds a write."""
    keys = (func.unnest(bindparam("generations", type_=ARRAY(Integer)), bindparam("serials", type_=ARRAY(BigInteger)))
            .table_valued("g", "s").render_derived(name="keys"))
    run = (select(Position.id).where(Position.generation == keys.c.g, Position.serial_start <= keys.c.s)
           .order_by(Position.serial_start.desc()).limit(1).lateral("run"))
    return select(Position).where(Position.id.in_(select(run.c.id).select_from(keys.join(run, true()))))


def _runs_of(session: Session, codes: Sequence[tuple[int, int]]) -> Iterable[tuple[int, int, Position | None]]:
    """Each code with the position run starting at or before it (it is in the run when its serial is
    below the run's end): one indexed look-up a code, ``_CHUNK`` codes a statement."""
    lateral = session.get_bind().dialect.name == "postgresql"
    for at in range(0, len(codes), _CHUNK):
        chunk = codes[at:at + _CHUNK]
        if lateral:
            runs = list(session.scalars(_runs_lateral(), {"generations": [code[0] for code in chunk],
                                                          "serials": [code[1] for code in chunk]}))
        else:
            size = 1 << (len(chunk) - 1).bit_length()
            padded = [*chunk, *[chunk[-1]] * (size - len(chunk))]
            values = {name: value for index, (generation, serial) in enumerate(padded)
                      for name, value in ((f"g{index}", generation), (f"s{index}", serial))}
            runs = list(session.scalars(_runs_statement(size), values))
        for generation, serial in chunk:
            found = None
            for run in runs:
                if run.generation == generation and run.serial_start <= serial < run.serial_end:
                    found = run
                    break
            yield generation, serial, found


def list_diversions(session: Session, *, principal: Principal, kind: DiversionKind | None = None,
                    limit: int = 100, offset: int = 0) -> list[Diversion]:
    """The diversion signals ``principal`` sees (its enterprise's; a regulator those of the
    enterprises in its scope), newest first."""
    query = select(Diversion).where(scope_condition(principal, enterprise=Diversion.enterprise_id))
    if kind is not None:
        query = query.where(Diversion.kind == kind)
    return list(session.scalars(query.order_by(Diversion.at.desc(), Diversion.id.desc()).limit(limit).offset(offset)))


def _party_name(session: Session, kind: str | None, ident: int | None) -> str | None:
    if kind is None or ident is None:
        return None
    if kind == PartyKind.ENTERPRISE.value:
        return session.scalar(select(Enterprise.name).where(Enterprise.id == ident))
    return session.scalar(select(Merchant.name).where(Merchant.id == ident))


def diversion_json(session: Session, diversion: Diversion) -> dict[str, Any]:
    """A signal with its evidence, the parties and counties named."""
    tree = region_tree(session)
    kind = DiversionKind(diversion.kind)
    at = diversion.at if diversion.at.tzinfo else diversion.at.replace(tzinfo=dt.UTC)
    return {"id": diversion.id, "enterprise_id": diversion.enterprise_id, "kind": kind.value,
            "kind_label": {"zh": kind.label_zh, "en": kind.label_en}, "event_id": diversion.event_id,
            "codes": diversion.codes, "sample_codes": diversion.sample_codes,
            "expected": {"kind": diversion.expected_kind, "id": diversion.expected_id,
                         "name": _party_name(session, diversion.expected_kind, diversion.expected_id),
                         "region_code": diversion.expected_region,
                         "region": tree.path_name(diversion.expected_region) if diversion.expected_region else None},
            "found": {"kind": diversion.found_kind, "id": diversion.found_id,
                      "name": _party_name(session, diversion.found_kind, diversion.found_id),
                      "region_code": diversion.found_region,
                      "region": tree.path_name(diversion.found_region) if diversion.found_region else None},
            "at": at.isoformat()}
