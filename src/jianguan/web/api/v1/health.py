"""Liveness and readiness: the service answers, and says which part is down when one is."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response, Router, get
from sqlalchemy import text

from jianguan import __version__
from jianguan.storage import reading
from jianguan.storage.migrate import current_revision
from jianguan.storage.outage import outage_kind
from jianguan.web.access import PUBLIC


@get("/health", opt={**PUBLIC, "unthrottled": True}, sync_to_thread=True, summary="Service health / 服务状态")
def health(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """Whether the service can do its work, part by part: the database (reachable and at which
    migration), the query log (whether verifications can be recorded, how many wait) and, when
    one is configured, the shared Redis store of the rate limits. 200 when every part is up; 503,
    naming the part that is down, when one is not."""
    state = request.app.state
    parts: dict[str, Any] = {}
    try:
        with reading(state.sessions) as session:
            session.execute(text("SELECT 1"))
        parts["database"] = {"ok": True, "dialect": state.engine.dialect.name,
                             "revision": current_revision(state.engine)}
    except Exception as error:  # any failure means the database is not usable: say which kind
        parts["database"] = {"ok": False, "dialect": state.engine.dialect.name,
                             "failing": outage_kind(error) or type(error).__name__}
    counters = getattr(state, "counters", None)
    if counters is not None and counters.shared:
        try:
            counters.ping()
            parts["shared_counters"] = {"ok": True}
        except Exception as error:  # unreachable or timing out: rate limits cannot be counted
            parts["shared_counters"] = {"ok": False, "failing": outage_kind(error) or type(error).__name__}
    verifier = getattr(state, "verifier", None)
    if verifier is not None:
        # ``followups``: written rows and suspect codes the diversion flagging and the early-warning
        # rules have still to look at (verify/followup.py); they never hold up the writes.
        parts["query_log"] = {**verifier.recorder.health(), "followups": verifier.followups.pending()}
    down = sorted(name for name, part in parts.items() if not part["ok"])
    body = {"status": "unavailable" if down else "ok", "version": __version__, "down": down, "parts": parts,
            # Kept from the first versions of this answer, which monitoring may read.
            "database": state.engine.dialect.name, "revision": parts["database"].get("revision")}
    return Response(body, status_code=503 if down else 200, media_type=MediaType.JSON,
                    headers={"Retry-After": "5"} if down else None)


@get("/ping", opt=PUBLIC, summary="Empty answer / 空响应")
async def ping() -> dict[str, Any]:
    """An empty JSON answer through the same middleware as every public route (rate limit
    included): what a load balancer may poll, and the baseline the HTTP benchmark compares
    verification against."""
    return {}


router = Router(path="/", route_handlers=[health, ping])
