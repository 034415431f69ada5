"""Managing accounts in the browser: users (operators) and API keys (operators and staff)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.response import Redirect, Template

from jianguan.accounts import services as accounts
from jianguan.accounts.models import KEY_ROLES, USER_ROLES, Role
from jianguan.catalogue.models import Agency
from jianguan.errors import Conflict, DomainError, ValidationFailed
from jianguan.storage import reading, transaction
from jianguan.web.access import actor_for, require_principal, roles
from jianguan.web.forms import Form, form_int
from jianguan.web.params import RowId

STAFF = (Role.OPERATOR, Role.MANUFACTURER, Role.PRINTER, Role.MERCHANT)
USER_FIELDS = ("username", "display_name", "role", "region_code", "agency", "enterprise_id", "printer_id",
               "merchant_id")
# The organisation a key of each role is bound to: the form asks for one id and the role decides which.
KEY_SCOPE_FIELD = {Role.MANUFACTURER.value: "enterprise_id", Role.PRINTER.value: "printer_id",
                   Role.TERMINAL.value: "merchant_id"}



def _optional_int(value: str | None, field: str) -> int | None:
    """A form's id field: empty is None; anything but a number is refused."""
    return form_int(value, field, field)


# Users -------------------------------------------------------------------------------------------


def _users_page(request: Request[Any, Any, Any], *, values: dict[str, str] | None = None,
                error: DomainError | None = None, status_error: DomainError | None = None,
                status_code: int = 200) -> Template:
    with reading(request.app.state.sessions) as session:
        users = accounts.list_users(session)
        names = accounts.scope_names(session, users)
    return Template("manage_users.html", status_code=status_code, context={
        "users": users, "names": names, "values": values or {}, "error": error, "status_error": status_error,
        "roles": USER_ROLES, "agencies": list(Agency), "Role": Role, "Agency": Agency,
    })


@get("/manage/users", opt=roles(Role.OPERATOR), include_in_schema=False, sync_to_thread=True)
def users_page(request: Request[Any, Any, Any]) -> Template:
    """Every user with role and scope; a form to create one; enable and disable buttons."""
    return _users_page(request)


@post("/manage/users", opt=roles(Role.OPERATOR), include_in_schema=False, sync_to_thread=True)
def users_create(request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
    """Create a user from the form; on a refusal show the form again with the message and the values."""
    principal = require_principal(request)
    values = {name: data.get(name, "").strip() for name in USER_FIELDS}
    try:
        with transaction(request.app.state.sessions) as session:
            accounts.create_user(
                session, actor=actor_for(request, principal),
                username=values["username"], display_name=values["display_name"],
                password=data.get("password", ""), role=values["role"],
                region_code=values["region_code"] or None, agency=values["agency"] or None,
                enterprise_id=_optional_int(values["enterprise_id"], "enterprise_id"),
                printer_id=_optional_int(values["printer_id"], "printer_id"),
                merchant_id=_optional_int(values["merchant_id"], "merchant_id"),
            )
    except DomainError as error:
        return _users_page(request, values=values, error=error, status_code=400)
    return Redirect("/manage/users", status_code=303)


def _set_active(request: Request[Any, Any, Any], user_id: int, active: bool) -> Template | Redirect:
    """Enable or disable; a refusal (the last active operator) shows the list with the message."""
    principal = require_principal(request)
    try:
        with transaction(request.app.state.sessions) as session:
            accounts.set_user_active(session, actor=actor_for(request, principal), user_id=user_id, active=active)
    except Conflict as error:
        return _users_page(request, status_error=error, status_code=error.status_code)
    return Redirect("/manage/users", status_code=303)


@post("/manage/users/{user_id:int}/disable", opt=roles(Role.OPERATOR), include_in_schema=False,
      sync_to_thread=True)
def users_disable(request: Request[Any, Any, Any], user_id: RowId) -> Template | Redirect:
    """Disable a user (their sessions end at once)."""
    return _set_active(request, user_id, False)


@post("/manage/users/{user_id:int}/enable", opt=roles(Role.OPERATOR), include_in_schema=False,
      sync_to_thread=True)
def users_enable(request: Request[Any, Any, Any], user_id: RowId) -> Template | Redirect:
    """Enable a user again."""
    return _set_active(request, user_id, True)


# API keys ----------------------------------------------------------------------------------------


def _keys_page(request: Request[Any, Any, Any], *, values: dict[str, str] | None = None,
               error: DomainError | None = None, new_key: str | None = None, status_code: int = 200) -> Template:
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        keys = accounts.list_api_keys(session, principal=principal)
        names = accounts.scope_names(session, keys)
        scope = accounts.describe_scope(session, principal)
    return Template("manage_apikeys.html", status_code=status_code, context={
        "me": principal, "scope": scope, "keys": keys, "names": names, "values": values or {},
        "error": error, "new_key": new_key, "key_roles": KEY_ROLES, "Role": Role, "Agency": Agency,
        "may_issue": principal.role in (Role.OPERATOR, Role.MANUFACTURER),
    })


@get("/manage/apikeys", opt=roles(*STAFF), include_in_schema=False, sync_to_thread=True)
def keys_page(request: Request[Any, Any, Any]) -> Template:
    """The keys the user may see, with revoke buttons, and the form to issue one."""
    return _keys_page(request)


@post("/manage/apikeys", opt=roles(Role.OPERATOR, Role.MANUFACTURER), include_in_schema=False,
      sync_to_thread=True)
def keys_issue(request: Request[Any, Any, Any], data: Form) -> Template:
    """Issue a key and show it this once; it is not stored, so the page cannot show it again.

    The answer is the page itself rather than a redirect, because a redirect would have to carry
    the key somewhere it could be read later.
    """
    principal = require_principal(request)
    values = {name: data.get(name, "").strip() for name in ("name", "role", "organisation_id")}
    try:
        if principal.role is Role.MANUFACTURER:
            scope: dict[str, int | None] = {}
            role = Role.MANUFACTURER.value
        else:
            role = values["role"]
            field = KEY_SCOPE_FIELD.get(role)
            if field is None:
                raise ValidationFailed(f"Unknown key role {role!r}.", f"未知的密钥角色 {role!r}。",
                                       code="unknown_role")
            scope = {field: _optional_int(values["organisation_id"], field)}
        with transaction(request.app.state.sessions) as session:
            key, _api_key = accounts.issue_api_key(session, actor=actor_for(request, principal),
                                                   principal=principal, name=values["name"], role=role, **scope)
    except DomainError as error:
        return _keys_page(request, values=values, error=error, status_code=400)
    return _keys_page(request, new_key=key)


@post("/manage/apikeys/{api_key_id:int}/revoke", opt=roles(*STAFF), include_in_schema=False,
      sync_to_thread=True)
def keys_revoke(request: Request[Any, Any, Any], api_key_id: RowId) -> Redirect:
    """Revoke a key at once."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        accounts.revoke_api_key(session, actor=actor_for(request, principal), api_key_id=api_key_id,
                                principal=principal)
    return Redirect("/manage/apikeys", status_code=303)


router = Router(path="/", route_handlers=[users_page, users_create, users_disable, users_enable, keys_page,
                                          keys_issue, keys_revoke])
