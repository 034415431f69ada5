"""PostgreSQL for the tests: the server named by JIANGUAN_TEST_POSTGRES_URL, or a throwaway one.

The throwaway server is initialised from the installed PostgreSQL binaries in a temporary
folder (on /dev/shm where it exists, for speed). ``pg_ctl`` refuses to run as root, so as
root the server runs as the ``postgres`` user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


def _bindir() -> Path:
    pg_config = shutil.which("pg_config")
    candidates = []
    if pg_config:
        candidates.append(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists():
            return Path(folder)
    raise RuntimeError(
        "PostgreSQL server binaries (initdb, pg_ctl) are not installed and JIANGUAN_TEST_POSTGRES_URL is "
        "not set: install PostgreSQL (Debian: apt-get install postgresql) or point the variable at a server."
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def throwaway_server() -> Iterator[str]:
    """Start a PostgreSQL server for this test run; yield its admin URL; stop and remove it."""
    bindir = _bindir()
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    folder = Path(tempfile.mkdtemp(prefix="jianguan-pg-", dir=base))
    data = folder / "data"
    port = _free_port()
    as_root = os.geteuid() == 0
    prefix: list[str] = []
    if as_root:
        shutil.chown(folder, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    log = folder / "server.log"
    subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                    "--no-sync", "-E", "UTF8", "--locale=C"], check=True, capture_output=True)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off " \
              "-c synchronous_commit=off -c max_connections=200"
    subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w",
                    "start"], check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        time.sleep(0.1)
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def admin_url() -> Iterator[str]:
    """The PostgreSQL admin URL the tests use."""
    given = os.environ.get("JIANGUAN_TEST_POSTGRES_URL")
    if given:
        yield given
    else:
        with throwaway_server() as url:
            yield url
