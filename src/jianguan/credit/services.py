"""The credit record (诚信档案) of an enterprise: its qualifications, spot checks, upheld
complaints, recalls and enforcement outcomes, each with its date, and the score they make
(``credit.score``), read from the rows where each of them lives.

Who reads it: the operator; a regulator in whose scope the enterprise lies (the one jurisdiction
rule on the enterprise); the enterprise itself. Anyone else is answered NotFound. The objects an
in-scope enterprise owns are in the regulator's scope by the same rule (their enterprise axis),
so the record lists all of them. The public part (``public_record``: the score and its lines, the
qualifications in force, failed spot checks and recalls) is for the directory of signed
enterprises; it never shows a complaint or an enforcement action, only how many counted.

What counts against an enterprise:

- a spot check of one of its products that failed, on the day it was sampled;
- an upheld complaint: a complaint (投诉: the quality of its genuine product, never a report of a
  fake of its brand, where it is the one wronged) whose 处理 step found it upheld (成立,
  ``Case.upheld``). One found not upheld (不成立) never counts, whatever measures were taken
  (explaining to the consumer is a measure too). It counts on the day it was resolved;
- a recall of its products, on the day it was opened, unless it was withdrawn (made in error);
- an enforcement outcome against it: a concluded enforcement action opened from a complaint about
  its product, or from an alert about the quality of its own goods (a failed spot check, a
  cluster of complaints: ``AGAINST_RULES``), on the day the outcome was recorded. An action from a
  report of a fake or from any other alert (a cloned code, unknown codes, enumeration, diversion:
  保名优, its brand was faked or its goods misused) is listed on its record as protection, never
  against it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jianguan.accounts.principal import Principal
from jianguan.alerts.models import Alert, SpotCheck, WarningRule
from jianguan.cases.models import Case, CaseKind, CaseStep, EnforcementAction
from jianguan.cases.workflow import CaseAction, CaseStage
from jianguan.credit.score import CreditInput, CreditScore, counts, credit_score
from jianguan.enterprises.models import Enterprise, Product, Qualification
from jianguan.enterprises.services import get_enterprise
from jianguan.errors import NotFound
from jianguan.recalls.models import Recall, RecallStatus
from jianguan.timezone import local_date, today

RESOLVED_STAGES = (CaseStage.RESOLVED.value, CaseStage.INFORMED.value, CaseStage.CLOSED.value)
# The alerts about an enterprise's own goods: an enforcement action they open is against it.
AGAINST_RULES = frozenset({WarningRule.SPOT_CHECK_FAILED.value, WarningRule.COMPLAINT_CLUSTER.value})


@dataclass(frozen=True)
class QualificationEntry:
    qualification: Qualification
    in_force: bool


@dataclass(frozen=True)
class SpotCheckEntry:
    check: SpotCheck
    product: str
    counted: bool


@dataclass(frozen=True)
class ComplaintEntry:
    """An upheld complaint: its case, the day it was resolved, the finding and the measures."""

    case: Case
    resolved_on: dt.date
    counted: bool


@dataclass(frozen=True)
class RecallEntry:
    recall: Recall
    opened_on: dt.date
    products: list[str]
    counted: bool


@dataclass(frozen=True)
class EnforcementEntry:
    """An enforcement action about the enterprise's products: ``against`` it (from a complaint or
    an alert about its goods' quality) or protecting its brand (from a report of a fake, a clone
    alert...); counted once concluded against it. ``case_number`` is None for one an alert opened."""

    action: EnforcementAction
    case_number: str | None
    against: bool
    concluded_on: dt.date | None
    counted: bool


@dataclass(frozen=True)
class CreditRecord:
    enterprise: Enterprise
    qualifications: list[QualificationEntry]
    spot_checks: list[SpotCheckEntry]
    upheld_complaints: list[ComplaintEntry]
    recalls: list[RecallEntry]
    enforcement: list[EnforcementEntry]
    score: CreditScore


def credit_record(session: Session, *, principal: Principal, enterprise_id: int) -> CreditRecord:
    """The whole record of an enterprise in ``principal``'s scope; NotFound outside it."""
    enterprise = get_enterprise(session, principal=principal, enterprise_id=enterprise_id)
    return _record(session, enterprise, today())


def public_record(session: Session, *, enterprise_id: int) -> dict[str, Any]:
    """The public part of a signed enterprise's record (see the module doc); NotFound for any other."""
    enterprise = session.scalar(select(Enterprise).where(Enterprise.id == enterprise_id,
                                                         Enterprise.signed_on.is_not(None)))
    if enterprise is None:
        raise NotFound(f"No networked enterprise {enterprise_id}.", f"入网企业 {enterprise_id} 不存在。")
    return record_json(_record(session, enterprise, today()), public=True)


def _record(session: Session, enterprise: Enterprise, day: dt.date) -> CreditRecord:
    qualifications = [QualificationEntry(q, q.is_valid_on(day)) for q in sorted(
        enterprise.qualifications, key=lambda q: (q.valid_from, q.id), reverse=True)]
    checks = [SpotCheckEntry(check, product, not check.passed and counts(check.sampled_on, day))
              for check, product in session.execute(
                  select(SpotCheck, Product.name).join(Product, Product.id == SpotCheck.product_id)
                  .where(SpotCheck.enterprise_id == enterprise.id)
                  .order_by(SpotCheck.sampled_on.desc(), SpotCheck.id.desc())).tuples()]
    resolved = (select(CaseStep.case_id, func.max(CaseStep.at).label("at"))
                .where(CaseStep.action == CaseAction.RESOLVE.value).group_by(CaseStep.case_id).subquery())
    complaints = []
    for case, resolved_at in session.execute(
            select(Case, resolved.c.at).join(resolved, resolved.c.case_id == Case.id)
            .where(Case.enterprise_id == enterprise.id, Case.kind == CaseKind.COMPLAINT.value,
                   Case.stage.in_(RESOLVED_STAGES), Case.upheld.is_(True))
            .order_by(resolved.c.at.desc(), Case.id.desc())).tuples():
        resolved_on = local_date(resolved_at)
        complaints.append(ComplaintEntry(case, resolved_on, counts(resolved_on, day)))
    names = dict(session.execute(select(Product.id, Product.name).where(Product.enterprise_id == enterprise.id))
                 .tuples().all())
    recalls = []
    for recall in session.scalars(select(Recall).where(Recall.enterprise_id == enterprise.id)
                                  .order_by(Recall.opened_at.desc(), Recall.id.desc())):
        opened_on = local_date(recall.opened_at)
        recalls.append(RecallEntry(recall, opened_on, [names.get(pid, f"#{pid}") for pid in recall.product_ids],
                                   recall.status != RecallStatus.WITHDRAWN.value and counts(opened_on, day)))
    enforcement = []
    for action, case, rule in session.execute(
            select(EnforcementAction, Case, Alert.rule).outerjoin(Case, Case.id == EnforcementAction.case_id)
            .outerjoin(Alert, Alert.id == EnforcementAction.alert_id)
            .where(EnforcementAction.enterprise_id == enterprise.id)
            .order_by(EnforcementAction.opened_at.desc(), EnforcementAction.id.desc())).tuples():
        against = case.kind == CaseKind.COMPLAINT.value if case is not None else rule in AGAINST_RULES
        concluded_on = local_date(action.concluded_at) if action.concluded_at else None
        enforcement.append(EnforcementEntry(action, case.number if case is not None else None, against, concluded_on,
                                            against and concluded_on is not None and counts(concluded_on, day)))
    facts = ([(CreditInput.FAILED_SPOT_CHECK, e.check.sampled_on) for e in checks if not e.check.passed]
             + [(CreditInput.UPHELD_COMPLAINT, e.resolved_on) for e in complaints]
             + [(CreditInput.RECALL, e.opened_on) for e in recalls if e.recall.status != RecallStatus.WITHDRAWN.value]
             + [(CreditInput.ENFORCEMENT_OUTCOME, e.concluded_on) for e in enforcement
                if e.against and e.concluded_on is not None])
    score = credit_score(today=day, qualifications_in_force=sum(1 for q in qualifications if q.in_force),
                         facts=facts)
    return CreditRecord(enterprise, qualifications, checks, complaints, recalls, enforcement, score)


def score_json(score: CreditScore) -> dict[str, Any]:
    """The score with each input's count, weight and points beside it."""
    return {"score": score.score, "grade": score.grade.value, "grade_zh": score.grade.label_zh,
            "grade_en": score.grade.label_en, "base": score.base, "window_from": score.window_from.isoformat(),
            "as_of": score.today.isoformat(),
            "inputs": [{"input": line.input.value, "label_zh": line.input.label_zh, "label_en": line.input.label_en,
                        "count": line.count, "counted": line.counted, "weight": line.weight, "points": line.points}
                       for line in score.lines]}


def record_json(record: CreditRecord, *, public: bool = False) -> dict[str, Any]:
    """The record as the API answers it; ``public``: the directory's part only (see the module doc)."""
    enterprise = record.enterprise
    body: dict[str, Any] = {
        "enterprise": {"id": enterprise.id, "name": enterprise.name, "credit_code": enterprise.credit_code},
        "score": score_json(record.score),
        "qualifications": [
            {"kind": e.qualification.kind, "number": e.qualification.number, "issuer": e.qualification.issuer,
             "valid_from": e.qualification.valid_from.isoformat(),
             "valid_until": e.qualification.valid_until.isoformat() if e.qualification.valid_until else None,
             "in_force": e.in_force}
            for e in record.qualifications if e.in_force or not public],
        "spot_checks": [
            {"id": e.check.id, "product": e.product, "lot": e.check.lot, "sampled_on": e.check.sampled_on.isoformat(),
             "place": e.check.place, "region_code": e.check.region_code, "items": e.check.items,
             "passed": e.check.passed, "report_number": e.check.report_number, "agency": e.check.agency,
             "counted": e.counted}
            for e in record.spot_checks if not (public and e.check.passed)],
        "recalls": [
            {"id": e.recall.id, "opened_on": e.opened_on.isoformat(), "level": e.recall.level,
             "products": e.products, "lots": list(e.recall.lots), "reason": e.recall.reason,
             "status": e.recall.status, "counted": e.counted}
            for e in record.recalls if not (public and e.recall.status == RecallStatus.WITHDRAWN.value)],
    }
    if public:
        return body
    body["upheld_complaints"] = [
        {"case_id": e.case.id, "number": e.case.number, "received_on": local_date(e.case.created_at).isoformat(),
         "resolved_on": e.resolved_on.isoformat(), "stage": e.case.stage, "place": e.case.place,
         "finding": e.case.finding, "measures": e.case.measures, "counted": e.counted}
        for e in record.upheld_complaints]
    body["enforcement_outcomes"] = [
        {"id": e.action.id, "case_id": e.action.case_id, "case_number": e.case_number, "alert_id": e.action.alert_id,
         "against_enterprise": e.against, "opened_on": local_date(e.action.opened_at).isoformat(),
         "concluded_on": e.concluded_on.isoformat() if e.concluded_on else None,
         "goods_seized": e.action.goods_seized, "goods_value": e.action.goods_value,
         "cases_filed": e.action.cases_filed, "penalty": e.action.penalty, "outcome": e.action.outcome,
         "counted": e.counted}
        for e in record.enforcement]
    return body
