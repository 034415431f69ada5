"""What every page form shares: the body type of a form post, and reading numbers and dates
from its fields with a clear error in both languages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated

from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body

from jianguan.errors import ValidationFailed

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


# Every number a form asks for (an id, a quantity, a year, a position in a batch) fits a 32-bit
# column; a larger one is refused here rather than by the database (a 500).
MAX_FORM_NUMBER = 2**31 - 1


def form_int(value: str | None, english: str, chinese: str, *, maximum: int = MAX_FORM_NUMBER) -> int | None:
    """A whole number from a form field (thousands separators allowed: "1,000"); None when empty.
    ``maximum`` is the largest the field's column holds (a 64-bit one, e.g. a quota, says so).

    Only ASCII digits: ``str.isdigit()`` is true of "¹" and "١" too, which ``int()`` refuses or reads.
    """
    value = (value or "").strip().replace(",", "").replace("，", "")
    if not value:
        return None
    if not (value.isascii() and value.isdigit()):
        raise ValidationFailed(f"The {english} must be a number.", f"{chinese}应为数字。", code="invalid_number")
    if len(value) > len(str(maximum)) or int(value) > maximum:
        raise ValidationFailed(f"The {english} is too large.", f"{chinese}数值过大。", code="invalid_number")
    return int(value)


def form_date(value: str | None, english: str, chinese: str) -> dt.date | None:
    """A date (YYYY-MM-DD) from a form field; None when the field is empty."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"The {english} must be a date like 2008-03-01.", f"{chinese}应为日期，例如 2008-03-01。",
                               code="invalid_date") from None


def uploaded_file(data: Mapping[str, object], limit: int) -> tuple[bytes, str]:
    """The bytes and name of a multipart form's ``file`` field (empty when none was sent). At most
    ``limit`` + 1 bytes are read, so the service sees a file over its limit as such."""
    upload = data.get("file")
    if isinstance(upload, UploadFile):
        return upload.file.read(limit + 1), upload.filename or ""
    return b"", ""
