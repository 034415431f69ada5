"""The app factory: one Litestar application serving the API, the pages and the channels."""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import Any

import swagger_ui_bundle
from litestar import Litestar
from litestar.config.response_cache import ResponseCacheConfig
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from sqlalchemy import Engine

from jianguan import __version__, channels
from jianguan.codes.keyring import KeyService
from jianguan.config import Settings
from jianguan.counters import counters_from_url
from jianguan.storage import make_engine, session_factory
from jianguan.storage.migrate import require_current
from jianguan.web import api, pages
from jianguan.web.access import authorize, is_framework_route
from jianguan.web.api.openapi import SECURITY_SCHEMES, DocumentedErrors
from jianguan.web.bodies import JSONBodyRequest
from jianguan.web.cookies import BrowserCookiesMiddleware
from jianguan.web.errors import EXCEPTION_HANDLERS
from jianguan.web.ratelimit import PublicRateLimit
from jianguan.web.templating import configure_environment

HERE = Path(__file__).parent
logger = logging.getLogger("jianguan.web")


def check_route_declarations(app: Litestar) -> None:
    """Refuse to start if a route does not say whether it is public or which roles it admits."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if handler.opt.get("public") or handler.opt.get("roles"):
                continue
            if is_framework_route(route.path, set(getattr(handler, "http_methods", ()))):
                continue
            raise RuntimeError(f"route {route.path} declares neither public nor roles")


def create_app(
    settings: Settings | None = None, engine: Engine | None = None, *, check_database: bool = True
) -> Litestar:
    """Build the application for ``settings`` (read from the environment when not given).

    Refuses a database that is not at the newest migration unless ``check_database`` is False
    (for tools that only inspect the routes).
    """
    settings = settings or Settings()
    engine = engine or make_engine(settings.database_url)
    if check_database:
        require_current(engine)
    # The process's long-lived services, made once here from the settings (the master key is read
    # once, by the one key service) and reached through every session (see storage.tx).
    sessions = session_factory(engine, keys=KeyService(settings.master_key_bytes()))
    # Counts of what clients do (the rate limit, the abuse guard): shared through Redis when it
    # is configured, in this process otherwise (see counters.py).
    counters = counters_from_url(settings.redis_url, prefix=settings.redis_prefix)
    if settings.redis_url is None and settings.workers > 1:
        logger.warning("%d workers without JIANGUAN_REDIS_URL: each counts rate limits and probing sources on "
                       "its own, so a client may get up to %d times a limit", settings.workers, settings.workers)
    state = State({"settings": settings, "engine": engine, "sessions": sessions, "counters": counters})
    openapi = OpenAPIConfig(
        title="Jianguan API / 产品质量电子监管网接口",
        version=__version__,
        path="/api",
        components=SECURITY_SCHEMES,
        render_plugins=[
            SwaggerRenderPlugin(
                path="/docs",
                js_url="/static/swagger/swagger-ui-bundle.js",
                css_url="/static/swagger/swagger-ui.css",
                standalone_preset_js_url="/static/swagger/swagger-ui-standalone-preset.js",
                favicon="<link rel='icon' type='image/svg+xml' href='/static/favicon.svg'>",
            )
        ],
    )
    app = Litestar(
        route_handlers=[
            *api.ROUTERS,
            *pages.ROUTERS,
            *channels.ROUTERS,
            create_static_files_router(path="/static/swagger", directories=[swagger_ui_bundle.swagger_ui_path],
                                       opt={"public": True}, include_in_schema=False),
            create_static_files_router(path="/static", directories=[HERE / "static"], opt={"public": True},
                                       include_in_schema=False),
        ],
        guards=[authorize],
        plugins=[DocumentedErrors()],
        request_class=JSONBodyRequest,
        exception_handlers=EXCEPTION_HANDLERS,
        state=state,
        openapi_config=openapi,
        template_config=TemplateConfig(
            directory=HERE / "templates", engine=JinjaTemplateEngine, engine_callback=configure_environment
        ),
        middleware=[
            PublicRateLimit(settings.public_rate_limit_per_minute, counters),
            BrowserCookiesMiddleware(),
        ],
        response_cache_config=ResponseCacheConfig(),
        request_max_body_size=10 * 1024 * 1024,
        debug=False,
        on_startup=[_start_verifier, _start_rollups, _warm_maps],
        on_shutdown=[_stop_rollups, _stop_verifier],
    )
    check_route_declarations(app)
    return app


def serve_app() -> Any:
    """The application as ``jianguan serve`` runs it: behind the reverse proxies named in
    ``JIANGUAN_TRUSTED_PROXIES``, the client's address (rate limits, the login backoff, the audit
    log) and scheme are taken from their ``X-Forwarded-For`` and ``X-Forwarded-Proto``."""
    app = create_app()
    trusted = [host.strip() for host in app.state.settings.trusted_proxies.split(",") if host.strip()]
    if not trusted:
        return app
    from granian.utils.proxies import wrap_asgi_with_proxy_headers

    return wrap_asgi_with_proxy_headers(app, trusted)


GC_THRESHOLDS = (20_000, 20, 20)  # the collector's generations (Python's default: 700, 10, 10)


def _start_verifier(app: Litestar) -> None:
    """One verifier per process: keyring, batch index and the batched query log writer."""
    from jianguan.verify.abuse import abuse_guard_for
    from jianguan.verify.recorder import QueryRecorder
    from jianguan.verify.services import Verifier, query_hash_key

    settings: Settings = app.state.settings
    verifier = Verifier(app.state.sessions, hash_key=query_hash_key(settings.secret_key.get_secret_value()),
                        recorder=QueryRecorder(app.state.sessions, max_pending=settings.query_log_max_pending),
                        abuse=abuse_guard_for(settings, app.state.sessions, app.state.counters))
    verifier.start()
    app.state.verifier = verifier
    if settings.audit_checkpoint_minutes:
        from jianguan.audit.schedule import Checkpointer

        app.state.checkpointer = Checkpointer(app.state.sessions, settings.audit_checkpoint_minutes)
        app.state.checkpointer.start()
    # Everything built so far lives as long as the process: move it out of the collector's reach,
    # so a full collection walks only what requests create (it walked some 200,000 objects).
    gc.collect()
    gc.freeze()
    # Collect the young generation every 20,000 net allocations of tracked objects, not 700: a
    # request makes and drops hundreds, so at the default the collector ran every few requests.
    # Measured with benchmarks/http.py on SQLite: verifications 6.0-6.1k -> 6.4-6.5k req/s, and p99
    # at 80 % load 7.2 -> 6.7 ms; as fast as with the collector switched off, which is no option
    # (a cycle would never be freed).
    gc.set_threshold(*GC_THRESHOLDS)


def _start_rollups(app: Litestar) -> None:
    """The statistics roll-up job on its schedule (none when the interval is 0)."""
    from jianguan.stats.schedule import RollupSchedule

    interval = app.state.settings.stats_rollup_interval_seconds
    if interval > 0:
        app.state.rollups = RollupSchedule(app.state.sessions, interval)
        app.state.rollups.start()
    every = app.state.settings.alerts_evaluate_interval_seconds
    if every > 0:  # the early-warning rules over their windows (``jianguan alerts evaluate``)
        from jianguan.alerts.rules import evaluate
        app.state.warnings = RollupSchedule(app.state.sessions, every, job=evaluate, name="alerts-evaluate")
        app.state.warnings.start()


def _warm_maps(app: Litestar) -> None:
    """Build the country's map (/maps/100000.json, every brand map's base) in the background: it
    reads all the provinces' outlines, about 1.5 s of CPU, which the first visitor would wait for."""
    import threading

    from jianguan.regions.maps import COUNTRY, region_map
    from jianguan.regions.tree import region_tree

    def warm() -> None:
        try:
            region_map(region_tree(app.state.engine), COUNTRY)
        except Exception:  # the route builds it on first request instead, and reports what fails
            logger.exception("could not build the country's map in advance")

    threading.Thread(target=warm, name="warm-maps", daemon=True).start()


def _stop_rollups(app: Litestar) -> None:
    for name in ("rollups", "warnings"):
        schedule = getattr(app.state, name, None)
        if schedule is not None:
            schedule.stop()


def _stop_verifier(app: Litestar) -> None:
    """A graceful stop writes every buffered query before the process ends."""
    checkpointer = getattr(app.state, "checkpointer", None)
    if checkpointer is not None:
        checkpointer.close()
    verifier = getattr(app.state, "verifier", None)
    if verifier is not None:
        verifier.close()
