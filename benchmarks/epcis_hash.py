"""Speed of the EPCIS layer: event hashing, and reading a whole document, against the reference.

Run: .venv/bin/python -m benchmarks.epcis_hash [--cases 2000 --per-case 25]
The document is what issue 11's capture benchmark sends: a commissioning ObjectEvent of every
item and case, one packing AggregationEvent a case, and a shipping ObjectEvent of the cases
(2,002 events, 52,000 codes). Prints events/s and the ratio to `epcis-event-hash-generator`
(the test oracle, a test extra) measured in the same run; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from collections.abc import Callable
from typing import Any

from epcis_event_hash_generator import hash_generator, json_to_py

from jianguan.trace.epcis import CONTEXT_URL, event_hash, parse_document
from jianguan.trace.gs1_uri import RECENT_VALUES

HOST = "https://jg.example.cn/v/"
PARTY = "urn:jianguan:party:91330100MA27XYZ12K"


def document(cases: int, per_case: int) -> dict[str, Any]:
    """Commission items and cases, pack each case, ship the cases: one document."""
    def code(serial: int) -> str:
        return f"{HOST}{serial:020d}"

    case_codes = [code(10**12 + case) for case in range(cases)]
    item_codes = [[code(case * per_case + item) for item in range(per_case)] for case in range(cases)]
    common = {"eventTimeZoneOffset": "+08:00", "readPoint": {"id": PARTY}, "bizLocation": {"id": PARTY}}
    events: list[dict[str, Any]] = [{
        "type": "ObjectEvent", "eventTime": "2025-03-01T08:00:00.000+08:00", "action": "ADD",
        "epcList": [item for items in item_codes for item in items] + case_codes,
        "bizStep": "commissioning", "disposition": "active", **common,
    }]
    for case, items in zip(case_codes, item_codes, strict=True):
        events.append({
            "type": "AggregationEvent", "eventTime": "2025-03-01T09:00:00.123+08:00", "action": "ADD",
            "parentID": case, "childEPCs": items, "bizStep": "packing", "disposition": "in_progress", **common,
        })
    events.append({
        "type": "ObjectEvent", "eventTime": "2025-03-02T10:30:00+08:00", "action": "OBSERVE",
        "epcList": case_codes, "bizStep": "shipping", "disposition": "in_transit", **common,
        "sourceList": [{"type": "owning_party", "source": PARTY}],
        "destinationList": [{"type": "owning_party", "destination": "urn:jianguan:party:91440300MA5EXAMPL3"}],
    })
    return {"@context": [CONTEXT_URL], "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": "2025-03-02T10:30:00Z", "epcisBody": {"eventList": events}}


def best(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--per-case", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    doc = document(args.cases, args.per_case)
    data = json.dumps(doc).encode()
    parsed = parse_document(data, "application/ld+json")
    events = parsed.events
    codes = args.cases * (args.per_case + 1)
    print(f"document: {len(events):,} events, {codes:,} codes, {parsed.epc_count:,} EPCs named, {len(data) / 1e6:.1f} MB")

    def hash_all() -> None:
        RECENT_VALUES.clear()  # cold: no canonical value remembered from an earlier run
        for event in events:
            event_hash(event)

    ours = best(hash_all, args.repeat)
    def parse_all() -> None:
        RECENT_VALUES.clear()
        parse_document(data, "application/ld+json")

    whole = best(parse_all, args.repeat)
    print(f"hashing ({len(events):,} events):       {ours:.3f} s  {len(events) / ours:,.0f} events/s  "
          f"{codes / ours:,.0f} codes/s")
    print(f"parse_document (decode, schema, read, hash): {whole:.3f} s  {len(events) / whole:,.0f} events/s  "
          f"{codes / whole:,.0f} codes/s")

    # The reference: its JSON reader (JSON-LD expansion included) and its hashing of what it read.
    def reference_read() -> Any:
        json_to_py._namespaces.clear()
        return json_to_py.event_list_from_epcis_document_json(copy.deepcopy(doc))

    read_time = best(reference_read, 1)
    simple = reference_read()
    hash_time = best(lambda: hash_generator.epcis_hashes_from_events(simple), min(args.repeat, 3))
    reference_hashes = hash_generator.epcis_hashes_from_events(simple)
    agree = reference_hashes == [event.event_hash for event in events]
    print(f"reference hashing:        {hash_time:.3f} s  {len(events) / hash_time:,.0f} events/s   "
          f"ratio {hash_time / ours:.1f}x")
    print(f"reference read + hashing: {read_time + hash_time:.3f} s   ratio to parse_document "
          f"{(read_time + hash_time) / whole:.1f}x")
    print(f"hashes agree with the reference: {agree}")


if __name__ == "__main__":
    main()
