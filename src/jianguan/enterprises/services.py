"""Enterprises: the registry, qualifications, products and the enrolment funnel."""

from __future__ import annotations

from sqlalchemy.orm import Session

from jianguan.audit.services import Actor, record
from jianguan.enterprises.models import EnrolmentStage, Enterprise
from jianguan.errors import NotFound
from jianguan.storage.base import utcnow

_STAGE_COLUMNS = {
    EnrolmentStage.SIGNED: "signed_on",
    EnrolmentStage.CREDENTIALS_ISSUED: "credentials_issued_on",
    EnrolmentStage.CODES_ISSUED: "codes_issued_on",
    EnrolmentStage.ACTIVATED: "activated_on",
}


def mark_stage_reached(session: Session, *, actor: Actor, enterprise_id: int, stage: EnrolmentStage | str) -> bool:
    """Record the day ``enterprise_id`` first reached ``stage``; later calls change nothing.

    Returns whether the date was set now. Services call this as the stage happens (the first
    API key issued, the first codes, the first activation).
    """
    stage = EnrolmentStage(stage)
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound(f"No enterprise {enterprise_id}.", f"企业 {enterprise_id} 不存在。")
    column = _STAGE_COLUMNS[stage]
    if getattr(enterprise, column) is not None:
        return False
    today = utcnow().date()
    setattr(enterprise, column, today)
    record(session, actor=actor, action="enterprise:stage:reached", target_type="enterprise",
           target_id=enterprise.id, before={column: None}, after={column: today, "stage": stage.value})
    return True
