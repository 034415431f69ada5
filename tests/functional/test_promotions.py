"""Promotions on a real database: the draw on the first genuine query only, once, within the
budget, also with sixteen processes at once; claims; reads by region."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from jianguan.audit.actions import AuditAction
from jianguan.audit.models import AuditRecord
from jianguan.errors import Conflict, NotFound, ValidationFailed
from jianguan.promotions import services as promotions
from jianguan.promotions.models import PromotionDraw, PromotionKind, PromotionTier
from jianguan.recalls import services as recalls
from jianguan.recalls.models import RecallLevel
from jianguan.storage import reading, transaction
from jianguan.storage.base import utcnow
from jianguan.timezone import local_date
from jianguan.verify.models import Channel
from jianguan.verify.services import QueryContext
from tests.functional.promotion_worker import verify_once
from tests.functional.test_codes_services import ACTOR, codes_of, issue, race, staff
from tests.functional.test_codes_services import world as world
from tests.functional.test_verify_services import activate, one_activated_code, verifier

WEB = QueryContext(Channel.WEB, region_code="130111", source="127.0.0.1")
TODAY = local_date(utcnow())


def start(sessions, world, *, tiers=None, regions=(), lots=(), budget_value=None, days=(0, 30)) -> int:
    tiers = tiers or [promotions.TierSpec("一等奖", "1", 500, 1000)]
    with transaction(sessions) as session:
        made = promotions.create_promotion(
            session, actor=ACTOR, principal=staff(world["enterprise"]), name="开瓶有礼", kind=PromotionKind.DRAW,
            product_ids=[world["product"]], starts_on=TODAY + dt.timedelta(days=days[0]),
            ends_on=TODAY + dt.timedelta(days=days[1]), tiers=tiers, lots=lots, regions=regions,
            budget_value=budget_value)
        return made.id


def draws(sessions) -> list[PromotionDraw]:
    with reading(sessions) as session:
        return list(session.scalars(select(PromotionDraw).order_by(PromotionDraw.id)))


def test_only_the_first_genuine_query_draws_and_a_winner_claims_once(sessions, world) -> None:
    promotion_id = start(sessions, world)
    _batch, code = one_activated_code(sessions, world)
    v = verifier(sessions)
    first = v.verify(code, WEB)
    assert first.verdict.value == "genuine" and first.promotion is not None and first.promotion["won"]
    claim = first.promotion["claim_code"]
    assert len(claim) == 14 and first.to_json()["promotion"]["tier"] == "一等奖"
    again = v.verify(code, WEB)
    assert again.verdict.value == "queried_before" and again.promotion is None
    v.close()
    [made] = draws(sessions)
    assert made.promotion_id == promotion_id and made.region_code == "130111" and made.value == 500
    assert made.claim_hash and claim.replace("-", "") not in made.claim_hash  # only the hash is kept
    with transaction(sessions) as session:
        got = promotions.claim_prize(session, actor=ACTOR, code=claim)
        assert got["tier"] == "一等奖" and got["value"] == 500
    with transaction(sessions) as session, pytest.raises(Conflict):
        promotions.claim_prize(session, actor=ACTOR, code=claim)
    with transaction(sessions) as session, pytest.raises(NotFound):
        promotions.claim_prize(session, actor=ACTOR, code="000000000000")
    with transaction(sessions) as session, pytest.raises(ValidationFailed):
        promotions.claim_prize(session, actor=ACTOR, code="12ab")
    with reading(sessions) as session:
        actions = set(session.scalars(select(AuditRecord.action)))
        assert {AuditAction.PROMOTION_PROMOTION_CREATED.value, AuditAction.PROMOTION_DRAW_MADE.value,
                AuditAction.PROMOTION_PRIZE_CLAIMED.value} <= actions
        [row] = promotions.by_region(session, principal=staff(world["enterprise"]), promotion_id=promotion_id)
        assert (row["region_code"], row["draws"], row["wins"], row["claims"], row["value"]) == ("130111", 1, 1, 1, 500)
        with pytest.raises(NotFound):  # another enterprise's promotion is not there
            promotions.get_promotion(session, principal=staff(world["other"]), promotion_id=promotion_id)


def test_unknown_unactivated_recalled_and_uncovered_codes_never_draw(sessions, world) -> None:
    start(sessions, world, regions=["130111"], lots=["L7"])
    batch = issue(sessions, world, quantity=6)
    activate(sessions, world, batch, offsets=[(0, 4)])
    codes = codes_of(sessions, batch, limit=6)
    with transaction(sessions) as session:
        recalls.open_recall(session, actor=ACTOR, principal=staff(world["enterprise"]), product_ids=[world["product"]],
                            lots=["L7"], level=RecallLevel.THIRD, reason="包装破损", instructions="退回")
    v = verifier(sessions)
    assert v.verify(codes[0], WEB).verdict.value == "recalled"
    assert v.verify(codes[5], WEB).verdict.value == "not_activated"
    assert v.verify("12345678901234567890", WEB).promotion is None
    v.close()
    assert draws(sessions) == []


def test_a_promotion_covers_its_regions_lots_and_dates_only(sessions, world) -> None:
    start(sessions, world, regions=["130100"], lots=["L7"])  # 石家庄市: 栾城区 130111 is in it
    batch = issue(sessions, world, quantity=4)
    activate(sessions, world, batch)
    codes = codes_of(sessions, batch, limit=4)
    v = verifier(sessions)
    assert v.verify(codes[0], QueryContext(Channel.WEB, region_code="130702")).promotion is None  # 张家口
    assert v.verify(codes[1], QueryContext(Channel.WEB)).promotion is None  # place unknown
    assert v.verify(codes[2], WEB).promotion is not None
    v.close()
    assert len(draws(sessions)) == 1


def test_bad_promotions_are_refused_and_change_nothing(sessions, world) -> None:
    cases = [dict(tiers=[promotions.TierSpec("一等奖", "0.6", 1, 1), promotions.TierSpec("二等奖", "0.5", 1, 1)]),
             dict(tiers=[promotions.TierSpec("一等奖", "0.5", 1, -1)]),
             dict(tiers=[promotions.TierSpec("一等奖", "0.0000001", 1, 1)]),
             dict(budget_value=-1), dict(regions=["999999"]), dict(days=(5, 1))]
    for case in cases:
        with pytest.raises(ValidationFailed):
            start(sessions, world, **case)
    with reading(sessions) as session:
        assert promotions.list_promotions(session, principal=staff(world["enterprise"])) == []


def test_the_total_value_budget_stops_prizes(sessions, world) -> None:
    start(sessions, world, tiers=[promotions.TierSpec("红包", "1", 300, 100)], budget_value=1000)
    batch = issue(sessions, world, quantity=5)
    activate(sessions, world, batch)
    v = verifier(sessions)
    won = [v.verify(code, WEB).promotion["won"] for code in codes_of(sessions, batch, limit=5)]
    v.close()
    assert won == [True, True, True, False, False]
    with reading(sessions) as session:
        assert session.scalar(select(PromotionTier.remaining)) == 97


def test_sixteen_first_queries_at_once_win_exactly_the_budget(sessions, world, database_url, backend) -> None:
    if backend != "postgresql":
        pytest.skip("sixteen processes race on PostgreSQL")
    start(sessions, world, tiers=[promotions.TierSpec("一等奖", "1", 100, 5)])
    batch = issue(sessions, world, quantity=16)
    activate(sessions, world, batch)
    codes = codes_of(sessions, batch, limit=16)
    results = race(verify_once, [(database_url, code) for code in codes])
    assert all(result is not None for result in results)
    assert sum(1 for result in results if result["won"]) == 5
    with reading(sessions) as session:
        assert session.scalar(select(PromotionTier.remaining)) == 0
        assert session.scalar(select(func.count()).select_from(PromotionDraw)) == 16
        assert session.scalar(select(func.count()).select_from(PromotionDraw).where(
            PromotionDraw.tier_id.is_not(None))) == 5


def test_the_same_code_queried_by_sixteen_processes_draws_once(sessions, world, database_url, backend) -> None:
    if backend != "postgresql":
        pytest.skip("sixteen processes race on PostgreSQL")
    start(sessions, world, tiers=[promotions.TierSpec("一等奖", "1", 100, 16)])
    _batch, code = one_activated_code(sessions, world)
    results = race(verify_once, [(database_url, code)] * 16)
    assert sum(1 for result in results if result is not None and result["won"]) <= 1
    with reading(sessions) as session:
        assert session.scalar(select(func.count()).select_from(PromotionDraw)) == 1
        assert session.scalar(select(PromotionTier.remaining)) == 15


def test_an_ended_promotion_draws_no_more(sessions, world) -> None:
    promotion_id = start(sessions, world)
    with transaction(sessions) as session:
        promotions.end_promotion(session, actor=ACTOR, principal=staff(world["enterprise"]), promotion_id=promotion_id)
    with transaction(sessions) as session, pytest.raises(Conflict):
        promotions.end_promotion(session, actor=ACTOR, principal=staff(world["enterprise"]), promotion_id=promotion_id)
    with transaction(sessions) as session:
        session.execute(update(PromotionTier).values(remaining=10))
    _batch, code = one_activated_code(sessions, world)
    v = verifier(sessions)
    assert v.verify(code, WEB).promotion is None
    v.close()
