"""The review of an application as a pure state machine.

已提交 submitted -> (the agency asks for corrections) 待补正 corrections -> (the applicant edits
and resubmits) 已提交 submitted -> ... -> 已签约 approved (签约: the enterprise, its signing and
its first user are made) or 未通过 refused (with a reason). Approval and refusal are final. A
step the current stage cannot take is refused (Conflict, 409).
"""

from __future__ import annotations

from jianguan.choices import LabelledChoice
from jianguan.errors import Conflict


class ApplicationStage(LabelledChoice):
    SUBMITTED = "submitted", "待审核", "awaiting review"
    CORRECTIONS = "corrections", "待补正", "corrections asked"
    APPROVED = "approved", "已签约入网", "approved and signed"
    REFUSED = "refused", "未通过", "refused"


class ApplicationAction(LabelledChoice):
    CORRECT = "corrections", "要求补正", "ask for corrections"
    RESUBMIT = "resubmit", "补正后重新提交", "resubmit after corrections"
    APPROVE = "approve", "批准签约", "approve (sign)"
    REFUSE = "refuse", "不予通过", "refuse"


# action: (the stages it may be taken from, the stage it leads to)
TRANSITIONS: dict[ApplicationAction, tuple[frozenset[ApplicationStage], ApplicationStage]] = {
    ApplicationAction.CORRECT: (frozenset({ApplicationStage.SUBMITTED}), ApplicationStage.CORRECTIONS),
    ApplicationAction.RESUBMIT: (frozenset({ApplicationStage.CORRECTIONS}), ApplicationStage.SUBMITTED),
    ApplicationAction.APPROVE: (frozenset({ApplicationStage.SUBMITTED}), ApplicationStage.APPROVED),
    ApplicationAction.REFUSE: (frozenset({ApplicationStage.SUBMITTED, ApplicationStage.CORRECTIONS}),
                               ApplicationStage.REFUSED),
}
# The decisions the reviewing agency takes (the applicant resubmits).
DECISIONS = (ApplicationAction.CORRECT, ApplicationAction.APPROVE, ApplicationAction.REFUSE)
OPEN_STAGES = frozenset({ApplicationStage.SUBMITTED, ApplicationStage.CORRECTIONS})


def allowed_decisions(stage: ApplicationStage | str) -> list[ApplicationAction]:
    """The decisions the agency can take on an application in ``stage``."""
    current = ApplicationStage(stage)
    return [action for action in DECISIONS if current in TRANSITIONS[action][0]]


def next_stage(stage: ApplicationStage | str, action: ApplicationAction | str) -> ApplicationStage:
    """The stage ``action`` leads to from ``stage``; Conflict when the stage cannot take it."""
    current = ApplicationStage(stage)
    step = ApplicationAction(action)
    sources, target = TRANSITIONS[step]
    if current not in sources:
        raise Conflict(f"An application that is {current.label_en} cannot {step.label_en}.",
                       f"申请处于“{current.label_zh}”状态，不能“{step.label_zh}”。",
                       code="unreachable_stage", stage=current.value, action=step.value)
    return target
