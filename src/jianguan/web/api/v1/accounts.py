"""Accounts over the API: who am I, users (operators), and API keys (密钥).

A key is returned in full once, in the answer to the request that made it; afterwards only
its prefix and name are shown, and its hash never leaves the database.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Router, get, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from jianguan.accounts import services as accounts
from jianguan.accounts.models import ApiKey, Role, User
from jianguan.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from jianguan.catalogue.models import Agency
from jianguan.regions.models import RegionLevel
from jianguan.storage import reading, transaction
from jianguan.web.access import ANY_USER, actor_for, require_principal, roles
from jianguan.web.api.openapi import errors
from jianguan.web.params import Id, RegionCode, RowId, stored_in

STAFF = (Role.OPERATOR, Role.MANUFACTURER, Role.PRINTER, Role.MERCHANT)



def _label(choice: Any) -> dict[str, str] | None:
    if choice is None:
        return None
    return {"value": str(choice), "label_zh": choice.label_zh, "label_en": choice.label_en}


def user_json(user: User) -> dict[str, Any]:
    """A user as the API shows it (never the password hash)."""
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": str(user.role),
        "region_code": user.region_code,
        "agency": user.agency,
        "enterprise_id": user.enterprise_id,
        "printer_id": user.printer_id,
        "merchant_id": user.merchant_id,
        "is_active": user.is_active,
        "created_at": user.created_at.isoformat(),
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
    }


def api_key_json(api_key: ApiKey) -> dict[str, Any]:
    """A key as the API shows it: prefix, name, role and scope, never the key or its hash."""
    return {
        "id": api_key.id,
        "prefix": api_key.prefix,
        "name": api_key.name,
        "role": str(api_key.role),
        "enterprise_id": api_key.enterprise_id,
        "printer_id": api_key.printer_id,
        "merchant_id": api_key.merchant_id,
        "created_by": api_key.created_by,
        "created_at": api_key.created_at.isoformat(),
        "last_used_at": api_key.last_used_at.isoformat() if api_key.last_used_at else None,
        "revoked_at": api_key.revoked_at.isoformat() if api_key.revoked_at else None,
    }


@get("/me", opt=roles(*ANY_USER), sync_to_thread=True, summary="Who am I / 当前身份")
def me(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The caller: a user or an API key, its role, and its scope with names."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        scope = accounts.describe_scope(session, principal)
        region = scope.region
        return {
            "kind": principal.kind,
            "id": principal.id,
            "name": principal.name,
            "display_name": principal.display_name,
            "role": _label(principal.role),
            "scope": {
                "region": None if region is None else {
                    "code": region.code, "name": region.name, "level": _label(RegionLevel(region.level)),
                },
                "agency": _label(Agency(scope.agency) if scope.agency else None),
                "enterprise": None if scope.enterprise is None else {
                    "id": scope.enterprise.id, "name": scope.enterprise.name,
                },
                "printer": None if scope.printer is None else {"id": scope.printer.id, "name": scope.printer.name},
                "merchant": None if scope.merchant is None else {
                    "id": scope.merchant.id, "name": scope.merchant.name,
                },
            },
        }


class NewUser(msgspec.Struct, forbid_unknown_fields=True):
    """A user to create, with the scope its role needs (and no other)."""

    username: Annotated[str, stored_in(User.username, required=True,
                                       description="3-64 letters, digits, . _ or - / 3-64 个字母、数字、点、横线或下划线")]
    display_name: Annotated[str, stored_in(User.display_name, required=True)]
    password: Annotated[str, msgspec.Meta(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)]
    role: Annotated[Role, msgspec.Meta(description="Not terminal: terminals have keys, not users / 不含查询终端")]
    region_code: RegionCode | None = None
    agency: Agency | None = None
    enterprise_id: Id | None = None
    printer_id: Id | None = None
    merchant_id: Id | None = None


@get("/users", opt=roles(Role.OPERATOR), sync_to_thread=True, summary="Users / 用户列表")
def list_users(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """Every user, by username."""
    with reading(request.app.state.sessions) as session:
        return {"users": [user_json(user) for user in accounts.list_users(session)]}


@post("/users", opt=roles(Role.OPERATOR), sync_to_thread=True, status_code=HTTP_201_CREATED,
      summary="Create a user / 新建用户", responses=errors(409))
def create_user(request: Request[Any, Any, Any], data: JSONBody[NewUser]) -> dict[str, Any]:
    """Create a user bound to the scope of its role."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        user = accounts.create_user(session, actor=actor_for(request, principal), **msgspec.structs.asdict(data))
        return user_json(user)


def _set_active(request: Request[Any, Any, Any], user_id: int, active: bool) -> dict[str, Any]:
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        user = accounts.set_user_active(session, actor=actor_for(request, principal), user_id=user_id,
                                        active=active)
        return user_json(user)


@post("/users/{user_id:int}/disable", opt=roles(Role.OPERATOR), sync_to_thread=True, status_code=HTTP_200_OK,
      summary="Disable a user / 停用用户", responses=errors(409))
def disable_user(request: Request[Any, Any, Any], user_id: RowId) -> dict[str, Any]:
    """Disable a user; their sessions end at once. The last active operator cannot be disabled (409)."""
    return _set_active(request, user_id, False)


@post("/users/{user_id:int}/enable", opt=roles(Role.OPERATOR), sync_to_thread=True, status_code=HTTP_200_OK,
      summary="Enable a user / 启用用户")
def enable_user(request: Request[Any, Any, Any], user_id: RowId) -> dict[str, Any]:
    """Enable a disabled user again."""
    return _set_active(request, user_id, True)


class NewApiKey(msgspec.Struct, forbid_unknown_fields=True):
    """A key to issue: manufacturer with enterprise_id, printer with printer_id, terminal with merchant_id."""

    name: Annotated[str, stored_in(ApiKey.name, required=True)]
    role: Role = Role.MANUFACTURER
    enterprise_id: Id | None = None
    printer_id: Id | None = None
    merchant_id: Id | None = None


@get("/apikeys", opt=roles(*STAFF), sync_to_thread=True, summary="API keys / 密钥列表")
def list_api_keys(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """An operator sees every key; enterprise, printer and merchant staff their organisation's."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        return {"apikeys": [api_key_json(key) for key in accounts.list_api_keys(session, principal=principal)]}


@post("/apikeys", opt=roles(Role.OPERATOR, Role.MANUFACTURER), sync_to_thread=True, status_code=HTTP_201_CREATED,
      summary="Issue an API key / 签发密钥")
def issue_api_key(request: Request[Any, Any, Any], data: JSONBody[NewApiKey]) -> dict[str, Any]:
    """Issue a key. The answer holds the key itself: it is shown this once and cannot be recovered."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        key, api_key = accounts.issue_api_key(session, actor=actor_for(request, principal), principal=principal,
                                              **msgspec.structs.asdict(data))
        return {**api_key_json(api_key), "key": key}


@post("/apikeys/{api_key_id:int}/revoke", opt=roles(*STAFF), sync_to_thread=True, status_code=HTTP_200_OK,
      summary="Revoke an API key / 吊销密钥")
def revoke_api_key(request: Request[Any, Any, Any], api_key_id: RowId) -> dict[str, Any]:
    """Revoke a key at once (operator, or staff of the organisation that holds it)."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        api_key = accounts.revoke_api_key(session, actor=actor_for(request, principal), api_key_id=api_key_id,
                                          principal=principal)
        return api_key_json(api_key)


router = Router(
    path="/",
    route_handlers=[me, list_users, create_user, disable_user, enable_user, list_api_keys, issue_api_key,
                    revoke_api_key],
    tags=["accounts / 账户"],
)
