"""How supply-chain events name codes, parties and places: pure, no I/O.

A code travels as ``urn:jianguan:code:{20 digits}``, as its verification link
``https://{host}/v/{code}``, or as a GS1 Digital Link (or EPC URI) whose serial (AI 21) is the
code and whose GTIN is its product's. A GS1 serial that is not one of our codes names a code of
another scheme (a GTIN and a serial), which the network knows only if an enterprise registered it.

A party or place is named by its unified social credit code (``urn:jianguan:party:{USCC}``), or
by a GLN: a party GLN (``urn:epc:id:pgln:…``, Digital Link ``/417/``) or a location GLN
(``urn:epc:id:sgln:…``, ``/414/``, with or without an extension), registered to the party.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from jianguan.trace.gs1_uri import DIGITAL_LINK, canonical_identifier

CODE_URN = "urn:jianguan:code:"
PARTY_URN = "urn:jianguan:party:"

_CODE = re.compile(r"[0-9]{20}")
_SHORT_LINK = re.compile(r"https?://[^/?#\s]+(?:/[^?#\s]*)?/v/([0-9]{20})/?(?:[?#]\S*)?")
_SERIALISED = re.compile(r"https://id\.gs1\.org/01/([0-9]{14})/21/(\S+)")
_CREDIT_CODE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")
_GLN = re.compile(r"https://id\.gs1\.org/(414|417)/([0-9]{13})(?:/254/\S+)?")


@dataclass(slots=True)  # not frozen: made once an identifier, by the ten thousand
class CodeName:
    """An identifier that names one of our codes; ``gtin`` when it came in a GS1 form."""

    code: str
    gtin: str | None = None


@dataclass(frozen=True, slots=True)
class ForeignSerial:
    """A GS1 serialised item (GTIN and serial) that is not one of our codes."""

    gtin: str
    serial: str


@dataclass(frozen=True, slots=True)
class PartyName:
    """An identifier of a party or place: its credit code, or a GLN (``party`` True for a PGLN)."""

    credit_code: str | None = None
    gln: str | None = None
    party: bool = False


def name_code(uri: str) -> CodeName | ForeignSerial | None:
    """What code ``uri`` names; None when it names none (a class, a pattern, anything else)."""
    if uri.startswith(CODE_URN):
        code = uri[18:]  # len(CODE_URN)
        return CodeName(code) if len(code) == 20 and code.isdigit() and code.isascii() else None
    if "/v/" in uri:
        short = _SHORT_LINK.fullmatch(uri)
        if short:
            return CodeName(short[1])
    canonical = canonical_identifier(uri)
    if canonical is None:
        return None
    serialised = _SERIALISED.fullmatch(canonical)
    if serialised is None:
        return None
    gtin, serial = serialised[1], serialised[2]
    if _CODE.fullmatch(serial) and serial[0] != "0":
        return CodeName(serial, gtin)
    return ForeignSerial(gtin, serial)


def name_party(uri: str) -> PartyName | None:
    """The party or place ``uri`` names; None when it is no identifier of one."""
    if uri.startswith(PARTY_URN):
        code = uri[len(PARTY_URN):].upper()
        return PartyName(credit_code=code) if _CREDIT_CODE.fullmatch(code) else None
    canonical = canonical_identifier(uri)
    if canonical is None:
        return None
    gln = _GLN.fullmatch(canonical)
    if gln is None:
        return None
    return PartyName(gln=gln[2], party=gln[1] == "417")


def code_uri(code: str) -> str:
    """How the network writes a code in the events it answers with: ours (and a registered drug
    code) as ``urn:jianguan:code:…``, a registered GS1 code (``(01)…(21)…``) as its Digital Link URI."""
    if code.startswith("(01)") and code[18:22] == "(21)":
        return f"{DIGITAL_LINK}/01/{code[4:18]}/21/{quote(code[22:], safe='')}"
    return CODE_URN + code


def party_uri(credit_code: str) -> str:
    """How the network writes a party without a GLN."""
    return PARTY_URN + credit_code
