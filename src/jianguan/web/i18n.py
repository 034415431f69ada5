"""Chinese first, English on request: the page language, and a refusal's message in it."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection

from jianguan.errors import DomainError

LANG_COOKIE = "jg_lang"
LANGUAGES = ("zh", "en")


def language(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """``?lang=`` wins, then the language cookie, then Chinese."""
    asked = connection.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    stored = connection.cookies.get(LANG_COOKIE)
    return stored if stored in LANGUAGES else "zh"


def message(connection: ASGIConnection[Any, Any, Any, Any], error: DomainError | None) -> str | None:
    """A refusal's message in the visitor's language; None when there is no refusal."""
    if error is None:
        return None
    return error.message if language(connection) == "en" else error.message_zh
