"""Logging in and out of the pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from litestar import Request, Router, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from jianguan.accounts import login as logins
from jianguan.accounts import services as accounts
from jianguan.errors import DomainError
from jianguan.storage import transaction
from jianguan.web.access import ANY_USER, PUBLIC, SESSION_COOKIE, client_address, current_principal, roles
from jianguan.web.forms import Form
from jianguan.web.i18n import language


def _safe_next(target: str | None) -> str:
    """Only same-site paths may be a redirect target after login."""
    if not target:
        return "/dashboard"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/dashboard"
    return target


@get("/login", opt=PUBLIC, include_in_schema=False)
async def login_form(next: FromQuery[str | None] = None) -> Template:
    """The login form."""
    return Template("login.html", context={"next": _safe_next(next), "error": None})


@post("/login", opt={**PUBLIC, "csrf": True}, include_in_schema=False, sync_to_thread=True)
def login(request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
    """Check the password, set the session cookie, and go where the visitor was headed."""
    settings = request.app.state.settings
    target = _safe_next(data.get("next"))
    try:
        token, _user = logins.log_in(
            request.app.state.sessions, username=data.get("username", ""), password=data.get("password", ""),
            source_address=client_address(request), hours=settings.session_hours,
        )
    except DomainError as error:
        message = error.message if language(request) == "en" else error.message_zh
        retry_after = getattr(error, "retry_after", None)
        return Template("login.html", context={"next": target, "error": message,
                                               "username": data.get("username", "")},
                        status_code=error.status_code,
                        headers={"Retry-After": str(retry_after)} if retry_after is not None else None)
    response = Redirect(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=settings.cookie_secure,
                        max_age=settings.session_hours * 3600, path="/")
    return response


@post("/logout", opt=roles(*ANY_USER), include_in_schema=False, sync_to_thread=True)
def logout(request: Request[Any, Any, Any]) -> Redirect:
    """End the session and drop the cookie."""
    principal = current_principal(request)
    if principal is not None:
        with transaction(request.app.state.sessions) as session:
            accounts.log_out(session, principal=principal, source_address=client_address(request))
    response = Redirect("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


router = Router(path="/", route_handlers=[login_form, login, logout])
