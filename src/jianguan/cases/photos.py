"""Photos sent with a case: the type is read from the file's first bytes (never from its name or
the type the sender claims), the size is bounded, and the file is kept outside the database, in
the folder ``JIANGUAN_CASE_PHOTO_DIR``, named by its SHA-256 (the storing is ``jianguan.uploads``)."""

from __future__ import annotations

from pathlib import Path

from jianguan.errors import ValidationFailed
from jianguan.uploads import sniff_type, store_file, stored_path

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 4
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


def photo_type(data: bytes) -> str:
    """The media type of a photo by its magic bytes: JPEG, PNG or WebP; ValidationFailed otherwise."""
    if not data:
        raise ValidationFailed("The photo is empty.", "照片文件为空。", code="empty_photo", field="photos")
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationFailed(f"A photo is at most {MAX_PHOTO_BYTES // (1024 * 1024)} MB.",
                               f"每张照片不超过 {MAX_PHOTO_BYTES // (1024 * 1024)} MB。", code="photo_too_large",
                               field="photos")
    media_type = sniff_type(data)
    if media_type is not None and media_type in PHOTO_TYPES:
        return media_type
    raise ValidationFailed("A photo must be a JPEG, PNG or WebP image.", "照片须为 JPEG、PNG 或 WebP 图片。",
                           code="photo_type", field="photos")


def check_photos(photos: list[bytes]) -> list[str]:
    """The media type of each photo; ValidationFailed for too many, or any of a wrong type or size."""
    if len(photos) > MAX_PHOTOS:
        raise ValidationFailed(f"Send at most {MAX_PHOTOS} photos.", f"最多上传 {MAX_PHOTOS} 张照片。",
                               code="too_many_photos", field="photos")
    return [photo_type(data) for data in photos]


def photo_path(folder: Path, sha256: str, media_type: str) -> Path:
    """Where the photo with this digest and type is kept."""
    return stored_path(folder, sha256, media_type)


def store_photo(folder: Path, data: bytes, media_type: str) -> str:
    """Write the photo (once: the same bytes are one file) and answer its SHA-256."""
    return store_file(folder, data, media_type)
