"""The declarative base, its naming convention, and the portable column types."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime, MetaData, TypeDecorator
from sqlalchemy.orm import DeclarativeBase

# Named constraints make migrations reproducible on both databases (SQLite batch mode
# needs names to drop or alter a constraint).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """The current time, timezone-aware, in UTC (what storage holds)."""
    return dt.datetime.now(dt.UTC)


_TEXTS_KEPT = 4096  # moments whose stored text a bind processor remembers


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite has no time zones and returns naive values; PostgreSQL returns aware ones.
    This type makes both give the same aware UTC datetime.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Any) -> Any:
        """On SQLite, the text the column stores, in one step: the same text as binding through
        ``process_bind_param`` and SQLite's DATETIME processor (``YYYY-MM-DD HH:MM:SS.ffffff``),
        for under half the cost. The query log binds one per row, thousands a second, and the
        same moments again (a row's time is its code's first query; a flush's last time is bound
        once a code): the texts of recent moments are remembered (``isoformat`` measured at over
        ten thousand instructions a call, a dictionary look-up at a tenth of it)."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        texts: dict[dt.datetime, str] = {}

        def process(value: dt.datetime | None) -> str | None:
            if value is None:
                return None
            text = texts.get(value)
            if text is None:
                if value.tzinfo is not dt.UTC:
                    if value.tzinfo is None:
                        raise ValueError("naive datetime given to a UTC column")
                    value = value.astimezone(dt.UTC)
                if len(texts) >= _TEXTS_KEPT:
                    texts.clear()
                text = texts[value] = value.isoformat(" ", "microseconds")[:26]  # without the "+00:00"
            return text

        return process

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Base of every table; each area's models.py declares its own tables on it."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime}  # noqa: RUF012
