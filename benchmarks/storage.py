"""Stored bytes per issued code: issue 10^8 codes in 100 batches, on SQLite and PostgreSQL.

Run: .venv/bin/python benchmarks/storage.py [--batches 100 --per-batch 1000000]
Batches are ranges, so what is stored grows with batches, not codes; the target is below
0.001 byte per code. Prints the measured bytes; asserts nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlalchemy import text

from benchmarks.databases import DATABASES
from benchmarks.network import build, issue
from jianguan.config import Settings
from jianguan.storage import make_engine, session_factory

TARGET = 0.001
TABLES = ("code_requests", "code_batches", "serial_counters", "code_keys", "signing_keys", "audit_records",
          "enterprises")


def stored_bytes(url: str, engine) -> int:  # type: ignore[no-untyped-def]
    if url.startswith("sqlite"):
        engine.dispose()  # the last connection to close checkpoints the WAL into the file
        path = Path(url.split("///", 1)[1])
        wal = path.with_name(path.name + "-wal")
        return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    with engine.connect() as connection:
        return sum(connection.execute(text("SELECT pg_total_relation_size(:t)"), {"t": table}).scalar_one()
                   for table in TABLES)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--per-batch", type=int, default=1_000_000)
    args = parser.parse_args()
    master = Settings().master_key_bytes()
    total = args.batches * args.per_batch
    print(f"issuing {total:,} codes in {args.batches} batches of {args.per_batch:,}")
    print(f"{'database':<12}{'bytes before':>14}{'bytes after':>14}{'bytes/code':>14}  target < {TARGET}")
    for name, database in DATABASES.items():
        with database() as url:
            engine = make_engine(url)
            sessions = session_factory(engine)
            network = build(sessions)
            issue(sessions, network, 1, master)  # keys and counters exist before the measurement
            before = stored_bytes(url, engine)
            for _ in range(args.batches):
                issue(sessions, network, args.per_batch, master)
            after = stored_bytes(url, engine)
            engine.dispose()
            per_code = (after - before) / total
            verdict = "met" if per_code < TARGET else "NOT met"
            print(f"{name:<12}{before:>14,}{after:>14,}{per_code:>14.7f}  {verdict}", flush=True)


if __name__ == "__main__":
    main()
