"""The supervision code (电子监管码): FF1 encryption, the Damm check digit and parsing.

A code is 20 decimal digits, ``K EEEEEEEEEEEEEEEEEE C``:

- ``K`` (1-9) names the key generation that made it; 0 is reserved, so no code starts with 0.
- ``E`` is FF1 (NIST SP 800-38G, AES-256, radix 10) of the 18-digit serial ``n`` in [0, 10^18).
  The FF1 tweak is the single ASCII byte of the digit ``K`` (``b"3"`` for generation 3), so the
  same serial under two generations gives unrelated codes even if an operator reused a key.
- ``C`` is the Damm check digit over the first 19 digits: it catches every single-digit error
  and every swap of neighbours, so a typo is told apart from a fake before any key is used.

Everything here is pure: no I/O, no database, no clock. Three paths share one definition of FF1:
``ff1_encrypt``/``ff1_decrypt`` follow the standard for any radix and length (checked against
NIST's samples); ``encode_serial``/``decode_code`` do one code with Python integers (verification);
``encode_serials``/``decode_codes``/``issue_codes`` do whole numpy arrays per AES call (issue),
with each round's arithmetic in one compiled pass (``_ff1_rounds.c``) where the install had a C
compiler, and as numpy passes where it had none (``bulk_path()`` says which).
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

import numpy as np
from biip import ParseError as GS1ParseError
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_messages import GS1Message
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes

from jianguan.errors import ValidationFailed

__all__ = [
    "CODE_LENGTH",
    "SERIAL_SPACE",
    "Key",
    "Keyring",
    "MalformedCode",
    "ParsedCode",
    "bulk_path",
    "damm_digit",
    "damm_digits",
    "decode_bodies",
    "decode_code",
    "decode_codes",
    "encode_serial",
    "encode_serials",
    "ff1_decrypt",
    "ff1_encrypt",
    "format_codes",
    "format_grouped",
    "issue_codes",
    "parse_code",
]

CODE_LENGTH = 20
SERIAL_SPACE = 10**18
_HALF = 10**9  # FF1 splits the 18 digits into halves of 9: A and B are each below 10^9
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


# --- FF1 on 18 digits, one code (Python integers) ---------------------------------------------


def _rounds_scalar(key: Key, a: int, b: int, *, decrypt: bool) -> tuple[int, int]:
    aes = key.ecb()
    blocks = key.round_blocks
    if decrypt:
        for i in range(_ROUNDS - 1, -1, -1):
            y = int.from_bytes(aes.update((blocks[i] ^ a).to_bytes(16, "big"))[:8], "big")
            a, b = (b - y) % _HALF, a
    else:
        for i in range(_ROUNDS):
            y = int.from_bytes(aes.update((blocks[i] ^ b).to_bytes(16, "big"))[:8], "big")
            a, b = b, (a + y) % _HALF
    return a, b


def encode_serial(key: Key, n: int) -> str:
    """The 20-digit code of serial ``n`` under ``key``."""
    if not 0 <= n < SERIAL_SPACE:
        raise ValueError("a serial is in [0, 10^18)")
    a, b = _rounds_scalar(key, *divmod(n, _HALF), decrypt=False)
    body = f"{key.generation}{a:09d}{b:09d}"
    return body + damm_digit(body)


def decode_code(keyring: Keyring, code: str) -> tuple[int, int]:
    """``(generation, serial)`` of a code as typed or scanned; raises ``MalformedCode``."""
    return decode_parsed(keyring, parse_code(code, keyring))


def decode_parsed(keyring: Keyring, parsed: ParsedCode) -> tuple[int, int]:
    """``(generation, serial)`` of a code ``parse_code`` accepted with ``keyring``."""
    a, b = _rounds_scalar(keyring[parsed.generation], int(parsed.code[1:10]), int(parsed.code[10:19]), decrypt=True)
    return parsed.generation, a * _HALF + b


# --- FF1 on 18 digits, whole arrays (numpy) ----------------------------------------------------


_CHUNK = 16384  # items per slice: a slice's blocks and temporaries stay in the CPU's L2 cache

try:  # the round arithmetic in one compiled pass (_ff1_rounds.c), built where a C compiler is
    from jianguan.codes import _ff1_rounds as _KERNEL
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
    Work goes in slices of ``_CHUNK`` items rather than all N at once: measured on 10^6 codes,
    one AES call per round over all N took 0.20 s, slices of 16384 0.11 s, because every
    numpy pass then runs in cache instead of streaming megabytes through memory.
    """
    a_out, b_out = np.empty_like(a, dtype=np.uint32), np.empty_like(b, dtype=np.uint32)
    size = max(1, min(_CHUNK, len(a)))
    blocks = np.empty((size, 2), dtype=np.uint64)
    out = np.empty(size * 16 + 15, dtype=np.uint8)  # update_into wants one block of slack
    left_buf, right_buf, q, c = (np.empty(size, dtype=np.uint64) for _ in range(4))
    first_word = np.frombuffer(key.first_word, dtype=np.uint64)[0]  # the same bytes in every round
    second_words = [np.uint64(word) for word in key.second_words]
    half = np.uint64(_HALF)
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
    size = max(1, min(_CHUNK, count))
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


def _split(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values = _values(values)
    if values.size and values.max() >= SERIAL_SPACE:
        raise ValueError("a serial or body is in [0, 10^18)")
    high = values // np.uint64(_HALF)  # no % : see _divmod
    return high.astype(np.uint32), (values - high * np.uint64(_HALF)).astype(np.uint32)


def _join(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a.astype(np.uint64) * np.uint64(_HALF) + b


def _ff1_halves(key: Key, values: np.ndarray, *, decrypt: bool) -> tuple[np.ndarray, np.ndarray]:
    """FF1 over many values, as the halves (uint32) of the results, on the path installed."""
    if _KERNEL is not None:
        return _rounds_compiled(key, _values(values), decrypt=decrypt, halves=True)  # type: ignore[return-value]
    return _rounds_bulk(key, *_split(values), decrypt=decrypt)


def _ff1_joined(key: Key, values: np.ndarray, *, decrypt: bool) -> np.ndarray:
    """FF1 over many values, as uint64 results, on the path installed."""
    if _KERNEL is not None:
        return _rounds_compiled(key, _values(values), decrypt=decrypt)  # type: ignore[return-value]
    return _join(*_rounds_bulk(key, *_split(values), decrypt=decrypt))


def encode_serials(key: Key, serials: np.ndarray) -> np.ndarray:
    """FF1-encrypt a uint64 array of serials to their 18-digit bodies (the ``E`` of each code)."""
    return _ff1_joined(key, serials, decrypt=False)


def decode_bodies(key: Key, bodies: np.ndarray) -> np.ndarray:
    """The inverse of ``encode_serials``: serials from a uint64 array of 18-digit bodies."""
    return _ff1_joined(key, bodies, decrypt=True)


# --- Damm check digit ------------------------------------------------------------------------

# The order-10 totally anti-symmetric quasigroup of Damm's thesis (2004), as Wikipedia prints it.
_DAMM = np.array(
    [
        [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
        [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
        [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
        [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
        [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
        [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
        [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
        [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
        [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
        [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
    ],
    dtype=np.uint8,
)
_DAMM_ROWS = [bytes(row) for row in _DAMM.tolist()]


def _damm_table(width: int) -> np.ndarray:
    """The Damm state after ``width`` digits, for every start state and every value, as one table.

    Indexed by ``state * 10**width + value``; the issue path walks 18 digits in five look-ups.
    """
    size = 10**width
    state = np.repeat(np.arange(10, dtype=np.uint8), size)
    value = np.tile(np.arange(size), 10)
    for power in reversed([10**j for j in range(width)]):
        state = _DAMM[state, (value // power) % 10]
    return state.astype(np.intp)


def _ascii_words(width: int) -> np.ndarray:
    """For every ``width``-digit value, its ASCII digits as the bytes of a little-endian uint32."""
    text = np.array([f"{x:0{width}d}".encode().ljust(4, b"\0") for x in range(10**width)], dtype="S4")
    return text.view("<u4")


_DAMM3, _DAMM4 = _damm_table(3), _damm_table(4)
_ASCII3, _ASCII4 = _ascii_words(3), _ascii_words(4)


def damm_digit(digits: str) -> str:
    """The Damm check digit of a string of ASCII digits; appending it makes the state 0."""
    state = 0
    for ch in digits:
        state = _DAMM_ROWS[state][ord(ch) - 48]
    return chr(48 + state)


def damm_digits(digits: np.ndarray) -> np.ndarray:
    """Damm check digits of the rows of an (N, L) array of digit values 0-9, as uint8 values."""
    digits = np.asarray(digits, dtype=np.uint8)
    state = np.zeros(len(digits), dtype=np.uint8)
    for column in digits.T:
        state = _DAMM[state, column]
    return state


# --- text ------------------------------------------------------------------------------------


def format_codes(generation: int, bodies: np.ndarray) -> np.ndarray:
    """20-byte codes (numpy ``S20``) of generation ``generation`` from a uint64 array of bodies.

    Built as an (N, 20) array of ASCII bytes: each 9-digit half is cut into three 3-digit
    chunks, and each chunk gives its three characters and its Damm step by table look-up, so
    there is no Python loop over codes and no string formatting per code.
    """
    if not 1 <= generation <= 9:
        raise ValueError("a key generation is 1 to 9; 0 is reserved")
    a, b = _split(bodies)
    return _format_halves(generation, a, b)


def _divmod(x: np.ndarray, divisor: int) -> tuple[np.ndarray, np.ndarray]:
    # numpy divides by a constant fast (libdivide) but takes remainders slowly: derive the latter.
    quotient = x // np.uint32(divisor)
    return quotient, x - quotient * np.uint32(divisor)


def _format_halves(generation: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Codes as five little-endian uint32 words a row: the 20 bytes, four at a time.

    The words are ``K d1-d3 | d4-d7 | d8-d11 | d12-d15 | d16-d18 C``; each word's digits come
    from a table of ASCII words, and the Damm state walks the same groups through tables of
    whole groups, so a code costs a few look-ups and no per-digit work.
    """
    text = np.empty((len(a), 5), dtype="<u4")
    first_state = int(_DAMM[0, generation])
    k_byte = np.uint32(48 + generation)
    for start in range(0, len(a), _CHUNK):
        left, right = a[start : start + _CHUNK], b[start : start + _CHUNK]
        words = text[start : start + _CHUNK]
        d1_3, d4_9 = _divmod(left, 10**6)
        d4_7, d8_9 = _divmod(d4_9, 100)
        d10_11, d12_18 = _divmod(right, 10**7)
        d12_15, d16_18 = _divmod(d12_18, 1000)
        d8_11 = d8_9 * np.uint32(100) + d10_11
        state = _DAMM3[first_state * 1000 + d1_3]
        for group in (d4_7, d8_11, d12_15):
            state = _DAMM4[state * 10_000 + group]
        check = _DAMM3[state * 1000 + d16_18].astype(np.uint32)
        words[:, 0] = (_ASCII3[d1_3] << np.uint32(8)) | k_byte
        words[:, 1] = _ASCII4[d4_7]
        words[:, 2] = _ASCII4[d8_11]
        words[:, 3] = _ASCII4[d12_15]
        words[:, 4] = _ASCII3[d16_18] | ((check + np.uint32(48)) << np.uint32(24))
    return text.view("S20").ravel()


def issue_codes(key: Key, serials: np.ndarray) -> np.ndarray:
    """The issue pipeline: serials (uint64) to 20-byte codes (``S20``) under ``key``."""
    return _format_halves(key.generation, *_ff1_halves(key, serials, decrypt=False))


def decode_codes(keyring: Keyring, codes: np.ndarray | Sequence[str | bytes]) -> tuple[np.ndarray, np.ndarray]:
    """``(generations, serials)`` of many canonical 20-digit codes, as ``format_codes`` makes them.

    For lists of scanned codes (activation, shipments). Text as people type it goes through
    ``parse_code`` first. Raises ``MalformedCode`` for the first bad code, with its ``index``.
    """
    array = np.asarray(codes)
    if array.dtype.kind not in "SU" or array.ndim != 1:
        raise ValueError("expected a one-dimensional array of strings")
    lengths = np.char.str_len(array)
    if array.size and (lengths != CODE_LENGTH).any():
        index = int(np.argmax(lengths != CODE_LENGTH))
        raise _malformed("wrong_length", index=index, length=int(lengths[index]))
    try:
        raw = array.astype("S20")
    except UnicodeEncodeError:
        index = next(i for i, code in enumerate(array.tolist()) if not code.isascii())
        return _raise_for(array[index], keyring, index)
    digits = raw.view(np.uint8).reshape(-1, CODE_LENGTH) - np.uint8(48)  # non-digits wrap to >= 10
    bad = (digits > 9).any(axis=1) | (damm_digits(np.minimum(digits, 9)) != 0)
    if bad.any():
        index = int(np.argmax(bad))
        return _raise_for(raw[index].decode("ascii", "replace"), keyring, index)
    generations = digits[:, 0]
    powers = (10 ** np.arange(8, -1, -1)).astype(np.uint32)
    a = digits[:, 1:10].astype(np.uint32) @ powers
    b = digits[:, 10:19].astype(np.uint32) @ powers
    serials = np.empty(len(raw), dtype=np.uint64)
    for generation in np.unique(generations).tolist():
        if generation not in keyring:
            index = int(np.argmax(generations == generation))
            return _raise_for(raw[index].decode("ascii"), keyring, index)
        mine = generations == generation
        serials[mine] = decode_bodies(keyring[generation], _join(a[mine], b[mine]))
    return generations, serials


def _raise_for(code: str, keyring: Keyring, index: int) -> tuple[np.ndarray, np.ndarray]:
    try:
        parse_code(code, keyring)
    except MalformedCode as error:
        error.details["index"] = index
        raise
    raise AssertionError("unreachable: the code was found bad")  # pragma: no cover


def format_grouped(code: str) -> str:
    """A code in groups of four, as printed: ``1234 5678 9012 3456 7890``."""
    if len(code) == CODE_LENGTH:  # the usual case, spelled out: a third of the time of the join below
        return f"{code[:4]} {code[4:8]} {code[8:12]} {code[12:16]} {code[16:]}"
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


# --- parsing what people type or scan ----------------------------------------------------------


class MalformedCode(ValidationFailed, ValueError):
    """Text that is not a well-formed code. ``reason`` says why, for programs and statistics.

    Reasons: empty, wrong_length, not_digits, bad_check_digit (a typo: a digit mistyped or two
    neighbours swapped), reserved_generation (starts with 0), unknown_generation (no such key).
    """

    code = "malformed_code"

    def __init__(self, reason: str, message: str = "", message_zh: str = "", **details: object) -> None:
        super().__init__(message or reason, message_zh or reason, **details)
        self.reason = reason


def _malformed(reason: str, **details: object) -> MalformedCode:
    english, chinese = {
        "empty": ("No code was given.", "未输入监管码。"),
        "wrong_length": (
            "A code has 20 digits; this has {length}.",
            "监管码为 20 位数字，此处为 {length} 位。",
        ),
        "not_digits": (
            "A code has only digits; this has {character!r}.",
            "监管码只含数字，此处含有“{character}”。",
        ),
        "no_code_inside": ("This holds no supervision code.", "其中没有监管码。"),
        "bad_check_digit": (
            "The check digit does not match: a digit was mistyped or two neighbours swapped.",
            "校验位不符：可能输错了一位数字，或颠倒了相邻两位。",
        ),
        "reserved_generation": ("No code starts with 0.", "监管码不以 0 开头。"),
        "unknown_generation": (
            "No code of key generation {generation} has been issued.",
            "尚无第 {generation} 代密钥的监管码。",
        ),
    }[reason]
    # A link or a GS1 string without a code in it is, to the reader, text that is not a code.
    public_reason = "not_digits" if reason == "no_code_inside" else reason
    return MalformedCode(public_reason, english.format(**details), chinese.format(**details), **details)


@dataclass(slots=True)  # not frozen: see Answer in verify/services.py
class ParsedCode:
    """A well-formed code found in what was typed or scanned; ``gtin`` if a GS1 form carried one."""

    code: str
    generation: int
    gtin: str | None = None

    def __str__(self) -> str:
        return self.code

    @property
    def grouped(self) -> str:
        return format_grouped(self.code)


# Chinese input methods type the full-width forms of ASCII (U+FF01-U+FF5E) and the ideographic
# space; phones and word processors turn hyphens into other dashes.
_NORMALISE = {0xFF01 + i: 0x21 + i for i in range(0x5E)} | {0x3000: " "}
_NORMALISE |= dict.fromkeys([0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0xFE63], "-")
_SEPARATORS = re.compile(r"[\s\-]+")
_SYMBOLOGY_ID = re.compile(r"\][A-Za-z][0-9A-Za-z]")
_GS1_SYMBOLOGIES = {"]C1", "]d2", "]Q3", "]e0", "]J1"}  # GS1-128, GS1 DataMatrix, GS1 QR, DataBar, DotCode
_LINK = re.compile(r"://|/v/|/01/")
_SHORT_LINK = re.compile(r"/v/([^/?#]+)/?(?:[?#].*)?$")


def parse_code(text: str, keyring: Keyring | None = None) -> ParsedCode:
    """Find and check the code in text as typed, read out, or scanned from a symbol.

    Accepts the digits with any spaces and dashes, full-width forms, a ``/v/{code}`` link, a
    GS1 Digital Link (``/01/{gtin}/21/{code}``) and a GS1 element string with AI (21), in
    brackets or raw with FNC1 (GS, \\x1d) and a symbology identifier (``]C1``, ``]d2``, ``]Q3``).
    With a ``keyring``, a generation it does not hold is refused as well. The check digit is
    tested before the generation, so a typo is reported as a typo rather than as a fake.
    """
    if len(text) == CODE_LENGTH and text.isascii() and text.isdigit():
        compact, gtin = text, None  # as scanned or sent by a program: nothing to find or clean
    else:
        candidate, gtin = _extract(text.translate(_NORMALISE).strip())
        compact = _SEPARATORS.sub("", candidate)
        if not compact:
            raise _malformed("empty")
        stray = next((ch for ch in compact if ch not in "0123456789"), None)
        if stray is not None:
            raise _malformed("not_digits", character=stray)
        if len(compact) != CODE_LENGTH:
            raise _malformed("wrong_length", length=len(compact))
    if damm_digit(compact) != "0":
        raise _malformed("bad_check_digit")
    generation = int(compact[0])
    if generation == 0:
        raise _malformed("reserved_generation")
    if keyring is not None and generation not in keyring:
        raise _malformed("unknown_generation", generation=generation)
    return ParsedCode(compact, generation, gtin)


def _extract(text: str) -> tuple[str, str | None]:
    """The part of ``text`` that should be the code, and the GTIN if a GS1 form named one."""
    symbology = text[:3] if _SYMBOLOGY_ID.match(text) else ""
    body = text[len(symbology) :]
    if _LINK.search(body):
        return _from_link(body)
    digits_only = _SEPARATORS.sub("", body)
    looks_gs1 = (
        symbology in _GS1_SYMBOLOGIES
        or body.startswith("(")
        or "\x1d" in body
        # A raw element string read without its FNC1: no code starts with 0, so 01 is AI (01).
        or (len(digits_only) > CODE_LENGTH and digits_only.startswith("01") and digits_only.isascii())
    )
    if looks_gs1:
        found = _from_element_string(body)
        if found is not None:
            return found
        if not (digits_only.isascii() and digits_only.replace("\x1d", "").isdigit()):
            raise _malformed("no_code_inside")
    return body, None


def _from_link(link: str) -> tuple[str, str | None]:
    short = _SHORT_LINK.search(link)
    if short:
        return unquote(short.group(1)), None
    uri = link if "://" in link else "https://" + link
    try:
        elements = {e.ai.ai: e.value for e in GS1DigitalLinkURI.parse(uri).element_strings}
    except (GS1ParseError, ValueError):
        elements = {}
    if "21" not in elements:
        raise _malformed("no_code_inside")
    return elements["21"], elements.get("01")


def _from_element_string(body: str) -> tuple[str, str | None] | None:
    try:
        message = GS1Message.parse_hri(body) if body.startswith("(") else GS1Message.parse(body)
    except (GS1ParseError, ValueError):
        return None
    elements = {e.ai.ai: e.value for e in message.element_strings}
    if "21" not in elements:
        return None
    return elements["21"], elements.get("01")
