"""Query terminals in the browser: the registry, and who is online."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.response import Redirect, Template

from jianguan.accounts.models import Role
from jianguan.errors import DomainError, ValidationFailed
from jianguan.merchants import services as merchants
from jianguan.storage import reading, transaction
from jianguan.terminals import services as terminals
from jianguan.web.access import actor_for, require_principal, roles
from jianguan.web.forms import Form, form_int
from jianguan.web.i18n import language
from jianguan.web.params import RowId

TERMINAL_FIELDS = ("merchant_id", "name", "address", "region_code", "contact_name", "contact_phone")



def _terminals_page(request: Request[Any, Any, Any], *, values: dict[str, str] | None = None,
                    error: DomainError | None = None, new_key: str | None = None, new_name: str = "",
                    status_code: int = 200) -> Template:
    principal = require_principal(request)
    settings = request.app.state.settings
    with reading(request.app.state.sessions) as session:
        views = terminals.list_terminals(session, principal=principal,
                                         offline_after_seconds=settings.terminal_offline_after_seconds)
        shops = merchants.list_merchants(session, principal=principal) if principal.role is Role.OPERATOR else []
    message = None if error is None else (error.message if language(request) == "en" else error.message_zh)
    return Template("manage_terminals.html", status_code=status_code, context={
        "me": principal, "views": views, "shops": shops, "values": values or {}, "error": message,
        "new_key": new_key, "new_name": new_name, "may_register": principal.role is Role.OPERATOR,
        "offline_after": settings.terminal_offline_after_seconds,
    })


@get("/manage/terminals", opt=roles(Role.OPERATOR, Role.REGULATOR, Role.MERCHANT), include_in_schema=False,
     sync_to_thread=True)
def terminals_page(request: Request[Any, Any, Any]) -> Template:
    """The terminals in the user's scope, online or not; the operator's form to register one."""
    return _terminals_page(request)


@post("/manage/terminals", opt=roles(Role.OPERATOR), include_in_schema=False, sync_to_thread=True)
def terminals_register(request: Request[Any, Any, Any], data: Form) -> Template:
    """Register a terminal and show its key this once (the answer is the page, not a redirect, so
    the key goes nowhere it could be read again)."""
    principal = require_principal(request)
    values = {name: (data.get(name) or "").strip() for name in TERMINAL_FIELDS}
    try:
        merchant_id = form_int(values["merchant_id"], "shop", "所在商店")
        if merchant_id is None:
            raise ValidationFailed("Choose the shop.", "请选择所在商店。", code="missing_field")
        with transaction(request.app.state.sessions) as session:
            terminal, key = terminals.register_terminal(
                session, actor=actor_for(request, principal), merchant_id=merchant_id,
                name=values["name"], address=values["address"], region_code=values["region_code"] or None,
                contact_name=values["contact_name"], contact_phone=values["contact_phone"])
            name = terminal.name
    except DomainError as error:
        return _terminals_page(request, values=values, error=error, status_code=400)
    return _terminals_page(request, new_key=key, new_name=name, status_code=201)


@post("/manage/terminals/{terminal_id:int}/retire", opt=roles(Role.OPERATOR), include_in_schema=False,
      sync_to_thread=True)
def terminals_retire(request: Request[Any, Any, Any], terminal_id: RowId) -> Redirect:
    """Retire a terminal; its key stops working at once."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        terminals.retire_terminal(session, actor=actor_for(request, principal), terminal_id=terminal_id)
    return Redirect("/manage/terminals", status_code=303)


router = Router(path="/", route_handlers=[terminals_page, terminals_register, terminals_retire])
