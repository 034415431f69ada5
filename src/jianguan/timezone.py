"""Time as people read it: Beijing time, and what "today" means on every page, channel and service.

Storage holds UTC (``storage.base.utcnow``). A date a person gives or reads (a production or
expiry date, the day an enterprise signed, the day a report was received) is a calendar day in
Beijing time, so "today" is the Beijing date everywhere: a page, a service and a verdict on
expiry never disagree around midnight UTC (08:00 in Beijing).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def local_date(moment: dt.datetime) -> dt.date:
    """The Beijing calendar day of an aware ``moment``."""
    return moment.astimezone(LOCAL_ZONE).date()


def today() -> dt.date:
    """Today's date in Beijing."""
    return dt.datetime.now(LOCAL_ZONE).date()
