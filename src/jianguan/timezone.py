"""Time as people read it: Beijing time, and what "today" means on every page, channel and service.

Storage holds UTC (``storage.base.utcnow``). A date a person gives or reads (a production or
expiry date, the day an enterprise signed, the day a report was received) is a calendar day in
Beijing time, so "today" is the Beijing date everywhere: a page, a service and a verdict on
expiry never disagree around midnight UTC (08:00 in Beijing).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def local_date(moment: dt.datetime) -> dt.date:
    """The Beijing calendar day of an aware ``moment``."""
    return moment.astimezone(LOCAL_ZONE).date()


def today() -> dt.date:
    """Today's date in Beijing."""
    return dt.datetime.now(LOCAL_ZONE).date()


@lru_cache(maxsize=8192)
def local_minute(moment: dt.datetime) -> str:
    """``2026-11-30 13:41``: an aware ``moment`` in Beijing time, to the minute. Remembered: a
    verification states its code's first query in its verdict and its clone-risk reason, and the
    same codes are checked again and again (measured at a few µs a verification otherwise)."""
    return moment.astimezone(LOCAL_ZONE).isoformat(" ", "minutes")[:16]


@lru_cache(maxsize=8192)
def iso_moment(moment: dt.datetime) -> str:
    """``moment.isoformat()``, remembered: a verification states its code's first query twice
    (the verdict's details and the history), and the same codes are checked again and again."""
    return moment.isoformat()
