"""The draw on a code's first genuine verification: recorded, audited, within the budget.

One transaction: the draw's row goes in first (a code has one draw: its ``(generation, serial)``
is unique, so of two processes verifying the same code at once, the second's insert fails and it
draws nothing); then the roll (``secrets``) picks a tier, and the prize is taken with one
conditional statement, ``remaining = remaining - 1 WHERE remaining > 0`` (and the same for the
promotion's total value when it has one): under any number of processes the prizes won never
exceed the budget. A prize whose budget is spent is no prize. A winner gets a claim code, shown
once: only its hash is stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.promotions import odds
from jianguan.promotions.index import Running, Tier
from jianguan.promotions.models import Promotion, PromotionDraw, PromotionTier
from jianguan.storage.base import utcnow
from jianguan.storage.tx import transaction


def claim_hash(code: str) -> str:
    """The stored form of a claim code (twelve digits)."""
    return hashlib.sha256(f"jianguan claim:{code}".encode()).hexdigest()


@dataclass(slots=True)
class DrawResult:
    """What the consumer is told of a draw: the tier won (None: no prize) and the claim code."""

    draw_id: int
    promotion: Running
    tier: Tier | None
    claim_code: str | None

    def to_json(self) -> dict[str, Any]:
        running, tier = self.promotion, self.tier
        unit_zh, unit_en = ("积分", "points") if running.kind == "points" else ("元", "yuan")
        amount = (tier.value if running.kind == "points" else tier.value / 100) if tier else 0
        shown = f"{amount:g}"
        if tier is None:
            message = {"zh": f"感谢参与“{running.name}”，本次未中奖。",
                       "en": f"Thank you for taking part in “{running.name}”: no prize this time."}
        else:
            message = {"zh": f"恭喜！您在“{running.name}”中获得{tier.name}（{shown} {unit_zh}）。"
                             f"兑奖码：{odds.grouped(self.claim_code or '')}，仅显示一次，请妥善保存。",
                       "en": f"Congratulations! You won {tier.name} ({shown} {unit_en}) in “{running.name}”. "
                             f"Claim code: {odds.grouped(self.claim_code or '')}. It is shown only once: keep it."}
        return {"id": running.id, "name": running.name, "kind": running.kind, "draw_id": self.draw_id,
                "won": tier is not None, "tier": tier.name if tier else None, "value": tier.value if tier else 0,
                "claim_code": odds.grouped(self.claim_code) if self.claim_code else None, "message": message}


def _take(session: Session, promotion: Running, tier: Tier) -> bool:
    """Take one prize of ``tier`` (and its value from the promotion's total, if it has one), each
    in one conditional statement; False, and nothing taken, when either is spent."""
    taken = session.execute(update(PromotionTier).where(PromotionTier.id == tier.id, PromotionTier.remaining > 0)
                            .values(remaining=PromotionTier.remaining - 1).returning(PromotionTier.id)).first()
    if taken is None:
        return False
    if not promotion.has_budget_value:
        return True
    paid = session.execute(update(Promotion).where(Promotion.id == promotion.id,
                                                   Promotion.remaining_value >= tier.value)
                           .values(remaining_value=Promotion.remaining_value - tier.value)
                           .returning(Promotion.id)).first()
    if paid is None:  # this transaction holds the tier's row: giving the prize back is safe
        session.execute(update(PromotionTier).where(PromotionTier.id == tier.id)
                        .values(remaining=PromotionTier.remaining + 1))
        return False
    return True


def draw(sessions: sessionmaker[Session], promotion: Running, *, generation: int, serial: int, channel: str,
         region_code: str | None, roll: int | None = None) -> DrawResult | None:
    """Draw for the code ``(generation, serial)`` on its first genuine verification; None when it
    was drawn for already (by another process at the same moment). ``roll`` is for tests."""
    rolled = odds.roll() if roll is None else roll
    index = odds.pick(rolled, [tier.chance_ppm for tier in promotion.tiers])
    try:
        with transaction(sessions) as session:
            draw_id = session.execute(insert(PromotionDraw).values(
                promotion_id=promotion.id, generation=generation, serial=serial, channel=channel,
                region_code=region_code, value=0, at=utcnow()).returning(PromotionDraw.id)).scalar_one()
            tier = promotion.tiers[index] if index is not None else None
            if tier is not None and not _take(session, promotion, tier):
                tier = None
            code = odds.claim_code() if tier is not None else None
            if tier is not None and code is not None:
                session.execute(update(PromotionDraw).where(PromotionDraw.id == draw_id).values(
                    tier_id=tier.id, value=tier.value, claim_hash=claim_hash(code)))
            record(session, actor=Actor(f"consumer:{channel}"), action=AuditAction.PROMOTION_DRAW_MADE,
                   target_type="promotion_draw", target_id=draw_id,
                   after={"promotion": promotion.id, "roll": rolled, "tier": tier.name if tier else None,
                          "value": tier.value if tier else 0, "region": region_code})
    except IntegrityError:
        return None
    return DrawResult(draw_id, promotion, tier, code)
