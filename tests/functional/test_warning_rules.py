"""The early-warning rules on constructed histories, on both databases: each rule raises its alert
when its threshold is passed and not before, once per rule, subject and window however often it
is evaluated; the batch evaluation looks only at what the batch touched; nonsensical thresholds
are refused and change nothing; an alert's handling takes only the steps its state can reach."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.alerts import rules
from jianguan.alerts.models import Alert, AlertRuleSetting, AlertStatus, WarningRule
from jianguan.alerts.services import acknowledge, dismiss, list_alerts, open_case_from_alert
from jianguan.audit.models import AuditRecord
from jianguan.audit.services import Actor
from jianguan.cases.models import Case
from jianguan.catalogue.models import Agency
from jianguan.errors import Conflict, NotFound, ValidationFailed
from jianguan.storage.base import utcnow
from jianguan.verify.models import Query

NOW = utcnow()
OPERATOR = Principal(kind="system", id=0, name="test", role=Role.OPERATOR)
ACTOR = Actor.system("test")


def query(session: Session, *, serial: int | None = None, verdict: str = "queried_before", region: str | None = None,
          source: str | None = None, minutes_ago: float = 1, raw: str | None = None) -> dict[str, Any]:
    row = {"at": NOW - dt.timedelta(minutes=minutes_ago), "channel": "web", "generation": 1 if serial else None,
           "serial": serial, "raw_input": raw, "verdict": verdict, "region_code": region, "terminal_id": None,
           "caller_hash": None, "source_hash": source}
    session.add(Query(**row))
    return row


def alerts_of(session: Session, rule: WarningRule) -> list[Alert]:
    return list(session.scalars(select(Alert).where(Alert.rule == rule.value).order_by(Alert.id)))


def test_a_code_queried_from_three_counties_is_a_clone_raised_once(session: Session) -> None:
    rows = [query(session, serial=77, region=region, minutes_ago=3) for region in ("130102", "130104")]
    query(session, serial=78, region="130102")
    session.flush()
    assert rules.evaluate(session, now=NOW) == []  # two counties: not yet
    rows.append(query(session, serial=77, region="130111", minutes_ago=0.5))  # the latest: the alert's county
    query(session, serial=77, region="130111", minutes_ago=60 * 25)  # outside the day's window: not counted
    session.flush()
    raised = rules.evaluate_rows(session, rows, now=NOW)
    assert [alert.subject for alert in raised] == ["1:77"]  # no key for generation 1: named by numbers
    alert = raised[0]
    assert alert.details["counties"] == 3 and alert.details["queries"] == 3
    assert set(alert.details["regions"]) == {"130102", "130104", "130111"} and alert.region_code == "130111"
    assert rules.evaluate(session, now=NOW) == [] and rules.evaluate_rows(session, rows, now=NOW) == []
    assert len(alerts_of(session, WarningRule.CLONED_CODE)) == 1


def test_a_code_queried_too_often_in_one_county_is_a_clone(session: Session) -> None:
    for _ in range(5):
        query(session, serial=90, region="130102")
    session.flush()
    assert rules.evaluate(session, now=NOW) == []
    rules.set_rule(session, actor=ACTOR, rule="cloned_code", max_queries=4)
    assert [alert.details["queries"] for alert in rules.evaluate(session, now=NOW)] == [5]


def test_the_batch_looks_only_at_codes_queried_again(session: Session) -> None:
    for region in ("130102", "130104", "130111"):
        query(session, serial=55, region=region)
    session.flush()
    first_queries = [{"generation": 1, "serial": 55, "verdict": "genuine", "region_code": "130102"}]
    assert rules.evaluate_rows(session, first_queries, now=NOW) == []  # a first query cannot make a clone
    assert rules.evaluate_rows(session, [{"generation": 1, "serial": 55, "verdict": "queried_before"}], now=NOW)


def test_a_batch_reads_the_log_of_many_codes_and_skips_those_told_too_few_queries(session: Session) -> None:
    cloned = (61, 62, 63, 64, 65)  # five codes: statements of 4 and 1, the last padded
    for serial in (*cloned, 66, 67):
        for region in ("130102", "130104", "130111") if serial in cloned else ("130102", "130104"):
            query(session, serial=serial, region=region)
    session.flush()
    told = [{"generation": 1, "serial": serial, "verdict": "queried_before", "count_before": 2}
            for serial in (*cloned, 66, 67, 66)]
    raised = rules.evaluate_rows(session, told, now=NOW)
    assert sorted(alert.subject for alert in raised) == [f"1:{serial}" for serial in cloned]
    assert all(alert.details["counties"] == 3 for alert in raised)
    # A code told it was queried once before has been queried twice: under three counties, whatever
    # the log holds, so it is not looked up (the log says three counties, on purpose here).
    query(session, serial=68, region="130102")
    query(session, serial=68, region="130104")
    query(session, serial=68, region="130111")
    session.flush()
    once = [{"generation": 1, "serial": 68, "verdict": "queried_before", "count_before": 1}]
    assert rules.evaluate_rows(session, once, now=NOW) == []
    assert [alert.subject for alert in rules.evaluate_rows(session, [{**once[0], "count_before": 2}], now=NOW)] \
        == ["1:68"]


def test_a_query_in_a_county_the_code_was_queried_in_adds_no_county_and_is_not_looked_up(session: Session) -> None:
    for region in ("130102", "130104", "130111"):
        query(session, serial=70, region=region)
    session.flush()
    told = {"generation": 1, "serial": 70, "verdict": "queried_before", "count_before": 2}
    # Its county was the code's last (or first): the log says three counties, on purpose, and is not read.
    for before, region in ((("130102", "130104"), "130104"), (("130102", "130104"), "130102"),
                           (("130102", "130104"), None)):
        assert rules.evaluate_rows(session, [{**told, "regions_before": before, "region_code": region}],
                                   now=NOW) == []
    # A county new to the code may make the third: read.
    new_county = {**told, "regions_before": ("130102", "130104"), "region_code": "130111"}
    assert [alert.subject for alert in rules.evaluate_rows(session, [new_county], now=NOW)] == ["1:70"]
    # Past ``max_queries`` a query counts wherever it was made.
    for _ in range(3):
        query(session, serial=71, region="130102")
    session.flush()
    rules.set_rule(session, actor=ACTOR, rule="cloned_code", max_queries=2)
    same_county = {"generation": 1, "serial": 71, "verdict": "queried_before", "count_before": 2,
                   "regions_before": ("130102", "130102"), "region_code": "130102"}
    assert [alert.details["queries"] for alert in rules.evaluate_rows(session, [same_county], now=NOW)] == [3]


def test_a_code_alerted_in_its_window_is_not_read_again_by_a_process_that_knows(session: Session) -> None:
    for region in ("130102", "130104", "130111"):
        query(session, serial=72, region=region)
    session.flush()
    known = rules.KnownAlerts()
    told = [{"generation": 1, "serial": 72, "verdict": "queried_before", "count_before": 2}]
    assert len(rules.evaluate_rows(session, told, now=NOW, known=known)) == 1
    key = f"cloned_code:1:72:{rules.settings(session)[WarningRule.CLONED_CODE].window_key(NOW)}"
    assert key in known
    session.execute(Alert.__table__.delete())  # gone from the log of alerts: only ``known`` skips it now
    assert rules.evaluate_rows(session, told, now=NOW, known=known) == []
    assert len(rules.evaluate_rows(session, told, now=NOW)) == 1
    small = rules.KnownAlerts(limit=2)
    for name in ("a", "b", "c"):
        small.add(name)
    assert "a" not in small and "b" in small and "c" in small


def test_the_writer_reads_the_rules_at_most_once_a_ttl(session: Session) -> None:
    cached = rules.CachedSettings(ttl=0.2)
    assert cached(session)[WarningRule.CLONED_CODE].threshold == 3
    rules.set_rule(session, actor=ACTOR, rule="cloned_code", threshold=5)
    assert cached(session)[WarningRule.CLONED_CODE].threshold == 3  # read less than a ttl ago
    time.sleep(0.25)
    assert cached(session)[WarningRule.CLONED_CODE].threshold == 5


def test_unknown_codes_cluster_by_county(session: Session) -> None:
    rules.set_rule(session, actor=ACTOR, rule="unknown_cluster", threshold=4, window_minutes=30)
    for n in range(4):
        query(session, verdict="unknown", region="130111", raw=f"9999{n}")
    for n in range(3):
        query(session, verdict="unknown", region="130102", raw=f"8888{n}")
    query(session, verdict="unknown", region="130102", minutes_ago=45)  # outside the window
    session.flush()
    raised = rules.evaluate_rows(session, [{"verdict": "unknown", "region_code": "130111"},
                                           {"verdict": "unknown", "region_code": "130102"}], now=NOW)
    assert [(alert.region_code, alert.details["queries"]) for alert in raised] == [("130111", 4)]
    assert len(raised[0].details["samples"]) == 4
    assert rules.evaluate(session, now=NOW) == []


def test_one_source_trying_many_codes_is_enumeration(session: Session) -> None:
    rules.set_rule(session, actor=ACTOR, rule="enumeration", threshold=3)
    for verdict in ("unknown", "malformed", "spoiled"):
        query(session, verdict=verdict, source="prober", region="130111")
    for _ in range(2):
        query(session, verdict="unknown", source="clumsy")
    query(session, serial=5, verdict="genuine", source="clumsy")  # a good code is no probe
    session.flush()
    raised = rules.evaluate(session, now=NOW)
    assert [(alert.subject, alert.details["invalid_queries"]) for alert in raised] == [("prober", 3)]


def test_a_disabled_rule_raises_nothing(session: Session) -> None:
    rules.set_rule(session, actor=ACTOR, rule="cloned_code", enabled=False)
    for region in ("130102", "130104", "130111"):
        query(session, serial=66, region=region)
    session.flush()
    assert rules.evaluate(session, now=NOW) == []


@pytest.mark.parametrize(("rule", "change"), [
    ("cloned_code", {"threshold": 1}),  # one county is no clone
    ("cloned_code", {"threshold": 0}),
    ("cloned_code", {"max_queries": 1}),
    ("unknown_cluster", {"window_minutes": 0}),
    ("unknown_cluster", {"window_minutes": rules.MAX_WINDOW_MINUTES + 1}),
    ("unknown_cluster", {"threshold": True}),
    ("unknown_cluster", {"threshold": "5"}),
    ("unknown_cluster", {"max_queries": 5}),  # only the cloned-code rule has one
    ("spot_check_failed", {"threshold": 2}),  # raised for every failure: no threshold
    ("enumeration", {"enabled": "yes"}),
    ("no_such_rule", {"threshold": 3}),
])
def test_a_nonsensical_threshold_is_refused_in_both_languages_and_changes_nothing(
        session: Session, rule: str, change: dict[str, Any]) -> None:
    audited = session.scalar(select(func.count()).select_from(AuditRecord))
    with pytest.raises(ValidationFailed) as refused:
        rules.set_rule(session, actor=ACTOR, rule=rule, **change)
    assert refused.value.message and refused.value.message_zh and refused.value.code in {"invalid_threshold",
                                                                                         "unknown_rule"}
    assert session.scalar(select(func.count()).select_from(AlertRuleSetting)) == 0
    assert session.scalar(select(func.count()).select_from(AuditRecord)) == audited


def test_a_rule_change_is_audited_with_before_and_after(session: Session) -> None:
    changed = rules.set_rule(session, actor=ACTOR, rule="cloned_code", threshold=4, window_minutes=120)
    assert (changed.threshold, changed.max_queries, changed.window_minutes) == (4, 20, 120)
    assert rules.settings(session)[WarningRule.CLONED_CODE] == changed
    audit = session.scalars(select(AuditRecord).where(AuditRecord.action == "alert:rule:changed")).one()
    assert audit.before["threshold"] == 3 and audit.after["threshold"] == 4


def _clone_alert(session: Session, region: str = "130111") -> Alert:
    for minutes, county in ((3, "130102"), (2, "130104"), (1, region)):
        query(session, serial=123, region=county, minutes_ago=minutes)
    session.flush()
    return rules.evaluate(session, now=NOW)[0]


def test_an_alert_is_acknowledged_then_made_a_case_and_no_step_is_taken_twice(session: Session) -> None:
    alert = _clone_alert(session)
    acknowledge(session, actor=ACTOR, principal=OPERATOR, alert_id=alert.id)
    assert alert.status == AlertStatus.ACKNOWLEDGED
    with pytest.raises(Conflict):
        acknowledge(session, actor=ACTOR, principal=OPERATOR, alert_id=alert.id)
    open_case_from_alert(session, actor=ACTOR, principal=OPERATOR, alert_id=alert.id)
    case = session.get(Case, alert.case_id)
    assert case is not None and case.region_code == "130111" and "预警" in case.description
    for step in (lambda: dismiss(session, actor=ACTOR, principal=OPERATOR, alert_id=alert.id, reason="误报"),
                 lambda: open_case_from_alert(session, actor=ACTOR, principal=OPERATOR, alert_id=alert.id),
                 lambda: acknowledge(session, actor=ACTOR, principal=OPERATOR, alert_id=alert.id)):
        with pytest.raises(Conflict) as refused:
            step()
        assert refused.value.code == "alert_handled" and refused.value.message_zh
    actions = list(session.scalars(select(AuditRecord.action).where(AuditRecord.target_type == "alert",
                                                                    AuditRecord.target_id == str(alert.id))))
    assert actions == ["alert:alert:raised", "alert:alert:acknowledged", "alert:case:opened"]


def test_a_dismissal_needs_a_reason_and_a_regulator_out_of_scope_finds_nothing(session: Session) -> None:
    alert = _clone_alert(session)
    with pytest.raises(ValidationFailed):
        dismiss(session, actor=ACTOR, principal=OPERATOR, alert_id=alert.id, reason="  ")
    assert alert.status == AlertStatus.OPEN
    outside = Principal(kind="user", id=9, name="far", role=Role.REGULATOR, agency=Agency.QUALITY,
                        region_codes=frozenset({"350100"}))
    inside = Principal(kind="user", id=8, name="near", role=Role.REGULATOR, agency=Agency.QUALITY,
                       region_codes=frozenset({"130111"}))
    assert list_alerts(session, principal=outside) == [] and list_alerts(session, principal=inside) == [alert]
    with pytest.raises(NotFound):
        dismiss(session, actor=ACTOR, principal=outside, alert_id=alert.id, reason="不归我管")
    dismiss(session, actor=ACTOR, principal=inside, alert_id=alert.id, reason="同一批次已在调查")
    assert alert.status == AlertStatus.DISMISSED and alert.reason == "同一批次已在调查"
