"""Operations commands: users' state and passwords, audit checkpoints and verification, backups.

Registered on the groups of ``cli.main`` (which imports this module last).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from jianguan.cli.main import _sessions, _settings, audit, db, domain_errors, keys, users


def _set_active(username: str, active: bool) -> None:
    from jianguan.accounts.services import find_user, set_user_active
    from jianguan.audit.services import Actor
    from jianguan.storage import transaction

    command = "users enable" if active else "users disable"
    with transaction(_sessions()) as session:
        user = find_user(session, username)
        set_user_active(session, actor=Actor.system(command), user_id=user.id, active=active)
        click.echo(json.dumps({"id": user.id, "username": user.username, "is_active": user.is_active}))


@users.command("enable")
@click.argument("username")
@domain_errors
def users_enable(username: str) -> None:
    """Let USERNAME log in again (the way back for an operator disabled by mistake)."""
    _set_active(username, True)


@users.command("disable")
@click.argument("username")
@domain_errors
def users_disable(username: str) -> None:
    """Stop USERNAME logging in and end its sessions; the last active operator is refused."""
    _set_active(username, False)


@users.command("reset-password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@domain_errors
def users_reset_password(username: str, password: str) -> None:
    """Give USERNAME a new password; its sessions end and its failed-login backoff is cleared."""
    from jianguan.accounts.services import find_user, reset_password
    from jianguan.audit.services import Actor
    from jianguan.storage import transaction

    with transaction(_sessions()) as session:
        user = find_user(session, username)
        reset_password(session, actor=Actor.system("users reset-password"), user_id=user.id, password=password)
        click.echo(json.dumps({"id": user.id, "username": user.username}))


@audit.command("checkpoint")
@domain_errors
def audit_checkpoint() -> None:
    """Sign the audit chain's head now (count and hash) with the network's signing key."""
    from jianguan.audit.checkpoints import write_checkpoint
    from jianguan.audit.services import Actor
    from jianguan.storage import transaction

    with transaction(_sessions()) as session:
        row = write_checkpoint(session, actor=Actor.system("audit checkpoint"))
        assert row is not None  # written unconditionally
        click.echo(json.dumps({"checkpoint": row.id, "record_count": row.record_count, "head_hash": row.head_hash,
                               "key_id": row.key_id}))


@audit.command("export-checkpoints")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True)
@domain_errors
def audit_export_checkpoints(out: Path) -> None:
    """Write every checkpoint and the public keys that check them to OUT (JSON), to keep elsewhere."""
    from jianguan.audit.checkpoints import export_checkpoints
    from jianguan.storage import reading

    with reading(_sessions()) as session:
        document = export_checkpoints(session)
    out.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n")
    click.echo(json.dumps({"file": str(out), "checkpoints": len(document["checkpoints"]),
                           "public_keys": {key["key_id"]: key["public_key"] for key in document["public_keys"]}}))


@audit.command("verify")
@click.option("--checkpoints", "checkpoint_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Also hold the chain to the checkpoints of this exported file.")
@click.option("--public-key", "public_keys", multiple=True, metavar="KEY_ID=BASE64URL",
              help="Check signatures with this key (kept apart from the database) instead of the stored keys.")
@domain_errors
def audit_verify(checkpoint_file: Path | None, public_keys: tuple[str, ...]) -> None:
    """Check the hash chain and every signed checkpoint; report the first record altered, removed,
    cut from the tail or rewritten."""
    from jianguan.audit.checkpoints import parse_export, verify
    from jianguan.codes.keys import decode_public_key
    from jianguan.storage import reading

    exported = parse_export(checkpoint_file.read_text()) if checkpoint_file else None
    keys = None
    if public_keys:
        keys = {}
        for item in public_keys:
            key_id, _, value = item.partition("=")
            keys[key_id] = decode_public_key(value)
    with reading(_sessions()) as session:
        result = verify(session, exported=exported, public_keys=keys)
    if result.broken is None:
        click.echo(f"audit log intact: {result.checked} records, {result.checkpoints} signed checkpoints hold "
                   f"/ 审计日志完整：{result.checked} 条，{result.checkpoints} 个签名检查点均相符")
        return
    broken = result.broken
    click.echo(
        f"audit log broken at record {broken.record_id}: {broken.reason} "
        f"/ 审计日志在第 {broken.record_id} 条处被篡改或删除 ({result.checked} records verified before it)",
        err=True,
    )
    sys.exit(1)


@db.command("backup")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True)
@domain_errors
def db_backup(out: Path) -> None:
    """Write a consistent copy of the database to OUT while it runs (SQLite: the online backup API;
    PostgreSQL: pg_dump's custom format)."""
    from jianguan.storage.backup import backup

    method = backup(_settings().database_url, out)
    click.echo(json.dumps({"file": str(out), "bytes": out.stat().st_size, "method": method}))


@db.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask: replace the configured database's content.")
@domain_errors
def db_restore(source: Path, yes: bool) -> None:
    """Replace the configured database's content with the backup SOURCE (stop the service first)."""
    from jianguan.storage.backup import restore

    if not yes:
        click.confirm("This replaces everything in the configured database / 这将覆盖当前数据库的全部内容. Continue?",
                      abort=True)
    method = restore(_settings().database_url, source)
    click.echo(json.dumps({"restored": str(source), "method": method}))


@keys.command("rewrap")
@click.option("--new-master-key-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="The new master key (base64 of 32 random bytes), as JIANGUAN_MASTER_KEY_FILE will hold it.")
@domain_errors
def keys_rewrap(new_master_key_file: Path) -> None:
    """Wrap every stored key again under a new master key (changing the master key); then point
    JIANGUAN_MASTER_KEY_FILE at the new file and restart every process."""
    from jianguan.audit.services import Actor
    from jianguan.codes.keyring import key_service
    from jianguan.codes.keys import load_master_key
    from jianguan.storage import transaction

    new_master = load_master_key(None, new_master_key_file)
    with transaction(_sessions()) as session:
        count = key_service(session).rewrap(session, actor=Actor.system("keys rewrap"), new_master=new_master)
    click.echo(json.dumps({"rewrapped": count, "master_key_file": str(new_master_key_file)}))
