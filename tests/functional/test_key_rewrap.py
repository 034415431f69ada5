"""Changing the master key: ``jianguan keys rewrap`` wraps every stored key again under the new
one; the keys (and so every code and signature) stay the same, the old master key opens nothing."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from jianguan.audit.services import Actor
from jianguan.codes.keyring import KeyService, key_service
from jianguan.codes.keys import MasterKeyMismatch, verify_signature
from jianguan.storage import reading, transaction
from tests.conftest import TEST_MASTER, run_cli

ACTOR = Actor("user:test", "127.0.0.1")


def test_rewrap_changes_the_master_key_and_nothing_else(sessions: sessionmaker[Session], database_url: str,
                                                        tmp_path: Path) -> None:
    with transaction(sessions) as session:
        keys = key_service(session)
        keys.ensure_keys(session, actor=ACTOR)
        keys.rotate_code_key(session, actor=ACTOR)
    with reading(sessions) as session:
        before = [key.secret for key in KeyService(TEST_MASTER).keyring(session).values()]
        public = KeyService(TEST_MASTER).signer(session).public_key
    new_master = os.urandom(32)
    key_file = tmp_path / "master.key"
    key_file.write_text(base64.b64encode(new_master).decode() + "\n")

    done = run_cli(database_url, "keys", "rewrap", "--new-master-key-file", str(key_file))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rewrapped"] == 3  # two code key generations and the signing key

    with reading(sessions) as session:
        assert [key.secret for key in KeyService(new_master).keyring(session).values()] == before
        signer = KeyService(new_master).signer(session)
        assert signer.public_key == public
        with pytest.raises(MasterKeyMismatch):
            KeyService(TEST_MASTER).keyring(session)
    signature = signer.sign(b"still the same key")
    assert verify_signature(base64.urlsafe_b64decode(public + "=" * (-len(public) % 4)), b"still the same key",
                            signature)

    # Commands with the old key are refused in both languages; with the new one they work.
    old = run_cli(database_url, "audit", "checkpoint")
    assert old.returncode == 2 and "master_key_mismatch" in old.stderr and "主密钥" in old.stderr
    new = run_cli(database_url, "audit", "checkpoint", env={"JIANGUAN_MASTER_KEY_FILE": str(key_file)})
    assert new.returncode == 0, new.stderr
    verified = run_cli(database_url, "audit", "verify")
    assert verified.returncode == 0 and "1 signed checkpoints" in verified.stdout
    bad = tmp_path / "bad.key"
    bad.write_text("not base64 !")
    refused = run_cli(database_url, "keys", "rewrap", "--new-master-key-file", str(bad))
    assert refused.returncode == 2 and "base64" in refused.stderr
