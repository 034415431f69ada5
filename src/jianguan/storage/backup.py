"""Backing up and restoring the whole database.

SQLite is copied with its online backup API (``sqlite3.Connection.backup``): a consistent copy
page by page while the service keeps running, and the same API copies a backup back over the
database on restore. PostgreSQL is dumped with ``pg_dump`` in its custom format (one consistent
snapshot, compressed) and restored with ``pg_restore --clean``; both must be installed where
the command runs, in a version at least the server's. A restore replaces everything: stop the
service first, and run ``jianguan db upgrade`` afterwards if the backup is from an older release.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from jianguan.errors import ValidationFailed
from jianguan.storage.engine import normalise_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupFailed(ValidationFailed):
    """A backup or restore that could not be made as asked; nothing was changed."""

    code = "backup_failed"


def _sqlite_path(url: URL, *, exists: bool = False) -> str:
    if not url.database or url.database == ":memory:":
        raise BackupFailed("An in-memory SQLite database cannot be backed up.", "内存中的 SQLite 数据库无法备份。")
    if exists and not Path(url.database).is_file():
        raise BackupFailed(f"There is no database at {url.database}.", f"{url.database} 处没有数据库。",
                           code="no_database")
    return url.database


# Connection options of a URL's query that libpq's tools read from the environment instead.
_PG_ENVIRONMENT = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT",
                   "sslkey": "PGSSLKEY", "options": "PGOPTIONS", "connect_timeout": "PGCONNECT_TIMEOUT"}


def _kind(url: URL) -> str:
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupFailed(f"No backup for the database kind {backend}.", f"不支持备份 {backend} 数据库。")
    return backend


def _pg_command(tool: str, url: URL) -> tuple[list[str], dict[str, str]]:
    """``tool`` with the connection options of ``url``; the password goes in the environment."""
    path = shutil.which(tool)
    if path is None:
        raise BackupFailed(
            f"{tool} is not installed here: install the PostgreSQL client tools (the server's version or newer), "
            "or back up with your PostgreSQL provider's own tools (see docs/operations.md).",
            f"本机未安装 {tool}：请安装 PostgreSQL 客户端工具（与服务器同版本或更新），"
            "或使用数据库服务商自己的备份工具（见 docs/operations.md）。",
            code="tool_missing",
        )
    args = [path, "--no-password"]
    for option, value in (("--host", url.host), ("--port", url.port), ("--username", url.username),
                          ("--dbname", url.database)):
        if value:
            args.append(f"{option}={value}")
    environment = {**os.environ}
    for name, variable in _PG_ENVIRONMENT.items():
        if name in url.query:
            given = url.query[name]
            environment[variable] = given if isinstance(given, str) else given[-1]
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    return args, environment


def _run(args: list[str], environment: dict[str, str], what: str) -> None:
    result = subprocess.run(args, capture_output=True, text=True, env=environment, check=False)  # noqa: S603 - our own arguments, no shell
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else f"exit {result.returncode}"
        raise BackupFailed(f"{what} failed: {detail}", f"{what} 失败：{detail}")


def backup(database_url: str, out: Path) -> str:
    """Write a consistent copy of the database to ``out``; return the method used."""
    url = make_url(normalise_url(database_url))
    if _kind(url) == "sqlite":
        source = sqlite3.connect(f"file:{_sqlite_path(url, exists=True)}?mode=ro", uri=True)
        target = sqlite3.connect(out)
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
        return "sqlite-online-backup"
    args, environment = _pg_command("pg_dump", url)
    _run([*args, "--format=custom", "--no-owner", "--no-privileges", f"--file={out}"], environment, "pg_dump")
    return "pg_dump"


def restore(database_url: str, source: Path) -> str:
    """Replace the database's content with the backup ``source``; return the method used."""
    url = make_url(normalise_url(database_url))
    kind = _kind(url)
    with open(source, "rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    expected = SQLITE_MAGIC if kind == "sqlite" else PG_DUMP_MAGIC
    if not head.startswith(expected):
        made_by = "SQLite" if head.startswith(SQLITE_MAGIC) else "pg_dump" if head.startswith(PG_DUMP_MAGIC) else None
        raise BackupFailed(
            f"{source} is not a {kind} backup" + (f" (it is a {made_by} one)." if made_by else "."),
            f"{source} 不是 {kind} 数据库的备份" + (f"（而是 {made_by} 备份）。" if made_by else "。"),
            code="wrong_backup",
        )
    if kind == "sqlite":
        backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        target = sqlite3.connect(_sqlite_path(url))
        try:
            if backup_db.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise BackupFailed(f"{source} is damaged.", f"{source} 已损坏。", code="wrong_backup")
            with target:
                backup_db.backup(target)
        finally:
            target.close()
            backup_db.close()
        return "sqlite-online-backup"
    args, environment = _pg_command("pg_restore", url)
    _run([*args, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction", str(source)],
         environment, "pg_restore")
    return "pg_restore"
