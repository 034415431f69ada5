"""The bounds of what a request may carry, declared once for every route that takes it.

Litestar reads an ``{id:int}`` path segment or an integer query parameter with ``int()``, which
takes any number of digits, and the database then failed on a number it cannot hold (a 500);
and a body's text went to the database however long it was. So every number a route reads is
declared here with its range, and every text with its length, as the types of the parameters
and of the API's request bodies: Litestar and msgspec refuse what lies outside (400, before any
service runs), and the OpenAPI document states the same bounds. A text field stored in a column
takes the column's length (``jianguan.fields``), so the schema, the services and the table agree.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar.params import PathParameter, QueryParameter

from jianguan.codes.activation import MAX_LISTED_CODES
from jianguan.codes.delivery import MAX_LABELS
from jianguan.codes.issue import MAX_REQUEST_QUANTITY
from jianguan.fields import text_limit

# Primary keys are INTEGER columns (32 bits on PostgreSQL): no row has a larger id.
MAX_ROW_ID = 2**31 - 1
# How far a list may be paged: past the last row the answer is empty, so this only bounds the number.
MAX_OFFSET = 10_000_000
# A code as typed or scanned: 20 digits with spaces or dashes, a link to it, or a GS1 string.
CODE_INPUT_MAX = 256
# A search or filter a person types (a name, a credit code, a category code).
SEARCH_MAX = 100
# A required text must hold more than spaces (the services trim it and refuse it empty): "not blank".
NOT_BLANK = r"\S"

# --- path and query parameters ----------------------------------------------------------------

RowId = Annotated[int, PathParameter(ge=1, le=MAX_ROW_ID, description="An id (1 to 2³¹-1) / 编号")]
CodeInPath = Annotated[str, PathParameter(min_length=1, max_length=CODE_INPUT_MAX,
                                          description="A code as typed or scanned / 监管码（输入或扫描所得）")]
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET, description="Rows to skip / 跳过的条数")]
# A malformed region code is the service's to refuse with its own error; the bound only keeps it short.
RegionInPath = Annotated[str, PathParameter(max_length=12, description="A region code, 6 digits / 行政区划代码")]
Search = Annotated[str | None, QueryParameter(max_length=SEARCH_MAX)]
Filter = Annotated[str | None, QueryParameter(max_length=40)]
RegionFilter = Annotated[str | None, QueryParameter(max_length=6, description="A region code, 6 digits / 行政区划代码")]
LabelOffset = Annotated[int, QueryParameter(ge=0, le=MAX_REQUEST_QUANTITY,
                                            description="The first label's offset in the batch / 起始位置")]
LabelCount = Annotated[int, QueryParameter(ge=1, le=MAX_LABELS, description="How many labels / 标签数量")]

# --- the fields of the API's request bodies ---------------------------------------------------

Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ROW_ID)]
Quantity = Annotated[int, msgspec.Meta(ge=1, le=MAX_REQUEST_QUANTITY)]
Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_REQUEST_QUANTITY)]
BatchOffset = Annotated[int, msgspec.Meta(ge=0, le=MAX_REQUEST_QUANTITY)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=CODE_INPUT_MAX)]
# Litestar documents the bounds of a field, not those of the items of a list: these name them
# (as JSON Schema, which Litestar copies into the document as it is).
_CODE_SCHEMA = {"type": "string", "minLength": 1, "maxLength": CODE_INPUT_MAX}
_OFFSET_SCHEMA = {"type": "integer", "minimum": 0, "maximum": MAX_REQUEST_QUANTITY}
Codes = Annotated[list[Code], msgspec.Meta(max_length=MAX_LISTED_CODES,
                                           extra_json_schema={"extra": {"items": _CODE_SCHEMA}})]
RegionCode = Annotated[str, msgspec.Meta(min_length=6, max_length=6, pattern=r"^[0-9]{6}$")]
CreditCode = Annotated[str, msgspec.Meta(min_length=1, max_length=40,
                                         description="The unified social credit code, 18 characters (GB 32100) "
                                                     "/ 统一社会信用代码")]


def stored_in(column: Any, *, required: bool = False, description: str | None = None) -> msgspec.Meta:
    """The constraints of a text field kept in ``column``: at most its length, and not blank when required."""
    limit = text_limit(column)
    if required:
        return msgspec.Meta(min_length=1, max_length=limit, pattern=NOT_BLANK, description=description)
    return msgspec.Meta(max_length=limit, description=description)


def text(limit: int, *, required: bool = False, description: str | None = None) -> msgspec.Meta:
    """The constraints of a text field of at most ``limit`` characters that no column holds as such."""
    if required:
        return msgspec.Meta(min_length=1, max_length=limit, pattern=NOT_BLANK, description=description)
    return msgspec.Meta(max_length=limit, description=description)


def offset_ranges(max_ranges: int) -> msgspec.Meta:
    """The constraints of a list of at most ``max_ranges`` ranges ``[from, to)`` of offsets within a batch."""
    pair = {"type": "array", "prefixItems": [_OFFSET_SCHEMA, _OFFSET_SCHEMA], "minItems": 2, "maxItems": 2}
    return msgspec.Meta(max_length=max_ranges, extra_json_schema={"extra": {"items": pair}})
