"""Domain errors. Services raise them; ``web.errors`` maps them to HTTP in one place.

Every error carries a stable machine code and a message in English and Chinese, because a
person reads it on a page, an SMS or a kiosk, and a program reads the code.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request the domain refuses; nothing was changed."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, message_zh: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh
        if code is not None:
            self.code = code
        self.details = details


class ValidationFailed(DomainError):
    """Input that is malformed or breaks a rule of the domain (HTTP 400)."""

    status_code = 400
    code = "validation_failed"


class NotFound(DomainError):
    """The thing asked for does not exist, or the caller may not know that it does (HTTP 404)."""

    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    """The request clashes with what is stored: a duplicate, a stale state (HTTP 409)."""

    status_code = 409
    code = "conflict"


class NotAuthenticated(DomainError):
    """No valid session or key came with a request that needs one (HTTP 401)."""

    status_code = 401
    code = "not_authenticated"

    def __init__(self) -> None:
        super().__init__("Log in or send a valid API key.", "请先登录或提供有效的密钥。")


class PermissionDenied(DomainError):
    """The caller is known but its role or scope does not admit this request (HTTP 403)."""

    status_code = 403
    code = "forbidden"

    def __init__(
        self,
        message: str = "Your role or scope does not allow this.",
        message_zh: str = "您的角色或管辖范围不允许此操作。",
    ) -> None:
        super().__init__(message, message_zh)


class RateLimited(DomainError):
    """Too many requests from one client (HTTP 429)."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many requests; try again in {retry_after} seconds.",
            f"请求过于频繁，请 {retry_after} 秒后再试。",
        )
        self.retry_after = retry_after


class Unavailable(DomainError):
    """The service cannot answer now, through no fault of the request: the database is away, or
    what it must record cannot be written yet (HTTP 503 with ``Retry-After``)."""

    status_code = 503
    code = "unavailable"

    def __init__(
        self,
        retry_after: int,
        message: str = "The service is briefly unavailable; nothing was changed. Please try again shortly.",
        message_zh: str = "服务暂时不可用，未做任何更改，请稍后再试。",
    ) -> None:
        super().__init__(message, message_zh)
        self.retry_after = retry_after
