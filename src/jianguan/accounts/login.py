"""Logging in: the password checked outside any write transaction, failures throttled and audited.

A login is three short steps. (1) *Admit*: one write transaction locks the throttle rows of the
account and of the address, refuses the attempt while either is backing off, and otherwise
counts it as a failure in advance (so parallel guesses cannot all slip through before the first
is counted). (2) *Check*: the user is read and argon2 runs with no transaction open, so a slow
hash never holds SQLite's write lock. (3) *Settle*: a success opens the session, clears the
account's counter and takes back the address's advance count; a failure writes its audit record.

The backoff grows with the failures: ``ACCOUNT_FREE`` (``ADDRESS_FREE``) failures cost nothing,
each one after doubles the wait, from one second up to ``MAX_WAIT``. Nothing locks an account for
good: the wait never exceeds ``MAX_WAIT``, and a counter with no failure for ``FORGET_AFTER`` is
forgotten. The counts are rows (``LoginThrottle``), so every worker and every host agrees.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from jianguan.accounts.models import LoginSession, LoginThrottle, User
from jianguan.accounts.passwords import MAX_PASSWORD_LENGTH, verify_password
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.errors import RateLimited, ValidationFailed
from jianguan.storage.base import utcnow
from jianguan.storage.tx import reading, transaction
from jianguan.timezone import LOCAL_ZONE

ACCOUNT_FREE = 5
ADDRESS_FREE = 20
MAX_WAIT = dt.timedelta(minutes=15)
FORGET_AFTER = dt.timedelta(hours=24)


class LoginThrottled(RateLimited):
    """Too many failed logins for this account or from this address: wait and try again (429)."""

    code = "login_throttled"

    def __init__(self, retry_after: int, until: dt.datetime) -> None:
        super().__init__(retry_after)
        at = until.astimezone(LOCAL_ZONE).strftime("%H:%M:%S")
        self.message = (f"Too many failed logins for this account or from this address. "
                        f"Try again in {retry_after} seconds (after {at} Beijing time).")
        self.message_zh = f"该账户或该地址登录失败次数过多，请在 {retry_after} 秒后（北京时间 {at} 之后）再试。"
        self.details = {"retry_after": retry_after}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _keys(username: str, source_address: str) -> tuple[tuple[str, int], tuple[str, int]]:
    return (_digest(f"account:{username}"), ACCOUNT_FREE), (_digest(f"address:{source_address}"), ADDRESS_FREE)


def backoff(failures: int, free: int) -> dt.timedelta:
    """How long after the last failure the next attempt waits, given ``failures`` counted."""
    if failures < free:
        return dt.timedelta(0)
    return min(MAX_WAIT, dt.timedelta(seconds=2 ** min(failures - free, 20)))


def _lock_rows(session: Session, keys: list[str], now: dt.datetime) -> dict[str, LoginThrottle]:
    """The throttle rows of ``keys``, made if missing and locked for this transaction."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(LoginThrottle).values(
        [{"key": key, "failures": 0, "last_failure_at": now} for key in keys]).on_conflict_do_nothing())
    rows = session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys))
                           .order_by(LoginThrottle.key).with_for_update()).all()
    return {row.key: row for row in rows}


def admit(session: Session, *, username: str, source_address: str) -> None:
    """Refuse the attempt while the account or the address backs off; else count it in advance."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < utcnow() - FORGET_AFTER))
    keys = _keys(username, source_address)
    rows = _lock_rows(session, [key for key, _ in keys], utcnow())
    now = utcnow()  # read once the rows are ours: another attempt may have counted while we waited
    waits = [(rows[key].last_failure_at, backoff(rows[key].failures, free)) for key, free in keys]
    until = max((last + wait for last, wait in waits if wait), default=now)
    if until > now:
        raise LoginThrottled(max(1, math.ceil((until - now).total_seconds())), until)
    for key, _ in keys:
        rows[key].failures += 1
        rows[key].last_failure_at = now


def _settle_success(session: Session, *, username: str, source_address: str) -> None:
    account, address = (key for key, _ in _keys(username, source_address))
    rows = _lock_rows(session, [account, address], utcnow())
    rows[account].failures = 0
    rows[address].failures = max(0, rows[address].failures - 1)


def log_in(
    sessions: sessionmaker[Session], *, username: str, password: str, source_address: str, hours: int
) -> tuple[str, User]:
    """Check the password and open a session; return the cookie token and the user.

    The same error answers an unknown user, a wrong password and a disabled account, so the
    form does not tell which usernames exist; LoginThrottled (429) answers while backing off.
    """
    username = (username or "").strip().lower()[:200]
    with transaction(sessions) as session:
        admit(session, username=username, source_address=source_address)
    with reading(sessions) as session:
        user = session.scalar(select(User).where(User.username == username))
    ok = len(password) <= MAX_PASSWORD_LENGTH and verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        with transaction(sessions) as session:
            record(session, actor=Actor("anonymous", source_address), action=AuditAction.ACCOUNT_LOGIN_FAILED,
                   target_type="user", target_id=user.id if user else "",
                   after={"username": user.username if user else None,
                          "reason": "disabled" if user and ok else "wrong_password" if user else "unknown_user"})
        raise ValidationFailed("Wrong username or password.", "用户名或密码错误。", code="login_failed")
    with transaction(sessions) as session:
        _settle_success(session, username=username, source_address=source_address)
        return open_session(session, user_id=user.id, source_address=source_address, hours=hours)


def open_session(session: Session, *, user_id: int, source_address: str, hours: int) -> tuple[str, User]:
    """Open a browser session for the user ``user_id``; return the cookie token and the user."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:  # disabled since the password was checked
        raise ValidationFailed("Wrong username or password.", "用户名或密码错误。", code="login_failed")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    login = LoginSession(token_hash=_digest(token), user_id=user.id, created_at=now,
                         expires_at=now + dt.timedelta(hours=hours), source_address=source_address)
    user.last_login_at = now
    session.add(login)
    session.flush()
    record(session, actor=Actor(f"user:{user.username}", source_address),
           action=AuditAction.ACCOUNT_SESSION_OPENED, target_type="login_session", target_id=login.id,
           after={"user": user.username})
    return token, user


def clear_throttle(session: Session, *, username: str) -> None:
    """Forget the failed logins counted for the account ``username`` (after a password reset)."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == _digest(f"account:{username}")))
