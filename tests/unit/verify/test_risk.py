"""The clone-risk rule on constructed histories: the places, times and number of a code's queries."""

from __future__ import annotations

import datetime as dt

import pytest

from jianguan.regions.models import RegionLevel
from jianguan.regions.tree import RegionNode, RegionTree
from jianguan.verify.risk import RULE, RiskLevel, RiskRule, Sighting, assess, sightings_of

TREE = RegionTree([
    RegionNode("130000", "河北省", RegionLevel.PROVINCE, "省", None),
    RegionNode("130100", "石家庄市", RegionLevel.CITY, "地级市", "130000"),
    RegionNode("130102", "长安区", RegionLevel.COUNTY, "市辖区", "130100"),
    RegionNode("130111", "栾城区", RegionLevel.COUNTY, "市辖区", "130100"),
    RegionNode("130200", "唐山市", RegionLevel.CITY, "地级市", "130000"),
    RegionNode("130202", "路南区", RegionLevel.COUNTY, "市辖区", "130200"),
    RegionNode("530000", "云南省", RegionLevel.PROVINCE, "省", None),
    RegionNode("530100", "昆明市", RegionLevel.CITY, "地级市", "530000"),
    RegionNode("530102", "五华区", RegionLevel.COUNTY, "市辖区", "530100"),
])
T0 = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing


def at(hours: float, region: str | None) -> Sighting:
    return Sighting(T0 + dt.timedelta(hours=hours), region)


def test_a_first_query_is_low() -> None:
    risk = assess(0, [at(0, "130102")], TREE)
    assert risk.level is RiskLevel.LOW
    assert risk.reason_zh == "这是此码的首次查询。"


def test_a_buyer_checking_again_at_home_is_low_and_says_when_and_where() -> None:
    risk = assess(2, [at(0, "130102"), at(30, "130102")], TREE)
    assert risk.level is RiskLevel.LOW
    assert risk.reason_zh.startswith("此码曾于 2026-11-30 10:00 在长安区被查询")
    assert "in 长安区" in risk.reason_en


def test_an_unknown_place_is_said_so() -> None:
    risk = assess(1, [at(0, None), at(1, None)], TREE)
    assert risk.level is RiskLevel.LOW
    assert "在未知地点被查询" in risk.reason_zh


def test_two_counties_are_medium() -> None:
    risk = assess(1, [at(0, "130102"), at(48, "130111")], TREE)
    assert risk.level is RiskLevel.MEDIUM
    assert risk.findings == ("two_counties",)


@pytest.mark.parametrize("count", [RULE.medium_count, RULE.high_count - 1])
def test_several_queries_in_one_place_are_medium(count: int) -> None:
    assert assess(count, [at(0, "130102"), at(5, "130102")], TREE).level is RiskLevel.MEDIUM


def test_many_queries_are_high() -> None:
    risk = assess(RULE.high_count, [at(0, "130102"), at(5, "130102")], TREE)
    assert risk.level is RiskLevel.HIGH
    assert "many_queries" in risk.findings
    assert f"此前共被查询 {RULE.high_count} 次" in risk.reason_zh


def test_three_counties_are_high() -> None:
    risk = assess(2, [at(0, "130102"), at(24, "130111"), at(72, "130202")], TREE)
    assert risk.level is RiskLevel.HIGH
    assert risk.findings == ("many_counties",)


def test_two_provinces_within_hours_are_high_and_named() -> None:
    # Hebei at 10:00, Yunnan at 12:30 the same day: some 2,000 km in two and a half hours.
    risk = assess(1, [at(2.5, "530102"), at(0, "130102")], TREE)  # in any order
    assert risk.level is RiskLevel.HIGH
    assert risk.findings == ("far_apart",)
    assert "长安区" in risk.reason_zh and "五华区" in risk.reason_zh and "2.5 小时" in risk.reason_zh and "2.5 hours" in risk.reason_en


def test_two_provinces_days_apart_are_only_two_counties() -> None:
    risk = assess(1, [at(0, "130102"), at(RULE.far_hours + 48, "530102")], TREE)
    assert risk.level is RiskLevel.MEDIUM


def test_a_far_pair_is_found_across_unknown_places_between() -> None:
    history = [at(0, "130102"), at(1, None), at(2, "130102"), at(3, "530102")]
    assert assess(3, history, TREE).findings == ("far_apart",)


def test_the_thresholds_are_the_rules() -> None:
    strict = RiskRule(medium_count=2, high_count=3, high_counties=2, far_hours=100)
    assert assess(2, [at(0, "130102"), at(1, "130102")], TREE, strict).level is RiskLevel.MEDIUM
    assert assess(1, [at(0, "130102"), at(90, "530102")], TREE, strict).level is RiskLevel.HIGH


def test_the_evidence_lists_the_queries_and_the_rule() -> None:
    risk = assess(1, [at(0, "130102"), at(1, "130111")], TREE)
    shown = risk.to_json(evidence=True)
    assert [q["region_name"] for q in shown["evidence"]["queries"]] == ["长安区", "栾城区"]
    assert shown["evidence"]["rule"]["high_count"] == RULE.high_count
    assert set(risk.to_json()) == {"level", "level_label", "reason"}  # the public answer: no evidence


def test_a_verification_weighs_the_first_and_the_latest_place_named() -> None:
    from jianguan.verify.recorder import Seen

    now = at(3, None)
    assert sightings_of(Seen(0, None, None), now) == [now]
    seen = Seen(4, T0, "130102", "530102", T0 + dt.timedelta(hours=1))
    assert sightings_of(seen, now) == [now, at(0, "130102"), at(1, "530102")]
    assert assess(4, sightings_of(seen, now), TREE).level is RiskLevel.HIGH
    only_first = Seen(1, T0, "130102", "130102", T0)
    assert sightings_of(only_first, now) == [now, at(0, "130102")]


def test_a_gap_under_an_hour_is_said_in_minutes_and_channels_are_named() -> None:
    risk = assess(1, [Sighting(T0, "130102", "terminal"), Sighting(T0 + dt.timedelta(minutes=35), "530102", "sms")],
                  TREE)
    assert "相隔仅 35 分钟" in risk.reason_zh and "35 minutes apart" in risk.reason_en
    assert [q["channel_label"] for q in risk.to_json(evidence=True)["evidence"]["queries"]] == [
        {"zh": "查询终端", "en": "query terminal"}, {"zh": "短信", "en": "SMS"}]


@pytest.mark.parametrize("history", [[at(0, "130102")], [at(0, "130102"), at(1, "130111")],
                                     [at(0, "130102"), at(2, "530102"), at(3, None)]])
def test_the_consumers_answer_is_the_same_without_the_evidence(history: list[Sighting]) -> None:
    full, bare = assess(len(history) - 1, history, TREE), assess(len(history) - 1, history, TREE, evidence=False)
    assert bare.to_json() == full.to_json() and bare.findings == full.findings
    assert bare.evidence == {} and full.evidence["queries"]
