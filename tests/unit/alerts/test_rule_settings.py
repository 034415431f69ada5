"""The rules' settings: the window a moment falls in, and what a setting shows."""

from __future__ import annotations

import datetime as dt

from jianguan.alerts.models import WarningRule
from jianguan.alerts.rules import DEFAULTS, EVENT_RULES, RuleSetting


def test_a_moment_falls_in_one_window_of_the_rules_length() -> None:
    hourly = RuleSetting(WarningRule.UNKNOWN_CLUSTER, True, 5, None, 60)
    start = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
    assert hourly.window_key(start) == hourly.window_key(start + dt.timedelta(minutes=59, seconds=59))
    assert hourly.window_key(start) != hourly.window_key(start + dt.timedelta(minutes=60))
    assert hourly.since(start) == start - dt.timedelta(hours=1)


def test_every_rule_has_a_default_and_only_the_event_rules_have_no_window() -> None:
    assert set(DEFAULTS) == set(WarningRule)
    assert {rule for rule, setting in DEFAULTS.items() if not setting.windowed} == EVENT_RULES
    assert DEFAULTS[WarningRule.CLONED_CODE].threshold >= 2  # one county is no clone
    shown = DEFAULTS[WarningRule.CLONED_CODE].json()
    assert shown["rule"] == "cloned_code" and shown["label_zh"] == "克隆码" and shown["max_queries"] == 20
