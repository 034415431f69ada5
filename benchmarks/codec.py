"""Speed of the code codec: bulk FF1 against raw AES, one code at a time, the issue pipeline, FF3-1.

Run: .venv/bin/python benchmarks/codec.py --count 1000000
Prints measured times and ratios (best of --repeat runs, one core); asserts nothing about time.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from jianguan.codes.codec import (
    _CHUNK,
    Key,
    Keyring,
    bulk_path,
    decode_bodies,
    decode_codes,
    encode_serial,
    encode_serials,
    issue_codes,
)

TARGET_AES_RATIO = 2.0
TARGET_PIPELINE = 5_000_000


def best_of(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def numpy_passes(count: int) -> float:
    """The numpy passes of ten bulk FF1 rounds alone, as ``_rounds_bulk`` makes them (same slices,
    same dtypes and views), without the AES call: the arithmetic any numpy FF1 pays on top of AES."""
    size = min(_CHUNK, count)
    blocks = np.zeros((size, 2), dtype=np.uint64)
    second_word = blocks.view(">u8")[:, 1]
    out = np.random.default_rng(1).integers(0, 256, size * 16 + 15, dtype=np.uint8)
    y = out[: size * 16].view(">u8")[::2]
    left, right, q, c = (np.zeros(size, dtype=np.uint64) for _ in range(4))
    half, word = np.uint64(10**9), np.uint64(12345)
    start = time.perf_counter()
    for _ in range(0, count, size):
        blocks[:, 0] = word
        for _ in range(10):
            np.bitwise_xor(right, word, out=second_word)
            np.floor_divide(y, half, out=q)
            q *= half
            np.subtract(left, q, out=q)
            np.add(q, y, out=c)
            np.subtract(c, half, out=q)
            np.minimum(c, q, out=left)
            left, right = right, left
    return time.perf_counter() - start


def ff3_seconds_per_code(sample: int) -> float | None:
    """FF3-1 from the `ff3` package on 18 digits, one code per call, if it is installed."""
    try:
        from ff3 import FF3Cipher
    except ImportError:
        return None
    cipher = FF3Cipher.withCustomAlphabet(bytes(range(32)).hex(), "00000000000000", "0123456789")
    start = time.perf_counter()
    for n in range(sample):
        cipher.encrypt(f"{n:018d}")
    return (time.perf_counter() - start) / sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="codes per bulk run")
    parser.add_argument("--sample", type=int, default=10_000, help="codes for the one-at-a-time runs")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    count, sample = args.count, args.sample

    key = Key(3, bytes(range(32)))
    keyring = Keyring([key])
    serials = np.arange(10**12, 10**12 + count, dtype=np.uint64)
    bodies = encode_serials(key, serials)
    codes = issue_codes(key, serials)

    aes = key.cipher.encryptor()
    zeros = np.zeros(count * 16, dtype=np.uint8)
    out = np.empty(count * 16 + 15, dtype=np.uint8)
    raw = best_of(args.repeat, lambda: [aes.update_into(zeros.data, out.data) for _ in range(10)])
    encode = best_of(args.repeat, lambda: encode_serials(key, serials))
    passes = min(numpy_passes(count) for _ in range(args.repeat))
    decode = best_of(args.repeat, lambda: decode_bodies(key, bodies))
    decode_text = best_of(args.repeat, lambda: decode_codes(keyring, codes))
    pipeline = best_of(args.repeat, lambda: issue_codes(key, serials))
    one = best_of(1, lambda: [encode_serial(key, n) for n in range(sample)]) / sample
    ff3 = ff3_seconds_per_code(sample)

    rows = [
        ("10 raw AES-ECB updates of N blocks", raw, "floor"),
        ("bulk FF1 encode (encode_serials)", encode, f"{encode / raw:.2f}x raw AES"),
        ("  numpy passes of the rounds alone, no AES", passes, f"{passes / raw:.2f}x raw AES (the numpy path)"),
        ("bulk FF1 decode (decode_bodies)", decode, f"{decode / raw:.2f}x raw AES"),
        ("bulk decode of text (decode_codes)", decode_text, "check digits, generations, FF1"),
        ("issue pipeline serial -> S20 text", pipeline, f"{pipeline / encode:.2f}x bulk encode"),
        (f"one at a time (encode_serial, {sample} scaled)", one * count, f"{one * count / encode:.1f}x bulk"),
    ]
    if ff3 is not None:
        rows.append((f"ff3 FF3-1 one at a time ({sample} scaled)", ff3 * count, f"{ff3 * count / encode:.1f}x bulk"))
    print(f"N = {count:,} codes, one core; bulk FF1 path: {bulk_path()} round arithmetic\n")
    print(f"{'what':48} {'seconds':>9} {'codes/s':>13}  ratio")
    for name, seconds, ratio in rows:
        print(f"{name:48} {seconds:9.3f} {count / seconds:13,.0f}  {ratio}")
    print(f"\none code: {one * 1e6:.1f} µs to encode")
    aes_met = "met" if encode / raw <= TARGET_AES_RATIO else "not met"
    pipe_met = "met" if count / pipeline >= TARGET_PIPELINE else "not met"
    print(f"target FF1 encode within {TARGET_AES_RATIO}x raw AES: {aes_met} ({encode / raw:.2f}x on the "
          f"{bulk_path()} path; on the numpy path, AES plus its passes alone come to {(raw + passes) / raw:.2f}x)")
    print(f"target issue pipeline >= {TARGET_PIPELINE:,} codes/s: {pipe_met} ({count / pipeline:,.0f}/s)")


if __name__ == "__main__":
    main()
