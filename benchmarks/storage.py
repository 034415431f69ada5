"""Stored bytes per issued code: issue 10^8 codes in 100 batches, on SQLite and PostgreSQL.

Run: .venv/bin/python benchmarks/storage.py [--batches 100 --per-batch 1000000]
Batches are ranges, so what is stored grows with batches, not codes; the target is below
0.001 byte per code for the code tables (requests, batches, counters, keys). The audit log's
growth from the same operations (two records a batch) is printed apart. Asserts nothing.
"""

from __future__ import annotations

import argparse

from sqlalchemy import Engine, text

from benchmarks.databases import DATABASES
from benchmarks.network import bench_sessions, build, issue
from jianguan.storage import make_engine

TARGET = 0.001
CODE_TABLES = ("code_requests", "code_batches", "serial_counters", "code_keys", "signing_keys")
AUDIT_TABLES = ("audit_records",)
KINDS = {"codes": CODE_TABLES, "audit": AUDIT_TABLES}


def stored_bytes(url: str, engine: Engine, tables: tuple[str, ...]) -> int:
    """Bytes the given tables and their indexes occupy (pages, as the database allocates them)."""
    with engine.connect() as connection:
        if url.startswith("sqlite"):
            return sum(int(connection.execute(
                text("SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN "
                     "(SELECT name FROM sqlite_schema WHERE tbl_name = :t)"), {"t": table}).scalar_one())
                for table in tables)
        return sum(connection.execute(text("SELECT pg_total_relation_size(:t)"), {"t": table}).scalar_one()
                   for table in tables)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--per-batch", type=int, default=1_000_000)
    args = parser.parse_args()
    total = args.batches * args.per_batch
    print(f"issuing {total:,} codes in {args.batches} batches of {args.per_batch:,}")
    print(f"{'database':<12}{'tables':<8}{'bytes before':>14}{'bytes after':>14}{'bytes/code':>14}  target < {TARGET}")
    for name, database in DATABASES.items():
        with database() as url:
            engine = make_engine(url)
            sessions = bench_sessions(engine)
            network = build(sessions)
            issue(sessions, network, 1)  # keys and counters exist before the measurement
            before = {kind: stored_bytes(url, engine, tables) for kind, tables in KINDS.items()}
            for _ in range(args.batches):
                issue(sessions, network, args.per_batch)
            after = {kind: stored_bytes(url, engine, tables) for kind, tables in KINDS.items()}
            engine.dispose()
            for kind in KINDS:
                per_code = (after[kind] - before[kind]) / total
                verdict = ("met" if per_code < TARGET else "NOT met") if kind == "codes" else "(operations log)"
                print(f"{name:<12}{kind:<8}{before[kind]:>14,}{after[kind]:>14,}{per_code:>14.7f}  {verdict}",
                      flush=True)


if __name__ == "__main__":
    main()
