"""Signed checkpoints of the audit chain: a cut tail and a rewritten chain, which the hash chain
alone lets pass, are caught by ``jianguan audit verify``, from the database's checkpoints and from
an exported copy checked with the public key alone."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from jianguan.accounts import services as accounts
from jianguan.accounts.models import Role
from jianguan.audit import checkpoints
from jianguan.audit.models import AuditCheckpoint, AuditRecord
from jianguan.audit.schedule import Checkpointer
from jianguan.audit.services import Actor, record_hash, verify_chain
from jianguan.codes.keyring import key_service
from jianguan.storage import reading, transaction
from tests.conftest import run_cli
from tests.functional.accounts_data import unique_name
from tests.live import DemoSeed, start_server

ACTOR = Actor("user:auditor", "127.0.0.1")


def _records(sessions: sessionmaker[Session], count: int) -> None:
    with transaction(sessions) as session:
        for _ in range(count):
            accounts.create_user(session, actor=ACTOR, username=unique_name("u"), display_name="测试用户",
                                 password="checkpoint-test-password", role=Role.OPERATOR)


@pytest.fixture
def network(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """A network with its keys (records 1-2) and five more records."""
    with transaction(sessions) as session:
        key_service(session).ensure_keys(session, actor=ACTOR)
    _records(sessions, 5)
    return sessions


def _drop_triggers(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        if session.get_bind().dialect.name == "sqlite":
            for name in ("audit_records_no_update", "audit_records_no_delete",
                         "audit_checkpoints_no_update", "audit_checkpoints_no_delete"):
                session.execute(text(f"DROP TRIGGER {name}"))
        else:
            session.execute(text("DROP TRIGGER audit_records_append_only ON audit_records"))
            session.execute(text("DROP TRIGGER audit_checkpoints_append_only ON audit_checkpoints"))


def _cut_tail(sessions: sessionmaker[Session], count: int) -> None:
    with transaction(sessions) as session:
        newest = session.scalar(select(AuditRecord.id).order_by(AuditRecord.id.desc()).limit(1)) or 0
        session.execute(text("DELETE FROM audit_records WHERE id > :keep"), {"keep": newest - count})


def _rewrite_from(sessions: sessionmaker[Session], first: int) -> None:
    """Change record ``first`` and recompute every later hash, as someone with the database would."""
    with transaction(sessions) as session:
        rows = session.scalars(select(AuditRecord).where(AuditRecord.id >= first).order_by(AuditRecord.id)).all()
        previous = session.scalar(select(AuditRecord.record_hash).where(AuditRecord.id == first - 1))
        rows[0].actor = "user:mallory"
        for row in rows:
            row.previous_hash = previous
            row.record_hash = record_hash(previous, row)
            previous = row.record_hash


def _verify(database_url: str, *args: str) -> tuple[int, str]:
    result = run_cli(database_url, "audit", "verify", *args)
    return result.returncode, result.stdout + result.stderr


def test_a_checkpoint_signs_the_head_and_is_itself_audited(network: sessionmaker[Session], database_url: str) -> None:
    made = run_cli(database_url, "audit", "checkpoint")
    assert made.returncode == 0, made.stderr
    written = json.loads(made.stdout)
    assert written["record_count"] == 8  # two key records, five users, and the checkpoint's own record
    with reading(network) as session:
        [row] = session.scalars(select(AuditCheckpoint)).all()
        newest = session.scalars(select(AuditRecord).order_by(AuditRecord.id.desc()).limit(1)).one()
        assert (newest.action, newest.id, newest.record_hash) == ("audit:checkpoint:written", 8, row.head_hash)
        assert checkpoints.signature_ok(checkpoints.checkpoint_json(row), checkpoints.stored_public_keys(session))
    code, out = _verify(database_url)
    assert code == 0 and "8 records, 1 signed checkpoints" in out


def test_a_cut_tail_is_caught(network: sessionmaker[Session], database_url: str) -> None:
    with transaction(network) as session:
        checkpoints.write_checkpoint(session, actor=ACTOR)
    _records(network, 2)
    _drop_triggers(network)
    _cut_tail(network, 4)  # the two new records, the checkpoint's record and one before it
    with reading(network) as session:
        assert verify_chain(session) == (6, None)  # the chain alone sees nothing wrong
    code, out = _verify(database_url)
    assert code == 1 and "tail cut" in out and "record 7" in out


def test_a_rewritten_chain_is_caught(network: sessionmaker[Session], database_url: str) -> None:
    with transaction(network) as session:
        checkpoints.write_checkpoint(session, actor=ACTOR)
    _drop_triggers(network)
    _rewrite_from(network, 3)
    with reading(network) as session:
        assert verify_chain(session) == (8, None)  # consistent with itself
    code, out = _verify(database_url)
    assert code == 1 and "rewritten" in out and "record 8" in out


def test_an_exported_copy_catches_what_the_database_no_longer_can(network: sessionmaker[Session], database_url: str,
                                                                   tmp_path: Path) -> None:
    with transaction(network) as session:
        checkpoints.write_checkpoint(session, actor=ACTOR)
    export = tmp_path / "checkpoints.json"
    exported = run_cli(database_url, "audit", "export-checkpoints", "--out", str(export))
    assert exported.returncode == 0, exported.stderr
    [(key_id, public_key)] = json.loads(exported.stdout)["public_keys"].items()
    document = json.loads(export.read_text())
    assert document["format"] == checkpoints.EXPORT_FORMAT and len(document["checkpoints"]) == 1

    # Someone with the database cuts the tail and removes the checkpoint that would show it.
    _drop_triggers(network)
    _cut_tail(network, 2)
    with transaction(network) as session:
        session.execute(text("DELETE FROM audit_checkpoints"))
    assert _verify(database_url)[0] == 0  # the database alone can no longer tell
    code, out = _verify(database_url, "--checkpoints", str(export), "--public-key", f"{key_id}={public_key}")
    assert code == 1 and "tail cut" in out

    # A forged file (another head) fails its signature; a file that is no export is refused.
    document["checkpoints"][0]["record_count"] = 3
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(document))
    code, out = _verify(database_url, "--checkpoints", str(forged), "--public-key", f"{key_id}={public_key}")
    assert code == 1 and "no valid signature" in out
    junk = tmp_path / "junk.json"
    junk.write_text("{}")
    code, out = _verify(database_url, "--checkpoints", str(junk))
    assert code == 2 and "bad_checkpoint_file" in out and "检查点" in out


def test_the_schedule_writes_only_when_something_was_logged(network: sessionmaker[Session]) -> None:
    checkpointer = Checkpointer(network, minutes=60)
    assert checkpointer.tick() is True
    assert checkpointer.tick() is False  # the head is the checkpoint's own record
    _records(network, 1)
    assert checkpointer.tick() is True
    with reading(network) as session:
        assert [row.record_count for row in session.scalars(select(AuditCheckpoint))] == [8, 10]
        assert checkpoints.verify(session).broken is None


def test_without_a_signing_key_the_schedule_waits(sessions: sessionmaker[Session]) -> None:
    _records(sessions, 1)
    assert Checkpointer(sessions, minutes=60).tick() is False
    with reading(sessions) as session:
        assert session.scalars(select(AuditCheckpoint)).all() == []


def test_a_running_server_signs_the_head_at_start_and_on_schedule(network: sessionmaker[Session], database_url: str,
                                                                    tmp_path: Path) -> None:
    server = start_server(database_url, tmp_path, DemoSeed(), JIANGUAN_AUDIT_CHECKPOINT_MINUTES="60")
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with reading(network) as session:
                written = session.scalars(select(AuditCheckpoint)).all()
            if written:
                break
            time.sleep(0.2)
        assert [row.record_count for row in written] == [8]
    finally:
        server.stop()
    with reading(network) as session:
        assert checkpoints.verify(session).broken is None
