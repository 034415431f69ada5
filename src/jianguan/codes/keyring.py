"""The network's keys as one service a process holds: code key generations and the signing key.

The master key is read from the settings once, at start (the app factory, a command), and given
to one ``KeyService``, which the process's session factory carries (``session_factory(engine,
keys=KeyService(master))``, as Warehouse registers its services); a service that needs a key
asks ``key_service(session)`` instead of taking the master key as an argument. The service
keeps every key generation it has unwrapped (one cache for the process, the verifier included):
unwrapping is AES-GCM, cheap, but the rows are read and checked at each use that may see a new
generation, so a rotation made by another process is picked up.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.codes import keys as keycrypto
from jianguan.codes.codec import Key, Keyring
from jianguan.codes.models import CodeKey, SerialCounter, SigningKey
from jianguan.errors import Conflict, NotFound

MAX_GENERATIONS = 9


def _code_key_label(generation: int) -> bytes:
    return f"code-key:{generation}".encode()


def _signing_key_label(key_id: int) -> bytes:
    return f"signing-key:{key_id}".encode()


@dataclass(frozen=True)
class Signer:
    """The newest signing key: its id as written in manifests, and a function that signs."""

    key_id: str
    public_key: str
    _private: bytes

    def sign(self, message: bytes) -> bytes:
        return keycrypto.sign(self._private, message)


def signing_key_id(row: SigningKey) -> str:
    return f"jianguan-{row.id}"


class KeyService:
    """The master key and what it unwraps, for one process (see the module doc)."""

    def __init__(self, master: bytes) -> None:
        if len(master) != keycrypto.MASTER_KEY_BYTES:
            raise ValueError("the master key is 32 bytes")
        self._master = master
        self._lock = threading.Lock()
        self._keys: dict[tuple[int, bytes], Key] = {}  # (generation, wrapped blob) -> key
        self._signers: dict[int, Signer] = {}

    def keyring(self, session: Session) -> Keyring:
        """Every key generation stored, unwrapped; NotFound when there is none yet."""
        keys = []
        for generation, wrapped in session.execute(
                select(CodeKey.generation, CodeKey.wrapped_key).order_by(CodeKey.generation)):
            cache_key = (generation, bytes(wrapped))
            key = self._keys.get(cache_key)
            if key is None:
                secret = keycrypto.unwrap_key(self._master, bytes(wrapped), label=_code_key_label(generation))
                key = Key(generation, secret)
                with self._lock:
                    self._keys[cache_key] = key
            keys.append(key)
        if not keys:
            raise NotFound("No code key exists yet: run `jianguan keys rotate`.",
                           "尚未生成监管码密钥：请运行 `jianguan keys rotate`。", code="no_code_key")
        return Keyring(keys)

    def signer(self, session: Session) -> Signer:
        """The newest network signing key, unwrapped."""
        row = session.scalar(select(SigningKey).order_by(SigningKey.id.desc()).limit(1))
        if row is None:
            raise NotFound("No signing key exists yet: run `jianguan keys rotate`.",
                           "尚未生成签名密钥：请运行 `jianguan keys rotate`。", code="no_signing_key")
        signer = self._signers.get(row.id)
        if signer is None:
            private = keycrypto.unwrap_key(self._master, row.wrapped_private_key, label=_signing_key_label(row.id))
            signer = Signer(signing_key_id(row), row.public_key, private)
            with self._lock:
                self._signers[row.id] = signer
        return signer

    def rotate_code_key(self, session: Session, *, actor: Actor) -> int:
        """Add the next key generation; new codes use it from now on, old ones still decode.

        Returns the new generation. Nine generations are the most a code's first digit can name.
        """
        newest = session.scalar(select(func.max(CodeKey.generation))) or 0
        if newest >= MAX_GENERATIONS:
            raise Conflict("All nine key generations are in use.", "九代密钥已全部使用。",
                           code="generations_exhausted")
        generation = newest + 1
        secret = os.urandom(32)
        session.add(CodeKey(generation=generation,
                            wrapped_key=keycrypto.wrap_key(self._master, secret, label=_code_key_label(generation))))
        session.flush()
        session.add(SerialCounter(generation=generation, next_serial=0))
        session.flush()
        record(session, actor=actor, action=AuditAction.CODE_KEY_CREATED, target_type="code_key",
               target_id=generation, after={"generation": generation})
        return generation

    def rotate_signing_key(self, session: Session, *, actor: Actor) -> SigningKey:
        """Make a new network signing key (Ed25519); code files are signed with the newest."""
        private_raw, public_raw = keycrypto.new_signing_key()
        row = SigningKey(wrapped_private_key=b"", public_key=keycrypto.encode_public_key(public_raw))
        session.add(row)
        session.flush()
        row.wrapped_private_key = keycrypto.wrap_key(self._master, private_raw, label=_signing_key_label(row.id))
        record(session, actor=actor, action=AuditAction.CODE_SIGNING_KEY_CREATED, target_type="signing_key",
               target_id=row.id, after={"public_key": row.public_key})
        return row

    def rewrap(self, session: Session, *, actor: Actor, new_master: bytes) -> int:
        """Wrap every stored key (code key generations, signing keys) again under ``new_master``,
        in the caller's transaction; return how many. The keys themselves do not change, so every
        code and signature stays valid; only the master key that opens them does."""
        if len(new_master) != keycrypto.MASTER_KEY_BYTES:
            raise ValueError("the master key is 32 bytes")
        count = 0
        for code_key in session.scalars(select(CodeKey).order_by(CodeKey.generation).with_for_update()):
            label = _code_key_label(code_key.generation)
            secret = keycrypto.unwrap_key(self._master, bytes(code_key.wrapped_key), label=label)
            code_key.wrapped_key = keycrypto.wrap_key(new_master, secret, label=label)
            count += 1
        for signing in session.scalars(select(SigningKey).order_by(SigningKey.id).with_for_update()):
            label = _signing_key_label(signing.id)
            private = keycrypto.unwrap_key(self._master, signing.wrapped_private_key, label=label)
            signing.wrapped_private_key = keycrypto.wrap_key(new_master, private, label=label)
            count += 1
        record(session, actor=actor, action=AuditAction.CODE_MASTER_KEY_REWRAPPED, target_type="master_key",
               target_id="", after={"keys": count})
        return count

    def ensure_keys(self, session: Session, *, actor: Actor) -> int:
        """Create generation 1 and the signing key on a network that has neither; return the
        newest code key generation (the one new codes use)."""
        newest = session.scalar(select(func.max(CodeKey.generation)))
        if newest is None:
            newest = self.rotate_code_key(session, actor=actor)
        if session.scalar(select(func.count()).select_from(SigningKey)) == 0:
            self.rotate_signing_key(session, actor=actor)
        return newest


def key_service(source: Session | sessionmaker[Session]) -> KeyService:
    """The key service registered with the session factory ``source`` was made by (or is)."""
    info: Mapping[str, Any] = source.info if isinstance(source, Session) else source.kw.get("info") or {}
    keys = info.get("keys")
    if keys is None:
        raise RuntimeError("no key service: make the session factory with session_factory(engine, keys=KeyService(...))")
    return keys


def keyring(session: Session) -> Keyring:
    """Every key generation, from the process's key service."""
    return key_service(session).keyring(session)


def public_signing_keys(session: Session) -> list[dict[str, Any]]:
    """Every network signing key's public half, newest first (what verifiers of code files need)."""
    rows = session.scalars(select(SigningKey).order_by(SigningKey.id.desc()))
    return [{"key_id": signing_key_id(row), "algorithm": "Ed25519", "public_key": row.public_key,
             "created_at": row.created_at.isoformat()} for row in rows]
