"""API key shapes and who may manage a key (pure: no database)."""

from __future__ import annotations

import pytest

from jianguan.accounts.models import ApiKey, Role
from jianguan.accounts.principal import Principal
from jianguan.accounts.services import API_KEY_PATTERN, may_manage_api_key


def _principal(role: Role, **scope: int) -> Principal:
    return Principal(kind="user", id=1, name="someone", role=role, **scope)  # type: ignore[arg-type]  # only the id fields


@pytest.mark.parametrize("key", [
    "jg_abcdefghij_" + "A" * 43,
    "jg_0123456789_" + "a-_Z" * 10 + "abc",
])
def test_well_formed_keys_match(key: str) -> None:
    assert API_KEY_PATTERN.match(key)


@pytest.mark.parametrize("key", [
    "", "jg_", "jg_abcdefghij_short", "jg_ABCDEFGHIJ_" + "A" * 43, "xx_abcdefghij_" + "A" * 43,
    "jg_abcdefghij_" + "A" * 44, "jg_abcdefghi_" + "A" * 43,
])
def test_malformed_keys_do_not_match(key: str) -> None:
    assert not API_KEY_PATTERN.match(key)


ENTERPRISE_KEY = ApiKey(prefix="a", key_hash="h", name="erp", role=Role.MANUFACTURER, enterprise_id=7,
                        created_by="x")
PRINTER_KEY = ApiKey(prefix="b", key_hash="h", name="press", role=Role.PRINTER, printer_id=3, created_by="x")
TERMINAL_KEY = ApiKey(prefix="c", key_hash="h", name="kiosk", role=Role.TERMINAL, merchant_id=5, created_by="x")


@pytest.mark.parametrize(("principal", "allowed"), [
    (_principal(Role.OPERATOR), {"a", "b", "c"}),
    (_principal(Role.MANUFACTURER, enterprise_id=7), {"a"}),
    (_principal(Role.MANUFACTURER, enterprise_id=8), set()),
    (_principal(Role.PRINTER, printer_id=3), {"b"}),
    (_principal(Role.MERCHANT, merchant_id=5), {"c"}),
    (_principal(Role.MERCHANT, merchant_id=6), set()),
    (Principal(kind="user", id=1, name="r", role=Role.REGULATOR, region_code="130000"), set()),
    (Principal(kind="apikey", id=9, name="c", role=Role.TERMINAL, merchant_id=5), set()),
])
def test_who_may_manage_a_key(principal: Principal, allowed: set[str]) -> None:
    managed = {key.prefix for key in (ENTERPRISE_KEY, PRINTER_KEY, TERMINAL_KEY) if may_manage_api_key(principal, key)}
    assert managed == allowed
