"""``jianguan users create``: makes a user, refuses bad input with exit 2 in both languages, audits."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from jianguan.accounts.models import User
from jianguan.accounts.passwords import verify_password
from jianguan.audit.models import AuditRecord
from jianguan.audit.services import verify_chain
from jianguan.storage import reading
from tests.conftest import run_cli

PASSWORD = "cli-test-password"


def _create(database_url: str, *args: str) -> tuple[int, str, str]:
    result = run_cli(database_url, "users", "create", "--password", PASSWORD, *args)
    return result.returncode, result.stdout, result.stderr


def test_creates_a_regulator_and_audits_it(database_url: str, sessions: sessionmaker[Session]) -> None:
    code, out, err = _create(database_url, "--username", "Li.Regulator", "--display-name", "石家庄 质监 李",
                             "--role", "regulator", "--region", "130100", "--agency", "quality")
    assert code == 0, err
    made = json.loads(out)
    assert made["username"] == "li.regulator" and made["role"] == "regulator"
    with reading(sessions) as session:
        user = session.get(User, made["id"])
        assert user is not None
        assert (user.region_code, user.agency, user.display_name) == ("130100", "quality", "石家庄 质监 李")
        assert verify_password(user.password_hash, PASSWORD)
        [entry] = session.scalars(select(AuditRecord)).all()
        assert (entry.action, entry.actor, entry.target_id) == ("account:user:created", "system:users create",
                                                                str(user.id))
        assert verify_chain(session) == (1, None)


def test_creates_an_operator(database_url: str) -> None:
    code, out, err = _create(database_url, "--username", "ops", "--display-name", "运营", "--role", "operator")
    assert code == 0, err
    assert json.loads(out)["role"] == "operator"


def _refused(database_url: str, *args: str) -> str:
    code, out, err = _create(database_url, *args)
    assert code == 2, (out, err)
    assert out == ""
    return err


def _bilingual(message: str) -> None:
    assert any("\u4e00" <= char <= "\u9fff" for char in message), message
    assert any(char.isascii() and char.isalpha() for char in message), message


def test_refusals_exit_2_in_both_languages(database_url: str, sessions: sessionmaker[Session]) -> None:
    base = ("--display-name", "测试")
    missing_scope = _refused(database_url, "--username", "reg", *base, "--role", "regulator", "--agency", "quality")
    assert "region_code" in missing_scope
    _bilingual(missing_scope)
    wrong_scope = _refused(database_url, "--username", "ops", *base, "--role", "operator", "--enterprise-id", "1")
    _bilingual(wrong_scope)
    unknown_region = _refused(database_url, "--username", "reg", *base, "--role", "regulator",
                              "--region", "999999", "--agency", "quality")
    _bilingual(unknown_region)
    weak = run_cli(database_url, "users", "create", "--username", "weak", *base, "--role", "operator",
                   "--password", "short")
    assert weak.returncode == 2
    _bilingual(weak.stderr)

    assert _create(database_url, "--username", "taken", *base, "--role", "operator")[0] == 0
    duplicate = _refused(database_url, "--username", "taken", *base, "--role", "operator")
    assert "taken" in duplicate
    _bilingual(duplicate)
    with reading(sessions) as session:
        assert session.scalars(select(User.username)).all() == ["taken"]
        assert [r.action for r in session.scalars(select(AuditRecord))] == ["account:user:created"]


def test_bad_role_is_refused(database_url: str) -> None:
    for role in ("inspector", "terminal"):  # terminal is a role for API keys only
        message = _refused(database_url, "--username", "x1", "--display-name", "x", "--role", role)
        assert role in message and "unknown_role" in message
        _bilingual(message)
