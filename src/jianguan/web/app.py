"""The app factory: one Litestar application serving the API, the pages and the channels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import swagger_ui_bundle
from litestar import Litestar, Request
from litestar.config.response_cache import ResponseCacheConfig
from litestar.datastructures import State
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from sqlalchemy import Engine

from jianguan import __version__
from jianguan.config import Settings
from jianguan.storage import make_engine, session_factory
from jianguan.storage.migrate import require_current
from jianguan.web import api, pages
from jianguan.web.access import authorize, is_framework_route
from jianguan.web.cookies import BrowserCookiesMiddleware
from jianguan.web.errors import EXCEPTION_HANDLERS
from jianguan.web.templating import configure_environment

HERE = Path(__file__).parent


def _public_throttled(request: Request[Any, Any, Any]) -> bool:
    """Public routes are rate limited per client; authenticated ones, static files and the
    health probe a load balancer polls are not."""
    opt = request.route_handler.opt
    return bool(opt.get("public")) and not opt.get("unthrottled") and not request.url.path.startswith("/static")


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
    state = State({"settings": settings, "engine": engine, "sessions": session_factory(engine)})
    openapi = OpenAPIConfig(
        title="Jianguan API / 产品质量电子监管网接口",
        version=__version__,
        path="/api",
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
            create_static_files_router(path="/static/swagger", directories=[swagger_ui_bundle.swagger_ui_path],
                                       opt={"public": True}, include_in_schema=False),
            create_static_files_router(path="/static", directories=[HERE / "static"], opt={"public": True},
                                       include_in_schema=False),
        ],
        guards=[authorize],
        exception_handlers=EXCEPTION_HANDLERS,
        state=state,
        openapi_config=openapi,
        template_config=TemplateConfig(
            directory=HERE / "templates", engine=JinjaTemplateEngine, engine_callback=configure_environment
        ),
        middleware=[
            RateLimitConfig(
                rate_limit=("minute", settings.public_rate_limit_per_minute),
                check_throttle_handler=_public_throttled,
            ).middleware,
            BrowserCookiesMiddleware(),
        ],
        response_cache_config=ResponseCacheConfig(),
        request_max_body_size=10 * 1024 * 1024,
        debug=False,
    )
    check_route_declarations(app)
    return app
