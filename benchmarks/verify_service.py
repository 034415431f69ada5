"""Verifications per second on one core, at the service level, on SQLite and PostgreSQL.

Run: .venv/bin/python -m benchmarks.verify_service [--issued 100000000 --queried 1000000 --count 20000]
The network holds ``--issued`` codes in 100 batches, all activated, of which ``--queried`` have
been queried before; the benchmark verifies ``--count`` random codes (half of them queried
before) through the same ``Verifier`` the service uses, log writes included, and prints codes/s
and the ratio to decoding alone (the floor). Asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np
from sqlalchemy import insert

from benchmarks.databases import DATABASES
from benchmarks.network import activate_all, bench_sessions, build, issue
from jianguan.codes.codec import decode_code, issue_codes
from jianguan.codes.keyring import keyring
from jianguan.storage import make_engine, reading, transaction
from jianguan.storage.base import utcnow
from jianguan.verify.models import Channel, CodeQueryState
from jianguan.verify.services import QueryContext, Verifier

BATCHES = 100


def prepare(url: str, issued: int, queried: int) -> tuple[list[str], list[str]]:
    """Issue and activate the network; mark ``queried`` codes as queried; return sample codes
    (queried before, and never queried)."""
    engine = make_engine(url)
    sessions = bench_sessions(engine)
    network = build(sessions)
    per_batch = issued // BATCHES
    batches = [issue(sessions, network, per_batch) for _ in range(BATCHES)]
    for batch in batches:
        activate_all(sessions, network, batch)
    rng = np.random.default_rng(7)
    serials = np.unique(rng.integers(0, per_batch * BATCHES, size=queried, dtype=np.int64))
    now = utcnow()
    for start in range(0, len(serials), 50_000):
        rows = [{"generation": 1, "serial": int(s), "count": 1, "first_at": now, "first_region_code": "130111",
                 "last_at": now} for s in serials[start:start + 50_000]]
        with transaction(sessions) as session:
            session.execute(insert(CodeQueryState), rows)
    with reading(sessions) as session:
        key = keyring(session)[1]
    seen = [c.decode() for c in issue_codes(key, serials[:5000].astype(np.uint64))]
    fresh_serials = rng.integers(0, per_batch * BATCHES, size=5000, dtype=np.int64)
    fresh = [c.decode() for c in issue_codes(key, fresh_serials.astype(np.uint64))]
    engine.dispose()
    return seen, fresh


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issued", type=int, default=100_000_000)
    parser.add_argument("--queried", type=int, default=1_000_000)
    parser.add_argument("--count", type=int, default=20_000)
    args = parser.parse_args()
    print(f"network: {args.issued:,} codes issued in {BATCHES} batches, {args.queried:,} queried before; "
          f"verifying {args.count:,} random codes, one thread")
    print(f"{'database':<12}{'verifications/s':>16}{'decode only/s':>15}{'ratio':>8}")
    for name, database in DATABASES.items():
        with database() as url:
            seen, fresh = prepare(url, args.issued, args.queried)
            engine = make_engine(url)
            sessions = bench_sessions(engine)
            verifier = Verifier(sessions, hash_key=b"bench")
            verifier.recorder.start()
            sample = [random.choice(seen if i % 2 else fresh) for i in range(args.count)]
            verifier.verify(sample[0], QueryContext(Channel.API))  # load keys, batches and regions
            start = time.perf_counter()
            for code in sample:
                verifier.verify(code, QueryContext(Channel.API, source="bench"))
            elapsed = time.perf_counter() - start
            verifier.close()
            with reading(sessions) as session:
                ring = keyring(session)
            start = time.perf_counter()
            for code in sample:
                decode_code(ring, code)
            floor = time.perf_counter() - start
            engine.dispose()
            print(f"{name:<12}{args.count / elapsed:>16,.0f}{args.count / floor:>15,.0f}{floor / elapsed:>8.2f}",
                  flush=True)


if __name__ == "__main__":
    main()
