"""Free text a person types (names, addresses, reasons, a lot number), checked alike in every area.

Each such column is ``String(n)``, and that ``n`` is the field's one limit: the services refuse
anything longer with ``clean_text`` (pages and the command line reach the database through them
only), and the API's request types declare the same length from the same column
(``web/api/fields.py``), so that the OpenAPI document shows it. Without a limit, a lot number of a
megabyte was stored, and every verification of its codes answered a megabyte; and PostgreSQL
refused an over-long value for a ``VARCHAR(n)`` only when the statement ran (a 500).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import InstrumentedAttribute

from jianguan.errors import ValidationFailed


def text_limit(column: InstrumentedAttribute[Any]) -> int:
    """The ``n`` of the ``String(n)`` column behind a mapped attribute."""
    column_type = column.type
    if not isinstance(column_type, String) or column_type.length is None:
        raise TypeError(f"{column} is not a String(n) column")
    return column_type.length


def clean_text(value: str | None, column: InstrumentedAttribute[Any], *, english: str, chinese: str,
               required: bool = False, field: str | None = None) -> str:
    """``value`` without surrounding spaces; ValidationFailed (in both languages, naming ``field``,
    by default the column's name) when it is required and empty, or longer than ``column`` holds."""
    field = field or column.key
    if value is not None and not isinstance(value, str):
        raise ValidationFailed(f"The {english} must be text.", f"{chinese}应为文字。", code="invalid_text",
                               field=field)
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed(f"The {english} is required.", f"请填写{chinese}。", code="missing_field", field=field)
    limit = text_limit(column)
    if len(text) > limit:
        raise ValidationFailed(f"The {english} has at most {limit} characters; this has {len(text)}.",
                               f"{chinese}最多 {limit} 个字符，当前 {len(text)} 个。", code="too_long", field=field)
    return text
