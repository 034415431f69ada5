"""The one scope rule (jurisdiction.py) on a real database: who sees what by role, region, agency
and organisation; a list and a single read always agree; who answers for a product where."""

from __future__ import annotations

import itertools

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.alerts.models import Alert
from jianguan.alerts.services import raise_alert
from jianguan.catalogue.models import Agency
from jianguan.catalogue.services import get_category_by_code
from jianguan.enterprises.models import Enterprise
from jianguan.jurisdiction import covers_region, in_scope, responsible_agencies, scope_condition
from jianguan.merchants.models import Merchant
from jianguan.merchants.services import register_merchant
from tests.functional.registry_data import (
    ACTOR,
    OPERATOR,
    credit_code,
    make_enterprise,
    manufacturer,
    regulator,
)


def _world(session: Session) -> dict[str, int]:
    category = {code: get_category_by_code(session, code).id for code in ("appliance", "fertiliser", "drug")}
    ids = {
        # 南山 (440305): an appliance maker (quality) that also makes fertiliser (agriculture).
        "nanshan": make_enterprise(session, region_code="440305").id,
        # 宝安 (440306): a fertiliser maker; 西湖 (330106): an appliance maker in another province.
        "baoan": make_enterprise(session, region_code="440306", category_id=category["fertiliser"]).id,
        "xihu": make_enterprise(session, region_code="330106").id,
        "shop": register_merchant(session, actor=ACTOR, credit_code=credit_code("440305"), name="南山店", kind="shop",
                                  region_code="440305").id,
    }
    from jianguan.enterprises.services import add_product

    add_product(session, actor=ACTOR, principal=OPERATOR, enterprise_id=ids["nanshan"], name="复合肥",
                specification="40 kg", category_id=category["fertiliser"])
    for name, region, cat in (("general", "440305", None), ("drug", "440306", category["drug"]),
                              ("nowhere", None, None)):
        ids[f"alert-{name}"] = raise_alert(session, actor=ACTOR, kind="test:alert", region_code=region,
                                           category_id=cat, subject=name).id
    session.commit()
    return ids


def _principals(session: Session, ids: dict[str, int]) -> dict[str, Principal]:
    principals = {"operator": OPERATOR, "nanshan-maker": manufacturer(ids["nanshan"]),
                  "shop-staff": Principal(kind="user", id=9, name="s", role=Role.MERCHANT, merchant_id=ids["shop"]),
                  "printer": Principal(kind="user", id=8, name="p", role=Role.PRINTER, printer_id=1)}
    for region, agency in itertools.product(("440000", "440300", "440305", "330000"), Agency):
        principals[f"{region}-{agency.value}"] = regulator(session, region, agency)
    return principals


def test_a_list_and_a_single_read_agree_for_every_principal_and_object(session: Session) -> None:
    ids = _world(session)
    kinds = {
        Enterprise: ({"enterprise": Enterprise.id}, lambda e: {"enterprise": e.id}),
        Merchant: ({"region": Merchant.region_code, "merchant": Merchant.id},
                   lambda m: {"region": m.region_code, "merchant": m.id}),
        Alert: ({"region": Alert.region_code, "category": Alert.category_id},
                lambda a: {"region": a.region_code, "category": a.category_id}),
    }
    for principal in _principals(session, ids).values():
        for model, (columns, values) in kinds.items():
            listed = set(session.scalars(select(model.id).where(scope_condition(principal, **columns))))
            for row in session.scalars(select(model)):
                single = in_scope(session, principal, axes=frozenset(columns), **values(row))
                assert single == (row.id in listed), (principal.name, model.__name__, row.id)


def test_who_sees_what(session: Session) -> None:
    ids = _world(session)
    people = _principals(session, ids)

    def seen(who: str, model: type, **columns: object) -> set[int]:
        return set(session.scalars(select(model.id).where(scope_condition(people[who], **columns))))

    enterprises = {"enterprise": Enterprise.id}
    assert seen("operator", Enterprise, **enterprises) >= {ids["nanshan"], ids["baoan"], ids["xihu"]}
    # Quality sees the appliance maker; agriculture both makers of fertiliser (main category or a product's).
    assert seen("440000-quality", Enterprise, **enterprises) == {ids["nanshan"]}
    assert seen("440000-agriculture", Enterprise, **enterprises) == {ids["nanshan"], ids["baoan"]}
    assert seen("440305-agriculture", Enterprise, **enterprises) == {ids["nanshan"]}
    assert seen("330000-quality", Enterprise, **enterprises) == {ids["xihu"]}
    assert seen("440000-food_drug", Enterprise, **enterprises) == set()
    assert seen("nanshan-maker", Enterprise, **enterprises) == {ids["nanshan"]}
    assert seen("printer", Enterprise, **enterprises) == set()
    # A shop is general business: the quality and market regulators of its region, and its own staff.
    shops = {"region": Merchant.region_code, "merchant": Merchant.id}
    assert {who for who in people if ids["shop"] in seen(who, Merchant, **shops)} == {
        "operator", "shop-staff", "440000-quality", "440000-market", "440300-quality", "440300-market",
        "440305-quality", "440305-market"}
    # An alert of no product goes to the general agencies; a drug alert to food and drug; one of no
    # region to the operator alone.
    alerts = {"region": Alert.region_code, "category": Alert.category_id}
    assert ids["alert-general"] in seen("440305-quality", Alert, **alerts)
    assert ids["alert-general"] not in seen("440305-agriculture", Alert, **alerts)
    assert ids["alert-drug"] in seen("440000-food_drug", Alert, **alerts)
    assert ids["alert-drug"] not in seen("440000-quality", Alert, **alerts)
    assert ids["alert-drug"] not in seen("440305-food_drug", Alert, **alerts)  # 宝安, not 南山
    assert {who for who in people if ids["alert-nowhere"] in seen(who, Alert, **alerts)} == {"operator"}


def test_responsible_agencies_from_the_county_up(session: Session) -> None:
    appliance, drug = (get_category_by_code(session, code).id for code in ("appliance", "drug"))
    answer = responsible_agencies(session, region_code="440305", category_id=appliance)
    assert [(a.region.code, a.agency) for a in answer] == [
        ("440305", Agency.QUALITY), ("440300", Agency.QUALITY), ("440000", Agency.QUALITY)]
    assert {a.agency for a in responsible_agencies(session, region_code="440305", category_id=drug)} == {
        Agency.FOOD_DRUG}
    # A district of a municipality answers to the municipality directly.
    assert [a.region.code for a in responsible_agencies(session, region_code="110105", category_id=None)] == [
        "110105", "110000"]
    assert responsible_agencies(session, region_code="110105", category_id=None)[0].agency is Agency.QUALITY


def test_covers_region(session: Session) -> None:
    county = regulator(session, "440305", Agency.QUALITY)
    assert covers_region(county, "440305") and not covers_region(county, "440300")
    assert covers_region(regulator(session, "440000", Agency.MARKET), "440305")
    assert covers_region(OPERATOR, "110105")
    assert not covers_region(manufacturer(1), "440305")


def test_a_constant_region_is_decided_once_and_agrees_with_the_column_form(session: Session) -> None:
    """A region given as a constant (the statistics' anchor) is decided without sending the scope's
    codes, and admits exactly what the same region in a column would."""
    from sqlalchemy import String, literal
    from sqlalchemy.dialects import postgresql

    ids = _world(session)
    principals = _principals(session, ids)
    for who in ("440000-quality", "440300-market", "440305-agriculture", "330000-quality"):
        principal = principals[who]
        for region in ("440305", "440300", "330106"):
            condition = scope_condition(principal, region=literal(region, String(6)))
            rendered = str(condition.compile(dialect=postgresql.dialect()))
            assert "IN" not in rendered and rendered in {"true", "false"}
            column_form = select(Enterprise.id).where(Enterprise.region_code == region,
                                                      scope_condition(principal, region=Enterprise.region_code))
            constant_form = select(Enterprise.id).where(Enterprise.region_code == region, condition)
            assert set(session.scalars(column_form)) == set(session.scalars(constant_form)), (who, region)


def test_an_object_routed_to_an_agency_is_seen_by_that_agency_in_its_region(session: Session) -> None:
    """The agency axis (a case passed to another agency): its regulators in the region see it,
    whatever its category; the category's own agency still does; nobody outside the region."""
    drug = get_category_by_code(session, "drug").id
    values = {"region": "440305", "category": drug, "agency": Agency.AGRICULTURE.value}
    axes = frozenset(values)
    seen = {name: in_scope(session, regulator(session, region, agency), axes=axes, **values)  # type: ignore[arg-type]  # the values are the axes'
            for name, region, agency in (("agri-county", "440305", Agency.AGRICULTURE),
                                         ("agri-city", "440300", Agency.AGRICULTURE),
                                         ("drug-county", "440305", Agency.FOOD_DRUG),
                                         ("quality-county", "440305", Agency.QUALITY),
                                         ("agri-elsewhere", "330000", Agency.AGRICULTURE))}
    assert seen == {"agri-county": True, "agri-city": True, "drug-county": True, "quality-county": False,
                    "agri-elsewhere": False}
    assert in_scope(session, OPERATOR, axes=axes, **values)  # type: ignore[arg-type]  # as above
    assert not in_scope(session, manufacturer(1), axes=axes, **values)  # type: ignore[arg-type]  # as above
