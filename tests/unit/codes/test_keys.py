"""Key material: wrapping under the master key, the master key from settings, Ed25519."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from jianguan.codes.keys import (
    KeyMaterialError,
    MasterKeyMismatch,
    decode_public_key,
    encode_public_key,
    load_master_key,
    new_signing_key,
    sign,
    unwrap_key,
    verify_signature,
    wrap_key,
)
from jianguan.config import Settings
from jianguan.errors import DomainError

MASTER = bytes(range(32))


def test_wrap_round_trip() -> None:
    secret = os.urandom(32)
    wrapped = wrap_key(MASTER, secret, label=b"code-key:3")
    assert secret not in wrapped
    assert unwrap_key(MASTER, wrapped, label=b"code-key:3") == secret
    assert wrap_key(MASTER, secret, label=b"code-key:3") != wrapped  # a fresh nonce each time


def test_wrong_master_key_is_refused() -> None:
    wrapped = wrap_key(MASTER, b"k" * 32, label=b"code-key:3")
    with pytest.raises(MasterKeyMismatch) as caught:
        unwrap_key(bytes(32), wrapped, label=b"code-key:3")
    assert isinstance(caught.value, DomainError)
    assert caught.value.code == "master_key_mismatch"
    assert "code-key:3" in caught.value.message and "主密钥" in caught.value.message_zh


def test_a_blob_moved_to_another_row_is_refused() -> None:
    wrapped = wrap_key(MASTER, b"k" * 32, label=b"code-key:3")
    with pytest.raises(MasterKeyMismatch):
        unwrap_key(MASTER, wrapped, label=b"code-key:4")
    with pytest.raises(MasterKeyMismatch):
        unwrap_key(MASTER, wrapped[:-1] + bytes([wrapped[-1] ^ 1]), label=b"code-key:3")
    with pytest.raises(MasterKeyMismatch):
        unwrap_key(MASTER, b"short", label=b"code-key:3")


def test_master_key_must_be_32_bytes() -> None:
    with pytest.raises(KeyMaterialError):
        wrap_key(b"short", b"k", label=b"x")


def test_signatures() -> None:
    private, public = new_signing_key()
    signature = sign(private, b"manifest")
    assert len(signature) == 64
    assert verify_signature(public, b"manifest", signature)
    assert not verify_signature(public, b"manifest!", signature)
    assert not verify_signature(new_signing_key()[1], b"manifest", signature)
    assert not verify_signature(public, b"manifest", b"\0" * 64)
    assert not verify_signature(public, b"manifest", b"short")


def test_public_key_text() -> None:
    _, public = new_signing_key()
    text = encode_public_key(public)
    assert len(text) == 43 and "=" not in text
    assert decode_public_key(text) == public
    for bad in ("", "not base64!", encode_public_key(public[:31])):
        with pytest.raises(KeyMaterialError):
            decode_public_key(bad)


# --- the master key from settings -------------------------------------------------------------


def test_load_master_key_forms(tmp_path: Path) -> None:
    raw = bytes(range(200, 232))
    standard = base64.b64encode(raw).decode()
    urlsafe = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert "+" in standard or "/" in standard  # so the two forms really differ
    assert load_master_key(standard, None) == raw
    assert load_master_key(urlsafe, None) == raw
    file = tmp_path / "master.key"
    file.write_text(standard + "\n")
    assert load_master_key(None, file) == raw


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        (base64.b64encode(bytes(16)).decode(), "16"),
        (base64.b64encode(bytes(33)).decode(), "33"),
        ("this is not base64 ***", "base64"),
        (None, "No master key"),
    ],
)
def test_load_master_key_errors(value: str | None, needle: str) -> None:
    with pytest.raises(KeyMaterialError) as caught:
        load_master_key(value, None)
    assert needle in caught.value.message
    assert caught.value.message_zh


def test_load_master_key_file_errors(tmp_path: Path) -> None:
    with pytest.raises(KeyMaterialError, match="cannot be read"):
        load_master_key(None, tmp_path / "missing.key")
    with pytest.raises(KeyMaterialError, match="not both"):
        load_master_key(base64.b64encode(MASTER).decode(), tmp_path / "missing.key")


def test_settings_master_key(tmp_path: Path) -> None:
    development = Settings().master_key_bytes()
    assert len(development) == 32
    assert development == Settings().master_key_bytes()  # stable across restarts
    assert development != Settings(secret_key=SecretStr("another secret")).master_key_bytes()
    explicit = Settings(master_key=SecretStr(base64.b64encode(MASTER).decode()))
    assert explicit.master_key_bytes() == MASTER
    file = tmp_path / "master.key"
    file.write_text(base64.urlsafe_b64encode(MASTER).decode())
    assert Settings(master_key_file=file).master_key_bytes() == MASTER


def test_production_needs_a_master_key() -> None:
    secret = SecretStr("x" * 40)
    webhook = SecretStr("w" * 40)
    with pytest.raises(ValidationError, match="JIANGUAN_MASTER_KEY"):
        Settings(environment="production", secret_key=secret, sms_webhook_secret=webhook)
    settings = Settings(
        environment="production", secret_key=secret, sms_webhook_secret=webhook,
        master_key=SecretStr(base64.b64encode(MASTER).decode()),
    )
    assert settings.master_key_bytes() == MASTER
