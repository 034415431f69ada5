"""The pure parts of the EPCIS query: the query string's values, page tokens and page sizes."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from jianguan.errors import ValidationFailed
from jianguan.trace import query
from jianguan.trace.query import EventQuery, page_token, read_page_token

KEY = b"k" * 32


def test_values_are_read_as_lists_and_cbv_words() -> None:
    found = EventQuery.read(event_type="ObjectEvent|AggregationEvent", action="ADD",
                            biz_step="urn:epcglobal:cbv:bizstep:shipping|receiving",
                            ge_event_time="2026-11-02T08:00:00+08:00")
    assert found.event_types == ("ObjectEvent", "AggregationEvent")
    assert found.biz_steps == ("shipping", "receiving")
    assert found.ge_event_time == dt.datetime(2026, 11, 2, 0, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("values", [{"event_type": "TransformationEvent"}, {"action": "JUMP"},
                                    {"ge_event_time": "2026-11-02"}, {"lt_event_time": "soon"},
                                    {"epc": "|".join(["x"] * 21)}, {"biz_location": "x" * 301}])
def test_bad_values_are_refused_in_both_languages(values: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as refused:
        EventQuery.read(**values)
    assert refused.value.message and refused.value.message_zh


def test_a_token_continues_its_own_query_for_its_own_caller_only() -> None:
    asked = EventQuery.read(biz_step="shipping")
    token = page_token(KEY, asked, 41, "user:1:manufacturer")
    assert read_page_token(KEY, token, EventQuery.read(biz_step="shipping"), "user:1:manufacturer") == 41
    for key, other, scope, text in ((KEY, EventQuery(), "user:1:manufacturer", token),
                                    (KEY, asked, "user:2:manufacturer", token),
                                    (b"x" * 32, asked, "user:1:manufacturer", token),
                                    (KEY, asked, "user:1:manufacturer", token.replace(".", "A.", 1)),
                                    (KEY, asked, "user:1:manufacturer", "not a token"),
                                    (KEY, asked, "user:1:manufacturer", "")):
        with pytest.raises(ValidationFailed):
            read_page_token(key, text, other, scope)


def _rows(*codes: int) -> list[tuple[Any, bool]]:
    return [(SimpleNamespace(codes=count), False) for count in codes]


def test_a_page_ends_at_per_page_or_at_its_codes() -> None:
    assert query._cut(_rows(1, 1, 1), 2) == (_rows(1, 1), True)
    assert query._cut(_rows(1, 1), 2) == (_rows(1, 1), False)
    big = query.MAX_PAGE_CODES
    assert query._cut(_rows(big + 5, 1), 5) == (_rows(big + 5), True)
    assert query._cut(_rows(10, big, 1), 5) == (_rows(10), True)
