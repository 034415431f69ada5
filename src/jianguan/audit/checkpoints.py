"""Signed checkpoints of the audit chain's head, and verifying the chain against them.

The hash chain alone catches an altered or removed record in the middle, but not a cut tail
(delete the newest records) nor a rewrite (change a record and recompute every later hash):
both leave a chain that is consistent with itself. A checkpoint states "the log had N records,
the N-th with hash H", signed with the network's Ed25519 signing key (``codes.keyring``), whose
private half only the master key unwraps. Verification then requires record N to exist with
hash H. Exported (``export_checkpoints``) and kept by a regulator outside the database, the
checkpoints and the public key catch the same even if the database's own copy is cut too.

A checkpoint is written on demand (``jianguan audit checkpoint``) and on a schedule while the
service runs (``JIANGUAN_AUDIT_CHECKPOINT_MINUTES``); it is itself audited (the record is
appended first, so the checkpoint covers it), and skipped when nothing was logged since the last.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from jianguan.audit.actions import AuditAction
from jianguan.audit.models import AuditCheckpoint, AuditRecord
from jianguan.audit.services import ADVISORY_LOCK_KEY, Actor, ChainBreak, record, verify_chain
from jianguan.codes import keys as keycrypto
from jianguan.codes.keyring import key_service, public_signing_keys
from jianguan.errors import ValidationFailed

EXPORT_FORMAT = "jianguan-audit-checkpoints/1"
_DOMAIN = b"jianguan audit checkpoint\n"  # a checkpoint's signature is never a code file's


def signed_message(checkpoint: dict[str, Any]) -> bytes:
    """The bytes a checkpoint's signature covers: its fields as canonical JSON, after a domain tag."""
    body = {name: checkpoint[name] for name in ("id", "at", "record_count", "head_hash", "key_id")}
    return _DOMAIN + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def checkpoint_json(row: AuditCheckpoint) -> dict[str, Any]:
    """A checkpoint as exported (and as signed, with its signature)."""
    return {"id": row.id, "at": row.at.isoformat(timespec="microseconds"), "record_count": row.record_count,
            "head_hash": row.head_hash, "key_id": row.key_id, "signature": row.signature}


def write_checkpoint(session: Session, *, actor: Actor, only_if_changed: bool = False) -> AuditCheckpoint | None:
    """Sign the chain's head now; None when ``only_if_changed`` and nothing was logged since the
    last checkpoint. Appenders are held off (PostgreSQL: the log's advisory lock; SQLite: the
    write lock) so the head cannot move between reading and signing it."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    last = session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1))
    head = session.scalar(select(func.coalesce(func.max(AuditRecord.id), 0))) or 0
    if only_if_changed and last is not None and last.record_count == head:
        return None
    signer = key_service(session).signer(session)
    checkpoint_id = (last.id if last else 0) + 1
    entry = record(session, actor=actor, action=AuditAction.AUDIT_CHECKPOINT_WRITTEN, target_type="audit_checkpoint",
                   target_id=checkpoint_id, after={"record_count": head + 1, "key_id": signer.key_id})
    row = AuditCheckpoint(id=checkpoint_id, at=entry.at, record_count=entry.id, head_hash=entry.record_hash,
                          key_id=signer.key_id, signature="")
    row.signature = base64.urlsafe_b64encode(signer.sign(signed_message(checkpoint_json(row)))).decode()
    session.add(row)
    session.flush()
    return row


def export_checkpoints(session: Session) -> dict[str, Any]:
    """Every checkpoint with the public keys that check them: what a regulator keeps."""
    rows = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id))
    return {"format": EXPORT_FORMAT, "public_keys": public_signing_keys(session),
            "checkpoints": [checkpoint_json(row) for row in rows]}


def parse_export(text_: str) -> list[dict[str, Any]]:
    """The checkpoints of an exported file; ValidationFailed when it is not one."""
    try:
        document = json.loads(text_)
        assert document["format"] == EXPORT_FORMAT
        checkpoints = list(document["checkpoints"])
        for item in checkpoints:
            assert isinstance(item["record_count"], int) and isinstance(item["head_hash"], str)
    except (ValueError, KeyError, TypeError, AssertionError):
        raise ValidationFailed("Not a checkpoint file exported by `jianguan audit export-checkpoints`.",
                               "不是由 `jianguan audit export-checkpoints` 导出的检查点文件。",
                               code="bad_checkpoint_file") from None
    return checkpoints


def signature_ok(checkpoint: dict[str, Any], public_keys: dict[str, bytes]) -> bool:
    """Whether ``checkpoint`` is signed by the key it names, among ``public_keys``."""
    public = public_keys.get(str(checkpoint.get("key_id")))
    try:
        signature = base64.urlsafe_b64decode(str(checkpoint["signature"]))
    except (binascii.Error, ValueError, KeyError):
        return False
    return public is not None and keycrypto.verify_signature(public, signed_message(checkpoint), signature)


def stored_public_keys(session: Session) -> dict[str, bytes]:
    """The network's public signing keys, by key id, as the database holds them."""
    return {row["key_id"]: keycrypto.decode_public_key(row["public_key"]) for row in public_signing_keys(session)}


@dataclass(frozen=True)
class Verification:
    """What ``verify`` found: records checked, checkpoints matched, and the first problem if any."""

    checked: int
    checkpoints: int
    broken: ChainBreak | None


def verify(session: Session, *, exported: list[dict[str, Any]] | None = None,
           public_keys: dict[str, bytes] | None = None) -> Verification:
    """Walk the chain, then hold it to every checkpoint: the database's own, and ``exported``.

    Each checkpoint's signature is checked (with ``public_keys``, default the stored keys); a
    checkpoint counting more records than the log holds means a cut tail, one whose hash differs
    from the record at its count means a rewritten chain.
    """
    keys = public_keys if public_keys is not None else stored_public_keys(session)
    checked, broken = verify_chain(session)
    checkpoints = [checkpoint_json(row) for row in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id))]
    checkpoints += exported or []
    if broken is not None:
        return Verification(checked, 0, broken)
    for item in checkpoints:
        where = f"checkpoint {item.get('id')} ({item['record_count']} records)"
        if not signature_ok(item, keys):
            return Verification(checked, 0, ChainBreak(int(item["record_count"]),
                                                       f"{where} has no valid signature (forged or altered)"))
        if item["record_count"] > checked:
            return Verification(checked, 0, ChainBreak(
                checked + 1, f"{where}: records {checked + 1}-{item['record_count']} are missing (tail cut)"))
        if item["record_count"] == 0:
            continue
        head = session.scalar(select(AuditRecord.record_hash).where(AuditRecord.id == item["record_count"]))
        if head != item["head_hash"]:
            return Verification(checked, 0, ChainBreak(
                int(item["record_count"]), f"{where}: the chain was rewritten (hash differs from the signed head)"))
    return Verification(checked, len(checkpoints), None)
