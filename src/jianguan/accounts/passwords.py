"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106's second recommendation)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from jianguan.errors import ValidationFailed

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128  # a passphrase or a password manager's longest; nothing a person types is longer

# Verifying against this keeps the time of a login for an unknown user the same as for a known one.
_DUMMY_HASH = _hasher.hash("jianguan-timing-equaliser")


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``; refuses passwords shorter than the minimum or longer than
    the maximum."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"A password needs at least {MIN_PASSWORD_LENGTH} characters.",
            f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符。",
            code="weak_password",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"A password has at most {MAX_PASSWORD_LENGTH} characters.",
            f"密码最多 {MAX_PASSWORD_LENGTH} 个字符。",
            code="too_long", field="password",
        )
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (None: no such user, still costs the time)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
