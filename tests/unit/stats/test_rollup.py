"""The roll-up arithmetic: county rows added up to their city and province through the region tree,
rows of an unknown place kept apart, and Beijing days as UTC instants."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from jianguan.regions.models import RegionLevel
from jianguan.regions.tree import RegionNode, RegionTree
from jianguan.stats.models import NO_REGION
from jianguan.stats.rollup import day_bounds, roll_up_rows

TREE = RegionTree([
    RegionNode("130000", "河北省", RegionLevel.PROVINCE, "省", None),
    RegionNode("130100", "石家庄市", RegionLevel.CITY, "地级市", "130000"),
    RegionNode("130102", "长安区", RegionLevel.COUNTY, "市辖区", "130100"),
    RegionNode("130111", "栾城区", RegionLevel.COUNTY, "市辖区", "130100"),
    RegionNode("130200", "唐山市", RegionLevel.CITY, "地级市", "130000"),
    RegionNode("130202", "路南区", RegionLevel.COUNTY, "市辖区", "130200"),
    RegionNode("429004", "仙桃市", RegionLevel.COUNTY, "县级市", "420000"),
    RegionNode("420000", "湖北省", RegionLevel.PROVINCE, "省", None),
])


def test_counties_add_up_to_their_city_and_province_key_by_key() -> None:
    rows = [
        ("130102", (1, "web", "genuine"), {"queries": 3}),
        ("130111", (1, "web", "genuine"), {"queries": 4}),
        ("130111", (2, "sms", "unknown"), {"queries": 5}),
        ("130202", (1, "web", "genuine"), {"queries": 7}),
    ]
    rolled = roll_up_rows(TREE, rows)
    assert rolled[("130102", (1, "web", "genuine"))] == Counter(queries=3)
    assert rolled[("130100", (1, "web", "genuine"))] == Counter(queries=7)
    assert rolled[("130200", (1, "web", "genuine"))] == Counter(queries=7)
    assert rolled[("130000", (1, "web", "genuine"))] == Counter(queries=14)
    assert rolled[("130000", (2, "sms", "unknown"))] == Counter(queries=5)
    assert rolled[("130100", (2, "sms", "unknown"))] == Counter(queries=5)
    assert ("130200", (2, "sms", "unknown")) not in rolled
    # Every level holds the same total: nothing is lost or counted twice on the way up.
    for level in (["130102", "130111", "130202"], ["130100", "130200"], ["130000"]):
        assert sum(figures["queries"] for (code, _key), figures in rolled.items() if code in level) == 19


def test_several_figures_and_rows_of_one_key_add_up() -> None:
    rows = [("130102", (1,), {"issued": 100, "activated": 0}), ("130102", (1,), {"issued": 0, "activated": 40}),
            ("130111", (1,), {"issued": 10, "activated": 10})]
    rolled = roll_up_rows(TREE, rows)
    assert rolled[("130102", (1,))] == Counter(issued=100, activated=40)
    assert rolled[("130000", (1,))] == Counter(issued=110, activated=50)


def test_a_county_under_its_province_directly_rolls_up_to_the_province() -> None:
    rolled = roll_up_rows(TREE, [("429004", ("shop",), {"installed": 2})])
    assert rolled == {("429004", ("shop",)): Counter(installed=2), ("420000", ("shop",)): Counter(installed=2)}


def test_rows_of_no_known_place_are_kept_under_their_own_code_and_add_to_nothing() -> None:
    rolled = roll_up_rows(TREE, [(None, (0, "web", "unknown"), {"queries": 2}),
                                 ("999999", (0, "web", "unknown"), {"queries": 1}),
                                 (None, (0, "web", "unknown"), {"queries": 3})])
    assert rolled == {(NO_REGION, (0, "web", "unknown")): Counter(queries=5),
                      ("999999", (0, "web", "unknown")): Counter(queries=1)}


def test_nothing_in_nothing_out() -> None:
    assert roll_up_rows(TREE, []) == {}


def test_a_beijing_day_starts_at_16_00_utc_the_day_before() -> None:
    start, end = day_bounds(dt.date(2026, 12, 1))
    assert start == dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)
    assert end == dt.datetime(2026, 12, 1, 16, 0, tzinfo=dt.UTC)
    assert start.tzinfo is not None and end - start == dt.timedelta(days=1)


def test_a_period_runs_forward_within_three_years_and_2000_to_2100() -> None:
    import pytest

    from jianguan.errors import ValidationFailed
    from jianguan.stats.figures import period

    assert period(dt.date(2026, 1, 1), dt.date(2026, 1, 31)).days == 31
    assert period(None, dt.date(2026, 1, 31)).first == dt.date(2026, 1, 2)
    for first, last, code in ((dt.date(2026, 2, 1), dt.date(2026, 1, 1), "invalid_period"),
                              (dt.date(2020, 1, 1), dt.date(2026, 1, 1), "period_too_long"),
                              (dt.date(1, 1, 1), None, "invalid_date"), (None, dt.date(9999, 12, 31), "invalid_date")):
        with pytest.raises(ValidationFailed) as refused:
            period(first, last)
        assert refused.value.code == code


def test_a_code_is_of_its_batchs_category_and_a_code_of_no_batch_of_none() -> None:
    from jianguan.stats.models import NO_CATEGORY
    from jianguan.stats.rollup import BatchIndex

    index = BatchIndex([(1, 1000, 100, 7, "130102"), (1, 0, 10, 3, "130111"), (2, 0, 5, 9, "130102"),
                        (1, 1100, 50, 4, "350102")])
    assert [index.category(1, serial) for serial in (0, 9, 10, 999, 1000, 1099, 1100, 1149, 1150)] == [
        3, 3, NO_CATEGORY, NO_CATEGORY, 7, 7, 4, 4, NO_CATEGORY]
    assert index.category(2, 4) == 9 and index.category(2, 5) == NO_CATEGORY
    assert index.category(3, 0) == NO_CATEGORY  # a generation with no batch
    assert index.category(None, None) == NO_CATEGORY  # malformed input names no code
    assert BatchIndex([]).category(1, 1) == NO_CATEGORY
    assert index.locate(1, 1120) == (4, "350102") and index.locate(1, 10) is None


def test_a_period_splits_into_whole_months_rolled_and_the_days_around_them() -> None:
    from jianguan.stats.rollup import split_period

    day = dt.date
    every = {day(year, month, 1) for year in (2024, 2025, 2026, 2027) for month in range(1, 13)}
    assert split_period(day(2026, 11, 2), day(2026, 12, 1), every) == ([], [(day(2026, 11, 2), day(2026, 12, 1))])
    assert split_period(day(2026, 11, 1), day(2026, 11, 30), every) == ([day(2026, 11, 1)], [])
    assert split_period(day(2026, 1, 15), day(2026, 4, 2), every) == (
        [day(2026, 2, 1), day(2026, 3, 1)], [(day(2026, 1, 15), day(2026, 1, 31)), (day(2026, 4, 1), day(2026, 4, 2))])
    assert split_period(day(2025, 12, 1), day(2026, 2, 28), every) == (
        [day(2025, 12, 1), day(2026, 1, 1), day(2026, 2, 1)], [])
    assert split_period(day(2024, 2, 1), day(2024, 2, 28), every) == ([], [(day(2024, 2, 1), day(2024, 2, 28))])
    assert split_period(day(2026, 3, 5), day(2026, 3, 5), every) == ([], [(day(2026, 3, 5), day(2026, 3, 5))])
    # A month not rolled up (the current one, or one the job has not added up) is read as days,
    # joined to the days around it.
    assert split_period(day(2026, 1, 15), day(2026, 4, 2), every - {day(2026, 3, 1)}) == (
        [day(2026, 2, 1)], [(day(2026, 1, 15), day(2026, 1, 31)), (day(2026, 3, 1), day(2026, 4, 2))])
    assert split_period(day(2026, 1, 1), day(2026, 3, 31), set()) == ([], [(day(2026, 1, 1), day(2026, 3, 31))])
    # Whatever the split, every day of the period is counted once.
    first, last = day(2025, 12, 17), day(2027, 2, 3)
    months, runs = split_period(first, last, every - {day(2026, 6, 1)})
    covered = sum((b - a).days + 1 for a, b in runs)
    covered += sum(((m.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - m).days for m in months)
    assert covered == (last - first).days + 1 and len(months) == 12
