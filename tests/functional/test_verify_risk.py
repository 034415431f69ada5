"""The clone-risk answer on a real database: what the consumer is told on each query of a code
moving from one county to another province, and the evidence regulators and the brand owner see."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from jianguan.channels.sms_text import compose_reply
from jianguan.channels.vxml import spoken_verdict
from jianguan.codes.lookup import code_status, code_status_for
from jianguan.errors import NotFound
from jianguan.storage import reading
from jianguan.verify.models import Channel
from jianguan.verify.risk import RULE
from jianguan.verify.services import QueryContext
from tests.functional.test_codes_services import staff
from tests.functional.test_codes_services import world as world
from tests.functional.test_verify_services import one_activated_code, verifier


def context(region: str | None, channel: Channel = Channel.TERMINAL) -> QueryContext:
    return QueryContext(channel, region_code=region, source="127.0.0.1")


def test_a_code_checked_at_home_then_far_away_rises_from_low_to_high(sessions: sessionmaker[Session], world) -> None:
    _batch, code = one_activated_code(sessions, world)
    v = verifier(sessions)
    first = v.verify(code, context("130111"))
    assert first.to_json()["risk"] == {"level": "low", "level_label": {"zh": "低", "en": "low"},
                                       "reason": {"zh": "这是此码的首次查询。",
                                                  "en": "This is the first check of this code."}}
    again = v.verify(code, context("130111")).to_json()["risk"]
    assert again["level"] == "low" and "在栾城区被查询" in again["reason"]["zh"]
    elsewhere = v.verify(code, context("130102")).to_json()["risk"]
    assert elsewhere["level"] == "medium" and "不在同一县区" in elsewhere["reason"]["zh"]
    far = v.verify(code, context("530102"))  # 昆明 五华区, minutes after 栾城区
    assert far.to_json()["risk"]["level"] == "high"
    assert "栾城区" in far.to_json()["risk"]["reason"]["zh"] and "五华区" in far.to_json()["risk"]["reason"]["zh"]
    assert "复制风险高" in compose_reply(far)  # SMS
    assert "复制风险高" in spoken_verdict(far)  # IVR
    v.close()

    with reading(sessions) as session:
        status = code_status(session, code=code)
        # The manufacturer (the brand owner) sees its own code's evidence; another is told nothing.
        assert code_status_for(session, principal=staff(world["enterprise"]), code=code)["risk"] == status["risk"]
    risk = status["risk"]
    assert risk["level"] == "high" and "far_apart" in risk["findings"]
    assert [q["region_code"] for q in risk["evidence"]["queries"]] == ["130111", "130111", "130102", "530102"]
    assert {c["code"] for c in risk["evidence"]["counties"]} == {"130111", "130102", "530102"}
    assert risk["evidence"]["rule"]["far_hours"] == RULE.far_hours


def test_many_checks_in_one_place_are_high_and_bad_verdicts_carry_no_risk(sessions, world) -> None:
    _batch, code = one_activated_code(sessions, world)
    v = verifier(sessions)
    levels = [v.verify(code, context("130111", Channel.WEB)).to_json()["risk"]["level"]
              for _ in range(RULE.high_count + 1)]
    assert levels == (["low"] * RULE.medium_count + ["medium"] * (RULE.high_count - RULE.medium_count) + ["high"])
    assert "risk" not in v.verify("12345678901234567890", context(None)).to_json()  # malformed or unknown
    v.close()


def test_another_manufacturer_never_sees_the_evidence(sessions, world) -> None:
    _batch, code = one_activated_code(sessions, world)
    v = verifier(sessions)
    v.verify(code, context("130111"))
    v.close()
    with reading(sessions) as session, pytest.raises(NotFound):
        code_status_for(session, principal=staff(world["other"]), code=code)


def test_a_check_without_a_place_after_a_far_one_is_high_across_processes(sessions, world) -> None:
    """Two processes: one answers in 栾城区, the other in 昆明; the first then answers a web check
    that names no place. It weighs the latest place named, which only the other process saw."""
    _batch, code = one_activated_code(sessions, world)
    here, there = verifier(sessions), verifier(sessions)
    assert here.verify(code, context("130111")).to_json()["risk"]["level"] == "low"
    here.recorder.flush()
    assert there.verify(code, context("530102")).to_json()["risk"]["level"] == "high"
    there.recorder.flush()
    later = here.verify(code, context(None, Channel.WEB)).to_json()["risk"]
    assert later["level"] == "high" and "五华区" in later["reason"]["zh"], later
    here.close()
    there.close()
    with reading(sessions) as session:
        from jianguan.codes.codec import decode_code, parse_code
        from jianguan.codes.keyring import keyring
        from jianguan.verify.models import CodeQueryState

        ring = keyring(session)
        state = session.get(CodeQueryState, decode_code(ring, parse_code(code, ring).code))
        assert state is not None and state.count == 3 and state.last_region_code == "530102"
