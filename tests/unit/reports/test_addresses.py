"""The addresses a monthly report is e-mailed to: blanks and repeats dropped (letter case
ignored), every malformed one listed in the refusal, at most ``MAX_RECIPIENTS``."""

from __future__ import annotations

import pytest

from jianguan.errors import ValidationFailed
from jianguan.reports.services import MAX_RECIPIENTS, clean_addresses


def test_blanks_and_repeats_are_dropped_in_order() -> None:
    assert clean_addresses([" a@example.org ", "", "b@sjz.gov.cn", "A@EXAMPLE.ORG"]) == ["a@example.org",
                                                                                        "b@sjz.gov.cn"]
    assert clean_addresses([]) == []


def test_every_malformed_address_is_listed() -> None:
    with pytest.raises(ValidationFailed) as refused:
        clean_addresses(["ok@example.org", "no-at-sign", "x@y", "two@@example.org"])
    assert refused.value.code == "invalid_email"
    for bad in ("no-at-sign", "x@y", "two@@example.org"):
        assert bad in refused.value.message and bad in refused.value.message_zh
    assert "ok@example.org" not in refused.value.message


def test_at_most_so_many_addresses() -> None:
    assert len(clean_addresses([f"a{n}@example.org" for n in range(MAX_RECIPIENTS)])) == MAX_RECIPIENTS
    with pytest.raises(ValidationFailed) as refused:
        clean_addresses([f"a{n}@example.org" for n in range(MAX_RECIPIENTS + 1)])
    assert refused.value.code == "too_many_addresses"
