"""The code file: a streamed ZIP of codes.csv and a signed manifest, and its verification."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from jianguan.codes.codec import Key, Keyring, decode_codes, format_grouped, issue_codes
from jianguan.codes.files import (
    TamperedFile,
    canonical_json,
    iter_code_file,
    normalise_gtin,
    verify_code_file,
)
from jianguan.codes.keys import new_signing_key, sign
from jianguan.errors import DomainError, ValidationFailed

KEY = Key(3, bytes(range(32)))
PRIVATE, PUBLIC = new_signing_key()
PUBLIC_KEYS = {"net-1": PUBLIC}
BASE_URL = "https://jg.example.cn"
FIELDS = {
    "batch_id": 42,
    "enterprise": "某某药业有限公司",
    "packaging_level": "item",
    "issued_at": "2026-11-23T08:00:00+00:00",
}


def export(
    *,
    quantity: int = 1000,
    serial_start: int = 5_000,
    gtin: str | None = None,
    chunk: int = 300,
    private: bytes = PRIVATE,
    key_id: str = "net-1",
    manifest: dict | None = None,
) -> bytes:
    return b"".join(
        iter_code_file(
            key=KEY,
            serial_start=serial_start,
            quantity=quantity,
            base_url=BASE_URL + "/",
            gtin=gtin,
            manifest=FIELDS if manifest is None else manifest,
            signer=lambda message: sign(private, message),
            public_key_id=key_id,
            chunk=chunk,
        )
    )


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rebuild(files: dict[str, bytes]) -> bytes:
    """A ZIP with the given members, as a forger would make it (consistent CRCs and sizes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def resign(manifest: dict, private: bytes = PRIVATE) -> bytes:
    value = base64.urlsafe_b64encode(sign(private, canonical_json(manifest))).rstrip(b"=").decode()
    manifest["signature"]["value"] = value
    return json.dumps(manifest).encode()


def reason(data: bytes) -> str:
    with pytest.raises(TamperedFile) as caught:
        verify_code_file(io.BytesIO(data), PUBLIC_KEYS)
    assert isinstance(caught.value, DomainError)
    assert caught.value.message and caught.value.message_zh
    return caught.value.reason


# --- round trip -------------------------------------------------------------------------------


@pytest.mark.parametrize("gtin", [None, "6901234567892"])
def test_round_trip(tmp_path: Path, gtin: str | None) -> None:
    path = tmp_path / "codes.zip"
    with path.open("wb") as file:
        for part in iter_code_file(
            key=KEY,
            serial_start=5_000,
            quantity=1000,
            base_url=BASE_URL,
            gtin=gtin,
            manifest=FIELDS,
            signer=lambda m: sign(PRIVATE, m),
            public_key_id="net-1",
            chunk=300,
        ):
            file.write(part)

    verified = verify_code_file(path, PUBLIC_KEYS)
    assert verified.count == 1000 and verified.key_id == "net-1"
    manifest = verified.manifest
    assert {k: manifest[k] for k in FIELDS} == FIELDS
    assert (manifest["count"], manifest["generation"]) == (1000, 3)
    assert (manifest["serial_start"], manifest["serial_end"]) == (5_000, 6_000)
    assert manifest["format_version"] == 1
    assert manifest["signature"]["algorithm"] == "Ed25519"

    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["codes.csv", "manifest.json"]  # the manifest comes last
        text = archive.read("codes.csv").decode("utf-8")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")[:-1]
    rows = [line.split(",") for line in lines[1:]]
    expected_header = ["code", "grouped", "url"] + (["digital_link"] if gtin else [])
    assert lines[0].split(",") == expected_header == manifest["columns"]
    codes = [row[0] for row in rows]
    generations, serials = decode_codes(Keyring([KEY]), codes)
    assert (generations == 3).all()
    assert serials.tolist() == list(range(5_000, 6_000))
    for row in rows:
        assert len(row) == len(expected_header)
        assert row[1] == format_grouped(row[0])
        assert row[2] == f"{BASE_URL}/v/{row[0]}"
        if gtin:
            assert row[3] == f"{BASE_URL}/01/0{gtin}/21/{row[0]}"


def test_stream_is_deterministic_and_chunking_does_not_change_the_csv() -> None:
    # The signature is deterministic (Ed25519), and ZIP member times come from issued_at.
    assert export(chunk=7) == export(chunk=1000)


def test_empty_batch_has_only_the_header() -> None:
    data = export(quantity=0)
    assert members(data)["codes.csv"] == b"code,grouped,url\r\n"
    assert verify_code_file(io.BytesIO(data), PUBLIC_KEYS).count == 0


def test_csv_member_is_zip64() -> None:
    with zipfile.ZipFile(io.BytesIO(export(quantity=10))) as archive:
        info = archive.getinfo("codes.csv")
    assert info.extract_version >= zipfile.ZIP64_VERSION
    assert info.compress_type == zipfile.ZIP_STORED


def test_manifest_fields_the_export_owns_are_refused() -> None:
    with pytest.raises(ValueError, match="csv_sha256"):
        export(manifest={"csv_sha256": "x"})
    with pytest.raises(ValueError, match="count"):
        export(manifest={"count": 5})
    assert json.loads(members(export(manifest={"count": 1000}))["manifest.json"])["count"] == 1000


def test_bad_arguments() -> None:
    with pytest.raises(ValidationFailed):
        export(gtin="6901234567890")  # wrong check digit
    with pytest.raises(ValueError, match="base_url"):  # on the call, before any byte is streamed
        (
            iter_code_file(
                key=KEY,
                serial_start=0,
                quantity=1,
                base_url="https://a,b",
                gtin=None,
                manifest={},
                signer=lambda m: sign(PRIVATE, m),
                public_key_id="k",
            )
        )
    with pytest.raises(ValueError, match="serial range"):
        export(serial_start=10**18 - 5, quantity=10)


def test_normalise_gtin() -> None:
    assert normalise_gtin("6901234567892") == "06901234567892"
    assert normalise_gtin("96385074") == "00000096385074"  # GTIN-8
    for bad in ("690123456789", "69012345678921", "abc"):
        with pytest.raises(ValidationFailed):
            normalise_gtin(bad)


# --- tampering --------------------------------------------------------------------------------


def test_one_changed_csv_byte_is_detected() -> None:
    files = members(export())
    csv = bytearray(files["codes.csv"])
    position = csv.index(b"\r\n") + 5  # a digit of the first code
    csv[position] = ord("0") + (csv[position] - ord("0") + 1) % 10
    assert reason(rebuild({"codes.csv": bytes(csv), "manifest.json": files["manifest.json"]})) == "hash"


def test_a_byte_changed_in_place_is_detected() -> None:
    data = bytearray(export())
    position = data.index(b"\r\n") + 5  # inside the stored CSV, with the ZIP's CRC left as it was
    data[position] = ord("0") + (data[position] - ord("0") + 1) % 10
    assert reason(bytes(data)) == "hash"


def test_a_removed_row_is_detected() -> None:
    files = members(export())
    lines = files["codes.csv"].split(b"\r\n")
    del lines[10]
    assert (
        reason(rebuild({"codes.csv": b"\r\n".join(lines), "manifest.json": files["manifest.json"]})) == "size"
    )


def test_a_row_count_the_hash_does_not_cover_is_detected() -> None:
    # Only a signer could make this (a bug or a stolen key), but the count is still checked.
    files = members(export())
    lines = files["codes.csv"].split(b"\r\n")
    del lines[10]
    csv = b"\r\n".join(lines)
    manifest = json.loads(files["manifest.json"])
    manifest |= {"csv_bytes": len(csv), "csv_sha256": hashlib.sha256(csv).hexdigest()}
    assert reason(rebuild({"codes.csv": csv, "manifest.json": resign(manifest)})) == "count"


def test_a_changed_manifest_count_is_detected() -> None:
    files = members(export())
    manifest = json.loads(files["manifest.json"])
    manifest["count"] = 999
    assert reason(rebuild(files | {"manifest.json": json.dumps(manifest).encode()})) == "signature"


def test_a_swapped_signature_is_detected() -> None:
    other = json.loads(members(export(quantity=999))["manifest.json"])
    files = members(export())
    manifest = json.loads(files["manifest.json"])
    manifest["signature"] = other["signature"]
    assert reason(rebuild(files | {"manifest.json": json.dumps(manifest).encode()})) == "signature"


def test_a_signature_by_another_key_is_detected() -> None:
    stranger, _ = new_signing_key()
    assert reason(export(private=stranger)) == "signature"


def test_an_unknown_key_id_is_detected() -> None:
    assert reason(export(key_id="net-9")) == "unknown_key"


@pytest.mark.parametrize("missing", ["codes.csv", "manifest.json"])
def test_a_missing_member_is_detected(missing: str) -> None:
    files = members(export())
    del files[missing]
    assert reason(rebuild(files)) == "missing_member"


def test_not_a_zip_and_not_a_manifest() -> None:
    assert reason(b"codes") == "missing_member"
    files = members(export())
    assert reason(rebuild(files | {"manifest.json": b"[1]"})) == "bad_manifest"
    assert reason(rebuild(files | {"manifest.json": b"{"})) == "bad_manifest"


# --- memory -----------------------------------------------------------------------------------


def traced_peak(quantity: int) -> int:
    tracemalloc.start()
    try:
        total = 0
        for part in iter_code_file(
            key=KEY,
            serial_start=0,
            quantity=quantity,
            base_url=BASE_URL,
            gtin="6901234567892",
            manifest={},
            signer=lambda m: sign(PRIVATE, m),
            public_key_id="net-1",
        ):
            total += len(part)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_whatever_the_count() -> None:
    small, large = traced_peak(200_000), traced_peak(2_000_000)
    assert large < 64 * 2**20
    assert large < 2 * small, (small, large)


def test_codes_match_the_bulk_codec() -> None:
    csv = members(export(quantity=50, serial_start=10**17))["codes.csv"]
    codes = [line.split(b",")[0] for line in csv.split(b"\r\n")[1:-1]]
    assert codes == issue_codes(KEY, np.arange(10**17, 10**17 + 50, dtype=np.uint64)).tolist()
