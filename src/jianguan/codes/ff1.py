"""FF1 (NIST SP 800-38G) on AES, as the supervision code uses it: the cipher, not the code's text.

Three paths share one definition of FF1: ``ff1_encrypt``/``ff1_decrypt`` follow the standard
for any radix and length (checked against NIST's samples); ``rounds_scalar`` does the ten rounds
of one 18-digit value with Python integers (verification); ``ff1_halves``/``encode_serials``/
``decode_bodies`` do whole numpy arrays per AES call (issue), with each round's arithmetic in
one compiled pass (``_ff1_rounds.c``) where the install had a C compiler, and as numpy passes
where it had none (``bulk_path()`` says which). Pure: no I/O, no database, no clock.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, overload

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes
from numpy.typing import NDArray

SERIAL_SPACE = 10**18  # an 18-digit value
HALF = 10**9  # FF1 splits the 18 digits into halves of 9: A and B are each below 10^9
_ROUNDS = 10


# --- FF1, as the standard writes it (any radix, any length) ----------------------------------


def _ecb(key: bytes) -> Cipher:
    # ECB is only the raw block cipher here: FF1 builds its own chaining (CBC-MAC) on top.
    return Cipher(algorithms.AES(key), modes.ECB())  # noqa: S305


def _num(numerals: Sequence[int], radix: int) -> int:
    """NUM_radix(X): the numerals read as a number, most significant first."""
    x = 0
    for numeral in numerals:
        x = x * radix + numeral
    return x


def _str(x: int, radix: int, m: int) -> list[int]:
    """STR^m_radix(x): x as exactly m numerals."""
    out = [0] * m
    for i in range(m - 1, -1, -1):
        x, out[i] = divmod(x, radix)
    return out


def _ff1(key: bytes, tweak: bytes, radix: int, numerals: Sequence[int], *, decrypt: bool) -> list[int]:
    """Algorithms 7 and 8 of SP 800-38G, step by step, with the standard's names."""
    n, t = len(numerals), len(tweak)
    if not 2 <= radix <= 2**16 or radix**n < 1_000_000 or n > 2**32 or t > 2**32:
        raise ValueError("FF1 needs 2 <= radix <= 65536 and radix^n >= 10^6")
    if any(not 0 <= x < radix for x in numerals):
        raise ValueError("a numeral is out of range for the radix")
    aes = _ecb(key).encryptor()
    u, v = n // 2, n - n // 2
    a, b = list(numerals[:u]), list(numerals[u:])
    # ceil(v * log2(radix)) computed exactly: the bit length of radix^v - 1.
    b_len = math.ceil((radix**v - 1).bit_length() / 8)
    d = 4 * math.ceil(b_len / 4) + 4
    p = bytes([1, 2, 1]) + radix.to_bytes(3, "big") + bytes([10, u % 256]) + n.to_bytes(4, "big")
    p += t.to_bytes(4, "big")
    for i in reversed(range(_ROUNDS)) if decrypt else range(_ROUNDS):
        m = u if i % 2 == 0 else v
        source = a if decrypt else b
        q = tweak + bytes((-t - b_len - 1) % 16) + bytes([i]) + _num(source, radix).to_bytes(b_len, "big")
        # PRF: CBC-MAC with a zero IV over P || Q, one block at a time.
        r = bytes(16)
        for j in range(0, len(p + q), 16):
            r = aes.update(bytes(x ^ y for x, y in zip(r, (p + q)[j : j + 16], strict=True)))
        s = r
        for j in range(1, math.ceil(d / 16)):
            s += aes.update((int.from_bytes(r, "big") ^ j).to_bytes(16, "big"))
        y = int.from_bytes(s[:d], "big")
        if decrypt:
            a, b = _str((_num(b, radix) - y) % radix**m, radix, m), a
        else:
            a, b = b, _str((_num(a, radix) + y) % radix**m, radix, m)
    return a + b


def ff1_encrypt(key: bytes, tweak: bytes, radix: int, numerals: Sequence[int]) -> list[int]:
    """FF1-encrypt ``numerals`` (each in [0, radix)) under an AES-128/192/256 ``key``."""
    return _ff1(key, tweak, radix, numerals, decrypt=False)


def ff1_decrypt(key: bytes, tweak: bytes, radix: int, numerals: Sequence[int]) -> list[int]:
    """The inverse of ``ff1_encrypt``."""
    return _ff1(key, tweak, radix, numerals, decrypt=True)


# --- keys -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """One generation's AES-256 key, with what FF1 on 18 digits can compute once per key.

    For radix 10 and 18 digits, u = v = 9, b = 4 and d = 8, and with a one-byte tweak P || Q is
    exactly two blocks: P is the same for every code, so its encryption is kept here, and each
    round costs one AES block, ``AES(E(P) xor Q_i)``, whose first 8 bytes are y. ``round_blocks[i]``
    is ``E(P) xor Q_i`` with the numeral field of Q zero: a round only XORs the half into it.
    The secret never appears in ``repr``.
    """

    generation: int
    secret: bytes = field(repr=False)
    cipher: Cipher = field(init=False, repr=False, compare=False)
    encrypted_p: bytes = field(init=False, repr=False, compare=False)
    round_blocks: tuple[int, ...] = field(init=False, repr=False, compare=False)
    first_word: bytes = field(init=False, repr=False, compare=False)
    second_words: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _local: threading.local = field(init=False, repr=False, compare=False, default_factory=threading.local)

    def __post_init__(self) -> None:
        if not 1 <= self.generation <= 9:
            raise ValueError("a key generation is 1 to 9; 0 is reserved")
        if len(self.secret) != 32:
            raise ValueError("a code key is 32 bytes (AES-256)")
        cipher = _ecb(self.secret)
        p = bytes([1, 2, 1, 0, 0, 10, 10, 9, 0, 0, 0, 18, 0, 0, 0, 1])  # radix 10, u 9, n 18, t 1
        encrypted_p = cipher.encryptor().update(p)
        # Q_i = T || 0^10 || [i] || NUM(half) in 4 bytes.
        blocks = tuple(
            int.from_bytes(encrypted_p, "big") ^ int.from_bytes(self.tweak + bytes(10) + bytes([i, 0, 0, 0, 0]), "big")
            for i in range(_ROUNDS)
        )
        object.__setattr__(self, "cipher", cipher)
        object.__setattr__(self, "encrypted_p", encrypted_p)
        object.__setattr__(self, "round_blocks", blocks)
        # The bulk paths write a block as two 64-bit words: the first 8 bytes are the same in
        # every round, the second word is the round's constant XOR the half being hashed.
        object.__setattr__(self, "first_word", blocks[0].to_bytes(16, "big")[:8])
        object.__setattr__(self, "second_words", tuple(block & 0xFFFF_FFFF_FFFF_FFFF for block in blocks))

    def ecb(self) -> CipherContext:
        """This thread's AES-ECB context. ECB keeps no state between calls, so one context can
        serve every call of a thread; making one costs about 10 µs, as much as six rounds."""
        context = getattr(self._local, "context", None)
        if context is None:
            context = self._local.context = self.cipher.encryptor()
        return context

    @property
    def tweak(self) -> bytes:
        """The FF1 tweak: the ASCII digit of the generation."""
        return str(self.generation).encode("ascii")


class Keyring(Mapping[int, Key]):
    """Keys by generation. New codes use ``newest``; decoding accepts every generation held."""

    def __init__(self, keys: Iterable[Key], *, newest: int | None = None) -> None:
        self._keys = {key.generation: key for key in keys}
        if not self._keys:
            raise ValueError("a keyring needs at least one key")
        self.newest = self._keys[max(self._keys) if newest is None else newest]

    def __getitem__(self, generation: int) -> Key:
        return self._keys[generation]

    def __iter__(self) -> Iterator[int]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"Keyring(generations={sorted(self._keys)}, newest={self.newest.generation})"


def rounds_scalar(key: Key, a: int, b: int, *, decrypt: bool) -> tuple[int, int]:
    aes = key.ecb()
    blocks = key.round_blocks
    if decrypt:
        for i in range(_ROUNDS - 1, -1, -1):
            y = int.from_bytes(aes.update((blocks[i] ^ a).to_bytes(16, "big"))[:8], "big")
            a, b = (b - y) % HALF, a
    else:
        for i in range(_ROUNDS):
            y = int.from_bytes(aes.update((blocks[i] ^ b).to_bytes(16, "big"))[:8], "big")
            a, b = b, (a + y) % HALF
    return a, b


# --- FF1 on 18 digits, whole arrays (numpy) ----------------------------------------------------


CHUNK = 16384  # items per slice: a slice's blocks and temporaries stay in the CPU's L2 cache


class _RoundKernel(Protocol):
    """The compiled module's two functions (_ff1_rounds.c; _ff1_rounds.pyi types them)."""

    def start(self, values: NDArray[np.uint64], a: NDArray[np.uint64], b: NDArray[np.uint64],
              blocks: NDArray[np.uint8], first_word: bytes, word: int, decrypt: bool, /) -> None: ...

    def round(self, blocks: NDArray[np.uint8], output: NDArray[np.uint8], a: NDArray[np.uint64],
              b: NDArray[np.uint64], next_word: int, decrypt: bool, joined: NDArray[np.uint64] | None = None,
              /) -> None: ...


_KERNEL: _RoundKernel | None
try:  # the round arithmetic in one compiled pass (_ff1_rounds.c), built where a C compiler is
    from jianguan.codes import _ff1_rounds

    _KERNEL = _ff1_rounds
except ImportError:  # pragma: no cover - no compiler at install: the numpy passes below
    _KERNEL = None


def bulk_path() -> str:
    """Which bulk FF1 path this installation runs: ``"compiled"`` or ``"numpy"``."""
    return "numpy" if _KERNEL is None else "compiled"


def _rounds_bulk(key: Key, a: np.ndarray, b: np.ndarray, *, decrypt: bool) -> tuple[np.ndarray, np.ndarray]:
    """Ten FF1 rounds over uint32 halves, one AES-ECB call per round over a whole slice.

    A block is two 64-bit words. The first (T, zeros, XOR E(P)) is the same in every round and is
    written once a slice; the second holds the round number and the half being hashed (below
    10^9 < 2^32), so a round writes it with one XOR into a big-endian view. The halves are worked
    on as uint64, so each round is eight numpy passes and the AES call, with no casts between.
    Work goes in slices of ``CHUNK`` items rather than all N at once: measured on 10^6 codes,
    one AES call per round over all N took 0.20 s, slices of 16384 0.11 s, because every
    numpy pass then runs in cache instead of streaming megabytes through memory.
    """
    a_out, b_out = np.empty_like(a, dtype=np.uint32), np.empty_like(b, dtype=np.uint32)
    size = max(1, min(CHUNK, len(a)))
    blocks = np.empty((size, 2), dtype=np.uint64)
    out = np.empty(size * 16 + 15, dtype=np.uint8)  # update_into wants one block of slack
    left_buf, right_buf, q, c = (np.empty(size, dtype=np.uint64) for _ in range(4))
    first_word = np.frombuffer(key.first_word, dtype=np.uint64)[0]  # the same bytes in every round
    second_words = [np.uint64(word) for word in key.second_words]
    half = np.uint64(HALF)
    order = range(_ROUNDS - 1, -1, -1) if decrypt else range(_ROUNDS)
    aes = key.cipher.encryptor()
    for start in range(0, len(a), size):
        m = min(size, len(a) - start)
        block, qm, cm = blocks[:m], q[:m], c[:m]
        block[:, 0] = first_word
        second_word = block.view(">u8")[:, 1]
        y = out[: m * 16].view(">u8")[::2]  # the first 8 bytes of each output block, big-endian
        # `left` and `right` name the storage of A and B; a round writes the new half over the
        # old one and swaps the names, so ten rounds leave A in the first buffer and B in the other.
        left, right = left_buf[:m], right_buf[:m]
        np.copyto(left, a[start : start + m])
        np.copyto(right, b[start : start + m])
        first, second = left, right
        for i in order:
            np.bitwise_xor(left if decrypt else right, second_words[i], out=second_word)
            aes.update_into(block.view(np.uint8).data, out.data)
            # y < 2^64. numpy's uint64 floor division by a constant is fast (libdivide) and its
            # remainder is not, so y mod 10^9 is y - (y // 10^9) * 10^9, folded into the sum:
            # the wrapping uint64 arithmetic is exact because the true result is below 2^31.
            np.floor_divide(y, half, out=qm)
            qm *= half
            if decrypt:
                np.add(right, qm, out=qm)
                np.subtract(qm, y, out=cm)  # B - (y mod 10^9), wrapped past 2^64 if negative
                np.add(cm, half, out=qm)
                np.minimum(cm, qm, out=right)  # the unwrapped one is the smaller: the new A ...
            else:
                np.subtract(left, qm, out=qm)
                np.add(qm, y, out=cm)  # A + (y mod 10^9)
                np.subtract(cm, half, out=qm)
                np.minimum(cm, qm, out=left)  # mod 10^9 without a branch: the new B ...
            left, right = right, left  # ... and the other half moves over
        np.copyto(a_out[start : start + m], first, casting="unsafe")  # below 10^9
        np.copyto(b_out[start : start + m], second, casting="unsafe")
    return a_out, b_out


@overload
def _rounds_compiled(key: Key, values: np.ndarray, *, decrypt: bool, halves: Literal[True]
                     ) -> tuple[np.ndarray, np.ndarray]: ...
@overload
def _rounds_compiled(key: Key, values: np.ndarray, *, decrypt: bool, halves: Literal[False] = False
                     ) -> np.ndarray: ...
def _rounds_compiled(key: Key, values: np.ndarray, *, decrypt: bool, halves: bool = False
                     ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """FF1 over a uint64 array of values (serials or bodies) with the compiled round arithmetic:
    per slice, ``start`` splits the values and writes the first blocks; each round is one AES-ECB
    call over the slice and one ``round`` pass, which updates both halves in place and writes the
    next round's blocks, and the last one writes the joined results (or, with ``halves``, the
    halves are returned as two uint32 arrays). A value of 10^18 or more raises ValueError."""
    assert _KERNEL is not None
    kernel = _KERNEL
    count = len(values)
    size = max(1, min(CHUNK, count))
    blocks = np.empty(size * 16, dtype=np.uint8)
    out = np.empty(size * 16 + 15, dtype=np.uint8)  # update_into wants one block of slack
    left_buf, right_buf = np.empty(size, dtype=np.uint64), np.empty(size, dtype=np.uint64)
    order = list(range(_ROUNDS - 1, -1, -1) if decrypt else range(_ROUNDS))
    following = [key.second_words[i] for i in order[1:]]  # the constant of the round after each
    if halves:
        a_out, b_out = np.empty(count, dtype=np.uint32), np.empty(count, dtype=np.uint32)
    else:
        joined = np.empty(count, dtype=np.uint64)
    aes = key.cipher.encryptor()
    for start in range(0, count, size):
        m = min(size, count - start)
        block, output, left, right = blocks[: m * 16], out[: m * 16], left_buf[:m], right_buf[:m]
        kernel.start(values[start : start + m], left, right, block, key.first_word, key.second_words[order[0]],
                     decrypt)
        block_data, out_data = block.data, out.data
        for next_word in following:
            aes.update_into(block_data, out_data)
            kernel.round(block, output, left, right, next_word, decrypt)
        aes.update_into(block_data, out_data)
        if halves:
            kernel.round(block, output, left, right, 0, decrypt)
            np.copyto(a_out[start : start + m], left, casting="unsafe")  # below 10^9
            np.copyto(b_out[start : start + m], right, casting="unsafe")
        else:  # the last round writes A * 10^9 + B straight into the result
            kernel.round(block, output, left, right, 0, decrypt, joined[start : start + m])
    return (a_out, b_out) if halves else joined


def _values(values: np.ndarray) -> np.ndarray:
    """``values`` as a contiguous one-dimensional uint64 array."""
    values = np.ascontiguousarray(values, dtype=np.uint64)
    if values.ndim != 1:
        raise ValueError("expected a one-dimensional array")
    return values


def split_halves(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values = _values(values)
    if values.size and values.max() >= SERIAL_SPACE:
        raise ValueError("a serial or body is in [0, 10^18)")
    high = values // np.uint64(HALF)  # no % : see _divmod
    return high.astype(np.uint32), (values - high * np.uint64(HALF)).astype(np.uint32)


def join_halves(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a.astype(np.uint64) * np.uint64(HALF) + b


def ff1_halves(key: Key, values: np.ndarray, *, decrypt: bool) -> tuple[np.ndarray, np.ndarray]:
    """FF1 over many values, as the halves (uint32) of the results, on the path installed."""
    if _KERNEL is not None:
        return _rounds_compiled(key, _values(values), decrypt=decrypt, halves=True)
    return _rounds_bulk(key, *split_halves(values), decrypt=decrypt)


def _ff1_joined(key: Key, values: np.ndarray, *, decrypt: bool) -> np.ndarray:
    """FF1 over many values, as uint64 results, on the path installed."""
    if _KERNEL is not None:
        return _rounds_compiled(key, _values(values), decrypt=decrypt)
    return join_halves(*_rounds_bulk(key, *split_halves(values), decrypt=decrypt))


def encode_serials(key: Key, serials: np.ndarray) -> np.ndarray:
    """FF1-encrypt a uint64 array of serials to their 18-digit bodies (the ``E`` of each code)."""
    return _ff1_joined(key, serials, decrypt=False)


def decode_bodies(key: Key, bodies: np.ndarray) -> np.ndarray:
    """The inverse of ``encode_serials``: serials from a uint64 array of 18-digit bodies."""
    return _ff1_joined(key, bodies, decrypt=True)
