"""Checks of the identifiers an enterprise and its products carry: pure, no I/O.

- The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters, the last a
  mod-31 check character over the first 17.
- The GTIN (GS1 global trade item number, 8, 12, 13 or 14 digits) with its mod-10 check digit,
  stored as 14 digits so that the same item written as GTIN-13 and GTIN-14 is one value.

Both accept what people type: spaces, dashes and full-width characters are normalised first.
"""

from __future__ import annotations

from jianguan.errors import ValidationFailed

# GB 32100-2015 leaves out I, O, Z, S and V so that no character is mistaken for a digit.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# Character 1 is the registering department: 1-9 for the named departments, A and N for
# the military and other departments, Y for those the State Council's other departments register.
CREDIT_CODE_DEPARTMENTS = "123456789ANY"
GTIN_LENGTHS = (8, 12, 13, 14)


def _half_width(value: str) -> str:
    """Full-width ASCII (ＡＢＣ１２３) as half-width, and the ideographic space as a space."""
    return "".join(
        chr(ord(char) - 0xFEE0) if 0xFF01 <= ord(char) <= 0xFF5E else (" " if char == "\u3000" else char)
        for char in value
    )


def normalise_credit_code(value: object) -> str:
    """``value`` stripped, half-width and upper-case, with inner spaces and dashes removed."""
    if not isinstance(value, str):
        raise ValidationFailed(
            "A unified social credit code is text of 18 characters.",
            "统一社会信用代码应为 18 位字符。",
            code="invalid_credit_code",
        )
    text = _half_width(value).strip().upper()
    return "".join(char for char in text if char not in " -")


def credit_code_check_character(first17: str) -> str:
    """The check character (position 18) of a credit code whose first 17 characters are given."""
    if len(first17) != 17:
        raise ValueError("the check character is computed over exactly 17 characters")
    total = sum(CREDIT_CODE_ALPHABET.index(char) * weight for char, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: object) -> str:
    """Return the normalised credit code, or raise ValidationFailed saying what is wrong."""
    code = normalise_credit_code(value)
    if len(code) != 18:
        raise ValidationFailed(
            f"A unified social credit code has 18 characters; {code!r} has {len(code)}.",
            f"统一社会信用代码应为 18 位，{code!r} 为 {len(code)} 位。",
            code="invalid_credit_code",
        )
    for position, char in enumerate(code, start=1):
        if char not in CREDIT_CODE_ALPHABET:
            raise ValidationFailed(
                f"Character {position} of the credit code, {char!r}, is not allowed "
                "(digits and capital letters except I, O, Z, S, V).",
                f"统一社会信用代码第 {position} 位的 {char!r} 不是合法字符（只能是数字和除 I、O、Z、S、V 以外的大写字母）。",
                code="invalid_credit_code",
            )
    if code[0] not in CREDIT_CODE_DEPARTMENTS:
        raise ValidationFailed(
            f"Character 1 of the credit code (the registering department) must be 1-9, A, N or Y; got {code[0]!r}.",
            f"统一社会信用代码第 1 位（登记管理部门）应为 1-9、A、N 或 Y，实为 {code[0]!r}。",
            code="invalid_credit_code",
        )
    if not code[2:8].isdigit():
        raise ValidationFailed(
            f"Characters 3-8 of the credit code are a 6-digit region code; got {code[2:8]!r}.",
            f"统一社会信用代码第 3-8 位应为 6 位行政区划代码，实为 {code[2:8]!r}。",
            code="invalid_credit_code",
        )
    expected = credit_code_check_character(code[:17])
    if code[17] != expected:
        raise ValidationFailed(
            f"The check character of credit code {code} is wrong: expected {expected}, got {code[17]}. "
            "Check the code for a typing error.",
            f"统一社会信用代码 {code} 的校验码错误：应为 {expected}，实为 {code[17]}。请检查是否输错。",
            code="invalid_credit_code",
        )
    return code


def gtin_check_digit(body: str) -> str:
    """The GS1 mod-10 check digit of a GTIN body (all digits but the last, any length).

    Weights alternate 3, 1 from the rightmost digit of the body, so left-padding with zeros
    does not change the check digit.
    """
    if not body.isascii() or not body.isdigit():
        raise ValueError("a GTIN body is digits only")
    total = sum(int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def validate_gtin(value: object) -> str:
    """Return the GTIN as 14 digits, or raise ValidationFailed saying what is wrong."""
    if not isinstance(value, str):
        raise ValidationFailed("A GTIN is text of 8, 12, 13 or 14 digits.", "GTIN 应为 8、12、13 或 14 位数字。",
                               code="invalid_gtin")
    text = "".join(char for char in _half_width(value).strip() if char not in " -")
    if not text.isascii() or not text.isdigit():
        raise ValidationFailed(
            f"A GTIN has digits only; {text!r} has other characters.",
            f"GTIN 只能由数字组成，{text!r} 含有其他字符。",
            code="invalid_gtin",
        )
    if len(text) not in GTIN_LENGTHS:
        raise ValidationFailed(
            f"A GTIN has 8, 12, 13 or 14 digits; {text} has {len(text)}.",
            f"GTIN 应为 8、12、13 或 14 位数字，{text} 为 {len(text)} 位。",
            code="invalid_gtin",
        )
    expected = gtin_check_digit(text[:-1])
    if text[-1] != expected:
        raise ValidationFailed(
            f"The check digit of GTIN {text} is wrong: expected {expected}, got {text[-1]}.",
            f"GTIN {text} 的校验位错误：应为 {expected}，实为 {text[-1]}。",
            code="invalid_gtin",
        )
    return text.rjust(14, "0")
