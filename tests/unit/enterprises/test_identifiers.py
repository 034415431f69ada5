"""The credit code and GTIN checks, on known examples and by property."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jianguan.enterprises.identifiers import (
    CREDIT_CODE_ALPHABET,
    CREDIT_CODE_DEPARTMENTS,
    credit_code_check_character,
    gtin_check_digit,
    validate_credit_code,
    validate_gtin,
)
from jianguan.errors import ValidationFailed

VALID_CODE = "91350100M000100Y43"

credit_bodies = st.builds(
    lambda department, kind, region, rest: department + kind + region + rest,
    st.sampled_from(CREDIT_CODE_DEPARTMENTS),
    st.sampled_from(CREDIT_CODE_ALPHABET),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(CREDIT_CODE_ALPHABET, min_size=9, max_size=9),
)


def test_known_credit_code_is_valid() -> None:
    assert validate_credit_code(VALID_CODE) == VALID_CODE
    assert credit_code_check_character(VALID_CODE[:17]) == "3"


def test_credit_code_is_normalised() -> None:
    assert validate_credit_code(" ９１350100m000100y43\u3000") == VALID_CODE
    assert validate_credit_code("913501-00M000-100Y43") == VALID_CODE


@pytest.mark.parametrize(
    ("value", "english", "chinese"),
    [
        ("91350100M000100Y4", "has 18 characters", "应为 18 位"),
        ("91350100M000100Y4333", "has 20", "为 20 位"),
        ("91350100M0001O0Y43", "Character 14", "第 14 位"),
        ("91350100M000100Y44", "expected 3, got 4", "应为 3，实为 4"),
        ("B1350100M000100Y43", "registering department", "登记管理部门"),
        ("9135A100M000100Y43", "6-digit region code", "行政区划代码"),
    ],
)
def test_bad_credit_codes_say_what_is_wrong(value: str, english: str, chinese: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_credit_code(value)
    assert english in caught.value.message
    assert chinese in caught.value.message_zh
    assert caught.value.code == "invalid_credit_code"


def test_credit_code_must_be_text() -> None:
    with pytest.raises(ValidationFailed):
        validate_credit_code(913501)


@given(credit_bodies)
def test_codes_built_from_any_body_validate(body: str) -> None:
    code = body + credit_code_check_character(body)
    assert validate_credit_code(code) == code
    assert validate_credit_code(code.lower()) == code


@given(credit_bodies, st.integers(0, 17), st.sampled_from(CREDIT_CODE_ALPHABET))
def test_every_single_character_change_is_rejected(body: str, position: int, replacement: str) -> None:
    code = body + credit_code_check_character(body)
    changed = code[:position] + replacement + code[position + 1 :]
    if changed == code:
        return
    with pytest.raises(ValidationFailed):
        validate_credit_code(changed)


def test_known_gtins() -> None:
    assert validate_gtin("4006381333931") == "04006381333931"  # GS1's GTIN-13 example
    assert validate_gtin("96385074") == "00000096385074"  # GTIN-8
    assert validate_gtin("036000291452") == "00036000291452"  # UPC-A (GTIN-12)
    assert validate_gtin("１０６１４１４１０００４１５") == "10614141000415"  # GTIN-14, full-width
    assert gtin_check_digit("400638133393") == "1"


@pytest.mark.parametrize(
    ("value", "english", "chinese"),
    [
        ("4006381333932", "expected 1, got 2", "应为 1，实为 2"),
        ("400638133393", "expected 0, got 3", "应为 0"),
        ("40063813339311", "expected", "校验位错误"),
        ("40063", "has 5", "为 5 位"),
        ("40063A1333931", "digits only", "只能由数字组成"),
    ],
)
def test_bad_gtins_say_what_is_wrong(value: str, english: str, chinese: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_gtin(value)
    assert english in caught.value.message
    assert chinese in caught.value.message_zh
    assert caught.value.code == "invalid_gtin"


@given(st.sampled_from([7, 11, 12, 13]).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)))
def test_gtin_round_trips(body: str) -> None:
    gtin = body + gtin_check_digit(body)
    normalised = validate_gtin(gtin)
    assert len(normalised) == 14
    assert normalised.lstrip("0") == gtin.lstrip("0")
    assert validate_gtin(normalised) == normalised


@given(st.text("0123456789", min_size=13, max_size=13), st.integers(0, 13), st.sampled_from("0123456789"))
def test_single_digit_changes_of_a_gtin_are_rejected(body: str, position: int, digit: str) -> None:
    gtin = body + gtin_check_digit(body)
    changed = gtin[:position] + digit + gtin[position + 1 :]
    if changed == gtin:
        return
    with pytest.raises(ValidationFailed):
        validate_gtin(changed)
