"""Mapping errors to responses, in one place.

The API and the channels answer ``{"error": {"code", "message", "message_zh"}}``; pages
answer with a page in the visitor's language, and send an anonymous visitor of a
protected page to the login form.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import IntegrityError

from jianguan.errors import Conflict, DomainError, NotAuthenticated, Unavailable
from jianguan.storage.outage import OUTAGES, RETRY_AFTER_SECONDS, outage_kind
from jianguan.web.i18n import language

logger = logging.getLogger("jianguan.web")

_HTTP_MESSAGES = {
    400: ("bad_request", "The request is malformed.", "请求格式有误。"),
    401: ("not_authenticated", "Log in or send a valid API key.", "请先登录或提供有效的密钥。"),
    403: ("forbidden", "Your role or scope does not allow this.", "您的角色或管辖范围不允许此操作。"),
    404: ("not_found", "Nothing is here.", "您访问的内容不存在。"),
    405: ("method_not_allowed", "This method is not allowed here.", "不支持该请求方法。"),
    413: ("too_large", "The request is too large.", "请求内容过大。"),
    429: ("rate_limited", "Too many requests; try again later.", "请求过于频繁，请稍后再试。"),
    503: ("unavailable", "The service is briefly unavailable; please try again shortly.", "服务暂时不可用，请稍后再试。"),
}


def wants_json(request: Request[Any, Any, Any]) -> bool:
    """Whether the request is for the API, a machine channel or a map's outlines rather than a page."""
    path = request.url.path
    return path.startswith(("/api", "/channels", "/maps/")) or "application/json" in request.headers.get("accept", "")


def _body(code: str, message: str, message_zh: str, **details: Any) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "message_zh": message_zh}
    if details:
        error["details"] = details
    return {"error": error}


def _respond(
    request: Request[Any, Any, Any], status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response[Any]:
    if wants_json(request):
        return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)
    lang = language(request)
    error = body["error"]
    return Template(
        "error.html",
        context={"status": status, "message": error["message"] if lang == "en" else error["message_zh"]},
        status_code=status,
        headers=headers,
    )


def domain_error_handler(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    if isinstance(exc, NotAuthenticated) and not wants_json(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(f"/login?next={quote(target, safe='')}", status_code=303)
    retry_after = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return _respond(request, exc.status_code, _body(exc.code, exc.message, exc.message_zh, **exc.details), headers)


_QUOTED_MAX = 200
# What msgspec and Litestar say of a value they refuse, in Chinese; anything else stays in English.
_CHINESE: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(pattern), chinese) for pattern, chinese in (
    (r"^Expected `(?P<a>[^`]+)`, got `(?P<b>[^`]+)`$", "应为 {a} 类型，实为 {b}"),
    (r"^Expected `str` of length >= 1$", "不能为空"),
    (r"^Expected `(?:str|array|object)` of length >= (?P<a>\d+)$", "长度至少为 {a}"),
    (r"^Expected `(?:str|array|object)` of length <= (?P<a>\d+)$", "长度最多为 {a}"),
    (r"^Expected `(?:int|float)` >= (?P<a>\S+)$", "应不小于 {a}"),
    (r"^Expected `(?:int|float)` <= (?P<a>\S+)$", "应不大于 {a}"),
    (r"^Expected `str` matching regex '\\\\S'$", "不能只有空格"),
    (r"^Expected `str` matching regex (?P<a>.+)$", "格式不符合要求（{a}）"),
    (r"^Invalid enum value (?P<a>.+)$", "取值 {a} 不在可选范围内"),
    (r"^Object missing required field `(?P<a>[^`]+)`$", "缺少必填字段 {a}"),
    (r"^Object contains unknown field `(?P<a>[^`]+)`$", "含有未知字段 {a}"),
    (r"^Invalid RFC3339 encoded (?P<a>date|datetime)$", "日期格式不正确（应为 YYYY-MM-DD）"),
    (r"^The body is not valid JSON", "请求内容不是有效的 JSON"),
    (r"^The body is nested too deeply", "请求内容嵌套层级过深"),
))


def _in_chinese(message: str) -> str:
    for pattern, chinese in _CHINESE:
        if match := pattern.match(message):
            return chinese.format(**match.groupdict())
    return message


def _problem(item: dict[str, Any], message: str) -> str:
    """One refused value: the field it is in (when known) and what is wrong with it."""
    return f"{item['key']}: {message}" if item.get("key") else message


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    code, message, message_zh = _HTTP_MESSAGES.get(status, ("error", "The request failed.", "请求失败。"))
    details: dict[str, Any] = {}
    if isinstance(exc, ValidationException):
        code = "validation_failed"
        # A refused value may be quoted in the message; it is cut, so an answer never grows with the request.
        problems = [{**item, "message": str(item.get("message", ""))[:_QUOTED_MAX]}
                    for item in (exc.extra if isinstance(exc.extra, list) else []) if isinstance(item, dict)]
        english = "; ".join(_problem(item, item.get("message", "")) for item in problems) or exc.detail or ""
        chinese = "；".join(_problem(item, _in_chinese(item["message"])) for item in problems)
        message = "The request is not valid: " + english
        message_zh = "请求内容不符合要求：" + (chinese or english)
        if problems:
            details["fields"] = problems
    headers = dict(exc.headers or {})
    if status == 429 and "Retry-After" not in headers:
        headers["Retry-After"] = headers.get("RateLimit-Reset", "60")
    return _respond(request, status, _body(code, message, message_zh, **details), headers or None)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if isinstance(exc, IntegrityError):  # a race past a check, caught by a unique or foreign key: nothing was changed
        logger.warning("integrity conflict on %s %s: %s", request.method, request.url.path, str(exc.orig)[:200])
        return domain_error_handler(request, Conflict(
            "What you sent clashes with a record changed at the same moment; nothing was changed. Please try again.",
            "提交的内容与刚刚被修改的记录冲突，未做任何更改，请重试。", code="concurrent_change"))
    kind = outage_kind(exc)
    if kind is not None:  # the database is away: not a bug, and one log line per kind per interval
        OUTAGES.note(kind, f"{request.method} {request.url.path}", exc)
        return domain_error_handler(request, Unavailable(RETRY_AFTER_SECONDS))
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _respond(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        _body("internal_error", "Something went wrong on our side; nothing was changed.",
              "系统内部错误，未做任何更改。"),
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}
