"""Building blocks for the supply-chain tests: a chain of parties with places, codes, and events."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.codes import activation as activations
from jianguan.codes import issue as issuing
from jianguan.codes import lookup
from jianguan.enterprises.identifiers import gtin_check_digit
from jianguan.merchants.services import register_merchant
from jianguan.storage import reading, transaction
from jianguan.trace.capture import CaptureResult, capture
from jianguan.trace.epcis_model import Action, EPCISEvent, EventType
from jianguan.trace.identifiers import code_uri
from jianguan.trace.models import PartyKind
from jianguan.trace.places import PartyRef, register_location
from tests.functional.registry_data import ACTOR, OPERATOR, credit_code, make_enterprise, make_product

START = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)
LOT = activations.ProductionData("L-1", dt.date(2026, 11, 1), dt.date(2028, 11, 1), "检验合格")


def gln() -> str:
    body = "69" + "".join(secrets.choice("0123456789") for _ in range(10))
    return body + gtin_check_digit(body)


def sgln(number: str) -> str:
    """An SGLN URI of a GLN (company prefix of 7 digits)."""
    return f"urn:epc:id:sgln:{number[:7]}.{number[7:12]}.0"


@dataclass
class Chain:
    """An enterprise with a warehouse, a distributor in another city, two shops, codes issued."""

    enterprise: int
    other_enterprise: int
    distributor: int
    shop: int
    far_shop: int
    places: dict[str, str]  # name -> GLN
    product: int

    def principal(self, name: str) -> Principal:
        if name == "enterprise":
            return Principal(kind="user", id=0, name="factory", role=Role.MANUFACTURER, enterprise_id=self.enterprise)
        if name == "other":
            return Principal(kind="user", id=0, name="rival", role=Role.MANUFACTURER,
                             enterprise_id=self.other_enterprise)
        return Principal(kind="user", id=0, name=name, role=Role.MERCHANT, merchant_id=getattr(self, name))


def make_chain(sessions: sessionmaker[Session]) -> Chain:
    with transaction(sessions) as session:
        enterprise = make_enterprise(session, signed=True)
        other = make_enterprise(session, signed=True)
        product = make_product(session, enterprise.id, packaging=(("item", 1), ("case", 25), ("pallet", 40)))
        distributor = register_merchant(session, actor=ACTOR, credit_code=credit_code("440106"), name="广州经销商",
                                        kind="distributor", region_code="440106")
        shop = register_merchant(session, actor=ACTOR, credit_code=credit_code("440305"), name="南山商店",
                                 kind="shop", region_code="440305")
        far_shop = register_merchant(session, actor=ACTOR, credit_code=credit_code("110105"), name="朝阳商店",
                                     kind="shop", region_code="110105")
        places = {}
        for name, kind, party, region in (("warehouse", PartyKind.ENTERPRISE, enterprise.id, enterprise.region_code),
                                          ("depot", PartyKind.MERCHANT, distributor.id, "440106"),
                                          ("shop", PartyKind.MERCHANT, shop.id, "440305"),
                                          ("far_shop", PartyKind.MERCHANT, far_shop.id, "110105")):
            places[name] = register_location(session, actor=ACTOR, principal=OPERATOR, gln=gln(), name=name,
                                             region_code=region, party=PartyRef(kind, party)).gln
        return Chain(enterprise.id, other.id, distributor.id, shop.id, far_shop.id, places, product.id)


def issue_codes(sessions: sessionmaker[Session], chain: Chain, quantity: int, level: str = "item",
                activate: bool = True) -> tuple[int, list[str]]:
    """A batch of the chain's product: its id and its codes."""
    owner = chain.principal("enterprise")
    with transaction(sessions) as session:
        made = issuing.request_codes(session, actor=ACTOR, principal=owner, product_id=chain.product,
                                     quantity=quantity, packaging_level=level, printer_id=None)
        assert made.batch is not None
        batch_id = made.batch.id
        if activate:
            activations.activate(session, actor=ACTOR, principal=owner, batch_id=batch_id, data=LOT)
    with reading(sessions) as session:
        codes = lookup.batch_codes(session, principal=OPERATOR, batch_id=batch_id, offset=0, limit=quantity)
    return batch_id, codes


def event(index: int, step: str | None, codes: list[str] = (), *, minutes: int = 0, action: str = "OBSERVE",
          kind: str = "ObjectEvent", parent: str | None = None, where: str | None = None,
          to: str | None = None, event_id: str | None = None, **extra: Any) -> EPCISEvent:
    """An event of the test chain, ``minutes`` after the start."""
    aggregation = kind == "AggregationEvent"
    return EPCISEvent(
        index=index, type=EventType(kind), action=Action(action), event_time=START + dt.timedelta(minutes=minutes),
        event_time_zone_offset="+08:00", biz_step=step, event_id=event_id,
        epc_list=() if aggregation else tuple(code_uri(code) for code in codes),
        child_epcs=tuple(code_uri(code) for code in codes) if aggregation else (),
        parent_id=code_uri(parent) if parent else None,
        biz_location=sgln(where) if where else None,
        destination_list=(("owning_party", sgln(to)),) if to else (),
        extra=extra,
    )


def send(sessions: sessionmaker[Session], chain: Chain, who: str, events: list[EPCISEvent],
         source: str = "json") -> CaptureResult:
    with transaction(sessions) as session:
        return capture(session, actor=ACTOR, principal=chain.principal(who), events=events, source=source)
