"""What the OpenAPI document says of errors and credentials, for every operation of the API.

Every error the API answers is ``{"error": {"code", "message", "message_zh"}}`` (``web/errors.py``),
so the document names that schema once (``Error``) and every error response refers to it; left
to itself, Litestar described a ``{"status_code", "detail"}`` body the API never sends. Which
statuses an operation can answer follows from what the route declares and takes, so
``DocumentedErrors`` adds them to every API route as the app registers it, rather than each route
spelling them out:

- 400 to an operation that takes parameters or a body (validated by their types, then by the services);
- 401 to every operation: a protected route called without a valid credential, and any route sent
  a credential that is not valid (a revoked key is told so, even on a public route);
- 403 and 404 to a protected route: a role the route does not admit, or a cookie session's unsafe
  call without its CSRF token, is 403; anything outside the caller's scope is 404;
- 413 to an operation that takes a body (over 10 MiB);
- 429 to a public route (rate limited per client), unless it is marked ``unthrottled``.

A route that can also answer 409 (a duplicate, or a state already reached), or a public route
that can answer 404 (it names something that may not exist), says so itself: ``responses=errors(409)``. The credentials
a protected route admits are named too: an API key (bearer) where its roles include one that
keys have, the session cookie where they include one that people have.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec
from litestar.constants import RESERVED_KWARGS
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute

from jianguan.accounts.models import KEY_ROLES, USER_ROLES
from jianguan.web.access import SESSION_COOKIE


class ErrorDetail(msgspec.Struct):
    code: Annotated[str, msgspec.Meta(description="A stable machine code / 错误代码")]
    message: Annotated[str, msgspec.Meta(description="What went wrong, in English")]
    message_zh: Annotated[str, msgspec.Meta(description="出错原因（中文）")]
    details: Annotated[dict[str, Any], msgspec.Meta(description="The field concerned, and the like / 补充信息")] = {}


class Error(msgspec.Struct):
    """Every error answer of the API / 接口的错误应答。"""

    error: ErrorDetail


_DESCRIPTIONS = {
    400: "The request is not valid (the message says why) / 请求内容不符合要求",
    401: "No valid credential: log in or send a valid API key / 未登录或密钥无效",
    403: "Your role does not allow this, or the CSRF token is missing / 角色不允许或缺少表单令牌",
    404: "Nothing is here, or it is outside your scope / 不存在或不在管辖范围内",
    409: "It clashes with what is stored: a duplicate, or a state already reached / 与现有数据冲突",
    413: "The request is too large / 请求内容过大",
    414: "The address is longer than the server takes (its request line limit); the answer has no body / "
         "请求地址超过服务器的长度上限（无应答正文）",
    429: "Too many requests; Retry-After says when to try again / 请求过于频繁",
}

API_KEY, SESSION = "apiKey", "session"
SECURITY_SCHEMES = Components(security_schemes={
    API_KEY: SecurityScheme(type="http", scheme="bearer", bearer_format="jg_<prefix>_<secret>",
                            description="An API key (密钥) of an enterprise system, a printer or a query terminal"),
    SESSION: SecurityScheme(type="apiKey", name=SESSION_COOKIE, security_scheme_in="cookie",
                            description="The pages' session; unsafe methods must repeat the jg_csrf cookie "
                                        "in the X-CSRF-Token header"),
})


def errors(*statuses: int) -> dict[int, ResponseSpec]:
    """The documented error responses for ``statuses``, each with the one error schema."""
    return {status: ResponseSpec(data_container=None if status == 414 else Error, description=_DESCRIPTIONS[status],
                                 generate_examples=False)
            for status in statuses}


def _takes_input(handler: HTTPRouteHandler) -> bool:
    names = set(handler.parsed_fn_signature.parameters)
    return bool(names - RESERVED_KWARGS) or "data" in names


_PATH_PARAMETER = re.compile(r"{(\w+)(?::\w+)?}")


def _takes_query(handler: HTTPRouteHandler) -> bool:
    """Whether the operation reads query parameters (whose values may add up past the server's limit)."""
    in_path = {name for path in handler.paths for name in _PATH_PARAMETER.findall(path)}
    names = set(handler.parsed_fn_signature.parameters) - RESERVED_KWARGS - {"data"} - in_path
    return bool(names) and "GET" in handler.http_methods


def error_statuses(handler: HTTPRouteHandler) -> list[int]:
    """The error statuses an API operation can answer, from its access declaration and its inputs."""
    statuses = [401]
    if _takes_input(handler):
        statuses.append(400)
    if "data" in handler.parsed_fn_signature.parameters:
        statuses.append(413)
    if _takes_query(handler):  # the HTTP server refuses an overlong address before the app sees it
        statuses.append(414)
    if handler.opt.get("public"):
        if not handler.opt.get("unthrottled"):
            statuses.append(429)
    else:
        statuses += [403, 404]
    return sorted(statuses)


def credentials(handler: HTTPRouteHandler) -> list[dict[str, list[str]]] | None:
    """The security requirements of a protected route: the kinds of credential its roles can hold."""
    admitted = handler.opt.get("roles") or frozenset()
    required: list[dict[str, list[str]]] = [{API_KEY: []}] if admitted & set(KEY_ROLES) else []
    required += [{SESSION: []}] if admitted & set(USER_ROLES) else []
    return required or None


class DocumentedErrors(ReceiveRoutePlugin):
    """Documents the error answers and the credentials of every API route as the app registers it
    (a route's own ``responses`` win, so a route adds what only it can answer)."""

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/api/v1"):
            return
        for handler in route.route_handlers:
            handler.responses = {**errors(*error_statuses(handler)), **(handler.responses or {})}
            handler.security = credentials(handler)
