"""Speed and memory of the code file export (codes.csv + signed manifest.json, streamed as a ZIP).

Run: .venv/bin/python benchmarks/code_file.py --counts 1000000 10000000
For each count, prints the export's codes/s written to /dev/null (best of --repeat runs, by wall
clock and by CPU time, which a shared machine disturbs less), its ratio to the bare issue
pipeline (issue_codes over the same chunks, measured in the same run), and the growth of the
process's peak RSS, which stays near zero once the first run has sized the chunk buffers: memory
does not grow with the count. Also prints what zlib level 1 would cost, the reason the CSV is
stored uncompressed. Asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import zlib

import numpy as np

from jianguan.codes.codec import Key, issue_codes
from jianguan.codes.files import iter_code_file
from jianguan.codes.keys import new_signing_key, sign

TARGET = 2_000_000
BASE_URL = "https://jg.example.cn"
GTIN = "06901234567892"


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def export_seconds(key: Key, count: int, *, gtin: str | None, chunk: int) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and bytes of one export written to /dev/null."""
    private, _ = new_signing_key()
    size = 0
    start, cpu = time.perf_counter(), time.process_time()
    with open(os.devnull, "wb") as sink:
        for part in iter_code_file(
            key=key,
            serial_start=10**12,
            quantity=count,
            base_url=BASE_URL,
            gtin=gtin,
            manifest={"batch_id": 1, "issued_at": "2026-11-23T08:00:00+00:00"},
            signer=lambda message: sign(private, message),
            public_key_id="bench",
            chunk=chunk,
        ):
            sink.write(part)
            size += len(part)
    return time.perf_counter() - start, time.process_time() - cpu, size


def pipeline_seconds(key: Key, count: int, *, chunk: int) -> float:
    start = time.perf_counter()
    for first in range(10**12, 10**12 + count, chunk):
        issue_codes(key, np.arange(first, min(first + chunk, 10**12 + count), dtype=np.uint64))
    return time.perf_counter() - start


def deflate_cost(key: Key, chunk: int) -> tuple[float, float]:
    """ns a code and size ratio of zlib level 1 over the file of one chunk (rows with a digital link)."""
    private, _ = new_signing_key()
    data = b"".join(
        iter_code_file(
            key=key,
            serial_start=0,
            quantity=chunk,
            base_url=BASE_URL,
            gtin=GTIN,
            manifest={},
            signer=lambda message: sign(private, message),
            public_key_id="bench",
            chunk=chunk,
        )
    )
    start = time.perf_counter()
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
    packed = compressor.compress(data) + compressor.flush()
    return (time.perf_counter() - start) / chunk * 1e9, len(packed) / len(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--chunk", type=int, default=65536)
    parser.add_argument("--repeat", type=int, default=3, help="runs per count; the best is shown")
    parser.add_argument("--no-gtin", action="store_true", help="rows without the digital_link column")
    args = parser.parse_args()
    key = Key(3, bytes(range(32)))
    gtin = None if args.no_gtin else GTIN

    print(
        f"code file export, chunk {args.chunk:,}, {'no GTIN' if gtin is None else 'with GTIN'}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}\n"
    )
    print(
        f"{'codes':>12} {'export s':>9} {'codes/s':>11} {'per CPU s':>11} {'pipeline/s':>11} {'ratio':>6} "
        f"{'MiB written':>11} {'peak RSS MiB':>12} {'RSS growth':>10}"
    )
    baseline = peak_rss_mib()
    for count in args.counts:
        pipeline = min(pipeline_seconds(key, count, chunk=args.chunk) for _ in range(args.repeat))
        before = peak_rss_mib()
        runs = [export_seconds(key, count, gtin=gtin, chunk=args.chunk) for _ in range(args.repeat)]
        after = peak_rss_mib()
        seconds, cpu, size = min(run[0] for run in runs), min(run[1] for run in runs), runs[0][2]
        print(
            f"{count:>12,} {seconds:>9.2f} {count / seconds:>11,.0f} {count / cpu:>11,.0f} "
            f"{count / pipeline:>11,.0f} {pipeline / seconds:>6.2f} {size / 2**20:>11,.0f} {after:>12.0f} "
            f"{after - before:>+10.1f}"
        )
    print(f"\npeak RSS before the first run: {baseline:.0f} MiB; growth is the rise of the peak during a run")
    ns, ratio = deflate_cost(key, args.chunk)
    print(f"zlib level 1 (not used): {ns:.0f} ns a code on top of the export, file {ratio:.0%} of stored")
    print(f"target: export >= {TARGET:,} codes/s")


if __name__ == "__main__":
    main()
