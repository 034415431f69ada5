"""Liveness and readiness: the service answers and its database is reachable and migrated."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get
from sqlalchemy import text

from jianguan import __version__
from jianguan.storage import reading
from jianguan.storage.migrate import current_revision
from jianguan.web.access import PUBLIC


@get("/health", opt={**PUBLIC, "unthrottled": True}, sync_to_thread=True, summary="Service health / 服务状态")
def health(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """Whether the service is up, its version, and the database's migration revision."""
    state = request.app.state
    with reading(state.sessions) as session:
        session.execute(text("SELECT 1"))
    return {
        "status": "ok",
        "version": __version__,
        "database": state.engine.dialect.name,
        "revision": current_revision(state.engine),
    }


@get("/ping", opt=PUBLIC, summary="Empty answer / 空响应")
async def ping() -> dict[str, Any]:
    """An empty JSON answer through the same middleware as every public route (rate limit
    included): what a load balancer may poll, and the baseline the HTTP benchmark compares
    verification against."""
    return {}


router = Router(path="/", route_handlers=[health, ping])
