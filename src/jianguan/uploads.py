"""Files people upload (a case's photos, an application's documents): the type is read from the
file's first bytes (never from its name or the type the sender claims), the size is bounded by
the caller, and the file is kept outside the database, in a configured folder, named by its SHA-256."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

# The media types a file may be recognised as, and the extension it is stored with.
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf"}


def sniff_type(data: bytes) -> str | None:
    """The media type of ``data`` by its magic bytes (JPEG, PNG, WebP, PDF), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def stored_path(folder: Path, sha256: str, media_type: str) -> Path:
    """Where the file with this digest and type is kept."""
    return folder / sha256[:2] / f"{sha256}.{EXTENSIONS[media_type]}"


def store_file(folder: Path, data: bytes, media_type: str) -> str:
    """Write the file (once: the same bytes are one file) and answer its SHA-256."""
    digest = hashlib.sha256(data).hexdigest()
    path = stored_path(folder, digest, media_type)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(data)
        partial.replace(path)
    return digest
