"""Who may call a route: every route declares it, and one guard enforces it.

A route's ``opt`` holds either ``public=True`` or ``roles=frozenset({...})``; the app factory
refuses to start if any route declares neither. Scope (which enterprise, which region) is
enforced by the services, which take the principal and filter by it.
"""

from __future__ import annotations

import hmac
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.handlers import HTTPRouteHandler
from litestar.handlers.base import BaseRouteHandler

from jianguan.accounts import services as accounts
from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.services import Actor
from jianguan.errors import NotAuthenticated, PermissionDenied
from jianguan.storage.tx import reading

SESSION_COOKIE = "jg_session"
CSRF_COOKIE = "jg_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

PUBLIC: dict[str, Any] = {"public": True}
# Public routes that verify a code: the rate limit reads the client's abuse standing with its
# count, in one question to the counters' store (web/ratelimit.py).
VERIFYING: dict[str, Any] = {**PUBLIC, "abuse_guarded": True}
ANY_USER = frozenset(Role)


# Routes Litestar makes by itself: the OpenAPI schema and its documentation page, and the
# automatic OPTIONS answers. They are public and carry no data.
FRAMEWORK_PUBLIC_PATHS = ("/api/docs", "/api/openapi", "/api/oauth2-redirect.html")


def is_framework_route(path: str, methods: set[str] | frozenset[str]) -> bool:
    """Whether a route is one Litestar adds itself (documentation, schema, OPTIONS)."""
    return methods == {"OPTIONS"} or path in ("/api", "/api/{path:str}") or path.startswith(FRAMEWORK_PUBLIC_PATHS)


def changes_state(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """Whether the request is HTTP with a method other than GET, HEAD and OPTIONS."""
    scope = connection.scope
    return scope["type"] == ScopeType.HTTP and scope["method"] not in SAFE_METHODS


def roles(*admitted: Role) -> dict[str, Any]:
    """Route options admitting principals of the given roles."""
    return {"roles": frozenset(admitted)}


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The client's address as the server saw it."""
    client = connection.scope.get("client")
    return client[0] if client else ""


def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """The caller, from a bearer key or the session cookie; None when anonymous.

    A present but invalid credential raises NotAuthenticated rather than falling back to
    anonymous, so a revoked key is told so instead of seeing public data only.
    """
    state = connection.scope.setdefault("state", {})
    if "principal" in state:
        return state["principal"]
    sessions = connection.app.state.sessions
    authorization = connection.headers.get("authorization", "")
    principal: Principal | None = None
    if authorization:
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise NotAuthenticated()
        with reading(sessions) as session:
            principal = accounts.principal_from_api_key(session, credential.strip())
    elif token := connection.cookies.get(SESSION_COOKIE):
        with reading(sessions) as session:
            try:
                principal = accounts.principal_from_session_token(session, token)
            except NotAuthenticated:
                principal = None  # an expired cookie on a public page is just an anonymous visitor
    state["principal"] = principal
    return principal


def require_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The caller of a route that admits roles only: the guard let no anonymous caller through."""
    principal = current_principal(connection)
    if principal is None:  # unreachable behind the guard; refuse rather than act as nobody
        raise NotAuthenticated()
    return principal


def actor_for(connection: ASGIConnection[Any, Any, Any, Any], principal: Principal | None) -> Actor:
    """The audit actor of this request."""
    name = principal.actor_name if principal else "anonymous"
    return Actor(name, client_address(connection))


async def check_csrf(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Double-submit check: the form field or header must repeat the CSRF cookie."""
    expected = connection.cookies.get(CSRF_COOKIE, "")
    given = connection.headers.get(CSRF_HEADER, "")
    if not given and isinstance(connection, Request) and changes_state(connection):
        content_type = connection.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await connection.form()
            given = str(form.get(CSRF_FIELD, ""))
    if not expected or not given or not hmac.compare_digest(expected, given):
        raise PermissionDenied(
            "The form has expired or did not come from this site; reload the page and try again.",
            "表单已过期或不是来自本站，请刷新页面后重试。",
        )


async def authorize(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """The one guard: public routes pass; others need a principal of an admitted role.

    Unsafe requests authenticated by the session cookie must pass the CSRF check; bearer
    keys are not sent by browsers on their own, so they need none.
    """
    opt = handler.opt
    if "roles" not in opt and not opt.get("public"):
        if isinstance(handler, HTTPRouteHandler) and is_framework_route(connection.scope["path"],
                                                                        set(handler.http_methods)):
            return
        raise PermissionDenied()
    if opt.get("public"):
        if connection.headers.get("authorization"):
            current_principal(connection)  # a revoked or malformed key is refused, not ignored
        if opt.get("csrf") and changes_state(connection):
            await check_csrf(connection)
        return
    principal = current_principal(connection)
    if principal is None:
        raise NotAuthenticated()
    if principal.role not in opt["roles"]:
        raise PermissionDenied()
    if principal.kind == "user" and changes_state(connection):
        await check_csrf(connection)
