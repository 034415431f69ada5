"""Reading codes of other schemes: GTIN check digits, Digital Link URIs, element strings, SGTIN
URNs and drug codes, on generated input."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from jianguan.schemes.models import Scheme
from jianguan.schemes.parsing import ForeignCode, drug_code, foreign_code, gs1_code, gtin14
from jianguan.trace.gs1_uri import check_digit

bodies = st.text(alphabet=string.digits, min_size=13, max_size=13)
serials = st.text(alphabet=string.ascii_letters + string.digits + "-._", min_size=1, max_size=20)


def with_check(body: str) -> str:
    return body + check_digit(body)


@given(bodies)
def test_a_gtin_with_its_check_digit_is_read_and_any_other_digit_is_not(body: str) -> None:
    gtin = with_check(body)
    assert gtin14(gtin) == gtin.zfill(14)
    wrong = body + str((int(gtin[-1]) + 1) % 10)
    assert gtin14(wrong) is None


@given(bodies, st.integers(min_value=0, max_value=12), st.integers(min_value=1, max_value=9))
def test_one_digit_changed_is_caught_by_the_check_digit(body: str, position: int, shift: int) -> None:
    gtin = with_check(body)
    changed = gtin[:position] + str((int(gtin[position]) + shift) % 10) + gtin[position + 1:]
    assert gtin14(changed) is None


@given(bodies, serials)
def test_every_spelling_of_a_gs1_code_reads_the_same(body: str, serial: str) -> None:
    gtin = with_check(body).zfill(14)
    expected = ForeignCode(Scheme.GS1, serial, gtin)
    assert foreign_code(f"https://example.cn/01/{gtin}/21/{serial}") == expected
    assert foreign_code(f"(01){gtin}(21){serial}") == expected
    assert foreign_code(f"]d201{gtin}21{serial}") == expected
    assert foreign_code(serial, link_gtin=gtin) == expected
    assert gs1_code(gtin, serial) == expected


@given(st.text(alphabet=string.digits, min_size=6, max_size=6), st.text(alphabet=string.digits, min_size=7,
                                                                         max_size=7),
       st.integers(min_value=0, max_value=10**6))
def test_an_sgtin_urn_reads_as_its_gtin_and_serial(prefix: str, item: str, serial: int) -> None:
    code = foreign_code(f"urn:epc:id:sgtin:{prefix}.{item}.{serial}")
    body = item[0] + prefix + item[1:]
    assert code == ForeignCode(Scheme.GS1, str(serial), body + check_digit(body))


@given(st.text(alphabet=string.digits, min_size=20, max_size=20))
def test_twenty_digits_are_a_drug_code_with_or_without_separators(digits: str) -> None:
    assert drug_code(digits) == ForeignCode(Scheme.DRUG, digits)
    grouped = " ".join(digits[i:i + 4] for i in range(0, 20, 4))
    assert foreign_code(grouped) == ForeignCode(Scheme.DRUG, digits)


@given(st.text(max_size=40))
def test_no_text_breaks_the_reader(text: str) -> None:
    code = foreign_code(text)
    assert code is None or code.scheme in (Scheme.GS1, Scheme.DRUG)


def test_what_is_not_a_code_of_another_scheme() -> None:
    assert foreign_code("1234") is None
    assert foreign_code("(01)06901234567893(21)1") is None  # wrong check digit
    assert foreign_code("(21)123") is None  # a serial without a GTIN
    assert gs1_code("06901234567892", "x" * 21) is None


def test_numeric_serials_without_leading_zeros_are_range_serials() -> None:
    gtin = "06901234567892"
    assert ForeignCode(Scheme.GS1, "1500", gtin).numeric_serial == 1500
    assert ForeignCode(Scheme.GS1, "0", gtin).numeric_serial == 0
    assert ForeignCode(Scheme.GS1, "01500", gtin).numeric_serial is None
    assert ForeignCode(Scheme.GS1, "A1", gtin).numeric_serial is None
    assert ForeignCode(Scheme.DRUG, "8" * 20).numeric_serial is None
