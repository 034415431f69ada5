"""The demo network's supply chain: places, shipments, receipts, a sale, a diversion and a
destruction, captured as EPCIS events through the same service as everyone's.

珍味 ships vinegar (case 1 with its twelve bottles, and loose bottles) to 河北农资连锁, which
receives it and sends part on to 北国超市, which receives it and sells a bottle; some bottles are
still on their way. 丰穗 ships fertiliser to 河北农资连锁, which sends bags on to 栾城农资服务站;
a few of those bags turn up at 北国超市 instead (a diversion 丰穗 is told about), and 栾城 checks
the rest in at its door (a receiving check that refuses two bags that are not its own and a
torn one). 海丰 destroys part of its expired feed lot under supervision. 绿盾 ships pesticide of
lot LD-26-10-A to 河北农资连锁, which sends some on to 栾城农资服务站; then 绿盾 recalls the lot:
the distributor returns part of it, and the shop destroys two packs before a witness from the
county's agriculture bureau.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.services import Actor
from jianguan.codes import lookup
from jianguan.codes.models import Activation, CodeBatch
from jianguan.enterprises.identifiers import gtin_check_digit
from jianguan.enterprises.models import Product
from jianguan.recalls.destruction import record_destruction
from jianguan.recalls.models import DestructionReason, Recall, RecallLevel, RecallRange, RecallStatus
from jianguan.recalls.services import open_recall
from jianguan.receipts.services import receive
from jianguan.storage.base import utcnow
from jianguan.trace.capture import capture
from jianguan.trace.epcis_model import Action, EPCISEvent, EventType
from jianguan.trace.identifiers import code_uri
from jianguan.trace.models import Diversion, PartyKind, Position, Whereabouts
from jianguan.trace.places import PartyRef, register_location

OPERATOR = Principal(kind="user", id=0, name="demo-seed", role=Role.OPERATOR)


def demo_gln(number: int) -> str:
    """A GLN of the demo's company prefix 6901234."""
    body = f"6901234{number:05d}"
    return body + gtin_check_digit(body)


def _sgln(gln: str) -> str:
    return f"urn:epc:id:sgln:{gln[:7]}.{gln[7:12]}.0"


def _event(step: str, codes: Sequence[str], when: dt.datetime, where: str, to: str | None = None) -> EPCISEvent:
    return EPCISEvent(index=0, type=EventType.OBJECT, action=Action.OBSERVE, event_time=when,
                      event_time_zone_offset="+08:00", biz_step=step, epc_list=tuple(code_uri(c) for c in codes),
                      biz_location=_sgln(where), read_point=_sgln(where),
                      destination_list=(("owning_party", _sgln(to)),) if to else ())


def supply_chain(session: Session, *, actor: Actor, enterprises: dict[str, int], merchants: dict[str, int]) -> None:
    """Register the parties' places and capture the demo's movements."""
    places = {
        "zhenwei": (PartyKind.ENTERPRISE, enterprises["zhenwei"], "珍味酿造 成品库", "130104", 1),
        "fengsui": (PartyKind.ENTERPRISE, enterprises["fengsui"], "丰穗复合肥 成品库", "130111", 2),
        "haifeng": (PartyKind.ENTERPRISE, enterprises["haifeng"], "海丰饲料 仓库", "130102", 3),
        "lvdun": (PartyKind.ENTERPRISE, enterprises["lvdun"], "绿盾农药 成品库", "130705", 4),
        "nongzi": (PartyKind.MERCHANT, merchants["nongzi"], "河北农资连锁 长安仓", "130102", 11),
        "luancheng": (PartyKind.MERCHANT, merchants["luancheng"], "栾城农资服务站 门店", "130111", 12),
        "beiguo": (PartyKind.MERCHANT, merchants["beiguo"], "北国超市 中山店收货区", "130104", 13),
    }
    gln = {}
    for key, (kind, party, name, region, number) in places.items():
        gln[key] = register_location(session, actor=actor, principal=OPERATOR, gln=demo_gln(number), name=name,
                                     region_code=region, party=PartyRef(kind, party)).gln

    def staff(who: str) -> Principal:
        kind, party = places[who][0], places[who][1]
        return Principal(kind="user", id=0, name=f"demo-{who}", role=Role.MANUFACTURER, enterprise_id=party) \
            if kind is PartyKind.ENTERPRISE else Principal(kind="user", id=0, name=f"demo-{who}", role=Role.MERCHANT,
                                                           merchant_id=party)

    def send(who: str, *events: EPCISEvent) -> None:
        capture(session, actor=actor, principal=staff(who), events=[replace(e, index=i) for i, e in enumerate(events)],
                source="json")

    def codes(enterprise: str, offset: int, count: int, *, level: str = "item", lot: str | None = None) -> list[str]:
        query = select(CodeBatch).where(CodeBatch.enterprise_id == enterprises[enterprise],
                                        CodeBatch.packaging_level == level).order_by(CodeBatch.id)
        if lot is not None:
            query = query.join(Activation, Activation.batch_id == CodeBatch.id).where(Activation.lot == lot)
        batch = session.scalars(query).first()
        assert batch is not None
        return lookup.batch_codes(session, principal=OPERATOR, batch_id=batch.id, offset=offset, limit=count)

    now = utcnow().replace(microsecond=0)

    def days_ago(days: float) -> dt.datetime:
        return now - dt.timedelta(days=days)

    # 珍味 vinegar: case 1 (twelve bottles packed in it) and 48 loose bottles to the distributor.
    case = codes("zhenwei", 0, 1, level="case")
    bottles = codes("zhenwei", 12, 48)
    send("zhenwei", _event("shipping", case + bottles, days_ago(9), gln["zhenwei"], gln["nongzi"]))
    send("nongzi", _event("receiving", case + bottles, days_ago(8), gln["nongzi"]))
    send("nongzi", _event("shipping", case + bottles[:24], days_ago(5), gln["nongzi"], gln["beiguo"]))
    send("beiguo", _event("receiving", case + bottles[:20], days_ago(4), gln["beiguo"]))
    send("beiguo", _event("retail_selling", bottles[:1], days_ago(1), gln["beiguo"]))
    # 丰穗 fertiliser: 100 bags to the distributor, 50 on to 栾城, of which 5 reach 北国 instead.
    bags = codes("fengsui", 100, 100)
    send("fengsui", _event("shipping", bags, days_ago(12), gln["fengsui"], gln["nongzi"]))
    send("nongzi", _event("receiving", bags, days_ago(11), gln["nongzi"]))
    send("nongzi", _event("shipping", bags[:50], days_ago(6), gln["nongzi"], gln["luancheng"]))
    send("luancheng", _event("receiving", bags[:40], days_ago(5), gln["luancheng"]))
    send("beiguo", _event("receiving", bags[45:50], days_ago(3), gln["beiguo"]))
    # 栾城 checks in the rest of its delivery at the door (进货验收): two bags are not its own (they
    # went to 北国), and it turns down one with a torn sack.
    receive(session, actor=actor, principal=Principal(kind="user", id=0, name="demo-luancheng", role=Role.MERCHANT,
                                                      merchant_id=merchants["luancheng"]),
            codes=bags[40:47], refused=bags[44:45], note="一袋包装破损，拒收")
    # 海丰: twenty bags of the expired lot destroyed at its warehouse.
    expired = codes("haifeng", 50, 20, lot="HF240301")
    send("haifeng", _event("destroying", expired, days_ago(2), gln["haifeng"]))
    # 绿盾 pesticide, lot LD-26-10-A: 30 packs to the distributor, 10 on to 栾城; then the recall.
    packs = codes("lvdun", 0, 30, lot="LD-26-10-A")
    send("lvdun", _event("shipping", packs, days_ago(7), gln["lvdun"], gln["nongzi"]))
    send("nongzi", _event("receiving", packs, days_ago(6), gln["nongzi"]))
    send("nongzi", _event("shipping", packs[:10], days_ago(4), gln["nongzi"], gln["luancheng"]))
    send("luancheng", _event("receiving", packs[:10], days_ago(3), gln["luancheng"]))
    product = session.scalar(select(Product.id).where(Product.enterprise_id == enterprises["lvdun"]).order_by(Product.id))
    assert product is not None
    open_recall(session, actor=actor, principal=staff("lvdun"), product_ids=[product], lots=["LD-26-10-A"],
                level=RecallLevel.SECOND, reason="抽检发现有效成分含量不足标示值",
                instructions="立即停止销售，将库存退回绿盾农药，或在农业执法人员监督下就地销毁。")
    send("nongzi", _event("returning", packs[20:25], utcnow().replace(microsecond=0), gln["nongzi"], gln["lvdun"]))
    recall = session.scalar(select(Recall.id).where(Recall.enterprise_id == enterprises["lvdun"]))
    record_destruction(session, actor=actor, principal=staff("luancheng"), codes=packs[:2],
                       reason=DestructionReason.RECALLED, recall_id=recall, place="栾城农资服务站 后院销毁点",
                       performed_by="栾城农资服务站 店长 高建军", witness="栾城区农业农村局 执法大队 刘队长",
                       gln=gln["luancheng"])


# The states the demo's codes are in after the chain, and the ``sample`` line naming each.
SAMPLE_STATES = ((Whereabouts.IN_TRANSIT, "in_transit"), (Whereabouts.IN_STOCK, "in_stock"),
                 (Whereabouts.SOLD, "sold"), (Whereabouts.DESTROYED, "destroyed"))


def samples(session: Session, code: Callable[[int, int], str]) -> list[str]:
    """A code in each supply-chain state (``sample STATE CODE``), and one a diversion was flagged for."""
    lines = []
    for status, name in SAMPLE_STATES:
        run = session.scalars(select(Position).where(Position.status == status)
                              .order_by(Position.generation, Position.serial_start.desc()).limit(1)).first()
        if run is not None:
            lines.append(f"sample {name} {code(run.generation, run.serial_end - 1)}")
    recalled = session.scalars(select(RecallRange).join(Recall, Recall.id == RecallRange.recall_id)
                               .where(Recall.status == RecallStatus.OPEN).order_by(RecallRange.id).limit(1)).first()
    if recalled is not None and recalled.serial_end - recalled.serial_start > 12:
        lines.append(f"sample recalled {code(recalled.generation, recalled.serial_start + 12)}")
    diversion = session.scalars(select(Diversion).order_by(Diversion.id).limit(1)).first()
    if diversion is not None and diversion.sample_codes:
        lines.append(f"sample diverted {diversion.sample_codes[0]}")
    return lines
