"""Receiving checks (进货验收) and sales at a shop, on a real database: each code's result, the
party's refusals, the receiving event through the capture service, and who sees the record."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from jianguan.audit.models import AuditRecord
from jianguan.catalogue.models import Agency
from jianguan.codes.codec import MalformedCode, encode_serial
from jianguan.codes.keyring import keyring
from jianguan.errors import NotFound
from jianguan.recalls.models import RecallLevel
from jianguan.recalls.services import open_recall
from jianguan.receipts import holdings
from jianguan.receipts import services as receipts
from jianguan.receipts.models import CheckResult, Receipt, ReceiptLine
from jianguan.storage import reading, transaction
from jianguan.trace import services as trace
from jianguan.trace.models import Event, Position, Whereabouts
from tests.functional.receiving_worker import receive_once
from tests.functional.registry_data import ACTOR, OPERATOR, regulator
from tests.functional.test_codes_services import race
from tests.functional.trace_data import LOT, Chain, event, issue_codes, make_chain, send


@pytest.fixture
def chain(sessions: sessionmaker[Session]) -> Chain:
    return make_chain(sessions)


def _status(sessions: sessionmaker[Session], code: str) -> tuple[Whereabouts, int] | None:
    with reading(sessions) as session:
        checker_ring = keyring(session)
        from jianguan.codes.codec import decode_code

        generation, serial = decode_code(checker_ring, code)
        row = session.scalars(select(Position).where(Position.generation == generation, Position.serial_start <= serial)
                              .order_by(Position.serial_start.desc()).limit(1)).first()
        if row is None or serial >= row.serial_end:
            return None
        return Whereabouts(row.status), row.holder_id


@pytest.fixture
def delivery(sessions: sessionmaker[Session], chain: Chain) -> dict[str, list[str]]:
    """Ten loose items and a case of five shipped to the shop; two items to the distributor."""
    _batch, items = issue_codes(sessions, chain, 20)
    _cases, cases = issue_codes(sessions, chain, 1, level="case")
    _idle, idle = issue_codes(sessions, chain, 1, activate=False)
    with transaction(sessions) as session:
        trace.pack(session, actor=ACTOR, principal=chain.principal("enterprise"), container=cases[0],
                   contents=items[10:15])
    send(sessions, chain, "enterprise", [
        event(0, "shipping", items[:10] + cases, minutes=10, where=chain.places["warehouse"], to=chain.places["shop"]),
        event(1, "shipping", items[15:17], minutes=10, where=chain.places["warehouse"], to=chain.places["depot"])])
    return {"items": items, "case": cases, "idle": idle}


def test_a_delivery_is_checked_code_by_code_and_the_accepted_codes_are_received(sessions, chain, delivery) -> None:
    items, case, idle = delivery["items"], delivery["case"], delivery["idle"]
    with reading(sessions) as session:
        unknown = encode_serial(keyring(session)[int(items[0][0])], 10**17 + 5)
        waiting = holdings.deliveries(session, principal=chain.principal("shop"))
    assert [(d.codes, sorted((p.level, p.codes) for p in d.products)) for d in waiting] == [
        (15, [("case", 1), ("item", 15)])]
    with transaction(sessions) as session:
        found = receipts.check_delivery(session, principal=chain.principal("shop"),
                                        codes=[*items[:10], case[0], items[15], idle[0], unknown])
    results = {line.code: line.result for line in found}
    assert results[items[0]] is CheckResult.OK and results[case[0]] is CheckResult.OK
    assert all(results[code] is CheckResult.OK for code in items[10:15]), "a case stands for what it holds"
    assert (results[items[15]], results[idle[0]], results[unknown]) == (
        CheckResult.NOT_SHIPPED, CheckResult.NOT_ACTIVATED, CheckResult.UNKNOWN)
    with transaction(sessions) as session:
        receipt_id = receipts.receive(session, actor=ACTOR, principal=chain.principal("shop"),
                                      codes=[*items[:10], case[0], items[15], idle[0], unknown, items[0]],
                                      refused=[items[9]], note="第 10 瓶瓶盖破损").id
    with reading(sessions) as session:
        receipt = session.get(Receipt, receipt_id)
        assert (receipt.accepted, receipt.refused, receipt.note) == (9 + 1 + 5, 4, "第 10 瓶瓶盖破损")
        event_row = session.get(Event, receipt.event_id)
        assert (event_row.biz_step, event_row.party_id, event_row.codes) == ("receiving", chain.shop, 10)
        lines = {line.code: line for line in session.scalars(select(ReceiptLine))}
        assert lines[items[9]].result == CheckResult.OK and not lines[items[9]].accepted
        assert lines[items[12]].container == case[0] and lines[items[12]].accepted
        assert session.scalar(select(func.count()).select_from(AuditRecord)
                              .where(AuditRecord.action == "receipts:receipt:recorded")) == 1
        assert [(c.level, c.codes) for c in holdings.stock(session, principal=chain.principal("shop"))] == [
            ("case", 1), ("item", 14)]
        assert [d.codes for d in holdings.deliveries(session, principal=chain.principal("shop"))] == [1]
    assert _status(sessions, items[3]) == (Whereabouts.IN_STOCK, chain.shop)
    assert _status(sessions, items[12]) == (Whereabouts.IN_STOCK, chain.shop)
    assert _status(sessions, items[9])[0] is Whereabouts.IN_TRANSIT, "a refused code stays on its way"
    # checked again: what was received is not received twice
    with transaction(sessions) as session:
        again = receipts.receive(session, actor=ACTOR, principal=chain.principal("shop"), codes=items[:2])
        assert (again.accepted, again.refused, again.event_id) == (0, 2, None)
    with reading(sessions) as session:
        view = receipts.get_receipt(session, principal=chain.principal("shop"), receipt_id=again.id)
        assert {line.result for line in view.lines} == {CheckResult.ALREADY_RECEIVED}


def test_a_refused_item_keeps_its_case_back_and_bad_input_changes_nothing(sessions, chain, delivery) -> None:
    items, case = delivery["items"], delivery["case"]
    with transaction(sessions) as session:
        receipt = receipts.receive(session, actor=ACTOR, principal=chain.principal("shop"), codes=case,
                                   refused=[items[11]])
        assert (receipt.accepted, receipt.refused) == (4, 2)
    assert _status(sessions, case[0])[0] is Whereabouts.IN_TRANSIT
    assert _status(sessions, items[10]) == (Whereabouts.IN_STOCK, chain.shop)
    with reading(sessions) as session:
        before = session.scalar(select(func.count()).select_from(Receipt))
    with pytest.raises(MalformedCode), transaction(sessions) as session:
        receipts.receive(session, actor=ACTOR, principal=chain.principal("shop"), codes=[items[0], "1234"])
    with reading(sessions) as session:
        assert session.scalar(select(func.count()).select_from(Receipt)) == before


def test_a_shop_sells_only_what_it_holds(sessions, chain, delivery) -> None:
    items = delivery["items"]
    shop = chain.principal("shop")
    with transaction(sessions) as session:
        checked, recorded = receipts.sell(session, actor=ACTOR, principal=shop, code=items[0])
        assert (checked.result, recorded) == (CheckResult.NOT_IN_STOCK, False)
    with transaction(sessions) as session:
        receipts.receive(session, actor=ACTOR, principal=shop, codes=items[:2])
    with transaction(sessions) as session:
        checked, recorded = receipts.sell(session, actor=ACTOR, principal=shop, code=items[0])
        assert (checked.result, recorded) == (CheckResult.OK, True)
    assert _status(sessions, items[0]) == (Whereabouts.SOLD, chain.shop)
    with transaction(sessions) as session:
        assert receipts.sell(session, actor=ACTOR, principal=shop, code=items[0])[1] is False


def test_recalled_goods_are_refused_at_the_door_and_at_the_till(sessions, chain, delivery) -> None:
    items = delivery["items"]
    shop = chain.principal("shop")
    with transaction(sessions) as session:
        receipts.receive(session, actor=ACTOR, principal=shop, codes=items[:2])
    with transaction(sessions) as session:
        open_recall(session, actor=ACTOR, principal=chain.principal("enterprise"), product_ids=[chain.product],
                    lots=[LOT.lot], level=RecallLevel.SECOND, reason="标签错误", instructions="停止销售，退回厂家")
    with transaction(sessions) as session:
        checked, recorded = receipts.sell(session, actor=ACTOR, principal=shop, code=items[0])
        assert (checked.result, recorded) == (CheckResult.RECALLED, False)
        receipt = receipts.receive(session, actor=ACTOR, principal=shop, codes=items[2:4])
        assert (receipt.accepted, receipt.refused, receipt.event_id) == (0, 2, None)
    with reading(sessions) as session:
        view = receipts.get_receipt(session, principal=shop, receipt_id=receipt.id)
        assert {line.result for line in view.lines} == {CheckResult.RECALLED}
    assert _status(sessions, items[2])[0] is Whereabouts.IN_TRANSIT


def test_the_record_is_the_shops_and_its_countys_regulators(sessions, chain, delivery) -> None:
    with transaction(sessions) as session:
        receipt_id = receipts.receive(session, actor=ACTOR, principal=chain.principal("shop"),
                                      codes=delivery["items"][:3]).id
    with reading(sessions) as session:
        seers = {"shop": chain.principal("shop"), "operator": OPERATOR,
                 "quality": regulator(session, "440305", Agency.QUALITY),
                 "province": regulator(session, "440000", Agency.MARKET)}
        blind = {"distributor": chain.principal("distributor"), "far_shop": chain.principal("far_shop"),
                 "enterprise": chain.principal("enterprise"), "other": chain.principal("other"),
                 "elsewhere": regulator(session, "110105", Agency.QUALITY),
                 "agriculture": regulator(session, "440305", Agency.AGRICULTURE)}
        for name, principal in seers.items():
            assert receipts.get_receipt(session, principal=principal, receipt_id=receipt_id).receipt.accepted == 3, name
            assert [v.receipt.id for v in receipts.list_receipts(session, principal=principal)] == [receipt_id], name
        for name, principal in blind.items():
            with pytest.raises(NotFound):
                receipts.get_receipt(session, principal=principal, receipt_id=receipt_id)
            assert receipts.list_receipts(session, principal=principal) == [], name


def test_sixteen_tills_checking_the_same_delivery_at_once_receive_it_once(sessions, chain, delivery,
                                                                           database_url: str) -> None:
    """A shop's checks queue on its row: of sixteen at once, one receives the codes, fifteen find
    them received already."""
    codes = delivery["items"][:5]
    accepted = race(receive_once, [(database_url, chain.shop, codes)] * 16)
    assert sorted(accepted) == [0] * 15 + [5]
    with reading(sessions) as session:
        assert session.scalar(select(func.count()).select_from(Event).where(Event.biz_step == "receiving")) == 1
        assert session.scalar(select(func.count()).select_from(Receipt)) == 16
