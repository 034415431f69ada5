"""What the early-warning rules after each query-log write cost verification (issue: at most 5 %).

Run: .venv/bin/python -m benchmarks.rules_cost [--issued 10000000 --queried 100000 --count 20000 --rounds 10]
[--databases sqlite postgresql]

The network is ``verify_service``'s (``--issued`` codes activated, ``--queried`` of them queried
before). Each round verifies the same kind of sample (a third of the codes queried before, the rest
first checks of codes not queried yet, as consumers and shops mix them) twice through the service's ``Verifier``, log writes
included: once as the service runs (the diversion signals and the early-warning rules after each
write, ``alerts/rules.py``) and once with nothing after the write. The runs alternate (and which
goes first), so a busy machine slows both alike; the ratio of the summed rates is printed. Asserts nothing.
Runs of a few seconds scatter by several percent on a shared machine: take ten rounds or more.
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

import numpy as np
from sqlalchemy import select

from benchmarks.databases import DATABASES
from benchmarks.network import bench_sessions
from benchmarks.verify_service import prepare
from jianguan.codes.codec import issue_codes
from jianguan.codes.keyring import keyring
from jianguan.storage import make_engine, reading
from jianguan.verify.models import Channel, CodeQueryState
from jianguan.verify.services import QueryContext, Verifier


def rate(sessions: Any, sample: list[str], *, rules: bool) -> float:
    """Verifications per second over ``sample`` (the log written, the recorder closed)."""
    verifier = Verifier(sessions, hash_key=b"bench")
    if not rules:
        verifier.recorder.after_write = None
    verifier.start()  # as a server does: the writer, and its follow-ups on a thread of their own
    verifier.verify(sample[0], QueryContext(Channel.API))  # load keys, batches and regions
    start = time.perf_counter()
    for code in sample:
        verifier.verify(code, QueryContext(Channel.API, source="bench", region_code="130102"))
    verifier.close()  # the last write and its follow-ups are part of the cost
    return len(sample) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issued", type=int, default=10_000_000)
    parser.add_argument("--queried", type=int, default=100_000)
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--databases", nargs="+", default=list(DATABASES), choices=list(DATABASES))
    args = parser.parse_args()
    print(f"network: {args.issued:,} codes, {args.queried:,} queried before; {args.rounds} rounds of "
          f"{args.count:,} verifications with and without the rules after the write")
    print(f"{'database':<12}{'with rules/s':>14}{'without/s':>12}{'ratio':>8}")
    for name in args.databases:
        with DATABASES[name]() as url:
            prepare(url, args.issued, args.queried)
            engine = make_engine(url)
            sessions = bench_sessions(engine)
            with reading(sessions) as session:
                key = keyring(session)[1]
                queried = list(session.scalars(select(CodeQueryState.serial)))
            rng = random.Random(11)
            with_rules = without = 0.0
            for turn in range(args.rounds):
                for rules in ((True, False) if turn % 2 == 0 else (False, True)):
                    # A third checked again (codes queried before), the rest first checks of new codes.
                    serials = [rng.choice(queried) if i % 3 == 0 else rng.randrange(args.issued)
                               for i in range(args.count)]
                    sample = [c.decode() for c in issue_codes(key, np.array(serials, dtype=np.uint64))]
                    measured = rate(sessions, sample, rules=rules)
                    if rules:
                        with_rules += measured
                    else:
                        without += measured
            engine.dispose()
            print(f"{name:<12}{with_rules / args.rounds:>14,.0f}{without / args.rounds:>12,.0f}"
                  f"{with_rules / without:>8.3f}", flush=True)


if __name__ == "__main__":
    main()
