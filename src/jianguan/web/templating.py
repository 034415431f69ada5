"""The Jinja environment: bilingual text, the current principal, the CSRF field, dates in Beijing time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jinja2 import Environment, pass_context
from litestar.plugins.jinja import JinjaTemplateEngine
from markupsafe import Markup

from jianguan.timezone import LOCAL_ZONE
from jianguan.web.access import CSRF_COOKIE, CSRF_FIELD, current_principal
from jianguan.web.i18n import language


def _request(context: Any) -> Any:
    return context["request"]


@pass_context
def _t(context: Any, zh: str, en: str) -> str:
    return en if language(_request(context)) == "en" else zh


@pass_context
def _lang(context: Any) -> str:
    return language(_request(context))


@pass_context
def _label(context: Any, choice: Any) -> str:
    if choice is None:
        return ""
    return choice.label(language(_request(context))) if hasattr(choice, "label") else str(choice)


@pass_context
def _csrf_field(context: Any) -> Markup:
    request = _request(context)
    token = request.cookies.get(CSRF_COOKIE) or request.scope.get("state", {}).get(CSRF_COOKIE, "")
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)


@pass_context
def _principal(context: Any) -> Any:
    try:
        return current_principal(_request(context))
    except Exception:
        return None


@pass_context
def _switch_lang_url(context: Any) -> str:
    request = _request(context)
    other = "zh" if language(request) == "en" else "en"
    params = {k: v for k, v in request.query_params.items() if k != "lang"}
    params["lang"] = other
    from urllib.parse import urlencode

    return f"{request.url.path}?{urlencode(params)}"


def local_time(value: dt.datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC timestamp (or its ISO text, as the API gives it) shown in Beijing time."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.astimezone(LOCAL_ZONE).strftime(fmt)


def configure_environment(engine: JinjaTemplateEngine) -> None:
    """Register the helpers every template uses."""
    env: Environment = engine.engine
    env.globals.update(
        t=_t, lang=_lang, label=_label, csrf_field=_csrf_field, principal=_principal,
        switch_lang_url=_switch_lang_url,
    )
    env.filters["local_time"] = local_time
    env.filters["day"] = lambda value: value.isoformat() if value else ""
