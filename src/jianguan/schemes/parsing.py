"""Reading codes of other schemes: GTINs, GS1 serials, Digital Link URIs, element strings, SGTIN
URNs and drug supervision codes. Pure: no I/O.

``foreign_code(text)`` is what verification asks of input that is not one of our codes: the
registered code it would be (its scheme and how it is looked up), or None for text no scheme
reads. A GS1 code is a valid GTIN and a serial (AI 21: 1 to 20 characters of GS1's set 82),
written as a Digital Link URI (``…/01/{gtin}/21/{serial}``), an element string (``(01)…(21)…``,
raw with FNC1, or with a symbology identifier) or an SGTIN URN (``urn:epc:id:sgtin:…``). A drug
supervision code (药品电子监管码) is 20 digits, which are also the length of ours: our own
reading of 20 digits comes first, and only 20 digits that are not one of our codes are looked up
as a drug code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from biip import ParseError as GS1ParseError
from biip.gs1_messages import GS1Message

from jianguan.schemes.models import Scheme
from jianguan.trace.gs1_uri import canonical_identifier, check_digit

DRUG_CODE_LENGTH = 20
MAX_GS1_SERIAL = 20  # characters of AI (21)
MAX_RANGE_SERIAL_DIGITS = 18  # a numeric serial of a registered range fits in a signed 64-bit integer

# GS1 General Specifications, figure 7.11-1: the characters of set 82.
_SET_82 = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}")
_LINK = re.compile(r"/01/(\d{14})/21/([^/?#]+)")
_SEPARATORS = re.compile(r"[\s\-]+")
_GS1_SYMBOLOGIES = ("]C1", "]d2", "]Q3", "]e0", "]J1")


@dataclass(frozen=True, slots=True)
class ForeignCode:
    """A code of another scheme as read: a GS1 GTIN-14 and serial, or a drug code (``gtin`` None)."""

    scheme: Scheme
    value: str  # the drug code; for GS1 the serial
    gtin: str | None = None

    @property
    def key(self) -> str:
        """The code as ``scheme_values`` stores it: the GTIN and serial together, or the drug code."""
        return f"{self.gtin}{self.value}" if self.gtin else self.value

    @property
    def numeric_serial(self) -> int | None:
        """The serial as a number a registered range may hold (digits, no leading zero), else None."""
        serial = self.value
        if self.gtin is None or not serial.isdigit() or len(serial) > MAX_RANGE_SERIAL_DIGITS:
            return None
        if len(serial) > 1 and serial[0] == "0":
            return None
        return int(serial)

    @property
    def text(self) -> str:
        """How answers show it: ``(01)GTIN(21)SERIAL``, or the drug code."""
        return f"(01){self.gtin}(21){self.value}" if self.gtin else self.value

    def digital_link(self, base: str) -> str:
        """The GS1 Digital Link URI of a GS1 code on ``base`` (the network's address)."""
        return f"{base.rstrip('/')}/01/{self.gtin}/21/{self.value}"


def gtin14(text: str) -> str | None:
    """A GTIN (8, 12, 13 or 14 digits) as 14 digits when its check digit is right, else None."""
    digits = text.strip()
    if len(digits) not in (8, 12, 13, 14) or not (digits.isascii() and digits.isdigit()):
        return None
    if check_digit(digits[:-1]) != digits[-1]:
        return None
    return digits.zfill(14)


def valid_serial(serial: str) -> bool:
    """Whether ``serial`` may be a GS1 serial (AI 21): 1 to 20 characters of set 82."""
    return _SET_82.fullmatch(serial) is not None


def gs1_code(gtin: str, serial: str) -> ForeignCode | None:
    """A GS1 code of a GTIN and serial, or None when either is not well formed."""
    found = gtin14(gtin)
    if found is None or not valid_serial(serial):
        return None
    return ForeignCode(Scheme.GS1, serial, found)


def drug_code(text: str) -> ForeignCode | None:
    """A drug supervision code: 20 digits (spaces and dashes between them ignored), else None."""
    digits = _SEPARATORS.sub("", text.strip())
    if len(digits) != DRUG_CODE_LENGTH or not (digits.isascii() and digits.isdigit()):
        return None
    return ForeignCode(Scheme.DRUG, digits)


def _element_string(body: str) -> ForeignCode | None:
    try:
        message = GS1Message.parse_hri(body) if body.startswith("(") else GS1Message.parse(body)
    except (GS1ParseError, ValueError):
        return None
    elements = {e.ai.ai: e.value for e in message.element_strings}
    if "01" not in elements or "21" not in elements:
        return None
    return gs1_code(elements["01"], elements["21"])


def foreign_code(text: str, *, link_gtin: str | None = None) -> ForeignCode | None:
    """The code of another scheme ``text`` is (see the module doc), or None. Reached through a
    Digital Link, ``text`` is the serial and ``link_gtin`` the GTIN the link names."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not text or len(text) > 200:
        return None
    if link_gtin is not None:
        return gs1_code(link_gtin, unquote(text)) if link_gtin else None
    if text.startswith("urn:epc:id:sgtin:"):
        canonical = canonical_identifier(text)
        return foreign_code(canonical) if canonical else None
    link = _LINK.search(text)
    if link is not None:
        return gs1_code(link.group(1), unquote(link.group(2)))
    body = text[3:] if text.startswith(_GS1_SYMBOLOGIES) else text
    compact = _SEPARATORS.sub("", body)
    if (body.startswith("(") or "\x1d" in body or body is not text
            or (compact.startswith("01") and len(compact) > DRUG_CODE_LENGTH)):
        return _element_string(body) or drug_code(text)
    return drug_code(text)
