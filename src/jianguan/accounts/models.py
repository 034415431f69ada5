"""Users, login sessions and API keys."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from jianguan.catalogue.models import Agency
from jianguan.choices import LabelledChoice
from jianguan.storage.base import Base, utcnow


class Role(LabelledChoice):
    """Who a principal is. Terminal is a machine role only (query terminals have no users)."""

    OPERATOR = "operator", "运营中心", "operator"
    REGULATOR = "regulator", "监管部门", "regulator"
    MANUFACTURER = "manufacturer", "生产企业", "manufacturer"
    PRINTER = "printer", "定点印刷企业", "designated printer"
    MERCHANT = "merchant", "经销商/商店", "distributor or shop"
    TERMINAL = "terminal", "查询终端", "query terminal"


USER_ROLES = (Role.OPERATOR, Role.REGULATOR, Role.MANUFACTURER, Role.PRINTER, Role.MERCHANT)
KEY_ROLES = (Role.MANUFACTURER, Role.PRINTER, Role.TERMINAL)

# A row binds exactly the scope its role needs; the database refuses any other shape.
_SCOPE_RULE = (
    "(role = 'operator' AND region_code IS NULL AND agency IS NULL AND enterprise_id IS NULL"
    " AND printer_id IS NULL AND merchant_id IS NULL)"
    " OR (role = 'regulator' AND region_code IS NOT NULL AND agency IS NOT NULL AND enterprise_id IS NULL"
    " AND printer_id IS NULL AND merchant_id IS NULL)"
    " OR (role = 'manufacturer' AND enterprise_id IS NOT NULL AND region_code IS NULL AND agency IS NULL"
    " AND printer_id IS NULL AND merchant_id IS NULL)"
    " OR (role = 'printer' AND printer_id IS NOT NULL AND region_code IS NULL AND agency IS NULL"
    " AND enterprise_id IS NULL AND merchant_id IS NULL)"
    " OR (role IN ('merchant', 'terminal') AND merchant_id IS NOT NULL AND region_code IS NULL"
    " AND agency IS NULL AND enterprise_id IS NULL AND printer_id IS NULL)"
)


class User(Base):
    """A person who logs in, with one role and the one scope that role is bound to.

    A regulator is bound to a region and an agency; manufacturer, printer and merchant staff
    to one enterprise, printer or merchant; an operator to nothing (the whole network).
    """

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_SCOPE_RULE, name="scope_matches_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(String(16))
    region_code: Mapped[str | None] = mapped_column(String(6), ForeignKey("regions.code"), default=None)
    agency: Mapped[Agency | None] = mapped_column(String(16), default=None)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True, default=None)
    printer_id: Mapped[int | None] = mapped_column(ForeignKey("printers.id"), index=True, default=None)
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"), index=True, default=None)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class LoginSession(Base):
    """A browser session: the cookie holds a random token, the table its SHA-256 only."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    source_address: Mapped[str] = mapped_column(String(64), default="")


class ApiKey(Base):
    """A machine credential (密钥) for an enterprise system, a printer or a query terminal.

    The key is shown once when made. It is ``jg_<prefix>_<secret>``: the prefix finds the row,
    and only the SHA-256 of the whole key is kept (the secret has 256 bits of entropy, so a
    slow password hash adds nothing but latency on every API call).
    """

    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint(_SCOPE_RULE, name="scope_matches_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(String(16))
    region_code: Mapped[str | None] = mapped_column(String(6), default=None)
    agency: Mapped[str | None] = mapped_column(String(16), default=None)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True, default=None)
    printer_id: Mapped[int | None] = mapped_column(ForeignKey("printers.id"), index=True, default=None)
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"), index=True, default=None)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class LoginThrottle(Base):
    """Failed logins counted for one account or one address, so every worker process agrees.

    ``key`` is the SHA-256 of ``account:<username>`` or ``address:<ip>``, so any text typed as
    a username takes the same room. ``failures`` counts attempts that did not log in since the
    counter was last cleared (a success clears the account's; a quiet day clears both); the next
    attempt is admitted at ``last_failure_at`` plus the backoff of ``failures`` (``accounts.login``).
    """

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(index=True)
