"""The supervision code (电子监管码): FF1 encryption, the Damm check digit and parsing.

A code is 20 decimal digits, ``K EEEEEEEEEEEEEEEEEE C``:

- ``K`` (1-9) names the key generation that made it; 0 is reserved, so no code starts with 0.
- ``E`` is FF1 (NIST SP 800-38G, AES-256, radix 10) of the 18-digit serial ``n`` in [0, 10^18).
  The FF1 tweak is the single ASCII byte of the digit ``K`` (``b"3"`` for generation 3), so the
  same serial under two generations gives unrelated codes even if an operator reused a key.
- ``C`` is the Damm check digit over the first 19 digits: it catches every single-digit error
  and every swap of neighbours, so a typo is told apart from a fake before any key is used.

Everything here is pure: no I/O, no database, no clock. The cipher itself is ``codes.ff1``;
this module is the code as the network writes and reads it, and the face of the area: what
``ff1`` defines for codes is named here too. ``encode_serial``/``decode_code`` do one code with
Python integers (verification); ``decode_codes``/``issue_codes`` do whole numpy arrays (issue).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import numpy as np
from biip import ParseError as GS1ParseError
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_messages import GS1Message

from jianguan.codes.ff1 import (
    CHUNK,
    HALF,
    SERIAL_SPACE,
    Key,
    Keyring,
    bulk_path,
    decode_bodies,
    encode_serials,
    ff1_decrypt,
    ff1_encrypt,
    ff1_halves,
    join_halves,
    rounds_scalar,
    split_halves,
)
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


# --- FF1 on 18 digits, one code (Python integers) ---------------------------------------------


def encode_serial(key: Key, n: int) -> str:
    """The 20-digit code of serial ``n`` under ``key``."""
    if not 0 <= n < SERIAL_SPACE:
        raise ValueError("a serial is in [0, 10^18)")
    a, b = rounds_scalar(key, *divmod(n, HALF), decrypt=False)
    body = f"{key.generation}{a:09d}{b:09d}"
    return body + damm_digit(body)


def decode_code(keyring: Keyring, code: str) -> tuple[int, int]:
    """``(generation, serial)`` of a code as typed or scanned; raises ``MalformedCode``."""
    return decode_parsed(keyring, parse_code(code, keyring))


def decode_parsed(keyring: Keyring, parsed: ParsedCode) -> tuple[int, int]:
    """``(generation, serial)`` of a code ``parse_code`` accepted with ``keyring``."""
    a, b = rounds_scalar(keyring[parsed.generation], int(parsed.code[1:10]), int(parsed.code[10:19]), decrypt=True)
    return parsed.generation, a * HALF + b


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
    a, b = split_halves(bodies)
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
    for start in range(0, len(a), CHUNK):
        left, right = a[start : start + CHUNK], b[start : start + CHUNK]
        words = text[start : start + CHUNK]
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
    return _format_halves(key.generation, *ff1_halves(key, serials, decrypt=False))


def well_formed(keyring: Keyring, codes: np.ndarray) -> np.ndarray:
    """Which of many texts ``decode_codes`` would read (20 ASCII digits, the check digit right, a
    generation of ``keyring``), as one boolean array: to set the others aside at once (a document
    may name many codes of another scheme, which are 20 digits too) rather than one a ``MalformedCode``."""
    array = np.asarray(codes)
    good = np.char.str_len(array) == CODE_LENGTH if array.size else np.zeros(0, dtype=bool)
    ascii_ = np.array([text.isascii() for text in array.tolist()], dtype=bool) if array.dtype.kind == "U" else good
    good &= ascii_
    if not good.any():
        return good
    raw = np.where(good, array, "0" * CODE_LENGTH).astype("S20")
    digits = raw.view(np.uint8).reshape(-1, CODE_LENGTH) - np.uint8(48)  # non-digits wrap to >= 10
    good &= ~(digits > 9).any(axis=1) & (damm_digits(np.minimum(digits, 9)) == 0)
    good &= np.isin(digits[:, 0], np.array(sorted(keyring), dtype=np.uint8))
    return good


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
        serials[mine] = decode_bodies(keyring[generation], join_halves(a[mine], b[mine]))
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

    def __init__(self, reason: str, message: str = "", message_zh: str = "", **details: Any) -> None:
        super().__init__(message or reason, message_zh or reason, **details)
        self.reason = reason


def _malformed(reason: str, **details: Any) -> MalformedCode:
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
