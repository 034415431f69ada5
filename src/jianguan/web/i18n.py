"""Chinese first, English on request: the page language and the bilingual text helper."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection

LANG_COOKIE = "jg_lang"
LANGUAGES = ("zh", "en")


def language(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """``?lang=`` wins, then the language cookie, then Chinese."""
    asked = connection.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    stored = connection.cookies.get(LANG_COOKIE)
    return stored if stored in LANGUAGES else "zh"


def pick(lang: str, zh: str, en: str) -> str:
    """The text for ``lang``."""
    return en if lang == "en" else zh
