"""Supervision codes (电子监管码): the pure codec lives in ``codec``; see its docstring."""

from jianguan.codes.codec import (
    Key,
    Keyring,
    MalformedCode,
    ParsedCode,
    decode_code,
    decode_codes,
    encode_serial,
    encode_serials,
    format_codes,
    format_grouped,
    issue_codes,
    parse_code,
)

__all__ = [
    "Key",
    "Keyring",
    "MalformedCode",
    "ParsedCode",
    "decode_code",
    "decode_codes",
    "encode_serial",
    "encode_serials",
    "format_codes",
    "format_grouped",
    "issue_codes",
    "parse_code",
]
