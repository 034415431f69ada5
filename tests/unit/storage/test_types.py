"""The UTC timestamp column type: what it binds on each database."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import TypeDecorator
from sqlalchemy.dialects import postgresql, sqlite

from jianguan.storage.base import UTCDateTime

SQLITE = sqlite.dialect()
_SQLITE_TYPE = UTCDateTime().dialect_impl(SQLITE)
FAST = _SQLITE_TYPE.bind_processor(SQLITE)
GENERIC = TypeDecorator.bind_processor(_SQLITE_TYPE, SQLITE)  # process_bind_param, then SQLite's DATETIME

offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
aware = st.datetimes(min_value=dt.datetime(1900, 1, 2), max_value=dt.datetime(9999, 12, 30),
                     timezones=st.one_of(st.just(dt.UTC), offsets))


@given(aware)
def test_sqlite_binds_the_same_text_as_the_generic_chain(value: dt.datetime) -> None:
    assert FAST(value) == GENERIC(value)


def test_sqlite_text_is_utc_with_microseconds() -> None:
    beijing = dt.timezone(dt.timedelta(hours=8))
    assert FAST(dt.datetime(2026, 11, 30, 13, 41, tzinfo=beijing)) == "2026-11-30 05:41:00.000000"
    assert FAST(None) is None


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        FAST(dt.datetime(2026, 11, 30, 5, 41))


def test_postgresql_binds_an_aware_datetime() -> None:
    dialect = postgresql.dialect()
    process = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    value = dt.datetime(2026, 11, 30, 13, 41, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    bound = process(value) if process else UTCDateTime().process_bind_param(value, dialect)
    assert bound == value and bound.tzinfo == dt.UTC


def test_remembered_texts_stay_right() -> None:
    """The SQLite processor remembers the texts of recent moments: one moment given in two zones
    binds one text, and past the number it keeps, every moment still binds its own."""
    from jianguan.storage import base

    process = UTCDateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
    moment = dt.datetime(2026, 12, 2, 8, 40, 1, 5, tzinfo=dt.UTC)
    beijing = moment.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert process(moment) == process(beijing) == process(moment) == "2026-12-02 08:40:01.000005"
    moments = [moment + dt.timedelta(microseconds=i) for i in range(base._TEXTS_KEPT + 10)]
    assert [process(value) for value in moments] == [GENERIC(value) for value in moments]
    assert [process(value) for value in moments[:10]] == [GENERIC(value) for value in moments[:10]]
    with pytest.raises(ValueError, match="naive"):
        process(moment.replace(tzinfo=None))
