"""The audit log on both databases: one record a change, a chain that verifies, append-only
triggers, ``jianguan audit verify``, and concurrent appenders."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from jianguan.accounts import login as logins
from jianguan.accounts import services as accounts
from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.models import AuditRecord
from jianguan.audit.services import Actor, recent_records, verify_chain
from jianguan.errors import DomainError
from jianguan.storage import transaction
from tests.conftest import run_cli
from tests.functional.accounts_data import add_organisations, unique_name

ACTOR = Actor("user:auditor", "127.0.0.1")
OPERATOR = Principal(kind="user", id=1, name="auditor", role=Role.OPERATOR)
PASSWORD = "audit-test-password"


def _new_records(session: Session, change: Callable[[], Any]) -> list[AuditRecord]:
    before = session.scalar(select(func.coalesce(func.max(AuditRecord.id), 0)))
    change()
    session.flush()
    return list(session.scalars(select(AuditRecord).where(AuditRecord.id > before).order_by(AuditRecord.id)))


def _assert_one(records: list[AuditRecord], action: str) -> AuditRecord:
    assert [r.action for r in records] == [action]
    area, subject, verb = action.split(":")
    assert area and subject and verb
    return records[0]


def _user(session: Session, **fields: Any) -> Any:
    return accounts.create_user(session, actor=ACTOR, username=unique_name("u"), display_name="测试用户",
                                password=PASSWORD, **({"role": Role.OPERATOR} | fields))


def test_every_account_change_writes_exactly_one_record(session: Session, sessions: sessionmaker[Session]) -> None:
    orgs = add_organisations(session)
    holder: dict[str, Any] = {}

    created = _assert_one(_new_records(session, lambda: holder.update(user=_user(session))), "account:user:created")
    user = holder["user"]
    assert created.target_type == "user" and created.target_id == str(user.id)
    assert PASSWORD not in str(created.after) and "password_hash" not in (created.after or {})

    regulator = _new_records(session, lambda: _user(session, role=Role.REGULATOR, region_code="130100",
                                                    agency="quality"))
    assert _assert_one(regulator, "account:user:created").after["region_code"] == "130100"

    _user(session)  # another operator: the last active one cannot be disabled
    for active, action in ((False, "account:user:disabled"), (True, "account:user:enabled")):
        change = _assert_one(_new_records(session, lambda active=active: accounts.set_user_active(
            session, actor=ACTOR, user_id=user.id, active=active)), action)
        assert change.before == {"is_active": not active} and change.after == {"is_active": active}

    before_login = session.scalar(select(func.max(AuditRecord.id)))
    session.commit()  # a login runs its own short transactions (the password is checked outside them)
    holder.update(login=logins.log_in(sessions, username=user.username, password=PASSWORD,
                                      source_address="10.0.0.1", hours=1))
    opened = list(session.scalars(select(AuditRecord).where(AuditRecord.id > before_login)))
    assert _assert_one(opened, "account:session:opened").actor == f"user:{user.username}"
    principal = accounts.principal_from_session_token(session, holder["login"][0])
    _assert_one(_new_records(session, lambda: accounts.log_out(session, principal=principal,
                                                               source_address="10.0.0.1")),
                "account:session:closed")

    issued = _new_records(session, lambda: holder.update(key=accounts.issue_api_key(
        session, actor=ACTOR, principal=OPERATOR, name="印刷机", role=Role.PRINTER, printer_id=orgs.printer_id)))
    key, row = holder["key"]
    assert key not in str(_assert_one(issued, "account:apikey:created").after)
    _assert_one(_new_records(session, lambda: accounts.revoke_api_key(session, actor=ACTOR, api_key_id=row.id)),
                "account:apikey:revoked")
    assert _new_records(session, lambda: accounts.revoke_api_key(session, actor=ACTOR, api_key_id=row.id)) == []

    terminal = _new_records(session, lambda: accounts.issue_api_key(
        session, actor=ACTOR, principal=OPERATOR, name="查询终端", role="terminal", merchant_id=orgs.merchant_id))
    _assert_one(terminal, "account:apikey:created")

    # A manufacturer's first key also moves its enterprise to "credentials issued": a change of its own.
    first = _new_records(session, lambda: accounts.issue_api_key(
        session, actor=ACTOR, principal=OPERATOR, name="ERP", role="manufacturer",
        enterprise_id=orgs.enterprise_id))
    assert [r.action for r in first] == ["account:apikey:created", "enterprise:stage:reached"]
    second = _new_records(session, lambda: accounts.issue_api_key(
        session, actor=ACTOR, principal=OPERATOR, name="WMS", role="manufacturer",
        enterprise_id=orgs.enterprise_id))
    _assert_one(second, "account:apikey:created")
    session.commit()
    assert verify_chain(session)[1] is None


def test_refused_changes_write_nothing(session: Session) -> None:
    orgs = add_organisations(session)
    manufacturer = Principal(kind="user", id=2, name="m", role=Role.MANUFACTURER, enterprise_id=orgs.enterprise_id)
    for refused in (
        lambda: _user(session, role="nobody"),
        lambda: _user(session, role=Role.REGULATOR),
        lambda: _user(session, role=Role.MANUFACTURER, enterprise_id=999_999),
        lambda: accounts.issue_api_key(session, actor=ACTOR, principal=manufacturer, name="x", role="manufacturer",
                                       enterprise_id=orgs.other_enterprise_id),
    ):
        with pytest.raises(DomainError) as error:
            refused()
        assert error.value.message and error.value.message_zh
    assert session.scalar(select(func.count()).select_from(AuditRecord)) == 0


def test_recent_records_filters(session: Session) -> None:
    _user(session)  # another operator: the last active one cannot be disabled
    user = _user(session)
    accounts.set_user_active(session, actor=ACTOR, user_id=user.id, active=False)
    _user(session)
    session.flush()
    newest = recent_records(session)
    assert [r.id for r in newest] == sorted((r.id for r in newest), reverse=True)
    assert {r.action for r in recent_records(session, action_prefix="account:user:dis")} == {"account:user:disabled"}
    assert len(recent_records(session, target_type="user", target_id=str(user.id))) == 2
    assert len(recent_records(session, limit=1)) == 1
    assert recent_records(session, action_prefix="account:user_") == []  # "_" is no wildcard


def _three_records(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        for _ in range(3):
            _user(session)


def test_update_and_delete_are_refused(sessions: sessionmaker[Session]) -> None:
    _three_records(sessions)
    for statement in ("UPDATE audit_records SET actor = 'someone else' WHERE id = 1",
                      "DELETE FROM audit_records WHERE id = 2"):
        with pytest.raises(DBAPIError, match="append-only"), transaction(sessions) as session:
            session.execute(text(statement))
    with transaction(sessions) as session:
        assert session.scalar(select(AuditRecord.actor).where(AuditRecord.id == 1)) == "user:auditor"
        assert verify_chain(session) == (3, None)


def _drop_triggers(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        if session.get_bind().dialect.name == "sqlite":
            session.execute(text("DROP TRIGGER audit_records_no_update"))
            session.execute(text("DROP TRIGGER audit_records_no_delete"))
        else:
            session.execute(text("DROP TRIGGER audit_records_append_only ON audit_records"))


def test_verify_command_finds_an_altered_record(database_url: str, sessions: sessionmaker[Session]) -> None:
    _three_records(sessions)
    intact = run_cli(database_url, "audit", "verify")
    assert intact.returncode == 0, intact.stderr
    assert "3" in intact.stdout
    _drop_triggers(sessions)
    with transaction(sessions) as session:
        session.execute(text("""UPDATE audit_records SET "after" = '{"username": "mallory"}' WHERE id = 3"""))
    broken = run_cli(database_url, "audit", "verify")
    assert broken.returncode == 1
    assert "record 3" in broken.stdout + broken.stderr
    assert "altered" in broken.stdout + broken.stderr


def test_verify_command_finds_a_removed_record(database_url: str, sessions: sessionmaker[Session]) -> None:
    _three_records(sessions)
    _drop_triggers(sessions)
    with transaction(sessions) as session:
        session.execute(text("DELETE FROM audit_records WHERE id = 2"))
    broken = run_cli(database_url, "audit", "verify")
    assert broken.returncode == 1
    assert "record 2" in broken.stdout + broken.stderr
    assert "missing" in broken.stdout + broken.stderr


def test_concurrent_appenders_keep_one_chain(sessions: sessionmaker[Session]) -> None:
    threads, per_thread = 8, 3
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def append() -> None:
        try:
            start.wait()
            for _ in range(per_thread):
                with transaction(sessions) as session:
                    _user(session)
        except BaseException as error:
            failures.append(error)

    workers = [threading.Thread(target=append) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert failures == []
    with transaction(sessions) as session:
        assert verify_chain(session) == (threads * per_thread, None)
        assert session.scalar(select(func.count(func.distinct(AuditRecord.previous_hash)))) == threads * per_thread
