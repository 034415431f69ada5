"""Writing audit records in the caller's transaction, and verifying the hash chain.

Appending reads the newest record's hash, so two transactions appending at once would fork
the chain. On PostgreSQL a transaction-scoped advisory lock serialises appenders; SQLite
already serialises writers (every transaction begins IMMEDIATE).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from jianguan.audit.actions import AuditAction
from jianguan.audit.models import AuditRecord
from jianguan.storage.base import utcnow

GENESIS_HASH = "0" * 64
ADVISORY_LOCK_KEY = 0x4A47_4155  # "JGAU"


@dataclass(frozen=True)
class Actor:
    """Who acts: ``user:<username>``, ``apikey:<prefix>`` or ``system:<command>``, and from where."""

    name: str
    source_address: str = ""

    @classmethod
    def system(cls, command: str) -> Actor:
        return cls(f"system:{command}", "local")


def _canonical(value: Any) -> Any:
    """JSON-safe form of a before/after value: dates as ISO strings, enums by value."""
    if isinstance(value, dict):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_canonical(item) for item in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value if not isinstance(value, str) else str(value)
    return str(value)


def record_hash(previous_hash: str, record: AuditRecord) -> str:
    """The chained hash of ``record`` given the hash of the record before it."""
    body = {
        "id": record.id,
        "at": record.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor": record.actor,
        "action": record.action,
        "target_type": record.target_type,
        "target_id": record.target_id,
        "before": record.before,
        "after": record.after,
        "source_address": record.source_address,
        "previous_hash": previous_hash,
    }
    encoded = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def record(
    session: Session,
    *,
    actor: Actor,
    action: AuditAction,
    target_type: str,
    target_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditRecord:
    """Append the audit record of a state change to the caller's transaction.

    ``action`` is a member of ``AuditAction`` (``AuditAction.ENTERPRISE_PRODUCT_CREATED``), whose
    value is stored. A plain string is refused, even one that equals a member's value: every
    action the log can hold is listed in the enum (and in docs/audit.md).
    """
    if not isinstance(action, AuditAction):
        raise TypeError(f"audit action {action!r} is not an AuditAction member")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    last = session.execute(
        select(AuditRecord.id, AuditRecord.record_hash).order_by(AuditRecord.id.desc()).limit(1)
    ).first()
    previous_id, previous_hash = (last.id, last.record_hash) if last else (0, GENESIS_HASH)
    entry = AuditRecord(
        id=previous_id + 1,
        at=utcnow(),
        actor=actor.name,
        action=action.value,
        target_type=target_type,
        target_id=str(target_id),
        before=_canonical(before) if before is not None else None,
        after=_canonical(after) if after is not None else None,
        source_address=actor.source_address,
        previous_hash=previous_hash,
        record_hash="",
    )
    entry.record_hash = record_hash(previous_hash, entry)
    session.add(entry)
    session.flush()
    return entry


def record_update(session: Session, *, actor: Actor, action: AuditAction, target_type: str, target: Any,
                  changes: dict[str, Any]) -> bool:
    """Set on ``target`` the fields of ``changes`` whose values differ, and audit them (before and
    after) in the caller's transaction; False, writing nothing, when none differ."""
    changes = {name: value for name, value in changes.items() if getattr(target, name) != value}
    if not changes:
        return False
    before = {name: getattr(target, name) for name in changes}
    for name, value in changes.items():
        setattr(target, name, value)
    session.flush()
    record(session, actor=actor, action=action, target_type=target_type, target_id=target.id, before=before,
           after=changes)
    return True


@dataclass(frozen=True)
class ChainBreak:
    """Where verification found the chain broken, and how."""

    record_id: int
    reason: str


def verify_chain(session: Session, batch: int = 5000) -> tuple[int, ChainBreak | None]:
    """Walk the whole log in order; return how many records were checked and the first break.

    A record whose content was altered no longer matches its hash; a removed record leaves a
    gap in the ids and a ``previous_hash`` that names a record that is not there.
    """
    checked = 0
    expected_previous = GENESIS_HASH
    expected_id = 1
    for entry in _iter_records(session, batch):
        if entry.id != expected_id:
            return checked, ChainBreak(expected_id, f"record {expected_id} is missing (next is {entry.id})")
        if entry.previous_hash != expected_previous:
            return checked, ChainBreak(entry.id, "previous_hash does not match the record before it")
        if record_hash(entry.previous_hash, entry) != entry.record_hash:
            return checked, ChainBreak(entry.id, "content does not match its hash (altered)")
        expected_previous = entry.record_hash
        expected_id += 1
        checked += 1
    return checked, None


def _iter_records(session: Session, batch: int) -> Iterator[AuditRecord]:
    last_id = 0
    while True:
        rows = session.scalars(
            select(AuditRecord).where(AuditRecord.id > last_id).order_by(AuditRecord.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
        session.expunge_all()


def recent_records(
    session: Session,
    *,
    action_prefix: str = "",
    target_type: str = "",
    target_id: str = "",
    limit: int = 200,
) -> list[AuditRecord]:
    """The newest records, newest first, optionally only actions starting with ``action_prefix``
    (``account:`` or ``account:apikey:``) and only one target type or one target."""
    query = select(AuditRecord).order_by(AuditRecord.id.desc()).limit(limit)
    if action_prefix:
        query = query.where(AuditRecord.action.startswith(action_prefix, autoescape=True))
    if target_type:
        query = query.where(AuditRecord.target_type == target_type)
    if target_id:
        query = query.where(AuditRecord.target_id == target_id)
    return list(session.scalars(query))
