"""The in-store query terminal's screen (查询终端): one page that a shop's terminal keeps open.

The page itself is public and holds nothing: the installer types the terminal's key once and
the browser keeps it (localStorage); every query and heartbeat then goes to the terminal API
with that key. A kiosk has no language switch, so every text is Chinese with English under it.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get
from litestar.params import FromQuery
from litestar.response import Template

from jianguan import __version__
from jianguan.web.access import PUBLIC

RESET_SECONDS = 8  # how long a verdict stays on screen before the terminal is ready again
HEARTBEAT_SECONDS = 60


@get("/kiosk", opt=PUBLIC, include_in_schema=False)
async def kiosk(request: Request[Any, Any, Any], reset: FromQuery[int | None] = None) -> Template:
    """The terminal screen: set-up (the key), then scan or type a code and read the verdict. ``?reset=``
    sets how many seconds a verdict stays (2 to 60; a busy till may want it shorter)."""
    seconds = RESET_SECONDS if reset is None else min(max(reset, 2), 60)
    return Template("kiosk.html", context={"reset_seconds": seconds, "heartbeat_seconds": HEARTBEAT_SECONDS,
                                           "version": f"kiosk-web/{__version__}"})


router = Router(path="/", route_handlers=[kiosk])
