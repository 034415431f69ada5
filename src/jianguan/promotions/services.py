"""Promotions: creating one (products, lots, dates, regions, prize tiers and budget), ending it,
reads (a promotion's draws, wins and claims by region), and claiming a prize with its claim code.

Who sees a promotion: the one scope rule on its enterprise, region and category (a manufacturer
its own; the routes admit manufacturers and the operator). The draw itself is in draw.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, update
from sqlalchemy.orm import Session

from jianguan.accounts.principal import Principal
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.codes.models import Activation
from jianguan.enterprises.models import Enterprise, Product
from jianguan.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jianguan.fields import clean_text
from jianguan.jurisdiction import scope_condition
from jianguan.promotions import odds
from jianguan.promotions.draw import claim_hash
from jianguan.promotions.models import Promotion, PromotionDraw, PromotionKind, PromotionStatus, PromotionTier
from jianguan.regions.tree import region_tree
from jianguan.storage.base import utcnow
from jianguan.timezone import local_date

MAX_PRODUCTS = 20
MAX_LOTS = 50
MAX_REGIONS = 20
MAX_TIERS = 10
MAX_PRIZES = 10_000_000
MAX_VALUE = 10 ** 12  # fen, or points
MAX_DAYS = 366


@dataclass(frozen=True)
class TierSpec:
    """A prize tier as asked for: its name, probability (0 < p <= 1), value (fen, or points) and count."""

    name: str
    probability: float | str
    value: int
    quantity: int


def promotion_condition(principal: Principal) -> ColumnElement[bool]:
    """The promotions ``principal`` sees."""
    return scope_condition(principal, enterprise=Promotion.enterprise_id, region=Promotion.region_code,
                           category=Promotion.category_id)


def get_promotion(session: Session, *, principal: Principal, promotion_id: int) -> Promotion:
    """One promotion in ``principal``'s scope, else NotFound."""
    found = session.scalar(select(Promotion).where(Promotion.id == promotion_id, promotion_condition(principal)))
    if found is None:
        raise NotFound("No such promotion.", "没有这个促销活动。")
    return found


def list_promotions(session: Session, *, principal: Principal, limit: int = 100, offset: int = 0) -> list[Promotion]:
    """The promotions ``principal`` sees, newest first."""
    return list(session.scalars(select(Promotion).where(promotion_condition(principal))
                                .order_by(Promotion.id.desc()).limit(limit).offset(offset)))


def own_products(session: Session, *, principal: Principal) -> list[Product]:
    """The products a manufacturer may run promotions on: its own."""
    if principal.enterprise_id is None:
        return []
    return list(session.scalars(select(Product).where(Product.enterprise_id == principal.enterprise_id)
                                .order_by(Product.id)))


def tiers_of(session: Session, promotion_id: int) -> list[PromotionTier]:
    return list(session.scalars(select(PromotionTier).where(PromotionTier.promotion_id == promotion_id)
                                .order_by(PromotionTier.rank)))


def _bounded(value: int, low: int, high: int, *, english: str, chinese: str, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationFailed(f"The {english} is a whole number from {low} to {high}.",
                               f"{chinese}应为 {low} 至 {high} 之间的整数。", code="out_of_range", field=field)
    return value


def _tiers(tiers: Sequence[TierSpec]) -> list[tuple[str, int, int, int]]:
    if not 1 <= len(tiers) <= MAX_TIERS:
        raise ValidationFailed(f"Give between 1 and {MAX_TIERS} prize tiers.", f"请设置 1 至 {MAX_TIERS} 个奖项。",
                               code="invalid_tiers", field="tiers")
    made = []
    for at, tier in enumerate(tiers):
        name = clean_text(tier.name, PromotionTier.name, english="tier name", chinese="奖项名称", required=True,
                          field=f"tiers[{at}].name")
        chance = odds.chance_ppm(tier.probability, field=f"tiers[{at}].probability")
        value = _bounded(tier.value, 0, MAX_VALUE, english="prize value", chinese="奖品价值", field=f"tiers[{at}].value")
        quantity = _bounded(tier.quantity, 0, MAX_PRIZES, english="number of prizes", chinese="奖品数量",
                            field=f"tiers[{at}].quantity")
        made.append((name, chance, value, quantity))
    odds.check_total([chance for _, chance, _, _ in made])
    return made


def create_promotion(session: Session, *, actor: Actor, principal: Principal, name: str, kind: PromotionKind,
                     product_ids: Sequence[int], starts_on: dt.date, ends_on: dt.date, tiers: Sequence[TierSpec],
                     lots: Sequence[str] = (), regions: Sequence[str] = (),
                     budget_value: int | None = None) -> Promotion:
    """A manufacturer's promotion on its own products (a product not its own is NotFound)."""
    if principal.enterprise_id is None:
        raise PermissionDenied("Only a manufacturer runs promotions.", "只有生产企业可以发起促销活动。")
    name = clean_text(name, Promotion.name, english="promotion name", chinese="活动名称", required=True)
    ids = sorted(set(product_ids))
    if not 1 <= len(ids) <= MAX_PRODUCTS:
        raise ValidationFailed(f"Name between 1 and {MAX_PRODUCTS} products.", f"请选择 1 至 {MAX_PRODUCTS} 个产品。",
                               code="invalid_products", field="product_ids")
    products = list(session.scalars(select(Product).where(Product.id.in_(ids),
                                                          Product.enterprise_id == principal.enterprise_id)))
    if len(products) != len(ids):
        raise NotFound("No such product.", "没有这个产品。")
    cleaned_lots = sorted({clean_text(lot, Activation.lot, english="lot", chinese="批次号", required=True)
                           for lot in lots})
    if len(cleaned_lots) > MAX_LOTS:
        raise ValidationFailed(f"Name at most {MAX_LOTS} lots.", f"批次最多 {MAX_LOTS} 个。", code="too_many_lots",
                               field="lots")
    tree = region_tree(session)
    codes = sorted(set(regions))
    if len(codes) > MAX_REGIONS or any(code not in tree for code in codes):
        raise ValidationFailed(f"Name at most {MAX_REGIONS} regions, each a province, city or county code.",
                               f"地区最多 {MAX_REGIONS} 个，每个应为省、市或县的行政区划代码。",
                               code="invalid_regions", field="regions")
    if ends_on < starts_on or (ends_on - starts_on).days >= MAX_DAYS:
        raise ValidationFailed(f"The promotion ends on or after its start, within {MAX_DAYS} days.",
                               f"结束日期应不早于开始日期，且活动不超过 {MAX_DAYS} 天。", code="invalid_dates",
                               field="ends_on")
    if ends_on < local_date(utcnow()):
        raise ValidationFailed("The promotion would have ended already.", "活动结束日期已过。", code="invalid_dates",
                               field="ends_on")
    if budget_value is not None:
        budget_value = _bounded(budget_value, 0, MAX_VALUE, english="total budget", chinese="总预算",
                                field="budget_value")
    made_tiers = _tiers(tiers)
    enterprise = session.get_one(Enterprise, principal.enterprise_id)
    promotion = Promotion(enterprise_id=enterprise.id, region_code=enterprise.region_code,
                          category_id=enterprise.category_id, name=name, kind=kind, product_ids=ids,
                          lots=cleaned_lots, regions=codes, starts_on=starts_on, ends_on=ends_on,
                          budget_value=budget_value, remaining_value=budget_value, created_by=actor.name,
                          status=PromotionStatus.RUNNING)
    session.add(promotion)
    session.flush()
    for rank, (tier_name, chance, value, quantity) in enumerate(made_tiers, start=1):
        session.add(PromotionTier(promotion_id=promotion.id, rank=rank, name=tier_name, chance_ppm=chance,
                                  value=value, quantity=quantity, remaining=quantity))
    session.flush()
    record(session, actor=actor, action=AuditAction.PROMOTION_PROMOTION_CREATED, target_type="promotion",
           target_id=promotion.id,
           after={"name": name, "kind": kind.value, "products": ids, "lots": cleaned_lots, "regions": codes,
                  "starts_on": starts_on, "ends_on": ends_on, "budget_value": budget_value,
                  "tiers": [{"name": n, "chance_ppm": c, "value": v, "quantity": q} for n, c, v, q in made_tiers]})
    return promotion


def end_promotion(session: Session, *, actor: Actor, principal: Principal, promotion_id: int) -> Promotion:
    """End a running promotion: its codes draw no more (within a second in every process)."""
    promotion = get_promotion(session, principal=principal, promotion_id=promotion_id)
    ended = session.execute(update(Promotion).where(Promotion.id == promotion.id,
                                                    Promotion.status == PromotionStatus.RUNNING.value)
                            .values(status=PromotionStatus.ENDED.value, changed_at=utcnow())
                            .returning(Promotion.id)).first()
    if ended is None:
        raise Conflict("The promotion has ended already.", "该促销活动已经结束。", code="promotion_ended")
    session.refresh(promotion)
    record(session, actor=actor, action=AuditAction.PROMOTION_PROMOTION_ENDED, target_type="promotion",
           target_id=promotion.id, before={"status": "running"}, after={"status": "ended"})
    return promotion


def claim_prize(session: Session, *, actor: Actor, code: str) -> dict[str, Any]:
    """Claim the prize of a claim code (the consumer's or the shop's), once: the prize it names.
    A malformed code is ValidationFailed, an unknown one NotFound, a claimed one Conflict."""
    digits = odds.normal_claim_code(code) if isinstance(code, str) else None
    if digits is None:
        raise ValidationFailed("A claim code is twelve digits.", "兑奖码应为 12 位数字。", code="invalid_claim_code",
                               field="claim_code")
    hashed = claim_hash(digits)
    now = utcnow()
    claimed = session.execute(update(PromotionDraw).where(PromotionDraw.claim_hash == hashed,
                                                          PromotionDraw.claimed_at.is_(None))
                              .values(claimed_at=now, claimed_by=actor.name)
                              .returning(PromotionDraw.id)).first()
    draw = session.scalar(select(PromotionDraw).where(PromotionDraw.claim_hash == hashed))
    if draw is None:
        raise NotFound("No prize has this claim code.", "没有与此兑奖码对应的奖品。")
    if claimed is None:
        raise Conflict("This prize has been claimed already.", "该奖品已兑领，不能重复兑奖。", code="claimed_already")
    promotion = session.get_one(Promotion, draw.promotion_id)
    tier = session.get_one(PromotionTier, draw.tier_id)
    record(session, actor=actor, action=AuditAction.PROMOTION_PRIZE_CLAIMED, target_type="promotion_draw",
           target_id=draw.id, after={"promotion": promotion.id, "tier": tier.name, "value": draw.value})
    return {"promotion": promotion.name, "kind": str(promotion.kind), "tier": tier.name, "value": draw.value,
            "claimed_at": now.isoformat()}


def by_region(session: Session, *, principal: Principal, promotion_id: int) -> list[dict[str, Any]]:
    """A promotion's draws, wins, claims and value won by the region of the query (None: unknown)."""
    promotion = get_promotion(session, principal=principal, promotion_id=promotion_id)
    rows = session.execute(
        select(PromotionDraw.region_code, func.count(PromotionDraw.id),
               func.count(PromotionDraw.tier_id), func.count(PromotionDraw.claimed_at),
               func.coalesce(func.sum(case((PromotionDraw.tier_id.is_not(None), PromotionDraw.value), else_=0)), 0))
        .where(PromotionDraw.promotion_id == promotion.id)
        .group_by(PromotionDraw.region_code).order_by(PromotionDraw.region_code))
    tree = region_tree(session)
    return [{"region_code": region, "region": tree.path_name(region) if region else None, "draws": draws,
             "wins": wins, "claims": claims, "value": int(value)} for region, draws, wins, claims, value in rows]


def promotion_json(session: Session, promotion: Promotion) -> dict[str, Any]:
    tiers = tiers_of(session, promotion.id)
    return {"id": promotion.id, "name": promotion.name, "kind": str(promotion.kind),
            "enterprise_id": promotion.enterprise_id, "product_ids": list(promotion.product_ids),
            "lots": list(promotion.lots), "regions": list(promotion.regions),
            "starts_on": promotion.starts_on.isoformat(), "ends_on": promotion.ends_on.isoformat(),
            "budget_value": promotion.budget_value, "remaining_value": promotion.remaining_value,
            "status": str(promotion.status), "created_at": promotion.created_at.isoformat(),
            "tiers": [{"id": tier.id, "rank": tier.rank, "name": tier.name,
                       "probability": tier.chance_ppm / odds.ONE, "value": tier.value, "quantity": tier.quantity,
                       "remaining": tier.remaining} for tier in tiers]}
