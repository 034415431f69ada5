"""Accounts: creating users, logging in and out, and machine credentials (密钥).

Session tokens and API keys are random, shown to their holder once, and stored only as
SHA-256 digests, so a copy of the database holds no credential that works.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.accounts.models import KEY_ROLES, USER_ROLES, ApiKey, LoginSession, Role, User
from jianguan.accounts.passwords import hash_password
from jianguan.accounts.principal import Principal
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.catalogue.models import Agency
from jianguan.catalogue.services import parse_agency
from jianguan.enterprises.models import Enterprise
from jianguan.errors import Conflict, NotAuthenticated, NotFound, PermissionDenied, ValidationFailed
from jianguan.fields import clean_text
from jianguan.merchants.models import Merchant
from jianguan.printers.models import Printer
from jianguan.regions.tree import RegionNode, region_tree
from jianguan.storage.base import utcnow

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
API_KEY_PATTERN = re.compile(r"^jg_([a-z0-9]{10})_([A-Za-z0-9_-]{43})$")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _scope_fields(
    session: Session,
    role: Role,
    *,
    region_code: str | None,
    agency: Agency | str | None,
    enterprise_id: int | None,
    printer_id: int | None,
    merchant_id: int | None,
) -> dict[str, Any]:
    """Check that exactly the scope ``role`` needs is given and exists; return the columns."""
    fields: dict[str, Any] = {
        "region_code": None, "agency": None, "enterprise_id": None, "printer_id": None, "merchant_id": None,
    }
    needed = {
        Role.OPERATOR: (),
        Role.REGULATOR: ("region_code", "agency"),
        Role.MANUFACTURER: ("enterprise_id",),
        Role.PRINTER: ("printer_id",),
        Role.MERCHANT: ("merchant_id",),
        Role.TERMINAL: ("merchant_id",),
    }[role]
    given = {
        "region_code": region_code, "agency": agency, "enterprise_id": enterprise_id,
        "printer_id": printer_id, "merchant_id": merchant_id,
    }
    for name, value in given.items():
        if name in needed and value in (None, ""):
            raise ValidationFailed(
                f"The role {role.value} needs {name}.", f"角色「{role.label_zh}」必须指定 {name}。",
                code="scope_missing",
            )
        if name not in needed and value not in (None, ""):
            raise ValidationFailed(
                f"The role {role.value} takes no {name}.", f"角色「{role.label_zh}」不能指定 {name}。",
                code="scope_mismatch",
            )
    if role is Role.REGULATOR:
        fields["region_code"] = region_tree(session).require(str(region_code)).code
        fields["agency"] = parse_agency(agency)
    for name, model, label in (
        ("enterprise_id", Enterprise, "企业"), ("printer_id", Printer, "印刷企业"), ("merchant_id", Merchant, "经销商/商店"),
    ):
        if name in needed:
            if session.get(model, given[name]) is None:
                raise NotFound(f"No {name[:-3]} {given[name]}.", f"{label} {given[name]} 不存在。")
            fields[name] = given[name]
    return fields


def create_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    display_name: str,
    password: str,
    role: Role | str,
    region_code: str | None = None,
    agency: Agency | str | None = None,
    enterprise_id: int | None = None,
    printer_id: int | None = None,
    merchant_id: int | None = None,
) -> User:
    """Create a user bound to the scope of its role."""
    try:
        role = Role(role)
    except ValueError:
        raise ValidationFailed(f"Unknown role {role!r}.", f"未知角色 {role!r}。", code="unknown_role") from None
    if role not in USER_ROLES:
        raise ValidationFailed(
            f"The role {role.value} is for API keys only.", f"角色「{role.label_zh}」只能用于密钥。", code="unknown_role"
        )
    username = (username or "").strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise ValidationFailed(
            "A username is 3-64 lower-case letters, digits, dots, dashes or underscores.",
            "用户名应为 3-64 个小写字母、数字、点、横线或下划线。",
            code="invalid_username",
        )
    display_name = clean_text(display_name, User.display_name, english="display name", chinese="姓名", required=True)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"The username {username} is taken.", f"用户名 {username} 已被使用。", code="duplicate_username")
    scope = _scope_fields(session, role, region_code=region_code, agency=agency, enterprise_id=enterprise_id,
                          printer_id=printer_id, merchant_id=merchant_id)
    user = User(username=username, display_name=display_name, password_hash=hash_password(password),
                role=role, **scope)
    session.add(user)
    session.flush()
    record(session, actor=actor, action=AuditAction.ACCOUNT_USER_CREATED, target_type="user",
           target_id=user.id, after={"username": username, "role": role.value, **scope})
    return user


def set_user_active(session: Session, *, actor: Actor, user_id: int, active: bool) -> User:
    """Enable or disable a user; disabling ends the user's sessions.

    The last active operator cannot be disabled: nobody would be left to enable anyone. The
    active operators are locked first, so two operators disabling each other at once cannot
    both succeed.
    """
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user {user_id}.", f"用户 {user_id} 不存在。")
    if not active and user.is_active and user.role == Role.OPERATOR:
        operators = session.scalars(select(User.id).where(User.role == Role.OPERATOR, User.is_active.is_(True))
                                    .order_by(User.id).with_for_update()).all()
        session.refresh(user)
        if user.is_active and set(operators) <= {user.id}:
            raise Conflict("This is the last active operator: enable or create another operator first.",
                           "这是最后一个启用的运营中心账户：请先启用或新建另一个运营中心账户。",
                           code="last_operator")
    before = user.is_active
    user.is_active = active
    if not active:
        for login in session.scalars(select(LoginSession).where(LoginSession.user_id == user.id,
                                                                LoginSession.ended_at.is_(None))):
            login.ended_at = utcnow()
    action = AuditAction.ACCOUNT_USER_ENABLED if active else AuditAction.ACCOUNT_USER_DISABLED
    record(session, actor=actor, action=action, target_type="user", target_id=user.id,
           before={"is_active": before}, after={"is_active": active})
    return user


def find_user(session: Session, username: str) -> User:
    """The user called ``username``; NotFound when there is none."""
    user = session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    if user is None:
        raise NotFound(f"No user {username!r}.", f"用户 {username!r} 不存在。")
    return user


def reset_password(session: Session, *, actor: Actor, user_id: int, password: str) -> User:
    """Give a user a new password; their open sessions end and their failed-login count is cleared."""
    from jianguan.accounts.login import clear_throttle

    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user {user_id}.", f"用户 {user_id} 不存在。")
    user.password_hash = hash_password(password)
    for login in session.scalars(select(LoginSession).where(LoginSession.user_id == user.id,
                                                            LoginSession.ended_at.is_(None))):
        login.ended_at = utcnow()
    clear_throttle(session, username=user.username)
    record(session, actor=actor, action=AuditAction.ACCOUNT_USER_PASSWORD_RESET, target_type="user",
           target_id=user.id)
    return user


def log_out(session: Session, *, principal: Principal, source_address: str) -> None:
    """End the principal's browser session."""
    if principal.session_id is None:
        return
    login = session.get(LoginSession, principal.session_id)
    if login is not None and login.ended_at is None:
        login.ended_at = utcnow()
        record(session, actor=Actor(principal.actor_name, source_address),
               action=AuditAction.ACCOUNT_SESSION_CLOSED, target_type="login_session", target_id=login.id)


def _principal(session: Session, kind: str, row: User | ApiKey, name: str, session_id: int | None) -> Principal:
    role = Role(row.role)
    region_codes = region_tree(session).descendants(row.region_code) if row.region_code else frozenset()
    return Principal(
        kind=kind, id=row.id, name=name, role=role,
        display_name=row.display_name if isinstance(row, User) else row.name,
        region_code=row.region_code, agency=Agency(row.agency) if row.agency else None,
        enterprise_id=row.enterprise_id, printer_id=row.printer_id, merchant_id=row.merchant_id,
        region_codes=region_codes, session_id=session_id,
    )


def principal_from_session_token(session: Session, token: str) -> Principal:
    """The user behind a session cookie; NotAuthenticated when it is unknown, ended or expired."""
    row = session.execute(
        select(LoginSession, User).join(User, User.id == LoginSession.user_id)
        .where(LoginSession.token_hash == _digest(token))
    ).first()
    if row is None:
        raise NotAuthenticated()
    login, user = row
    if login.ended_at is not None or login.expires_at <= utcnow() or not user.is_active:
        raise NotAuthenticated()
    return _principal(session, "user", user, user.username, login.id)


def create_api_key(
    session: Session,
    *,
    actor: Actor,
    name: str,
    role: Role | str,
    enterprise_id: int | None = None,
    printer_id: int | None = None,
    merchant_id: int | None = None,
    derive_from: bytes | None = None,
) -> tuple[str, ApiKey]:
    """Make a machine credential; return the key (shown this once only) and its row.

    ``derive_from`` is for the demo network only: the key is then derived from it (an HMAC of
    the service secret), so ``jianguan demo seed`` can print the same demo keys on every run.
    """
    try:
        role = Role(role)
    except ValueError:
        raise ValidationFailed(f"Unknown role {role!r}.", f"未知角色 {role!r}。", code="unknown_role") from None
    if role not in KEY_ROLES:
        raise ValidationFailed(
            f"API keys are for {', '.join(r.value for r in KEY_ROLES)}; not {role.value}.",
            f"密钥只能发给生产企业、印刷企业或查询终端，不能发给「{role.label_zh}」。",
            code="unknown_role",
        )
    name = clean_text(name, ApiKey.name, english="key's name", chinese="密钥名称", required=True)
    scope = _scope_fields(session, role, region_code=None, agency=None, enterprise_id=enterprise_id,
                          printer_id=printer_id, merchant_id=merchant_id)
    if derive_from is None:
        prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(10))
        key = f"jg_{prefix}_{secrets.token_urlsafe(32)}"
    else:
        prefix, key = derive_key(derive_from)
    api_key = ApiKey(prefix=prefix, key_hash=_digest(key), name=name, role=role,
                     created_by=actor.name, **scope)
    session.add(api_key)
    session.flush()
    record(session, actor=actor, action=AuditAction.ACCOUNT_APIKEY_CREATED, target_type="api_key",
           target_id=api_key.id, after={"prefix": prefix, "name": api_key.name, "role": role.value, **scope})
    if role is Role.MANUFACTURER:
        from jianguan.enterprises.enrolment import mark_stage_reached

        mark_stage_reached(session, actor=actor, enterprise_id=int(scope["enterprise_id"]),
                           stage="credentials_issued")
    return key, api_key


_PREFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def derive_key(seed: bytes) -> tuple[str, str]:
    """The (prefix, key) pair derived from ``seed``: demo keys only."""
    digest = hmac.new(seed, b"jianguan api key", hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    prefix = ""
    for _ in range(10):
        number, index = divmod(number, len(_PREFIX_ALPHABET))
        prefix += _PREFIX_ALPHABET[index]
    secret = base64.urlsafe_b64encode(hmac.new(seed, b"secret", hashlib.sha256).digest()).decode().rstrip("=")
    return prefix, f"jg_{prefix}_{secret}"


def issue_api_key(
    session: Session,
    *,
    actor: Actor,
    principal: Principal,
    name: str,
    role: Role | str,
    enterprise_id: int | None = None,
    printer_id: int | None = None,
    merchant_id: int | None = None,
) -> tuple[str, ApiKey]:
    """Make a key on behalf of ``principal``: an operator for anyone, manufacturer staff for their own
    enterprise only (a key for its systems); nobody else. Returns the key, shown this once, and its row.
    """
    if principal.role is Role.MANUFACTURER:
        if str(role) != Role.MANUFACTURER.value or enterprise_id not in (None, principal.enterprise_id) \
                or printer_id is not None or merchant_id is not None:
            raise PermissionDenied(
                "Manufacturer staff may issue keys for their own enterprise only.",
                "生产企业只能为本企业签发密钥。",
            )
        enterprise_id = principal.enterprise_id
    elif principal.role is not Role.OPERATOR:
        raise PermissionDenied()
    return create_api_key(session, actor=actor, name=name, role=role, enterprise_id=enterprise_id,
                          printer_id=printer_id, merchant_id=merchant_id)


def may_manage_api_key(principal: Principal, api_key: ApiKey) -> bool:
    """Whether ``principal`` may see and revoke ``api_key``: an operator any, staff their organisation's."""
    if principal.role is Role.OPERATOR:
        return True
    if principal.role is Role.MANUFACTURER:
        return api_key.enterprise_id is not None and api_key.enterprise_id == principal.enterprise_id
    if principal.role is Role.PRINTER:
        return api_key.printer_id is not None and api_key.printer_id == principal.printer_id
    if principal.role is Role.MERCHANT:
        return api_key.merchant_id is not None and api_key.merchant_id == principal.merchant_id
    return False


def revoke_api_key(
    session: Session, *, actor: Actor, api_key_id: int, principal: Principal | None = None
) -> ApiKey:
    """Revoke a key at once; revoking twice is harmless.

    With ``principal`` (a request's caller), only a key that principal may manage is found; a key of
    another organisation answers as if it did not exist.
    """
    api_key = session.get(ApiKey, api_key_id)
    if api_key is None or (principal is not None and not may_manage_api_key(principal, api_key)):
        raise NotFound(f"No API key {api_key_id}.", f"密钥 {api_key_id} 不存在。")
    if api_key.revoked_at is None:
        api_key.revoked_at = utcnow()
        record(session, actor=actor, action=AuditAction.ACCOUNT_APIKEY_REVOKED, target_type="api_key",
               target_id=api_key.id, before={"revoked": False}, after={"revoked": True})
    return api_key


def principal_from_api_key(session: Session, key: str) -> Principal:
    """The machine behind a bearer key; NotAuthenticated when it is malformed, unknown or revoked."""
    match = API_KEY_PATTERN.match(key)
    if match is None:
        raise NotAuthenticated()
    api_key = session.scalar(select(ApiKey).where(ApiKey.prefix == match.group(1)))
    if api_key is None or api_key.revoked_at is not None:
        raise NotAuthenticated()
    if not secrets.compare_digest(api_key.key_hash, _digest(key)):
        raise NotAuthenticated()
    return _principal(session, "apikey", api_key, api_key.prefix, None)


def list_api_keys(session: Session, *, principal: Principal) -> list[ApiKey]:
    """Keys the principal may see: an operator all, a manufacturer or printer its own."""
    query = select(ApiKey).order_by(ApiKey.id)
    if principal.role is Role.MANUFACTURER:
        query = query.where(ApiKey.enterprise_id == principal.enterprise_id)
    elif principal.role is Role.PRINTER:
        query = query.where(ApiKey.printer_id == principal.printer_id)
    elif principal.role is Role.MERCHANT:
        query = query.where(ApiKey.merchant_id == principal.merchant_id)
    elif principal.role is not Role.OPERATOR:
        return []
    return list(session.scalars(query))


def list_users(session: Session) -> list[User]:
    """Every user, by username (operators only; the route guards that)."""
    return list(session.scalars(select(User).order_by(User.username)))


@dataclass(frozen=True)
class ScopeView:
    """A principal's scope with names to show: the region (and its level), agency and organisation."""

    region: RegionNode | None = None
    agency: Agency | None = None
    enterprise: Enterprise | None = None
    printer: Printer | None = None
    merchant: Merchant | None = None


def describe_scope(session: Session, principal: Principal) -> ScopeView:
    """The named scope of ``principal``, for the dashboard and ``/api/v1/me``."""
    return ScopeView(
        region=region_tree(session).get(principal.region_code),
        agency=principal.agency,
        enterprise=session.get(Enterprise, principal.enterprise_id) if principal.enterprise_id else None,
        printer=session.get(Printer, principal.printer_id) if principal.printer_id else None,
        merchant=session.get(Merchant, principal.merchant_id) if principal.merchant_id else None,
    )


def scope_names(session: Session, rows: list[User] | list[ApiKey]) -> dict[tuple[str, object], str]:
    """Names of the regions and organisations ``rows`` are bound to, keyed ``("region", code)``,
    ``("enterprise", id)``, ``("printer", id)`` and ``("merchant", id)``: one query a kind."""
    tree = region_tree(session)
    names: dict[tuple[str, object], str] = {
        ("region", row.region_code): tree.name(row.region_code) or row.region_code
        for row in rows if row.region_code}
    for kind, model, column in (
        ("enterprise", Enterprise, "enterprise_id"), ("printer", Printer, "printer_id"),
        ("merchant", Merchant, "merchant_id"),
    ):
        wanted = {getattr(row, column) for row in rows} - {None}
        if wanted:
            for ident, name in session.execute(select(model.id, model.name).where(model.id.in_(wanted))):
                names[(kind, ident)] = name
    return names
