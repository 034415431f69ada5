"""``jianguan db backup`` and ``db restore`` on both databases: after a restore the audit chain and
its checkpoints verify, issued codes verify as before, and every table holds the backup's rows."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.services import Actor
from jianguan.codes import activation as activations
from jianguan.codes import issue as issuing
from jianguan.codes import lookup
from jianguan.storage import Base, reading, transaction
from jianguan.storage import backup as backups
from tests.conftest import run_cli
from tests.functional.registry_data import make_enterprise, make_product

ACTOR = Actor("user:test", "127.0.0.1")
OPERATOR = Principal(kind="user", id=0, name="op", role=Role.OPERATOR)
DATA = activations.ProductionData("L1", dt.date(2026, 10, 1), dt.date(2027, 10, 1), "检验合格")


def _issue(sessions: sessionmaker[Session], product_id: int, enterprise_id: int, quantity: int) -> list[str]:
    staff = Principal(kind="user", id=0, name="staff", role=Role.MANUFACTURER, enterprise_id=enterprise_id)
    with transaction(sessions) as session:
        batch = issuing.request_codes(session, actor=ACTOR, principal=staff, product_id=product_id,
                                      quantity=quantity, packaging_level="item", printer_id=None).batch
        assert batch is not None
        activations.activate(session, actor=ACTOR, principal=OPERATOR, batch_id=batch.id, data=DATA,
                             offsets=[(0, quantity // 2)])
    with reading(sessions) as session:
        return lookup.batch_codes(session, principal=OPERATOR, batch_id=batch.id, offset=0, limit=quantity)


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {table.name: connection.scalar(select(func.count()).select_from(table)) or 0
                for table in Base.metadata.sorted_tables}


def _verdicts(database_url: str, codes: list[str]) -> list[str]:
    verdicts = []
    for code in codes:
        result = run_cli(database_url, "verify", code)
        assert result.returncode == 0, result.stderr
        verdicts.append(json.loads(result.stdout)["verdict"])
    return verdicts


def test_backup_then_restore_brings_back_the_backups_state(
    sessions: sessionmaker[Session], engine: Engine, database_url: str, tmp_path: Path
) -> None:
    with transaction(sessions) as session:
        enterprise = make_enterprise(session, signed=True)
        product = make_product(session, enterprise.id)
        ids = (product.id, enterprise.id)
    codes = _issue(sessions, *ids, quantity=20)
    sample = [codes[0], codes[9], codes[10], codes[19]]  # two activated, two issued only
    assert run_cli(database_url, "audit", "checkpoint").returncode == 0

    out = tmp_path / "backup.bin"
    made = run_cli(database_url, "db", "backup", "--out", str(out))
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["method"] == ("pg_dump" if engine.dialect.name == "postgresql"
                                                 else "sqlite-online-backup")
    counts = _counts(engine)
    assert counts["code_batches"] == 1 and counts["audit_checkpoints"] == 1
    # Each code's first query (the backup has none of them): after the restore, the first again.
    before = _verdicts(database_url, sample)
    assert before[:2] != before[2:]

    # Life goes on after the backup: more codes, another checkpoint, queries.
    later = _issue(sessions, *ids, quantity=10)
    assert run_cli(database_url, "audit", "checkpoint").returncode == 0
    assert _counts(engine) != counts

    engine.dispose()
    refused = run_cli(database_url, "db", "restore", str(out), input="n\n")
    assert refused.returncode != 0 and _counts(engine)["code_batches"] == 2  # asked, and nothing changed
    restored = run_cli(database_url, "db", "restore", str(out), "--yes")
    assert restored.returncode == 0, restored.stderr
    engine.dispose()

    after = _counts(engine)
    assert after == counts
    verified = run_cli(database_url, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "1 signed checkpoints" in verified.stdout
    assert _verdicts(database_url, sample) == before
    assert _verdicts(database_url, [later[0]]) == ["unknown"]  # issued after the backup: not in it
    assert run_cli(database_url, "db", "check", "--configured").returncode == 0


def test_a_file_of_the_other_kind_or_no_backup_is_refused_and_changes_nothing(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    counts = _counts(engine)
    other = tmp_path / "other.bin"
    other.write_bytes(backups.PG_DUMP_MAGIC if engine.dialect.name == "sqlite" else backups.SQLITE_MAGIC)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a backup at all")
    for path in (other, junk):
        result = run_cli(database_url, "db", "restore", str(path), "--yes")
        assert result.returncode == 2 and "wrong_backup" in result.stderr and "备份" in result.stderr
    assert _counts(engine) == counts


def test_without_the_postgresql_tools_the_message_says_what_to_do(monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    monkeypatch.setattr(backups.shutil, "which", lambda _tool: None)
    with pytest.raises(backups.BackupFailed) as missing:
        backups.backup("postgresql://postgres@127.0.0.1:1/none", tmp_path / "x")
    assert missing.value.code == "tool_missing"
    assert "pg_dump" in missing.value.message and "客户端工具" in missing.value.message_zh


def test_a_missing_sqlite_database_is_not_backed_up_as_an_empty_one(tmp_path: Path) -> None:
    with pytest.raises(backups.BackupFailed) as missing:
        backups.backup(f"sqlite:///{tmp_path}/absent.db", tmp_path / "out.db")
    assert missing.value.code == "no_database" and not (tmp_path / "absent.db").exists()
