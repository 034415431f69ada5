"""Password hashing: argon2id, a minimum length, and the same cost for an unknown user."""

from __future__ import annotations

import pytest

from jianguan.accounts.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password
from jianguan.errors import ValidationFailed


def test_hash_is_argon2id_and_salted() -> None:
    first, second = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert first.startswith("$argon2id$")
    assert first != second
    assert "correct horse battery" not in first


def test_verify_accepts_the_password_only() -> None:
    stored = hash_password("correct horse battery")
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "correct horse batterY")
    assert not verify_password(stored, "")


def test_unknown_user_and_garbage_hash_never_verify() -> None:
    assert not verify_password(None, "jianguan-timing-equaliser")  # the dummy hash's own password
    assert not verify_password("not-a-hash", "whatever-password")


@pytest.mark.parametrize("password", ["", "short", "x" * (MIN_PASSWORD_LENGTH - 1)])
def test_short_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        hash_password(password)
    assert refused.value.code == "weak_password"
    assert refused.value.message and refused.value.message_zh


def test_minimum_length_is_enough() -> None:
    assert hash_password("x" * MIN_PASSWORD_LENGTH).startswith("$argon2id$")
