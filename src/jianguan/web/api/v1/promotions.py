"""Promotions (促销) over the API: a manufacturer's promotions, and claiming a prize."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Router, get, post
from litestar.params import JSONBody

from jianguan.accounts.models import Role
from jianguan.audit.services import Actor
from jianguan.codes.models import Activation
from jianguan.promotions import services as promotions
from jianguan.promotions.models import Promotion, PromotionKind, PromotionTier
from jianguan.storage import reading, transaction
from jianguan.web.access import PUBLIC, actor_for, client_address, require_principal, roles
from jianguan.web.api.openapi import errors
from jianguan.web.params import MAX_ROW_ID, Id, Offset, RowId, stored_in

MAKERS = roles(Role.MANUFACTURER)
READERS = roles(Role.OPERATOR, Role.MANUFACTURER)

Lot = Annotated[str, stored_in(Activation.lot, required=True)]
RegionCode = Annotated[str, msgspec.Meta(min_length=6, max_length=6, pattern=r"^[0-9]{6}$")]
# The document drops a minimum of 0 (falsy): stated again for it.
Amount = Annotated[int, msgspec.Meta(ge=0, le=promotions.MAX_VALUE,
                                     extra_json_schema={"minimum": 0, "extra": {"minimum": 0}})]


class NewTier(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, stored_in(PromotionTier.name, required=True)]
    probability: Annotated[float, msgspec.Meta(gt=0, le=1)]
    value: Amount
    quantity: Annotated[int, msgspec.Meta(ge=0, le=promotions.MAX_PRIZES)]


class NewPromotion(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, stored_in(Promotion.name, required=True)]
    kind: Literal["draw", "points"]
    product_ids: Annotated[list[Id], msgspec.Meta(
        min_length=1, max_length=promotions.MAX_PRODUCTS,
        extra_json_schema={"extra": {"items": {"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID}}})]
    starts_on: dt.date
    ends_on: dt.date
    tiers: Annotated[list[NewTier], msgspec.Meta(min_length=1, max_length=promotions.MAX_TIERS)]
    lots: Annotated[list[Lot], msgspec.Meta(
        max_length=promotions.MAX_LOTS,
        extra_json_schema={"extra": {"items": {"type": "string", "minLength": 1, "maxLength": 64}}})] = []
    regions: Annotated[list[RegionCode], msgspec.Meta(
        max_length=promotions.MAX_REGIONS,
        extra_json_schema={"extra": {"items": {"type": "string", "minLength": 6, "maxLength": 6}}})] = []
    budget_value: Amount | None = None


class Claim(msgspec.Struct, forbid_unknown_fields=True):
    claim_code: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]


@get("/promotions", opt=READERS, sync_to_thread=True, summary="Promotions / 促销活动列表")
def list_promotions(request: Request[Any, Any, Any], offset: Offset = 0) -> dict[str, Any]:
    """The promotions the caller sees, newest first: a manufacturer its own."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        found = promotions.list_promotions(session, principal=principal, offset=offset)
        return {"promotions": [promotions.promotion_json(session, item) for item in found]}


@post("/promotions", opt=MAKERS, sync_to_thread=True, status_code=201, summary="Start a promotion / 发起促销活动")
def create_promotion(request: Request[Any, Any, Any], data: JSONBody[NewPromotion]) -> dict[str, Any]:
    """Start a promotion on the caller's products (and lots: none is every lot): a prize draw or
    points on the first genuine verification of a code, from ``starts_on`` to ``ends_on`` (local
    dates, both included), in ``regions`` (province, city or county codes; none: everywhere, and
    queries whose place is unknown too), with prize tiers (probability, value in fen or points,
    number of prizes) and an optional total ``budget_value``. Probabilities adding up to more than 1,
    a budget below zero or a product not the caller's: a clear error, nothing made."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        made = promotions.create_promotion(
            session, actor=actor_for(request, principal), principal=principal, name=data.name,
            kind=PromotionKind(data.kind), product_ids=data.product_ids, starts_on=data.starts_on,
            ends_on=data.ends_on, lots=data.lots, regions=data.regions, budget_value=data.budget_value,
            tiers=[promotions.TierSpec(tier.name, str(tier.probability), tier.value, tier.quantity)
                   for tier in data.tiers])
        return promotions.promotion_json(session, made)


@get("/promotions/{promotion_id:int}", opt=READERS, sync_to_thread=True,
     summary="A promotion, its draws, wins and claims by region / 促销活动及各地抽奖、中奖、兑奖")
def show_promotion(request: Request[Any, Any, Any], promotion_id: RowId) -> dict[str, Any]:
    """The promotion, its tiers with the prizes left, and by the region of the query the draws,
    wins, claims and value won."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        promotion = promotions.get_promotion(session, principal=principal, promotion_id=promotion_id)
        return {**promotions.promotion_json(session, promotion),
                "by_region": promotions.by_region(session, principal=principal, promotion_id=promotion_id)}


@post("/promotions/{promotion_id:int}/end", opt=MAKERS, sync_to_thread=True, status_code=200,
      summary="End a promotion / 结束促销活动", responses=errors(409))
def end_promotion(request: Request[Any, Any, Any], promotion_id: RowId) -> dict[str, Any]:
    """End a running promotion: its codes stop drawing within a second. 409 when it has ended."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        ended = promotions.end_promotion(session, actor=actor_for(request, principal), principal=principal,
                                         promotion_id=promotion_id)
        return promotions.promotion_json(session, ended)


@post("/promotions/claim", opt=PUBLIC, sync_to_thread=True, status_code=200,
      summary="Claim a prize / 兑奖", responses=errors(404, 409))
def claim_prize(request: Request[Any, Any, Any], data: JSONBody[Claim]) -> dict[str, Any]:
    """Claim the prize of a claim code (twelve digits, as shown once to the winner), by the consumer
    or the shop: the prize it names. Unknown: 404; claimed already: 409. Public, and rate limited
    per client (429), so claim codes cannot be guessed."""
    with transaction(request.app.state.sessions) as session:
        return promotions.claim_prize(session, actor=Actor("anonymous", client_address(request)),
                                      code=data.claim_code)


router = Router(path="/", route_handlers=[list_promotions, create_promotion, show_promotion, end_promotion,
                                          claim_prize], tags=["promotions"])
