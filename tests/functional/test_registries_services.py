"""The registries of designated printers and of distributors and shops."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan import timezone
from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.models import AuditRecord
from jianguan.catalogue.models import Agency
from jianguan.codes import issue as issuing
from jianguan.errors import Conflict, NotFound, ValidationFailed
from jianguan.merchants import services as merchants
from jianguan.merchants.models import Merchant
from jianguan.printers import services as printers
from jianguan.printers.models import Printer
from tests.functional.registry_data import (
    ACTOR,
    OPERATOR,
    counts,
    credit_code,
    make_enterprise,
    make_printer,
    make_product,
    manufacturer,
    regulator,
)


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


def _filing_records(session: Session) -> list[AuditRecord]:
    return list(session.scalars(select(AuditRecord).where(AuditRecord.action.like("printer:filing:%"))
                                .order_by(AuditRecord.id)))


def test_a_revoked_filing_cannot_be_named_until_it_is_renewed(session: Session) -> None:
    today = timezone.today()
    printer = make_printer(session, filing_valid_until=today + dt.timedelta(days=30))
    maker = make_enterprise(session)
    product = make_product(session, maker.id)
    session.commit()
    number = printer.filing_number

    printers.revoke_filing(session, actor=ACTOR, printer_id=printer.id, reason="  伪造承印记录  ")
    session.commit()
    assert printer.filing_revoked and printer.filing_revoked_reason == "伪造承印记录"
    assert printer.filing_number == number  # the number stays on the record, marked revoked
    assert not printer.filing_valid_on(today)
    # The one rule: the printer leaves the list a manufacturer chooses from, and naming it is refused.
    assert printer.id not in {p.id for p in printers.list_printers(session, valid_on=today)}
    with pytest.raises(ValidationFailed) as refused:
        printers.usable_printer(session, printer.id)
    assert refused.value.code == "printer_not_filed"
    with pytest.raises(ValidationFailed) as refused:
        issuing.request_codes(session, actor=ACTOR, principal=manufacturer(maker.id), product_id=product.id,
                              quantity=10, printer_id=printer.id)
    assert refused.value.code == "printer_not_filed"
    session.rollback()
    revoked = _filing_records(session)[-1]
    assert revoked.action == "printer:filing:revoked" and revoked.target_id == str(printer.id)
    assert revoked.before["filing_revoked_at"] is None and revoked.before["filing_number"] == number
    assert revoked.after["filing_revoked_reason"] == "伪造承印记录" and revoked.after["filing_revoked_at"]

    # Renewing (a new number this time) lifts the revocation.
    until = today + dt.timedelta(days=365)
    printers.renew_filing(session, actor=ACTOR, printer_id=printer.id, filing_number=" 冀监码印备〔2026〕001 号 ",
                          valid_until=until)
    session.commit()
    assert (printer.filing_number, printer.filing_valid_until) == ("冀监码印备〔2026〕001 号", until)
    assert printer.filing_revoked_at is None and printer.filing_revoked_reason is None
    assert printers.usable_printer(session, printer.id) is printer
    renewed = _filing_records(session)[-1]
    assert renewed.action == "printer:filing:renewed"
    assert renewed.before["filing_number"] == number and renewed.before["filing_revoked_reason"] == "伪造承印记录"
    assert renewed.after == {"filing_number": "冀监码印备〔2026〕001 号", "filing_valid_until": until.isoformat(),
                             "filing_revoked_at": None, "filing_revoked_reason": None}
    # The same filing given again changes nothing; the same number with a later date is a renewal.
    printers.renew_filing(session, actor=ACTOR, printer_id=printer.id, filing_number="冀监码印备〔2026〕001 号",
                          valid_until=until)
    session.commit()
    assert len(_filing_records(session)) == 2
    printers.renew_filing(session, actor=ACTOR, printer_id=printer.id, filing_number="冀监码印备〔2026〕001 号",
                          valid_until=today)
    session.commit()
    assert printer.filing_valid_until == today and printer.filing_valid_on(today)
    assert len(_filing_records(session)) == 3


def test_renewal_files_a_printer_registered_without_a_filing(session: Session) -> None:
    printer = make_printer(session, filing=False)
    session.commit()
    assert not printer.filing_valid_on(timezone.today())
    until = timezone.today() + dt.timedelta(days=10)
    printers.renew_filing(session, actor=ACTOR, printer_id=printer.id, filing_number="YB-FIRST", valid_until=until)
    session.commit()
    assert printer.filing_valid_on(timezone.today())
    assert _filing_records(session)[-1].before["filing_number"] is None


@pytest.mark.parametrize(
    ("call", "error", "code"),
    [
        ({"renew": {"filing_number": "YB-OTHER"}}, Conflict, "duplicate_filing"),
        ({"renew": {"filing_number": "  "}}, ValidationFailed, "missing_field"),
        ({"renew": {"filing_number": "Y" * 65}}, ValidationFailed, "too_long"),
        ({"renew": {"valid_until": "yesterday"}}, ValidationFailed, "date_in_past"),
        ({"renew": {"valid_until": None}}, ValidationFailed, "missing_field"),
        ({"renew": {"printer_id": 0}}, NotFound, "unknown_printer"),
        ({"revoke": {"reason": " "}}, ValidationFailed, "missing_field"),
        ({"revoke": {"reason": "理" * 501}}, ValidationFailed, "too_long"),
        ({"revoke": {"printer_id": 0}}, NotFound, "unknown_printer"),
        ({"revoke": {"printer_id": "expired"}}, Conflict, "no_valid_filing"),
        ({"revoke": {"printer_id": "unfiled"}}, Conflict, "no_valid_filing"),
        ({"revoke": {"printer_id": "revoked"}}, Conflict, "no_valid_filing"),
    ],
)
def test_bad_filing_changes_are_refused_and_change_nothing(session: Session, call: dict[str, dict[str, object]],
                                                          error: type, code: str) -> None:
    today = timezone.today()
    printer = make_printer(session)
    other = make_printer(session)
    other.filing_number = "YB-OTHER"
    ids = {"expired": make_printer(session, filing_valid_until=today - dt.timedelta(days=1)).id,
           "unfiled": make_printer(session, filing=False).id, "revoked": make_printer(session).id}
    printers.revoke_filing(session, actor=ACTOR, printer_id=ids["revoked"], reason="已撤销")
    session.commit()
    before = counts(session, Printer)
    filing = [(p.id, p.filing_number, p.filing_valid_until, p.filing_revoked_at)
              for p in session.scalars(select(Printer).order_by(Printer.id))]
    (kind, overrides), = call.items()
    fields: dict[str, object] = {"printer_id": printer.id, **overrides}
    fields["printer_id"] = ids.get(fields["printer_id"], fields["printer_id"])  # type: ignore[call-overload]
    with pytest.raises(error) as caught:
        if kind == "renew":
            fields = {"filing_number": "YB-NEW", "valid_until": today + dt.timedelta(days=1), **fields}
            if fields["valid_until"] == "yesterday":
                fields["valid_until"] = today - dt.timedelta(days=1)
            printers.renew_filing(session, actor=ACTOR, **fields)  # type: ignore[arg-type]
        else:
            printers.revoke_filing(session, actor=ACTOR, **{"reason": "理由", **fields})  # type: ignore[arg-type]
    session.rollback()
    assert caught.value.code == code
    assert caught.value.message and caught.value.message_zh and caught.value.message != caught.value.message_zh
    assert counts(session, Printer) == before
    assert filing == [(p.id, p.filing_number, p.filing_valid_until, p.filing_revoked_at)
                      for p in session.scalars(select(Printer).order_by(Printer.id))]
