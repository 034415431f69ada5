"""Key material: the master key, keys wrapped under it, and the network's Ed25519 signatures.

Code keys and the private signing key are stored wrapped: AES-256-GCM under a master key that
lives only in the settings (an environment variable or a file), never in the database. The
wrap binds the row it belongs to through the associated data (``b"code-key:3"``), so a wrapped
blob copied into another row does not unwrap there.

Everything here is pure: no I/O but reading the master key file, no database, no clock.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from jianguan.errors import ValidationFailed

__all__ = [
    "MASTER_KEY_BYTES",
    "KeyMaterialError",
    "MasterKeyMismatch",
    "decode_public_key",
    "encode_public_key",
    "load_master_key",
    "new_signing_key",
    "sign",
    "unwrap_key",
    "verify_signature",
    "wrap_key",
]

MASTER_KEY_BYTES = 32
_NONCE_BYTES = 12  # the size AES-GCM is specified for; random nonces are safe far beyond our key count


class KeyMaterialError(ValidationFailed):
    """A master key, wrapped key or public key that cannot be used as given."""

    code = "bad_key_material"


class MasterKeyMismatch(KeyMaterialError):
    """A wrapped key that does not open: another master key, another row, or altered bytes."""

    code = "master_key_mismatch"

    def __init__(self, label: bytes) -> None:
        name = label.decode("ascii", "replace")
        super().__init__(
            f"The stored key {name} does not open with this master key: the master key is not the "
            "one it was wrapped under, or the stored key was altered or moved.",
            f"存储的密钥 {name} 无法用当前主密钥解开：主密钥不是加密它时所用的那一个，或该密钥已被篡改或挪用。",
            label=name,
        )


# --- wrapping ---------------------------------------------------------------------------------


def _check_master(master: bytes) -> None:
    if len(master) != MASTER_KEY_BYTES:
        raise KeyMaterialError(
            f"The master key must be {MASTER_KEY_BYTES} bytes; this one has {len(master)}.",
            f"主密钥必须为 {MASTER_KEY_BYTES} 字节，此处为 {len(master)} 字节。",
        )


def wrap_key(master: bytes, plaintext: bytes, *, label: bytes) -> bytes:
    """``nonce || AES-256-GCM(master, plaintext)`` with ``label`` as associated data.

    The label names the row the blob belongs to (``b"code-key:3"``, ``b"signing-key:1"``): it is
    authenticated but not stored, so the blob only unwraps where it was meant to be.
    """
    _check_master(master)
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(master).encrypt(nonce, plaintext, label)


def unwrap_key(master: bytes, wrapped: bytes, *, label: bytes) -> bytes:
    """The inverse of ``wrap_key``; raises ``MasterKeyMismatch`` if it does not authenticate."""
    _check_master(master)
    if len(wrapped) < _NONCE_BYTES + 16:  # nonce and GCM tag
        raise MasterKeyMismatch(label)
    try:
        return AESGCM(master).decrypt(wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:], label)
    except InvalidTag:
        raise MasterKeyMismatch(label) from None


# --- the master key from settings -------------------------------------------------------------


def load_master_key(value: str | None, file: Path | None) -> bytes:
    """The 32-byte master key from its base64 text (standard or URL-safe), or from a file holding it.

    Giving both is refused rather than letting one win: two sources that may disagree would
    hide a misconfiguration until a wrapped key failed to open.
    """
    if value is not None and file is not None:
        raise KeyMaterialError(
            "Set either JIANGUAN_MASTER_KEY or JIANGUAN_MASTER_KEY_FILE, not both.",
            "JIANGUAN_MASTER_KEY 与 JIANGUAN_MASTER_KEY_FILE 只能设置其一。",
        )
    source = "JIANGUAN_MASTER_KEY"
    if file is not None:
        source = f"JIANGUAN_MASTER_KEY_FILE ({file})"
        try:
            value = file.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as error:
            raise KeyMaterialError(
                f"The master key file {file} cannot be read as text: {error}.",
                f"无法读取主密钥文件 {file}：{error}。",
            ) from None
    if value is None:
        raise KeyMaterialError("No master key is configured.", "未配置主密钥。")
    text = "".join(value.split())
    text += "=" * (-len(text) % 4)  # padding is often left off
    try:
        key = base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise KeyMaterialError(
            f"{source} is not base64 text.",
            f"{source} 不是 base64 文本。",
        ) from None
    if len(key) != MASTER_KEY_BYTES:
        raise KeyMaterialError(
            f"{source} must be base64 of exactly {MASTER_KEY_BYTES} bytes; it decodes to {len(key)}.",
            f"{source} 必须是恰好 {MASTER_KEY_BYTES} 字节的 base64 编码，此处解码后为 {len(key)} 字节。",
        )
    return key


# --- Ed25519 ----------------------------------------------------------------------------------


def new_signing_key() -> tuple[bytes, bytes]:
    """A fresh Ed25519 key pair as raw bytes: ``(private 32 bytes, public 32 bytes)``."""
    private = Ed25519PrivateKey.generate()
    return (
        private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()),
        private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
    )


def sign(private_raw: bytes, message: bytes) -> bytes:
    """The 64-byte Ed25519 signature of ``message``."""
    return Ed25519PrivateKey.from_private_bytes(private_raw).sign(message)


def verify_signature(public_raw: bytes, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is the Ed25519 signature of ``message`` under ``public_raw``."""
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def encode_public_key(public_raw: bytes) -> str:
    """A raw public key as unpadded base64url text (43 characters), as stored and published."""
    return base64.urlsafe_b64encode(public_raw).rstrip(b"=").decode("ascii")


def decode_public_key(text: str) -> bytes:
    """The inverse of ``encode_public_key``."""
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise KeyMaterialError(
            "A public key is base64url of 32 bytes.",
            "公钥应为 32 字节的 base64url 编码。",
        )
    return raw
