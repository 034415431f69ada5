"""Logins: the password checked outside the write lock, a backoff per account and per address
counted in the database, failed logins audited, and the last active operator kept enabled."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from jianguan.accounts import login as logins
from jianguan.accounts import services as accounts
from jianguan.accounts.models import LoginThrottle, Role, User
from jianguan.audit.models import AuditRecord
from jianguan.audit.services import Actor, verify_chain
from jianguan.errors import Conflict, DomainError, ValidationFailed
from jianguan.storage import reading, transaction
from tests.conftest import run_cli
from tests.functional.accounts_data import unique_name
from tests.functional.login_worker import disable_user, wrong_login
from tests.functional.test_codes_services import race

ACTOR = Actor("user:test", "127.0.0.1")
PASSWORD = "login-test-password"


def _operator(sessions: sessionmaker[Session], role: Role = Role.OPERATOR, **scope: Any) -> User:
    with transaction(sessions) as session:
        return accounts.create_user(session, actor=ACTOR, username=unique_name("op"), display_name="测试",
                                    password=PASSWORD, role=role, **scope)


def _try(sessions: sessionmaker[Session], username: str, password: str, address: str = "10.1.1.1") -> Any:
    try:
        return logins.log_in(sessions, username=username, password=password, source_address=address, hours=1)
    except DomainError as error:
        return error


def _audited(sessions: sessionmaker[Session], action: str) -> list[AuditRecord]:
    with reading(sessions) as session:
        return list(session.scalars(select(AuditRecord).where(AuditRecord.action == action)))


def _let_time_pass(sessions: sessionmaker[Session], seconds: float) -> None:
    with transaction(sessions) as session:
        for row in session.scalars(select(LoginThrottle)):
            row.last_failure_at -= dt.timedelta(seconds=seconds)


def _bilingual(message: str) -> None:
    assert any("\u4e00" <= char <= "\u9fff" for char in message), message


def test_wrong_passwords_back_off_then_the_right_one_logs_in_after_the_wait(sessions: sessionmaker[Session]) -> None:
    user = _operator(sessions)
    for _ in range(logins.ACCOUNT_FREE):
        assert isinstance(_try(sessions, user.username, "wrong-password"), ValidationFailed)
    refused = _try(sessions, user.username, PASSWORD)  # the right password, but too soon
    assert isinstance(refused, logins.LoginThrottled)
    assert refused.status_code == 429 and refused.retry_after >= 1
    assert "Try again in" in refused.message and "北京时间" in refused.message_zh
    failed = _audited(sessions, "account:login:failed")
    assert len(failed) == logins.ACCOUNT_FREE  # the refused attempt is not checked, so not audited as one
    assert failed[0].target_id == str(user.id) and failed[0].after == {"username": user.username,
                                                                       "reason": "wrong_password"}
    assert failed[0].source_address == "10.1.1.1"

    _let_time_pass(sessions, refused.retry_after)
    token, logged_in = _try(sessions, user.username, PASSWORD)
    assert token and logged_in.id == user.id
    # a success clears the account's count: five more mistakes are free again
    for _ in range(logins.ACCOUNT_FREE):
        assert isinstance(_try(sessions, user.username, "wrong-password"), ValidationFailed)
    with reading(sessions) as session:
        assert verify_chain(session)[1] is None


def test_the_wait_grows_but_is_never_forever(sessions: sessionmaker[Session]) -> None:
    assert logins.backoff(logins.ACCOUNT_FREE - 1, logins.ACCOUNT_FREE) == dt.timedelta(0)
    waits = [logins.backoff(n, logins.ACCOUNT_FREE) for n in range(logins.ACCOUNT_FREE, 60)]
    assert waits == sorted(waits) and waits[0] == dt.timedelta(seconds=1)
    assert max(waits) == logins.MAX_WAIT == dt.timedelta(minutes=15)

    user = _operator(sessions)
    for _ in range(30):  # an attacker keeps going: each try is admitted once the (capped) wait passed
        _let_time_pass(sessions, logins.MAX_WAIT.total_seconds())
        assert isinstance(_try(sessions, user.username, "wrong-password"), ValidationFailed)
    _let_time_pass(sessions, logins.MAX_WAIT.total_seconds())
    assert _try(sessions, user.username, PASSWORD)[1].id == user.id


def test_unknown_and_disabled_accounts_are_throttled_and_audited_alike(sessions: sessionmaker[Session]) -> None:
    _operator(sessions)  # another operator, so this one may be disabled
    user = _operator(sessions)
    with transaction(sessions) as session:
        accounts.set_user_active(session, actor=ACTOR, user_id=user.id, active=False)
    assert isinstance(_try(sessions, user.username, PASSWORD), ValidationFailed)
    assert isinstance(_try(sessions, "no-such-user", PASSWORD), ValidationFailed)
    reasons = [(r.after or {}).get("reason") for r in _audited(sessions, "account:login:failed")]
    assert reasons == ["disabled", "unknown_user"]
    for _ in range(logins.ACCOUNT_FREE - 1):
        _try(sessions, "no-such-user", PASSWORD)
    assert isinstance(_try(sessions, "no-such-user", PASSWORD), logins.LoginThrottled)


def test_one_address_guessing_many_accounts_is_throttled_others_are_not(sessions: sessionmaker[Session]) -> None:
    user = _operator(sessions)
    for index in range(logins.ADDRESS_FREE):
        assert isinstance(_try(sessions, f"spray-{index}", "password-123", address="10.9.9.9"), ValidationFailed)
    assert isinstance(_try(sessions, user.username, PASSWORD, address="10.9.9.9"), logins.LoginThrottled)
    assert _try(sessions, user.username, PASSWORD, address="10.8.8.8")[1].id == user.id


def test_parallel_logins_with_a_slow_hash_do_not_hold_the_write_lock(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight wrong logins at once, each hash taking 0.5 s: writers are not kept waiting behind them
    (with the hash inside the write transaction they waited for several seconds), and no login
    fails with 'database is locked'."""
    users = [_operator(sessions) for _ in range(8)]
    slow = logins.verify_password

    def slow_verify(password_hash: str | None, password: str) -> bool:
        time.sleep(0.5)
        return slow(password_hash, password)

    monkeypatch.setattr(logins, "verify_password", slow_verify)
    start = threading.Barrier(9)
    outcomes: list[Any] = []
    waits: list[float] = []

    def wrong_login(username: str) -> None:
        start.wait()
        outcomes.append(_try(sessions, username, "wrong-password", address="10.2.2.2"))

    def writer() -> None:
        start.wait()
        time.sleep(0.2)  # the logins are now hashing
        for _ in range(5):
            began = time.monotonic()
            with transaction(sessions) as session:
                session.execute(update(User).where(User.id == users[0].id).values(display_name="写入者"))
            waits.append(time.monotonic() - began)
            time.sleep(0.05)

    threads = [threading.Thread(target=wrong_login, args=(user.username,)) for user in users]
    threads.append(threading.Thread(target=writer))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 8
    assert all(isinstance(outcome, ValidationFailed) and outcome.code == "login_failed"
               for outcome in outcomes), [(type(o), getattr(o, "code", o)) for o in outcomes]
    assert max(waits) < 0.4, waits
    assert len(_audited(sessions, "account:login:failed")) == 8


def test_parallel_guesses_at_one_account_are_counted_before_they_are_checked(sessions: sessionmaker[Session]) -> None:
    user = _operator(sessions)
    start = threading.Barrier(12)
    outcomes: list[Any] = []

    def guess() -> None:
        start.wait()
        outcomes.append(_try(sessions, user.username, "wrong-password", address="10.3.3.3"))

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    checked = [outcome for outcome in outcomes if isinstance(outcome, ValidationFailed)
               and not isinstance(outcome, logins.LoginThrottled)]
    assert len(checked) == logins.ACCOUNT_FREE  # the free ones only: the rest arrive within the first wait
    assert [type(outcome) for outcome in outcomes if outcome not in checked] == [logins.LoginThrottled] * 7


def _active_operators(sessions: sessionmaker[Session]) -> int:
    with reading(sessions) as session:
        return session.scalar(select(func.count()).select_from(User).where(User.role == Role.OPERATOR,
                                                                           User.is_active.is_(True))) or 0


def test_the_last_active_operator_cannot_be_disabled(sessions: sessionmaker[Session]) -> None:
    only = _operator(sessions)
    with pytest.raises(Conflict) as refused, transaction(sessions) as session:
        accounts.set_user_active(session, actor=ACTOR, user_id=only.id, active=False)
    assert refused.value.code == "last_operator"
    _bilingual(refused.value.message_zh)
    assert _active_operators(sessions) == 1 and _audited(sessions, "account:user:disabled") == []
    regulator = _operator(sessions, Role.REGULATOR, region_code="130100", agency="quality")
    with transaction(sessions) as session:  # other roles may all be disabled
        accounts.set_user_active(session, actor=ACTOR, user_id=regulator.id, active=False)


def test_operators_disabling_each_other_at_once_leave_one(sessions: sessionmaker[Session]) -> None:
    operators = [_operator(sessions) for _ in range(8)]
    start = threading.Barrier(len(operators))
    outcomes: list[Any] = []

    def disable(user_id: int) -> None:
        start.wait()
        try:
            with transaction(sessions) as session:
                accounts.set_user_active(session, actor=ACTOR, user_id=user_id, active=False)
            outcomes.append("disabled")
        except Conflict as error:
            outcomes.append(error.code)

    threads = [threading.Thread(target=disable, args=(user.id,)) for user in operators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["disabled"] * 7 + ["last_operator"]
    assert _active_operators(sessions) == 1


def test_users_commands_enable_disable_and_reset_password(database_url: str, sessions: sessionmaker[Session]) -> None:
    first, second = _operator(sessions), _operator(sessions)
    assert run_cli(database_url, "users", "disable", first.username).returncode == 0
    last = run_cli(database_url, "users", "disable", second.username)
    assert last.returncode == 2 and "last_operator" in last.stderr
    _bilingual(last.stderr)
    enabled = run_cli(database_url, "users", "enable", first.username)
    assert enabled.returncode == 0 and '"is_active": true' in enabled.stdout
    assert run_cli(database_url, "users", "enable", "nobody-here").returncode == 2

    for _ in range(logins.ACCOUNT_FREE + 1):
        _try(sessions, second.username, "wrong-password")
    assert isinstance(_try(sessions, second.username, PASSWORD), logins.LoginThrottled)
    reset = run_cli(database_url, "users", "reset-password", second.username, "--password", "a-new-password-1")
    assert reset.returncode == 0, reset.stderr
    assert isinstance(_try(sessions, second.username, PASSWORD), ValidationFailed)  # backoff cleared, old refused
    assert _try(sessions, second.username, "a-new-password-1")[1].id == second.id
    weak = run_cli(database_url, "users", "reset-password", second.username, "--password", "short")
    assert weak.returncode == 2
    actions = [r.action for r in _audited(sessions, "account:user:password_reset")]
    assert actions == ["account:user:password_reset"]


def test_sixteen_processes_guessing_one_password_get_only_the_free_tries(
    sessions: sessionmaker[Session], database_url: str, backend: str
) -> None:
    """The attempt is counted, under the throttle rows' lock, before the password is checked: of
    sixteen processes guessing at once, only the free ones are checked, whatever the interleaving."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers; the threaded tests above race it")
    user = _operator(sessions)
    outcomes = race(wrong_login, [(database_url, user.username)] * 16)
    assert sorted(outcomes) == ["login_failed"] * logins.ACCOUNT_FREE + ["login_throttled"] * (16 - logins.ACCOUNT_FREE)
    assert len(_audited(sessions, "account:login:failed")) == logins.ACCOUNT_FREE


def test_sixteen_processes_disabling_every_operator_leave_one(
    sessions: sessionmaker[Session], database_url: str, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers; the threaded test above races it")
    operators = [_operator(sessions) for _ in range(16)]
    outcomes = race(disable_user, [(database_url, user.id) for user in operators])
    assert sorted(outcomes) == ["disabled"] * 15 + ["last_operator"]
    assert _active_operators(sessions) == 1
