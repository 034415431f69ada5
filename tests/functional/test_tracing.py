"""Tracing on a real database: a code's journey (with the moves of the case it travelled in) and a
lot's forward trace by party and county, rolled up to city and province; both only in scope."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from jianguan.catalogue.models import Agency
from jianguan.errors import NotFound
from jianguan.recalls.models import RecallLevel
from jianguan.recalls.services import open_recall
from jianguan.storage import reading, transaction
from jianguan.trace.journey import code_journey, lot_trace
from tests.functional.registry_data import ACTOR, OPERATOR, regulator
from tests.functional.trace_data import LOT, Chain, event, issue_codes, make_chain, send


@pytest.fixture
def chain(sessions: sessionmaker[Session]) -> Chain:
    return make_chain(sessions)


def test_a_codes_journey_and_its_lots_forward_trace(sessions, chain) -> None:
    _batch, items = issue_codes(sessions, chain, 10)
    _cases, cases = issue_codes(sessions, chain, 1, level="case")
    send(sessions, chain, "enterprise", [event(0, "packing", items[:4], minutes=1, action="ADD",
                                               kind="AggregationEvent", parent=cases[0])])
    send(sessions, chain, "enterprise", [event(0, "shipping", [cases[0], items[4]], minutes=10,
                                               where=chain.places["warehouse"], to=chain.places["depot"])])
    send(sessions, chain, "distributor", [event(0, "receiving", [cases[0], items[4]], minutes=60,
                                                where=chain.places["depot"])])
    send(sessions, chain, "distributor", [event(0, "shipping", [cases[0]], minutes=120, where=chain.places["depot"],
                                                to=chain.places["shop"])])
    send(sessions, chain, "shop", [event(0, "receiving", [cases[0]], minutes=180, where=chain.places["shop"])])
    with reading(sessions) as session:
        journey = code_journey(session, principal=chain.principal("enterprise"), code=items[1])
        kinds = [step.kind for step in journey.steps]
        assert {"issued", "activated"} <= set(kinds), "the test's events are dated before the codes were issued"
        moves = [(step.kind, step.party, step.place, step.via) for step in journey.steps
                 if step.kind not in ("issued", "activated")]
        assert moves[0][0] == "packing"
        assert [(kind, via) for kind, _party, _place, via in moves[1:]] == [
            ("shipping", cases[0]), ("receiving", cases[0]), ("shipping", cases[0]), ("receiving", cases[0])]
        assert moves[-1][1:3] == ("南山商店", "shop")
        assert (journey.status, journey.holder) == ("in_stock", "南山商店")
        assert "南山区" in journey.region
    with transaction(sessions) as session:
        open_recall(session, actor=ACTOR, principal=OPERATOR, product_ids=[chain.product], lots=[LOT.lot],
                    level=RecallLevel.FIRST, reason="短路风险", instructions="停止销售")
    with reading(sessions) as session:
        recalled = code_journey(session, principal=chain.principal("enterprise"), code=items[1])
        assert next(step.detail for step in recalled.steps if step.kind == "recall").endswith("短路风险")
        quality = regulator(session, "440305", Agency.QUALITY)
        assert code_journey(session, principal=quality, code=items[1]).code == items[1]
        for outsider in (chain.principal("other"), chain.principal("shop"),
                         regulator(session, "440305", Agency.AGRICULTURE), regulator(session, "110105", Agency.QUALITY)):
            with pytest.raises(NotFound):
                code_journey(session, principal=outsider, code=items[1])

        lot = lot_trace(session, principal=OPERATOR, product_id=chain.product, lot=LOT.lot)
        assert lot.codes == 11
        held = {(h.party, h.status, h.level): h.codes for h in lot.holdings}
        assert held[("南山商店", "in_stock", "item")] == 4
        assert held[("广州经销商", "in_stock", "item")] == 1
        assert held[("南山商店", "in_stock", "case")] == 1
        assert sum(h.codes for h in lot.holdings if h.level == "item") == 10
        guangdong = next(r for r in lot.regions if r.code == "440000")
        assert guangdong.codes == 10
        cities = {city.code: city for city in guangdong.children}
        assert cities["440100"].codes == 1 and cities["440300"].codes == 9
        assert {county.code: county.codes for county in cities["440300"].children} == {"440305": 9}
        with pytest.raises(NotFound):
            lot_trace(session, principal=chain.principal("other"), product_id=chain.product, lot=LOT.lot)
        with pytest.raises(NotFound):
            lot_trace(session, principal=OPERATOR, product_id=chain.product, lot="NO-SUCH-LOT")
