"""The brand view's pure parts: a period's Beijing days as UTC instants, the county CSV, and the counties a clone alert marks."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any, cast

from jianguan.brand.services import BrandView, CountyRow, bounds, counties_csv, merge_ranges
from jianguan.stats.figures import Period


def test_a_period_runs_from_beijing_midnight_to_the_midnight_after_its_last_day() -> None:
    start, end = bounds(Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30)))
    assert start == dt.datetime(2026, 10, 31, 16, tzinfo=dt.UTC)
    assert end == dt.datetime(2026, 11, 30, 16, tzinfo=dt.UTC)


def _view(rows: list[CountyRow]) -> BrandView:
    enterprise = cast(Any, SimpleNamespace(id=1, name="珍味"))
    return BrandView(enterprise, Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30)), rows, [], [], {}, [])


def test_the_csv_holds_a_row_per_county_and_the_unknown_place_by_name() -> None:
    view = _view([CountyRow("130111", "栾城区", "河北省 石家庄市 栾城区", 5, 2, 2),
                  CountyRow(None, "未知地点", "", 3, 1, 0)])
    assert view.total.queries == 8 and view.total.other == 3
    zh = counties_csv(view).lstrip("\ufeff").splitlines()
    assert zh[0].startswith("地区代码,区县") and zh[1] == "130111,栾城区,河北省 石家庄市 栾城区,5,2,2,1"
    assert zh[2] == ",未知地点,,3,1,0,2"
    assert counties_csv(view, "en").lstrip("\ufeff").splitlines()[2] == ",unknown place,,3,1,0,2"


def test_batches_become_serial_ranges_with_adjacent_ones_merged() -> None:
    batches = [(2, 500, 100), (1, 0, 100), (1, 100, 50), (1, 300, 10), (2, 550, 100), (1, 149, 1)]
    assert merge_ranges(batches) == [(1, 0, 150), (1, 300, 310), (2, 500, 650)]
    assert merge_ranges([]) == []


def test_a_clone_alert_marks_where_it_was_raised_and_every_county_its_code_was_queried_in() -> None:
    alerts = [SimpleNamespace(region_code="130104", details={"regions": ["130104", "130102", "130111"]}),
              SimpleNamespace(region_code="130102", details={"regions": ["130102"]}),
              SimpleNamespace(region_code=None, details={})]
    view = BrandView(cast(Any, SimpleNamespace(id=1, name="珍味")), Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
                     [], cast(Any, alerts), [], {}, [])
    assert view.clone_counties == {"130104": 1, "130102": 2, "130111": 1}
