"""The registries of designated printers and of distributors and shops."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.models import AuditRecord
from jianguan.catalogue.models import Agency
from jianguan.errors import Conflict, NotFound, ValidationFailed
from jianguan.merchants import services as merchants
from jianguan.merchants.models import Merchant
from jianguan.printers import services as printers
from jianguan.printers.models import Printer
from tests.functional.registry_data import ACTOR, OPERATOR, counts, credit_code, regulator


def test_register_and_list_printers(session: Session) -> None:
    today = dt.date.today()
    filed = printers.register_printer(session, actor=ACTOR, credit_code=credit_code(), name="深圳安全印务",
                                      region_code="440305", filing_number="YB-2008-001",
                                      filing_valid_until=today + dt.timedelta(days=365))
    expired = printers.register_printer(session, actor=ACTOR, credit_code=credit_code(), name="旧印刷厂",
                                        region_code="440306", filing_number="YB-2001-009",
                                        filing_valid_until=today - dt.timedelta(days=1))
    unfiled = printers.register_printer(session, actor=ACTOR, credit_code=credit_code(), name="未备案印刷厂",
                                        region_code="440306")
    session.commit()
    assert {p.id for p in printers.list_printers(session)} == {filed.id, expired.id, unfiled.id}
    assert [p.id for p in printers.list_printers(session, valid_on=today)] == [filed.id]
    assert printers.get_printer(session, filed.id).filing_number == "YB-2008-001"
    actions = session.scalars(select(AuditRecord.action)).all()
    assert actions == ["printer:printer:registered"] * 3
    with pytest.raises(NotFound):
        printers.get_printer(session, 999)


@pytest.mark.parametrize(
    ("overrides", "error", "code"),
    [
        ({"credit_code": "91350100M000100Y44"}, ValidationFailed, "invalid_credit_code"),
        ({"region_code": "440000"}, ValidationFailed, "region_too_coarse"),
        ({"region_code": "000000"}, NotFound, "unknown_region"),
        ({"name": ""}, ValidationFailed, "missing_field"),
        ({"filing_number": "", "filing_valid_until": dt.date(2030, 1, 1)}, ValidationFailed, "missing_field"),
        ({"filing_number": "YB-NEW", "filing_valid_until": None}, ValidationFailed, "missing_field"),
        ({"filing_number": "YB-TAKEN", "filing_valid_until": dt.date(2030, 1, 1)}, Conflict, "duplicate_filing"),
        ({"credit_code": "TAKEN"}, Conflict, "duplicate_printer"),
    ],
)
def test_bad_printers_are_refused(session: Session, overrides: dict[str, object], error: type, code: str) -> None:
    taken = credit_code()
    printers.register_printer(session, actor=ACTOR, credit_code=taken, name="已有", region_code="440305",
                              filing_number="YB-TAKEN", filing_valid_until=dt.date(2030, 1, 1))
    session.commit()
    before = counts(session, Printer)
    fields: dict[str, object] = {"credit_code": credit_code(), "name": "新印刷厂", "region_code": "440305",
                                 **overrides}
    if fields["credit_code"] == "TAKEN":
        fields["credit_code"] = taken
    with pytest.raises(error) as caught:
        printers.register_printer(session, actor=ACTOR, **fields)  # type: ignore[arg-type]  # values wrong on purpose
    session.rollback()
    assert caught.value.code == code and caught.value.message_zh
    assert counts(session, Printer) == before


def test_merchants_and_their_scope(session: Session) -> None:
    shop = merchants.register_merchant(session, actor=ACTOR, credit_code=credit_code(), name="南山超市",
                                       kind="shop", region_code="440305")
    distributor = merchants.register_merchant(session, actor=ACTOR, credit_code=credit_code(), name="西湖经销",
                                              kind="distributor", region_code="330106")
    session.commit()
    assert session.scalars(select(AuditRecord.action)).all() == ["merchant:merchant:registered"] * 2

    def ids(principal: Principal) -> set[int]:
        return {m.id for m in merchants.list_merchants(session, principal=principal)}

    assert ids(OPERATOR) == {shop.id, distributor.id}
    nanshan = regulator(session, "440305", Agency.MARKET)
    assert ids(nanshan) == {shop.id}
    with pytest.raises(NotFound):
        merchants.get_merchant(session, principal=nanshan, merchant_id=distributor.id)
    itself = Principal(kind="user", id=5, name="shop", role=Role.MERCHANT, merchant_id=shop.id)
    assert ids(itself) == {shop.id}
    assert merchants.get_merchant(session, principal=itself, merchant_id=shop.id).name == "南山超市"
    # A manufacturer, and a regulator of an agency without general duties, see no shop.
    assert ids(Principal(kind="user", id=6, name="m", role=Role.MANUFACTURER, enterprise_id=1)) == set()
    assert ids(regulator(session, "440305", Agency.AGRICULTURE)) == set()

    before = counts(session, Merchant)
    for overrides, error in (({"kind": "warehouse"}, ValidationFailed), ({"credit_code": shop.credit_code}, Conflict),
                             ({"credit_code": "123"}, ValidationFailed), ({"region_code": "330100"}, ValidationFailed)):
        fields: dict[str, object] = {"credit_code": credit_code(), "name": "新店", "kind": "shop",
                                     "region_code": "440305", **overrides}
        with pytest.raises(error):
            merchants.register_merchant(session, actor=ACTOR, **fields)  # type: ignore[arg-type]  # values wrong on purpose
        session.rollback()
    assert counts(session, Merchant) == before
