"""The home page."""

from __future__ import annotations

from litestar import Router, get
from litestar.response import Template

from jianguan.web.access import PUBLIC


@get("/", opt=PUBLIC, include_in_schema=False)
async def home() -> Template:
    """What the network is, how to verify a code, and where each kind of user goes."""
    return Template("home.html")


router = Router(path="/", route_handlers=[home])
