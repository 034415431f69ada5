"""Cookies every browser gets on the pages: the CSRF token, and the language chosen with ``?lang=``."""

from __future__ import annotations

import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from jianguan.web.access import CSRF_COOKIE
from jianguan.web.i18n import LANG_COOKIE, LANGUAGES

_MACHINE_PATHS = ("/api", "/static", "/channels")


def _cookie_header(name: str, value: str, *, http_only: bool, same_site: str, max_age: int | None,
                   secure: bool) -> tuple[bytes, bytes]:
    morsel = SimpleCookie()
    morsel[name] = value
    morsel[name]["path"] = "/"
    morsel[name]["samesite"] = same_site
    if http_only:
        morsel[name]["httponly"] = True
    if secure:
        morsel[name]["secure"] = True
    if max_age is not None:
        morsel[name]["max-age"] = max_age
    return b"set-cookie", morsel[name].OutputString().encode("latin-1")


class BrowserCookiesMiddleware(ASGIMiddleware):
    """Issue the double-submit CSRF cookie where a browser has none, and keep the language choice.

    The new token is put in the request state too, so a form on the very first page a browser
    sees already carries it.
    """

    scopes = (ScopeType.HTTP,)
    should_bypass_for_scope = staticmethod(lambda scope: scope["path"].startswith(_MACHINE_PATHS))

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        headers: list[tuple[bytes, bytes]] = []
        cookies = SimpleCookie()
        for key, value in scope["headers"]:
            if key == b"cookie":
                try:
                    cookies.load(value.decode("latin-1"))
                except Exception:  # noqa: S112 - a malformed cookie header is treated as none
                    continue
        secure = bool(scope["app"].state.settings.cookie_secure)
        if CSRF_COOKIE not in cookies:
            token = secrets.token_urlsafe(24)
            scope.setdefault("state", {})[CSRF_COOKIE] = token
            headers.append(_cookie_header(CSRF_COOKIE, token, http_only=False, same_site="Strict",
                                          max_age=None, secure=secure))
        asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [""])[0]
        if asked in LANGUAGES:
            headers.append(_cookie_header(LANG_COOKIE, asked, http_only=False, same_site="Lax",
                                          max_age=365 * 86400, secure=secure))

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start" and headers:
                message = {**message, "headers": [*message.get("headers", []), *headers]}
            await send(message)

        await next_app(scope, receive, send_with_cookies)
