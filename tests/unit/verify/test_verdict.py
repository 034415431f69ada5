"""The verdict function: every verdict, in its order of precedence, with its words."""

from __future__ import annotations

import datetime as dt

import pytest

from jianguan.verify.verdict import ALARM_VERDICTS, CodeFacts, QueryHistory, Tone, Verdict, decide, malformed

TODAY = dt.date(2026, 11, 23)
FRESH = QueryHistory()
SEEN = QueryHistory(3, dt.datetime(2026, 11, 1, 2, 30, tzinfo=dt.UTC), "130111", "栾城区")
ACTIVE = CodeFacts(issued=True, activated=True, expiry_date=dt.date(2027, 1, 1))


@pytest.mark.parametrize(("facts", "history", "verdict"), [
    (CodeFacts(issued=False), FRESH, Verdict.UNKNOWN),
    (CodeFacts(issued=True, spoiled=True, activated=False), FRESH, Verdict.SPOILED),
    (CodeFacts(issued=True), FRESH, Verdict.NOT_ACTIVATED),
    (ACTIVE, FRESH, Verdict.GENUINE),
    (ACTIVE, SEEN, Verdict.QUERIED_BEFORE),
    (CodeFacts(issued=True, activated=True, expiry_date=dt.date(2026, 11, 22)), FRESH, Verdict.EXPIRED),
    (CodeFacts(issued=True, activated=True, expiry_date=TODAY), FRESH, Verdict.GENUINE),  # good through the day
    (CodeFacts(issued=True, activated=True, recalled=True, recall_notice="批次 L1 召回"), SEEN, Verdict.RECALLED),
    (CodeFacts(issued=True, activated=True, destroyed=True, recalled=True), FRESH, Verdict.DESTROYED),
    (CodeFacts(issued=True, activated=False, recalled=True), FRESH, Verdict.RECALLED),
    (CodeFacts(issued=True, spoiled=True, recalled=True), FRESH, Verdict.RECALLED),
])
def test_verdicts_and_their_precedence(facts: CodeFacts, history: QueryHistory, verdict: Verdict) -> None:
    decision = decide(facts, history, TODAY)
    assert decision.verdict is verdict
    assert decision.alarm == (verdict in ALARM_VERDICTS)
    assert decision.headline_zh and decision.headline_en and decision.advice_zh and decision.advice_en


def test_queried_before_says_how_often_when_and_where() -> None:
    decision = decide(ACTIVE, SEEN, TODAY)
    assert "3" in decision.headline_zh and "3 times" in decision.headline_en
    assert "2026-11-01 10:30" in decision.advice_zh  # shown in Beijing time
    assert "栾城区" in decision.advice_zh and "栾城区" in decision.advice_en
    assert decision.details["count"] == 3 and decision.details["first_region"] == "130111"
    assert decision.tone is Tone.CAUTION


def test_recall_carries_its_notice_and_expiry_its_date() -> None:
    recalled = decide(CodeFacts(issued=True, activated=True, recalled=True, recall_notice="请退回经销商"), FRESH, TODAY)
    assert "请退回经销商" in recalled.advice_zh and recalled.details["recall_notice"] == "请退回经销商"
    expired = decide(CodeFacts(issued=True, activated=True, expiry_date=dt.date(2025, 1, 1)), FRESH, TODAY)
    assert "2025-01-01" in expired.advice_zh and expired.tone is Tone.BAD


def test_malformed_explains_the_typo() -> None:
    decision = malformed("校验位不符。", "The check digit does not match.")
    assert decision.verdict is Verdict.MALFORMED and not decision.alarm
    assert decision.advice_zh.startswith("校验位不符") and "20" in decision.advice_en


def test_every_verdict_has_both_labels() -> None:
    for verdict in Verdict:
        assert verdict.label_zh and verdict.label_en and verdict.label_zh != verdict.value
