"""Separate processes that race for the login backoff and the last operator (imported by spawn)."""

from __future__ import annotations

from typing import Any

from jianguan.accounts import login as logins
from jianguan.accounts import services as accounts
from jianguan.audit.services import Actor
from jianguan.codes.keyring import KeyService
from jianguan.config import Settings
from jianguan.errors import DomainError
from jianguan.storage import make_engine, session_factory, transaction


def wrong_login(database_url: str, username: str, barrier: Any) -> str:
    """Wait for every worker, then log in once with a wrong password; return the error's code."""
    engine = make_engine(database_url)
    sessions = session_factory(engine, keys=KeyService(Settings().master_key_bytes()))
    try:
        barrier.wait()
        logins.log_in(sessions, username=username, password="wrong-password", source_address="10.7.7.7", hours=1)
        return "logged_in"
    except DomainError as error:
        return error.code
    finally:
        engine.dispose()


def disable_user(database_url: str, user_id: int, barrier: Any) -> str:
    """Wait for every worker, then disable one user; return "disabled" or the refusal's code."""
    engine = make_engine(database_url)
    sessions = session_factory(engine, keys=KeyService(Settings().master_key_bytes()))
    try:
        barrier.wait()
        with transaction(sessions) as session:
            accounts.set_user_active(session, actor=Actor.system("worker"), user_id=user_id, active=False)
        return "disabled"
    except DomainError as error:
        return error.code
    finally:
        engine.dispose()
