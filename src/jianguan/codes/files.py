"""The code file (码文件) a printer downloads: a ZIP of ``codes.csv`` and a signed ``manifest.json``.

The file is produced as a stream of bytes, chunk by chunk, so memory stays flat whatever the
batch size: ten million codes are never held at once. Each chunk of serials goes through the
bulk codec, becomes CSV rows by numpy copies into a fixed template (every row has the same
width, since a code is always 20 digits), is hashed, and is written into the ZIP.

``manifest.json`` comes after ``codes.csv`` in the ZIP because it carries the SHA-256 and byte
count of the CSV, known only once the CSV has been streamed. The manifest is signed with the
network's Ed25519 key over its canonical JSON, so a printer (or a regulator holding the public
key) can check that the file is whole and came from the network: ``verify_code_file``.

Pure but for the stream: no database, no clock; the caller passes the key, the signer and the
manifest fields (batch, enterprise, product, issued_at, ...).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from jianguan.codes.codec import CODE_LENGTH, SERIAL_SPACE, Key, issue_codes
from jianguan.codes.keys import verify_signature
from jianguan.errors import ValidationFailed

__all__ = [
    "CSV_NAME",
    "FORMAT_VERSION",
    "MANIFEST_NAME",
    "TamperedFile",
    "VerifiedFile",
    "canonical_json",
    "csv_columns",
    "iter_code_file",
    "normalise_gtin",
    "verify_code_file",
]

CSV_NAME = "codes.csv"
MANIFEST_NAME = "manifest.json"
FORMAT_VERSION = 1
SIGNATURE_ALGORITHM = "Ed25519"

# Fields the export computes itself; a caller's manifest may not set them.
_COMPUTED = ("format_version", "columns", "csv_sha256", "csv_bytes", "signature")
# Fields the export knows from its arguments; a caller's manifest may repeat them, but must agree.
_ARGUMENTS = ("count", "generation", "serial_start", "serial_end")

# ZIP_STORED, not ZIP_DEFLATED: measured on 65,536-code chunks (row with digital link, 156 bytes),
# zlib level 1 costs about 1.8 µs a code against 0.2 µs for the whole codec, which would cap the
# export near 0.5 M codes/s; it would shrink the file to about 23 %. A printer's RIP reads the CSV
# once over a LAN, and HTTP can still compress in transit, so the speed wins. (benchmarks/code_file.py)
_COMPRESSION = zipfile.ZIP_STORED


class TamperedFile(ValidationFailed):
    """A code file that fails verification. ``reason`` says which check failed.

    Reasons: missing_member, bad_manifest, unknown_key, signature, size, hash, count.
    """

    code = "tampered_file"

    _MESSAGES = {  # noqa: RUF012 - a constant table
        "missing_member": ("The file lacks {member}.", "文件缺少 {member}。"),
        "bad_manifest": (
            "manifest.json is not a valid manifest: {problem}.",
            "manifest.json 不是有效的清单：{problem}。",
        ),
        "unknown_key": (
            "The manifest is signed with key {key_id}, which is not a known network key.",
            "清单的签名密钥 {key_id} 不是已知的网络公钥。",
        ),
        "signature": (
            "The manifest's signature does not match its content: the manifest was altered or not signed by the network.",
            "清单签名与内容不符：清单被改动过，或并非由监管网签发。",
        ),
        "size": (
            "codes.csv has {actual} bytes; the manifest says {expected}.",
            "codes.csv 为 {actual} 字节，清单记载为 {expected} 字节。",
        ),
        "hash": (
            "The SHA-256 of codes.csv does not match the manifest: the codes were altered.",
            "codes.csv 的 SHA-256 与清单不符：码数据被改动过。",
        ),
        "count": (
            "codes.csv has {actual} codes; the manifest says {expected}.",
            "codes.csv 含 {actual} 个码，清单记载为 {expected} 个。",
        ),
    }

    def __init__(self, reason: str, **details: Any) -> None:
        english, chinese = self._MESSAGES[reason]
        super().__init__(english.format(**details), chinese.format(**details), reason=reason, **details)
        self.reason = reason


@dataclass(frozen=True)
class VerifiedFile:
    """A code file that passed every check: its manifest, the signing key's id and the CSV's facts."""

    manifest: dict[str, Any]
    key_id: str
    count: int
    csv_sha256: str
    csv_bytes: int


# --- helpers ----------------------------------------------------------------------------------


def normalise_gtin(gtin: str) -> str:
    """A GTIN-8, -12, -13 or -14 as the 14 digits GS1 Digital Link uses; checks the check digit."""
    digits = gtin.strip()
    if not (digits.isascii() and digits.isdigit() and len(digits) in (8, 12, 13, 14)):
        raise ValidationFailed(
            f"A GTIN has 8, 12, 13 or 14 digits; got {gtin!r}.",
            f"GTIN 应为 8、12、13 或 14 位数字，此处为“{gtin}”。",
            code="bad_gtin",
        )
    digits = digits.zfill(14)
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(digits[:13]))
    if (10 - total % 10) % 10 != int(digits[13]):
        raise ValidationFailed(
            f"The GTIN {gtin} has a wrong check digit.",
            f"GTIN {gtin} 的校验位不正确。",
            code="bad_gtin",
        )
    return digits


def csv_columns(*, with_gtin: bool) -> list[str]:
    """The CSV's columns: the code, its printed grouping, its URL and, with a GTIN, its Digital Link."""
    return ["code", "grouped", "url", *(["digital_link"] if with_gtin else [])]


def canonical_json(manifest: Mapping[str, Any]) -> bytes:
    """The bytes a manifest's signature covers: sorted keys, no spaces, UTF-8, no ``signature``."""
    content = {name: value for name, value in manifest.items() if name != "signature"}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _json_default(value: object) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)  # UUIDs, enums by value, decimals: their text form


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _check_base_url(base_url: str) -> bytes:
    url = base_url.rstrip("/")
    # The CSV is written without quoting (every field is fixed text), so no field may need it.
    if not url or any(ch in url for ch in ',"\r\n') or any(ch.isspace() for ch in url):
        raise ValueError("base_url must be a non-empty URL without commas, quotes or spaces")
    return url.encode("utf-8")


def _zip_time(issued_at: object) -> tuple[int, int, int, int, int, int]:
    """The ZIP member timestamp: the issue time, so the same batch always gives the same bytes."""
    if isinstance(issued_at, str):
        try:
            issued_at = dt.datetime.fromisoformat(issued_at)
        except ValueError:
            issued_at = None
    if isinstance(issued_at, dt.datetime) and issued_at.year >= 1980:
        return issued_at.timetuple()[:6]
    return (1980, 1, 1, 0, 0, 0)


# --- rows -------------------------------------------------------------------------------------


class _Rows:
    """Fixed-width CSV rows in a reusable buffer: a template with the code copied in four times.

    Every row is ``code,grouped,base/v/code[,base/01/gtin/21/code]\\r\\n`` and a code is always 20
    ASCII digits, so every row has the same width and the constant text is written once. Each
    chunk then copies the codes in with one structured-array assignment: numpy copies all eight
    fields (the code, the five groups of four, the URL's code, the link's code) per row in one
    pass, measured at about 75 ns a code, against about 35 ns per field with one 2-D slice copy
    per field and over 500 ns with fancy indexing.
    """

    def __init__(self, base_url: bytes, gtin14: str | None, size: int) -> None:
        parts = [
            b"C" * CODE_LENGTH,
            b",",
            b" ".join([b"GGGG"] * 5),
            b",",
            base_url,
            b"/v/",
            b"U" * CODE_LENGTH,
        ]
        if gtin14 is not None:
            parts += [b",", base_url, b"/01/", gtin14.encode("ascii"), b"/21/", b"D" * CODE_LENGTH]
        template = b"".join([*parts, b"\r\n"])
        self.width = len(template)
        code_at = [0, len(template) - 2 - CODE_LENGTH]  # the code column and the row's last field
        if gtin14 is not None:
            code_at.insert(1, len(b"".join(parts[:7])) - CODE_LENGTH)  # the URL's code
        group_at = [CODE_LENGTH + 1 + 5 * g for g in range(5)]
        formats = ["S20"] * len(code_at) + ["S4"] * 5
        names = [f"f{i}" for i in range(len(formats))]
        self._target = np.dtype(
            {"names": names, "formats": formats, "offsets": code_at + group_at, "itemsize": self.width}
        )
        # The source view reads each 20-byte code as the same fields: the whole code, then its groups.
        self._source = np.dtype(
            {
                "names": names,
                "formats": formats,
                "offsets": [0] * len(code_at) + [4 * g for g in range(5)],
                "itemsize": CODE_LENGTH,
            }
        )
        self._buffer = np.frombuffer(template * size, dtype=np.uint8).copy()

    def fill(self, codes: np.ndarray) -> bytes:
        """The CSV bytes of ``codes`` (an ``S20`` array no longer than the buffer)."""
        rows = self._buffer[: len(codes) * self.width].view(self._target)
        rows[...] = codes.view(self._source)
        return rows.tobytes()


# --- writing ----------------------------------------------------------------------------------


class _Sink:
    """A write-only file for ``zipfile``: no seek and no tell, so zipfile writes data descriptors
    (sizes and CRC after each member) and never goes back. What it writes is drained after each
    chunk and handed on, so the ZIP never accumulates in memory."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes | memoryview) -> int:
        self._parts.append(bytes(data))  # no copy for bytes, which is what this module writes
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass  # zipfile never closes a file it was handed; the protocol it types files with asks for it

    def drain(self) -> Iterator[bytes]:
        parts, self._parts = self._parts, []
        yield from parts


def _build_manifest(
    manifest: Mapping[str, Any], *, key: Key, serial_start: int, quantity: int, columns: list[str]
) -> dict[str, Any]:
    # Round-trip through JSON first, so the dict signed is exactly what a reader will parse.
    content: dict[str, Any] = json.loads(json.dumps(dict(manifest), default=_json_default))
    reserved = [name for name in _COMPUTED if name in content]
    if reserved:
        raise ValueError(f"the manifest may not set {', '.join(reserved)}: the export computes them")
    known = {
        "count": quantity,
        "generation": key.generation,
        "serial_start": serial_start,
        "serial_end": serial_start + quantity,
    }
    for name in _ARGUMENTS:
        if name in content and content[name] != known[name]:
            raise ValueError(
                f"the manifest's {name} {content[name]!r} disagrees with the export ({known[name]})"
            )
    return content | known | {"format_version": FORMAT_VERSION, "columns": columns}


def iter_code_file(
    *,
    key: Key,
    serial_start: int,
    quantity: int,
    base_url: str,
    gtin: str | None,
    manifest: Mapping[str, Any],
    signer: Callable[[bytes], bytes],
    public_key_id: str,
    chunk: int = 65536,
) -> Iterator[bytes]:
    """The bytes of the code file of serials ``[serial_start, serial_start + quantity)``, streamed.

    ``codes.csv`` has a header row and one row a code (``code,grouped,url`` and ``digital_link``
    when the product has a ``gtin``), UTF-8 with CRLF line ends. ``manifest.json`` holds the
    caller's ``manifest`` fields with the count, generation and serial range, the CSV's SHA-256
    and size, and an Ed25519 ``signature`` made by ``signer`` over ``canonical_json`` of the rest.
    Memory use is bounded by ``chunk`` (serials encoded at a time), not by ``quantity``.
    """
    if quantity < 0 or serial_start < 0 or serial_start + quantity > SERIAL_SPACE:
        raise ValueError("the serial range must lie in [0, 10^18)")
    if chunk < 1:
        raise ValueError("chunk must be positive")
    url = _check_base_url(base_url)
    gtin14 = None if gtin is None else normalise_gtin(gtin)
    columns = csv_columns(with_gtin=gtin14 is not None)
    content = _build_manifest(
        manifest, key=key, serial_start=serial_start, quantity=quantity, columns=columns
    )
    # Checked here, not in the generator, so a bad request fails before a response has started.
    return _stream(
        key=key,
        serial_start=serial_start,
        quantity=quantity,
        rows=_Rows(url, gtin14, min(chunk, max(quantity, 1))),
        columns=columns,
        content=content,
        signer=signer,
        public_key_id=public_key_id,
        chunk=chunk,
    )


def _stream(
    *,
    key: Key,
    serial_start: int,
    quantity: int,
    rows: _Rows,
    columns: list[str],
    content: dict[str, Any],
    signer: Callable[[bytes], bytes],
    public_key_id: str,
    chunk: int,
) -> Iterator[bytes]:
    when = _zip_time(content.get("issued_at"))
    sink = _Sink()
    digest = hashlib.sha256()
    size = 0
    with zipfile.ZipFile(sink, "w", compression=_COMPRESSION) as archive:
        member = zipfile.ZipInfo(CSV_NAME, date_time=when)
        member.external_attr = 0o644 << 16
        member.compress_type = _COMPRESSION
        # force_zip64: the size is not known when the member's header is written, and a CSV of
        # ~30 million rows passes 4 GiB; without it zipfile refuses to finish such a member.
        with archive.open(member, "w", force_zip64=True) as csv:
            header = (",".join(columns) + "\r\n").encode("ascii")
            digest.update(header)
            size += len(header)
            csv.write(header)
            for start in range(serial_start, serial_start + quantity, chunk):
                stop = min(start + chunk, serial_start + quantity)
                data = rows.fill(issue_codes(key, np.arange(start, stop, dtype=np.uint64)))
                digest.update(data)
                size += len(data)
                csv.write(data)
                del data  # the sink holds the only other reference, dropped once drained
                yield from sink.drain()
        content |= {"csv_sha256": digest.hexdigest(), "csv_bytes": size}
        signature = signer(canonical_json(content))
        content["signature"] = {
            "algorithm": SIGNATURE_ALGORITHM,
            "key_id": public_key_id,
            "value": _b64url(signature),
        }
        text = json.dumps(content, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
        info = zipfile.ZipInfo(MANIFEST_NAME, date_time=when)
        info.external_attr = 0o644 << 16
        archive.writestr(info, text.encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED)
    yield from sink.drain()


# --- verifying --------------------------------------------------------------------------------


_READ_BLOCK = 1 << 20


def _read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        raw = archive.read(MANIFEST_NAME)
    except KeyError:
        raise TamperedFile("missing_member", member=MANIFEST_NAME) from None
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise TamperedFile("bad_manifest", problem=f"not JSON ({error})") from None
    if not isinstance(manifest, dict):
        raise TamperedFile("bad_manifest", problem="not a JSON object")
    for name, kind in (("count", int), ("csv_sha256", str), ("csv_bytes", int), ("signature", dict)):
        if not isinstance(manifest.get(name), kind) or isinstance(manifest.get(name), bool):
            raise TamperedFile("bad_manifest", problem=f"{name} is missing or of the wrong type")
    return manifest


def _check_signature(manifest: dict[str, Any], public_keys: Mapping[str, bytes]) -> str:
    signature = manifest["signature"]
    key_id, value = signature.get("key_id"), signature.get("value")
    if signature.get("algorithm") != SIGNATURE_ALGORITHM or not isinstance(value, str):
        raise TamperedFile("bad_manifest", problem=f"the signature is not an {SIGNATURE_ALGORITHM} signature")
    if not isinstance(key_id, str) or key_id not in public_keys:
        raise TamperedFile("unknown_key", key_id=key_id)
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise TamperedFile("signature") from None
    if not verify_signature(public_keys[key_id], canonical_json(manifest), raw):
        raise TamperedFile("signature")
    return key_id


def verify_code_file(path_or_file: str | Path | IO[bytes], public_keys: Mapping[str, bytes]) -> VerifiedFile:
    """Check a code file: the manifest's signature, then the CSV's size, SHA-256 and row count.

    ``public_keys`` maps key ids to raw Ed25519 public keys. Reads the CSV in blocks, so a file of
    any size is checked in constant memory. Raises ``TamperedFile`` naming the first check that
    failed; otherwise returns the manifest and what was measured.
    """
    try:
        archive = zipfile.ZipFile(path_or_file)
    except zipfile.BadZipFile:
        raise TamperedFile(
            "missing_member", member=f"{CSV_NAME} / {MANIFEST_NAME} (not a ZIP file)"
        ) from None
    with archive:
        manifest = _read_manifest(archive)
        key_id = _check_signature(manifest, public_keys)
        digest, size, lines = hashlib.sha256(), 0, 0
        try:
            with archive.open(CSV_NAME) as csv:
                while block := csv.read(_READ_BLOCK):
                    digest.update(block)
                    size += len(block)
                    lines += block.count(b"\n")
        except KeyError:
            raise TamperedFile("missing_member", member=CSV_NAME) from None
        except zipfile.BadZipFile:
            # zipfile's own CRC check failed: bytes of the CSV changed in place.
            raise TamperedFile("hash") from None
    if size != manifest["csv_bytes"]:
        raise TamperedFile("size", actual=size, expected=manifest["csv_bytes"])
    if digest.hexdigest() != manifest["csv_sha256"]:
        raise TamperedFile("hash")
    if lines - 1 != manifest["count"]:  # the header row
        raise TamperedFile("count", actual=lines - 1, expected=manifest["count"])
    return VerifiedFile(manifest, key_id, lines - 1, digest.hexdigest(), size)
