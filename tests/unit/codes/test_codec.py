"""Codes end to end: check digit, keys, text, parsing of what people type and scan."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jianguan.codes.codec import (
    SERIAL_SPACE,
    Key,
    Keyring,
    MalformedCode,
    damm_digit,
    damm_digits,
    decode_code,
    decode_codes,
    encode_serial,
    encode_serials,
    format_codes,
    format_grouped,
    issue_codes,
    parse_code,
    well_formed,
)
from jianguan.errors import DomainError
from tests.unit.codes.paths import PATHS, bulk_path

KEYRING = Keyring([Key(g, bytes([g]) * 32) for g in (1, 2, 3)])
serials = st.integers(min_value=0, max_value=SERIAL_SPACE - 1)
generations = st.sampled_from(sorted(KEYRING))


# --- Damm ------------------------------------------------------------------------------------


def test_damm_known_value():
    # Wikipedia's worked example: 572 has check digit 4.
    assert damm_digit("572") == "4"
    assert damm_digit("5724") == "0"


def test_damm_detects_every_single_error_and_adjacent_swap():
    rng = np.random.default_rng(20)
    key = KEYRING[2]
    for n in rng.integers(0, SERIAL_SPACE, 200, dtype=np.uint64).tolist():
        code = encode_serial(key, n)
        assert damm_digit(code) == "0"
        for i in range(20):
            for digit in "0123456789":
                if digit != code[i]:
                    assert damm_digit(code[:i] + digit + code[i + 1 :]) != "0"
            if i < 19 and code[i] != code[i + 1]:
                assert damm_digit(code[:i] + code[i + 1] + code[i] + code[i + 2 :]) != "0"


@given(st.lists(st.text("0123456789", min_size=19, max_size=19), min_size=1, max_size=20))
def test_vectorised_damm_matches_one_at_a_time(rows):
    digits = np.array([[int(ch) for ch in row] for row in rows], dtype=np.uint8)
    assert [str(d) for d in damm_digits(digits).tolist()] == [damm_digit(row) for row in rows]


# --- keys ------------------------------------------------------------------------------------


def test_key_checks_its_inputs_and_hides_its_secret():
    with pytest.raises(ValueError):
        Key(0, bytes(32))
    with pytest.raises(ValueError):
        Key(10, bytes(32))
    with pytest.raises(ValueError):
        Key(1, bytes(16))
    assert "secret" not in repr(Key(1, b"\x07" * 32)) and "07" not in repr(Key(1, b"\x07" * 32))


def test_keyring_newest():
    assert KEYRING.newest.generation == 3
    assert Keyring(KEYRING.values(), newest=2).newest.generation == 2
    assert sorted(KEYRING) == [1, 2, 3] and 4 not in KEYRING
    with pytest.raises(ValueError):
        Keyring([])


# --- encode and decode -----------------------------------------------------------------------


@given(generation=generations, n=serials)
def test_decode_inverts_encode(generation, n):
    code = encode_serial(KEYRING[generation], n)
    assert len(code) == 20 and code.isdigit() and code[0] == str(generation)
    assert decode_code(KEYRING, code) == (generation, n)
    assert decode_code(KEYRING, format_grouped(code)) == (generation, n)


@pytest.mark.parametrize("path", PATHS)
@settings(max_examples=30)
@given(generation=generations, values=st.lists(serials, max_size=30))
def test_issue_pipeline_matches_one_at_a_time(path, generation, values):
    key = KEYRING[generation]
    array = np.array(values, dtype=np.uint64)
    with bulk_path(path):
        codes = issue_codes(key, array)
        assert codes.dtype == np.dtype("S20")
        assert [c.decode() for c in codes.tolist()] == [encode_serial(key, n) for n in values]
        assert (format_codes(generation, encode_serials(key, array)) == codes).all()
        found_generations, found_serials = decode_codes(KEYRING, codes)
    assert found_serials.tolist() == values and set(found_generations.tolist()) <= {generation}


@pytest.mark.parametrize("path", PATHS)
def test_decode_codes_mixes_generations_and_accepts_str(path):
    codes = [encode_serial(KEYRING[g], n) for g, n in [(1, 5), (3, 7), (1, 9), (2, 0)]]
    with bulk_path(path):
        found_generations, found_serials = decode_codes(KEYRING, codes)
    assert found_generations.tolist() == [1, 3, 1, 2] and found_serials.tolist() == [5, 7, 9, 0]


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("1234", "wrong_length"),
        ("x" * 20, "not_digits"),
        ("9" * 19 + "1", "bad_check_digit"),
    ],
)
def test_decode_codes_names_the_first_bad_code(bad, reason):
    good = encode_serial(KEYRING[1], 1)
    with pytest.raises(MalformedCode) as caught:
        decode_codes(KEYRING, [good, bad])
    assert caught.value.reason == reason and caught.value.details["index"] == 1


def test_decode_codes_refuses_an_unknown_generation():
    stranger = encode_serial(Key(7, bytes(32)), 1)
    with pytest.raises(MalformedCode) as caught:
        decode_codes(KEYRING, [stranger])
    assert caught.value.reason == "unknown_generation"


def test_well_formed_sets_aside_every_text_decode_codes_refuses():
    good = [encode_serial(KEYRING[g], n) for g, n in [(1, 5), (3, 7)]]
    stranger = encode_serial(Key(7, bytes(32)), 1)
    texts = [good[0], "1234", "x" * 20, "9" * 19 + "1", stranger, "０" * 20, "0" * 20, good[1]]
    mask = well_formed(KEYRING, np.array(texts))
    assert mask.tolist() == [True, False, False, False, False, False, False, True]
    for text, ok in zip(texts, mask.tolist(), strict=True):
        if not ok:
            with pytest.raises(MalformedCode):
                decode_codes(KEYRING, [text])
    assert well_formed(KEYRING, np.array([], dtype=str)).tolist() == []


# --- parsing ---------------------------------------------------------------------------------

CODE = encode_serial(KEYRING[1], 123_456_789)
GTIN = "06901234567892"


def test_format_grouped():
    assert format_grouped("12345678901234567890") == "1234 5678 9012 3456 7890"
    assert format_grouped("123456789") == "1234 5678 9"  # any length: a partial code read back


@given(st.text(alphabet="0123456789", max_size=30))
def test_format_grouped_is_the_digits_in_fours(digits: str) -> None:
    grouped = format_grouped(digits)
    assert grouped.replace(" ", "") == digits
    assert all(len(group) == 4 for group in grouped.split(" ")[:-1])


@pytest.mark.parametrize(
    "text",
    [
        CODE,
        format_grouped(CODE),
        "-".join(format_grouped(CODE).split()),
        f"  {CODE}\n",
        CODE.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"}),
        "\u3000".join(format_grouped(CODE).split()).translate({ord(d): 0xFF10 + int(d) for d in "0123456789"}),
        "－".join(format_grouped(CODE).split()),
        f"https://jianguan.example.cn/v/{CODE}",
        f"https://jianguan.example.cn/v/{CODE}/?src=qr",
        f"jianguan.example.cn/v/{format_grouped(CODE).replace(' ', '%20')}",
        f"]Q1https://jianguan.example.cn/v/{CODE}",
    ],
)
def test_parse_accepts_what_people_type(text):
    parsed = parse_code(text, KEYRING)
    assert parsed.code == CODE and parsed.generation == 1 and parsed.gtin is None
    assert str(parsed) == CODE and parsed.grouped == format_grouped(CODE)


@pytest.mark.parametrize(
    "text",
    [
        f"https://jianguan.example.cn/01/{GTIN}/21/{CODE}",
        f"https://jianguan.example.cn/01/{GTIN}/10/LOT7/21/{CODE}?17=261231",
        f"(01){GTIN}(21){CODE}",
        f"(21){CODE}(01){GTIN}",
        f"]C101{GTIN}21{CODE}",
        f"]d201{GTIN}21{CODE}\x1d10LOT7",
        f"]Q301{GTIN}21{CODE}",
        f"01{GTIN}21{CODE}",
        f"\x1d01{GTIN}21{CODE}",
    ],
)
def test_parse_accepts_gs1_forms(text):
    parsed = parse_code(text, KEYRING)
    assert parsed.code == CODE and parsed.gtin == GTIN


@pytest.mark.parametrize(
    ("text", "reason", "words"),
    [
        ("", "empty", "No code"),
        (" - \u3000", "empty", "No code"),
        (CODE[:-1], "wrong_length", "a code has 20 digits; this has 19"),
        (CODE + "1", "wrong_length", "this has 21"),
        (CODE[:5] + "O" + CODE[6:], "not_digits", "'O'"),
        (CODE[:5] + "٣" + CODE[6:], "not_digits", "only digits"),
        (CODE[:5] + str((int(CODE[5]) + 1) % 10) + CODE[6:], "bad_check_digit", "mistyped"),
        (CODE[:4] + CODE[5] + CODE[4] + CODE[6:], "bad_check_digit", "swapped"),
        ("0" * 20, "reserved_generation", "starts with 0"),
        (encode_serial(Key(7, bytes(32)), 1), "unknown_generation", "generation 7"),
        ("https://jianguan.example.cn/about", "not_digits", "no supervision code"),
        (f"(01){GTIN}(10)LOT7", "not_digits", "no supervision code"),
        (f"(01){GTIN}(21)12345", "wrong_length", "this has 5"),
    ],
)
def test_parse_rejections_say_why_in_two_languages(text, reason, words):
    with pytest.raises(MalformedCode) as caught:
        parse_code(text, KEYRING)
    error = caught.value
    assert error.reason == reason
    assert words.lower() in error.message.lower()
    assert error.message_zh and error.message_zh != error.message
    assert isinstance(error, ValueError) and isinstance(error, DomainError)
    assert error.code == "malformed_code"


def test_unknown_generation_only_with_a_keyring():
    stranger = encode_serial(Key(7, bytes(32)), 1)
    assert parse_code(stranger).generation == 7


_SEPARATOR = st.sampled_from([" ", "-", "  ", " - ", "\u3000", "－", "\t", "–", ""])


@given(generation=generations, n=serials, data=st.data())
def test_parse_inverts_format_grouped_with_any_separators(generation, n, data):
    code = encode_serial(KEYRING[generation], n)
    groups = format_grouped(code).split()
    text = groups[0]
    for group in groups[1:]:
        text += data.draw(_SEPARATOR) + group
    if data.draw(st.booleans()):
        text = text.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    assert parse_code(text, KEYRING).code == code


@settings(max_examples=500)
@given(st.text() | st.from_regex(r"\A[\]\(\)0-9/:\x1d\-\sa-zA-Z]{0,60}\Z"))
def test_parse_raises_nothing_but_malformed_code(text):
    try:
        parse_code(text, KEYRING)
    except MalformedCode as error:
        assert error.reason in {
            "empty",
            "wrong_length",
            "not_digits",
            "bad_check_digit",
            "reserved_generation",
            "unknown_generation",
        }
