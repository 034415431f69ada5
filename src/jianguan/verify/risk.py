"""The clone risk of a code: low, medium or high, from the places, times and number of its queries.

A code printed once is bought once: its buyer may check it a few times, in one place. A copied
code is checked by the buyers of every copy, in many places, sometimes hours apart in places a
day's travel apart. The rule (thresholds in ``RULE``, documented in docs/verification.md):

- **high**: queried ``high_count`` times or more before; or in ``high_counties`` counties or
  more; or twice, one after the other, in different provinces less than ``far_hours`` apart
  (no one carries a bottle from Hebei to Yunnan in six hours);
- **medium**: queried ``medium_count`` times or more before; or in two counties;
- **low**: the first query, or a few queries in one county (or where the place is unknown).

Distances are read from the region tree (province, city, county), not from coordinates: a query
knows its county at best, and two provinces apart is the measure the tree gives without a map.

The consumer's answer weighs what the verification reads anyway: the count, the first query
(time and place), the latest earlier query that named its place, and this one; it costs no read
of its own. The regulator's and brand owner's
view (``codes.lookup``) weighs every logged query of the code, with the evidence listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from itertools import pairwise
from typing import Any

from jianguan.choices import LabelledChoice
from jianguan.regions.tree import RegionTree
from jianguan.timezone import local_minute
from jianguan.verify.models import Channel


class RiskLevel(LabelledChoice):
    LOW = "low", "低", "low"
    MEDIUM = "medium", "中", "medium"
    HIGH = "high", "高", "high"


@dataclass(frozen=True, slots=True)
class RiskRule:
    """The thresholds of the clone-risk rule."""

    medium_count: int = 5
    high_count: int = 20
    high_counties: int = 3
    far_hours: float = 6.0


RULE = RiskRule()


@dataclass(frozen=True, slots=True)
class Sighting:
    """One query of the code: when, where (a division code, or None) and on which channel."""

    at: dt.datetime
    region_code: str | None
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class Risk:
    level: RiskLevel
    reason_zh: str
    reason_en: str
    findings: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_json(self, *, evidence: bool = False) -> dict[str, Any]:
        """The public answer (level and reason); with ``evidence``, what it rests on too."""
        answer: dict[str, Any] = {"level": self.level.value,
                                  "level_label": {"zh": self.level.label_zh, "en": self.level.label_en},
                                  "reason": {"zh": self.reason_zh, "en": self.reason_en}}
        if evidence:
            answer.update(findings=list(self.findings), evidence=self.evidence)
        return answer


FIRST_CHECK = Risk(RiskLevel.LOW, "这是此码的首次查询。", "This is the first check of this code.")


_when = local_minute


def _gap(span: dt.timedelta) -> tuple[str, str]:
    """``35 分钟`` / ``35 minutes`` under an hour, else ``2.5 小时`` / ``2.5 hours``."""
    minutes = max(1, round(span.total_seconds() / 60))
    if minutes < 60:
        return f"{minutes} 分钟", f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{minutes / 60:.1f} 小时", f"{minutes / 60:.1f} hours"


def _channel(value: str | None) -> dict[str, str] | None:
    try:
        channel = Channel(value) if value else None
    except ValueError:
        return None
    return {"zh": channel.label_zh, "en": channel.label_en} if channel else None


def _far_pair(known: Sequence[Sighting], tree: RegionTree, rule: RiskRule) -> tuple[Sighting, Sighting] | None:
    """Two queries one after the other (in time, places known) in different provinces, less than
    ``far_hours`` apart. Any such pair of queries implies one among consecutive ones."""
    window = dt.timedelta(hours=rule.far_hours)
    for before, after in pairwise(known):
        assert before.region_code is not None and after.region_code is not None
        if after.at - before.at >= window:
            continue
        one, other = tree.province(before.region_code), tree.province(after.region_code)
        if one is not None and other is not None and one != other:
            return before, after
    return None


def sightings_of(seen: Any, now: Sighting) -> list[Sighting]:
    """What a verification knows of a code's queries without reading the log: this one, the
    first, and the latest earlier one that named its place (``seen`` is the recorder's Seen)."""
    sightings = [now]
    if seen.count and seen.first_at:
        sightings.append(Sighting(seen.first_at, seen.first_region_code))
        if seen.last_region_at and seen.last_region_at != seen.first_at:
            sightings.append(Sighting(seen.last_region_at, seen.last_region_code))
    return sightings


def _evidence(count_before: int, ordered: Sequence[Sighting], counties: Sequence[str], tree: RegionTree,
              rule: RiskRule) -> dict[str, Any]:
    """What an assessment rests on, for the regulator's and brand owner's look-up."""
    return {"count_before": count_before, "counties": [{"code": code, "name": tree.name(code)} for code in counties],
            "queries": [{"at": sighting.at.isoformat(), "region_code": sighting.region_code,
                         "region_name": tree.name(sighting.region_code), "channel": sighting.channel,
                         "channel_label": _channel(sighting.channel)}
                        for sighting in ordered],
            "rule": asdict(rule)}


def assess(count_before: int, sightings: Sequence[Sighting], tree: RegionTree, rule: RiskRule = RULE, *,
           evidence: bool = True) -> Risk:
    """The risk of a code queried ``count_before`` times before the last of ``sightings`` (which
    holds the queries known, in any order, the latest being this one when it is included). The
    consumer's answer asks for no ``evidence``: it is never shown there, and building it would
    cost each verification more than the rule itself."""
    if count_before <= 0 and not evidence:
        return FIRST_CHECK
    ordered = sorted(sightings, key=lambda sighting: sighting.at)
    known = [sighting for sighting in ordered if sighting.region_code and sighting.region_code in tree]
    counties = sorted({sighting.region_code for sighting in known if sighting.region_code})
    found = _evidence(count_before, ordered, counties, tree, rule) if evidence else {}
    if count_before <= 0:
        return replace(FIRST_CHECK, evidence=found)
    first = ordered[0]
    first_place = tree.name(first.region_code) if first.region_code else None
    said_zh = f"此码曾于 {_when(first.at)} 在{first_place or '未知地点'}被查询"
    said_en = f"This code was checked at {_when(first.at)} {'in ' + first_place if first_place else '(place unknown)'}"
    findings: list[str] = []
    far = _far_pair(known, tree, rule)
    if far is not None:
        findings.append("far_apart")
    if count_before >= rule.high_count:
        findings.append("many_queries")
    if len(counties) >= rule.high_counties:
        findings.append("many_counties")
    if findings:
        if far is not None:
            gap_zh, gap_en = _gap(far[1].at - far[0].at)
            one, other = tree.name(far[0].region_code), tree.name(far[1].region_code)
            tail_zh = f"，{_when(far[0].at)} 在{one}、{_when(far[1].at)} 在{other}先后被查询，相隔仅 {gap_zh}"
            tail_en = f"; checked in {one} and {other} only {gap_en} apart"
        elif "many_counties" in findings:
            tail_zh, tail_en = f"，先后在 {len(counties)} 个县区被查询", f"; checked in {len(counties)} counties"
        else:
            tail_zh, tail_en = f"，此前共被查询 {count_before} 次", f"; checked {count_before} times before"
        return Risk(RiskLevel.HIGH, f"{said_zh}{tail_zh}，很可能被复制，请勿购买并举报。",
                    f"{said_en}{tail_en}: very likely copied. Do not buy it; please report it.",
                    tuple(findings), found)
    if len(counties) >= 2:
        findings.append("two_counties")
    if count_before >= rule.medium_count:
        findings.append("several_queries")
    if findings:
        tail_zh = ("，与本次查询不在同一县区" if "two_counties" in findings else f"，此前共被查询 {count_before} 次")
        tail_en = ("; not in the county of this check" if "two_counties" in findings
                   else f"; checked {count_before} times before")
        return Risk(RiskLevel.MEDIUM, f"{said_zh}{tail_zh}。如果不是您或卖家查询的，该码可能被复制。",
                    f"{said_en}{tail_en}. If that was not you or the seller, the code may have been copied.",
                    tuple(findings), found)
    return Risk(RiskLevel.LOW, f"{said_zh}，查询次数少，未见多地查询，多为买家或卖家本人查询。",
                f"{said_en}; few checks, none seen elsewhere: most likely the buyer or the seller.", (), found)
