"""The credit record (诚信档案) on a live server, on both databases: who reads it (the enterprise's
regulators in scope, the operator and the enterprise; 404 for anyone else), the numbers it shows
are the rows beneath it, the score is the documented sum of its inputs, new facts move it, and the
public directory shows only its public part."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from jianguan.credit.score import CreditInput, counts, credit_score
from jianguan.timezone import local_date, today
from tests.functional.channel_helpers import rows
from tests.functional.test_cases import move, user_id
from tests.functional.test_recalls import ZHENWEI, product_of
from tests.functional.test_warnings_live import check_body, unqueried_zhenwei_code
from tests.live import LiveServer

RESOLVED = ("resolved", "informed", "closed")


def enterprise_id(live: LiveServer, name: str = ZHENWEI) -> int:
    return rows(live, "SELECT id FROM enterprises WHERE name = :name", name=name)[0].id


def credit_of(live: LiveServer, who: str = "operator") -> dict[str, Any]:
    answer = live.login(who).get(f"/api/v1/enterprises/{enterprise_id(live)}/credit")
    assert answer.status_code == 200, answer.text
    return answer.json()


def inputs(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {line["input"]: line for line in record["score"]["inputs"]}


def resolved_complaint(live: LiveServer, *, upheld: bool, measures: str) -> int:
    """A complaint about 珍味's vinegar, resolved by 石家庄's quality office: upheld or not."""
    sjz = live.login("sjz.quality")
    case = live.client().post("/api/v1/cases", json={
        "kind": "complaint", "code": unqueried_zhenwei_code(live), "place": "长安区某超市", "region_code": "130102",
        "description": "陈醋味道发苦。"})
    assert case.status_code == 201, case.text
    case_id = case.json()["id"]
    assert move(sjz, case_id, action="assign", user_id=user_id(live, "sjz.quality")).status_code == 200
    assert move(sjz, case_id, action="investigate").status_code == 200
    resolved = move(sjz, case_id, action="resolve", upheld=upheld,
                    finding=f"经查属实（{uuid.uuid4().hex[:6]}）。" if upheld else "经检验合格，投诉不成立。",
                    measures=measures)
    assert resolved.status_code == 200, resolved.text
    return int(case_id)


def test_the_record_is_read_in_scope_and_is_404_to_everyone_else(live: LiveServer) -> None:
    path = f"/api/v1/enterprises/{enterprise_id(live)}/credit"
    for who in ("operator", "hebei.quality", "sjz.quality", "zhenwei"):
        answer = live.login(who).get(path)
        assert answer.status_code == 200 and answer.json()["enterprise"]["name"] == ZHENWEI, who
    for who in ("luancheng.quality", "hebei.agri", "luancheng.agri", "fuzhou.quality", "fengsui"):
        answer = live.login(who).get(path)
        assert answer.status_code == 404 and ZHENWEI not in answer.text, who
    assert live.key_client(live.seed.apikeys["manufacturer"][1]).get(path).status_code == 200  # 珍味's own key
    assert live.key_client(live.seed.apikeys["manufacturer"][0]).get(path).status_code == 404  # 丰穗's
    assert live.login("huayin").get(path).status_code == 403  # a printer is no role the record admits
    assert live.client().get(path).status_code == 401
    assert live.login("operator").get("/api/v1/enterprises/2000000000/credit").status_code == 404
    own = live.login("fengsui").get(f"/api/v1/enterprises/{enterprise_id(live, '石家庄丰穗复合肥有限公司')}/credit")
    assert own.status_code == 200 and own.json()["enterprise"]["name"] == "石家庄丰穗复合肥有限公司"


def test_the_numbers_are_the_rows_and_the_score_is_their_documented_sum(live: LiveServer) -> None:
    record, ident, day = credit_of(live), enterprise_id(live), today()
    checks = rows(live, "SELECT report_number, passed, sampled_on FROM spot_checks WHERE enterprise_id = :e", e=ident)
    assert sorted(c["report_number"] for c in record["spot_checks"]) == sorted(c.report_number for c in checks)
    assert any(not c.passed for c in checks) and any(c.passed for c in checks)  # the demo's failed and passed
    complaints = rows(live, "SELECT id, kind, stage, upheld, measures, place FROM cases WHERE enterprise_id = :e",
                      e=ident)
    upheld = {c.id for c in complaints if c.kind == "complaint" and c.stage in RESOLVED and c.upheld}
    assert {c["case_id"] for c in record["upheld_complaints"]} == upheld
    # The demo's vinegar complaint was found not upheld (the lot meets its standard): measures were
    # recorded (the consumer told, the label improved), yet it counts nothing.
    vinegar = next(c for c in complaints if c.kind == "complaint" and c.place == "长安区北国超市")
    assert vinegar.stage == "closed" and not vinegar.upheld and vinegar.measures and vinegar.id not in upheld
    assert all("contact" not in c and "reply_to" not in c for c in record["upheld_complaints"])
    recalls = rows(live, "SELECT id, status, opened_at FROM recalls WHERE enterprise_id = :e", e=ident)
    assert sorted(r["id"] for r in record["recalls"]) == sorted(r.id for r in recalls)
    actions = rows(live, "SELECT a.id, a.concluded_at FROM enforcement_actions a WHERE a.enterprise_id = :e",
                   e=ident)
    assert sorted(a["id"] for a in record["enforcement_outcomes"]) == sorted(a.id for a in actions) and actions
    protected = [a for a in record["enforcement_outcomes"] if not a["against_enterprise"]]
    assert protected and not any(a["counted"] for a in protected)  # the demo's fake vinegar: its brand protected
    qualifications = rows(live, "SELECT valid_from, valid_until FROM qualifications WHERE enterprise_id = :e", e=ident)
    assert len(record["qualifications"]) == len(qualifications)

    def day_of(value: Any) -> Any:  # SQLite hands the text back, PostgreSQL the value
        return value if not isinstance(value, str) else dt.date.fromisoformat(value[:10])

    in_force = sum(1 for q in qualifications if day_of(q.valid_from) <= day and
                   (q.valid_until is None or day <= day_of(q.valid_until)))
    facts = ([(CreditInput.FAILED_SPOT_CHECK, day_of(c.sampled_on)) for c in checks if not c.passed]
             + [(CreditInput.UPHELD_COMPLAINT, dt.date.fromisoformat(c["resolved_on"]))
                for c in record["upheld_complaints"]]
             + [(CreditInput.RECALL, dt.date.fromisoformat(r["opened_on"]))
                for r in record["recalls"] if r["status"] != "withdrawn"]
             + [(CreditInput.ENFORCEMENT_OUTCOME, dt.date.fromisoformat(a["concluded_on"]))
                for a in record["enforcement_outcomes"] if a["against_enterprise"] and a["concluded_on"]])
    expected = credit_score(today=day, qualifications_in_force=in_force, facts=facts)
    assert record["score"]["score"] == expected.score and record["score"]["grade"] == expected.grade.value
    lines = inputs(record)
    assert lines["failed_spot_check"]["count"] == sum(1 for c in checks if not c.passed and
                                                       counts(day_of(c.sampled_on), day))
    assert lines["upheld_complaint"]["count"] == len(upheld)
    assert lines["qualification"]["count"] == in_force
    total = record["score"]["base"] + sum(line["points"] for line in lines.values())
    assert record["score"]["score"] == max(0, min(110, total))
    assert all(line["points"] == line["counted"] * line["weight"] for line in lines.values())
    assert {line["weight"] for line in lines.values()} == {5, -10, -5, -15, -20}


def test_a_failed_check_and_an_upheld_complaint_move_the_score_and_a_groundless_one_does_not(
        live: LiveServer) -> None:
    before = credit_of(live, "sjz.quality")
    sjz = live.login("sjz.quality")
    number = f"CR-{uuid.uuid4().hex[:10]}"
    made = sjz.post("/api/v1/spot-checks", json=check_body(product_of(live, ZHENWEI), report_number=number,
                                                             sampled_on=today().isoformat()))
    assert made.status_code == 201, made.text
    after = credit_of(live, "zhenwei")  # the enterprise reads the same record
    assert inputs(after)["failed_spot_check"]["count"] == inputs(before)["failed_spot_check"]["count"] + 1
    mine = next(c for c in after["spot_checks"] if c["report_number"] == number)
    assert mine["counted"] and not mine["passed"] and mine["sampled_on"] == today().isoformat()

    groundless = resolved_complaint(live, upheld=False, measures="向消费者说明检验结果。")  # measures, yet not upheld
    upheld = resolved_complaint(live, upheld=True, measures="责令企业召回并整改。")
    record = credit_of(live, "sjz.quality")
    listed = {c["case_id"] for c in record["upheld_complaints"]}
    assert upheld in listed and groundless not in listed
    assert inputs(record)["upheld_complaint"]["count"] == inputs(after)["upheld_complaint"]["count"] + 1
    mine = next(c for c in record["upheld_complaints"] if c["case_id"] == upheld)
    assert mine["resolved_on"] == local_date(dt.datetime.now(dt.UTC)).isoformat()
    expected = max(0, before["score"]["score"] - 10 - 5)
    assert record["score"]["score"] == expected or before["score"]["score"] > 100  # a title's lift is capped


def test_the_directory_shows_the_public_part_only(live: LiveServer) -> None:
    resolved_complaint(live, upheld=True, measures="责令整改。")
    ident = enterprise_id(live)
    full = credit_of(live)
    entry = live.client().get(f"/api/v1/enterprises/{ident}")
    assert entry.status_code == 200
    public = entry.json()["credit"]
    assert public["score"] == full["score"]
    assert "upheld_complaints" not in public and "enforcement_outcomes" not in public
    assert public["spot_checks"] and all(not c["passed"] for c in public["spot_checks"])
    assert all(q["in_force"] for q in public["qualifications"])
    finding = full["upheld_complaints"][0]["finding"]
    assert finding not in entry.text
    page = live.client().get(f"/enterprises/{ident}")
    assert page.status_code == 200 and "诚信档案" in page.text and f'data-score="{full["score"]["score"]}"' in page.text
    assert "SJZ-CC-2026-0417" in page.text and "SJZ-CC-2026-0388" not in page.text  # the failed check, not the passed
    assert finding not in page.text and "投诉成立" in page.text  # the input's count, not the complaint
    english = live.client().get(f"/enterprises/{ident}?lang=en")
    assert "Credit record" in english.text and "Credit score" in english.text


def test_the_regulators_page_shows_the_record_with_its_inputs_and_weights(live: LiveServer) -> None:
    resolved_complaint(live, upheld=True, measures="责令整改。")
    ident = enterprise_id(live)
    record = credit_of(live, "sjz.quality")
    page = live.login("sjz.quality").get(f"/manage/enterprises/{ident}")
    assert page.status_code == 200
    assert "诚信档案" in page.text and f'data-score="{record["score"]["score"]}"' in page.text
    assert "每项分值" in page.text and "-10" in page.text and "成立的投诉" in page.text
    assert record["upheld_complaints"][0]["finding"] in page.text
    assert record["spot_checks"][0]["items"] in page.text and "built-in method" not in page.text
    assert live.login("luancheng.quality").get(f"/manage/enterprises/{ident}").status_code == 404
    english = live.login("sjz.quality").get(f"/manage/enterprises/{ident}?lang=en")
    assert "Credit record" in english.text and "Weight" in english.text and "Upheld complaints" in english.text
