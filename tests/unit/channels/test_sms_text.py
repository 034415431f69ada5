"""Finding a code in free text, and composing the 70-character reply."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jianguan.channels.sms_text import (
    HELP_REPLY,
    SMS_LIMIT,
    compose_reply,
    extract_code,
    reply_to_text,
    sms_length,
)
from jianguan.codes.codec import damm_digit
from jianguan.verify.services import Answer
from jianguan.verify.verdict import CodeFacts, QueryHistory, decide, malformed

BODY = "1234567890123456789"
CODE = BODY + damm_digit(BODY)  # a well-formed code (check digit right)
GROUPED = " ".join(CODE[i:i + 4] for i in range(0, 20, 4))
TODAY = dt.date(2026, 11, 23)


def genuine(**fields: object) -> Answer:
    decision = decide(CodeFacts(issued=True, activated=True), QueryHistory(), TODAY)
    defaults: dict[str, object] = {
        "product": {"name": "清源牌纯净水", "specification": "550ml"},
        "production": {"lot": "L20261120"},
        "message": "感谢选购清源产品，客服电话400-800-1234。",
    }
    return Answer(decision, input=CODE, code=CODE, grouped=GROUPED, **{**defaults, **fields})  # type: ignore[arg-type]  # any field


def test_code_in_chinese_free_text() -> None:
    assert extract_code(f"查询 {GROUPED} 谢谢") == CODE


def test_code_after_letters() -> None:
    assert extract_code(f"CX{CODE}") == CODE


def test_full_width_digits_and_dashes() -> None:
    full_width = CODE.translate({0x30 + i: 0xFF10 + i for i in range(10)})
    assert extract_code(f"码：{full_width[:10]}－{full_width[10:]}") == CODE


def test_code_beside_a_date_and_a_phone_number() -> None:
    assert extract_code(f"2026-11-20 买的 {GROUPED} 电话13812345678") == CODE
    assert extract_code(f"2026-11-20 {GROUPED}") == CODE  # one run of 28 digits: the groups that add up


def test_twenty_digit_window_of_a_longer_run() -> None:
    assert extract_code(f"99{CODE}77") == CODE


def test_wrong_length_is_passed_on_for_the_reason() -> None:
    assert extract_code(f"查询{CODE[:19]}") == CODE[:19]


def test_nothing_code_like() -> None:
    assert extract_code("你好，怎么查询？") is None
    assert extract_code("我买了3瓶，2026年") is None
    assert extract_code("") is None


def test_genuine_reply_has_headline_product_lot_and_fits() -> None:
    reply = compose_reply(genuine(message=None))
    assert "正品" in reply and "清源牌纯净水" in reply and "L20261120" in reply
    assert sms_length(reply) <= SMS_LIMIT


def test_message_is_appended_only_if_it_fits() -> None:
    assert "客服电话" in compose_reply(genuine())
    long_message = "感谢您选购本公司产品，" * 10
    reply = compose_reply(genuine(message=long_message))
    assert "感谢您选购" not in reply and "L20261120" in reply and sms_length(reply) <= SMS_LIMIT


def test_long_product_name_is_shortened() -> None:
    reply = compose_reply(genuine(product={"name": "特别长的产品名称" * 10, "specification": "1kg"}))
    assert sms_length(reply) <= SMS_LIMIT and "…" in reply and reply.startswith("【电子监管】正品")


def test_queried_before_has_count_and_first_date() -> None:
    first = dt.datetime(2026, 11, 1, 2, 0, tzinfo=dt.UTC)
    decision = decide(CodeFacts(issued=True, activated=True), QueryHistory(3, first, "330100", "杭州市"), TODAY)
    answer = Answer(decision, input=CODE, code=CODE, product={"name": "清源牌纯净水"},
                    production={"lot": "L1"}, history={"count_before": 3, "first_at": first.isoformat()})
    reply = compose_reply(answer)
    assert "3次" in reply and "2026-11-01" in reply and sms_length(reply) <= SMS_LIMIT


def test_malformed_reply_gives_the_reason() -> None:
    answer = Answer(malformed("监管码为 20 位数字，此处为 19 位。", "A code has 20 digits; this has 19."),
                    input=CODE[:19])
    reply = compose_reply(answer)
    assert "有误" in reply and "19" in reply and sms_length(reply) <= SMS_LIMIT


def test_unknown_code_reply_warns() -> None:
    answer = Answer(decide(CodeFacts(issued=False), QueryHistory(), TODAY), input=CODE, code=CODE)
    reply = compose_reply(answer)
    assert "查无此码" in reply and sms_length(reply) <= SMS_LIMIT


def test_text_without_a_code_gets_help() -> None:
    reply, answer = reply_to_text("怎么查？", lambda code: genuine())
    assert reply == HELP_REPLY and answer is None and sms_length(HELP_REPLY) <= SMS_LIMIT


def _stand_in_verify(code: str) -> Answer:
    if len(code) != 20:
        return Answer(malformed(f"监管码为 20 位数字，此处为 {len(code)} 位。", "wrong length"), input=code[:64])
    return genuine(product={"name": code * 3})


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_gets_a_reply_that_fits(text: str) -> None:
    reply, _ = reply_to_text(text, _stand_in_verify)
    assert reply and sms_length(reply) <= SMS_LIMIT


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789 -－０１２３４５６７８９a码"), max_size=120))
def test_digit_heavy_text_never_raises(text: str) -> None:
    found = extract_code(text)
    assert found is None or found.isdigit()
    reply, _ = reply_to_text(text, _stand_in_verify)
    assert sms_length(reply) <= SMS_LIMIT


def test_a_gs1_code_in_a_message_is_sent_to_the_verifier_whole() -> None:
    """A registered GS1 code (schemes/) copied from a label or a link is verified as written, not cut
    into a run of 20 digits."""
    seen: list[str] = []

    def verify(candidate: str) -> Any:
        seen.append(candidate)
        raise LookupError  # only the candidate matters here

    for text, expected in (("查询(01)06901234000047(21)100008。", "(01)06901234000047(21)100008"),
                           ("https://jg.example.cn/01/06901234000047/21/100008 是真的吗",
                            "https://jg.example.cn/01/06901234000047/21/100008")):
        seen.clear()
        with pytest.raises(LookupError):
            reply_to_text(text, verify)
        assert seen == [expected]
