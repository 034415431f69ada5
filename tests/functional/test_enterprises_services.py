"""The enterprise registry's services on a real, migrated database (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.models import AuditRecord
from jianguan.catalogue.models import Agency
from jianguan.catalogue.services import get_category_by_code, update_category
from jianguan.codes import issue as issuing
from jianguan.enterprises import directory, enrolment
from jianguan.enterprises import services as enterprises
from jianguan.enterprises.models import Enterprise, Product, ProductPackaging, Qualification
from jianguan.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from jianguan.storage.base import utcnow
from tests.functional.registry_data import (
    ACTOR,
    OPERATOR,
    counts,
    credit_code,
    enterprise_fields,
    gtin13,
    make_enterprise,
    make_product,
    manufacturer,
    register,
    regulator,
)


def _actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditRecord.action).order_by(AuditRecord.id)))


def test_register_enterprise_normalises_and_audits(session: Session) -> None:
    code = credit_code()
    enterprise = register(session, credit_code=" " + code.lower() + " ", name="  南山电器  ")
    session.commit()
    assert enterprise.credit_code == code
    assert enterprise.name == "南山电器"
    assert enterprise.stage.value == "registered"
    assert _actions(session) == ["enterprise:enterprise:registered"]


@pytest.mark.parametrize(
    ("overrides", "error", "code"),
    [
        ({"credit_code": "91350100M000100Y44"}, ValidationFailed, "invalid_credit_code"),
        ({"credit_code": "9135"}, ValidationFailed, "invalid_credit_code"),
        ({"region_code": "999999"}, NotFound, "unknown_region"),
        ({"region_code": "44030"}, ValidationFailed, "invalid_region_code"),
        ({"region_code": "440000"}, ValidationFailed, "region_too_coarse"),
        ({"region_code": "440300"}, ValidationFailed, "region_too_coarse"),
        ({"name": "  "}, ValidationFailed, "missing_field"),
        ({"address": ""}, ValidationFailed, "missing_field"),
        ({"contact_name": ""}, ValidationFailed, "missing_field"),
        ({"contact_phone": ""}, ValidationFailed, "missing_field"),
        ({"contact_phone": "call me"}, ValidationFailed, "invalid_phone"),
        ({"contact_email": "nobody"}, ValidationFailed, "invalid_email"),
        ({"category_id": 9999}, NotFound, "unknown_category"),
    ],
)
def test_bad_registration_is_refused_and_changes_nothing(
    session: Session, overrides: dict[str, object], error: type[DomainError], code: str
) -> None:
    before = counts(session, Enterprise)
    with pytest.raises(error) as caught:
        register(session, **overrides)
    session.rollback()
    assert caught.value.code == code
    assert caught.value.message and caught.value.message_zh
    assert caught.value.message != caught.value.message_zh
    assert counts(session, Enterprise) == before


def test_duplicate_credit_code_is_a_conflict(session: Session) -> None:
    code = credit_code()
    register(session, credit_code=code)
    session.commit()
    before = counts(session, Enterprise)
    with pytest.raises(Conflict) as caught:
        register(session, credit_code=code, name="另一家")
    session.rollback()
    assert code in caught.value.message and code in caught.value.message_zh
    assert counts(session, Enterprise) == before


def test_inactive_category_cannot_be_chosen(session: Session) -> None:
    panel = get_category_by_code(session, "panel")
    update_category(session, actor=ACTOR, category_id=panel.id, is_active=False)
    with pytest.raises(ValidationFailed) as caught:
        register(session, category_id=panel.id)
    assert caught.value.code == "inactive_category"


def test_sign_sets_the_stage_once(session: Session) -> None:
    enterprise = register(session)
    enterprises.sign_enterprise(session, actor=ACTOR, enterprise_id=enterprise.id, signed_on=dt.date(2008, 3, 1))
    session.commit()
    assert enterprise.signed_on == dt.date(2008, 3, 1)
    assert enterprise.stage.value == "signed"
    assert _actions(session)[-1] == "enterprise:stage:reached"
    before = counts(session, Enterprise)
    with pytest.raises(Conflict):
        enterprises.sign_enterprise(session, actor=ACTOR, enterprise_id=enterprise.id)
    with pytest.raises(NotFound):
        enterprises.sign_enterprise(session, actor=ACTOR, enterprise_id=enterprise.id + 1000)
    with pytest.raises(ValidationFailed):
        other = register(session)
        enterprises.sign_enterprise(session, actor=ACTOR, enterprise_id=other.id,
                                    signed_on=utcnow().date() + dt.timedelta(days=10))
    session.rollback()
    assert counts(session, Enterprise) == before


def test_update_enterprise_contacts(session: Session) -> None:
    enterprise = register(session)
    session.commit()
    enterprises.update_enterprise(session, actor=ACTOR, principal=manufacturer(enterprise.id),
                                  enterprise_id=enterprise.id, contact_phone="13800000000", contact_name="李工")
    session.commit()
    record = session.scalars(select(AuditRecord).order_by(AuditRecord.id.desc())).first()
    assert record is not None and record.action == "enterprise:enterprise:updated"
    assert record.after == {"contact_phone": "13800000000"}
    other = register(session)
    with pytest.raises(NotFound):
        enterprises.update_enterprise(session, actor=ACTOR, principal=manufacturer(other.id),
                                      enterprise_id=enterprise.id, contact_phone="13900000000")
    with pytest.raises(PermissionDenied):
        enterprises.update_enterprise(session, actor=ACTOR, principal=regulator(session, "440305", Agency.QUALITY),
                                      enterprise_id=enterprise.id, contact_phone="13900000000")


def test_qualifications(session: Session) -> None:
    enterprise = register(session)
    other = register(session)
    session.commit()
    today = utcnow().date()
    q = enterprises.add_qualification(session, actor=ACTOR, principal=manufacturer(enterprise.id),
                                      enterprise_id=enterprise.id, kind="china_top_brand", number="2007-001",
                                      valid_from=dt.date(2007, 9, 1), valid_until=today + dt.timedelta(days=30))
    enterprises.add_qualification(session, actor=ACTOR, principal=OPERATOR, enterprise_id=enterprise.id,
                                  kind="inspection_exempt", number="MJ-1", valid_from=dt.date(2005, 1, 1),
                                  valid_until=dt.date(2008, 1, 1))
    session.commit()
    assert _actions(session)[-2:] == ["enterprise:qualification:added"] * 2
    before = counts(session, Qualification)
    for principal, error in ((manufacturer(other.id), NotFound),
                             (regulator(session, "440305", Agency.QUALITY), PermissionDenied)):
        with pytest.raises(error):
            enterprises.add_qualification(session, actor=ACTOR, principal=principal, enterprise_id=enterprise.id,
                                          kind="china_top_brand", number="X", valid_from=today)
    with pytest.raises(ValidationFailed) as caught:
        enterprises.add_qualification(session, actor=ACTOR, principal=OPERATOR, enterprise_id=enterprise.id,
                                      kind="china_top_brand", number="Y", valid_from=today,
                                      valid_until=today - dt.timedelta(days=1))
    assert caught.value.code == "invalid_validity"
    with pytest.raises(ValidationFailed):
        enterprises.add_qualification(session, actor=ACTOR, principal=OPERATOR, enterprise_id=enterprise.id,
                                      kind="nobel_prize", number="Y", valid_from=today)
    with pytest.raises(Conflict):
        enterprises.add_qualification(session, actor=ACTOR, principal=OPERATOR, enterprise_id=enterprise.id,
                                      kind="china_top_brand", number="2007-001", valid_from=today)
    session.rollback()
    assert counts(session, Qualification) == before
    enterprises.remove_qualification(session, actor=ACTOR, principal=OPERATOR, qualification_id=q.id)
    session.commit()
    assert _actions(session)[-1] == "enterprise:qualification:removed"


def test_products_and_packaging(session: Session) -> None:
    enterprise = register(session)
    other = register(session)
    session.commit()
    gtin = gtin13()
    product = enterprises.add_product(
        session, actor=ACTOR, principal=manufacturer(enterprise.id), enterprise_id=enterprise.id,
        name="电热水壶", specification="1.7L", category_id=enterprise.category_id, gtin=gtin,
        packaging=[("case", 6), ("item", 1), ("pallet", 40)])
    session.commit()
    assert product.gtin == "0" + gtin
    assert [(p.level, p.units_of_lower_level) for p in product.packaging] == [("item", 1), ("case", 6), ("pallet", 40)]
    assert _actions(session)[-1] == "enterprise:product:created"

    before = counts(session, Product, ProductPackaging)
    bad_calls = [
        ({"gtin": gtin}, Conflict, "duplicate_gtin"),
        ({"gtin": gtin[:-1] + str((int(gtin[-1]) + 1) % 10)}, ValidationFailed, "invalid_gtin"),
        ({"packaging": [("case", 6)]}, ValidationFailed, "invalid_packaging"),
        ({"packaging": [("item", 2)]}, ValidationFailed, "invalid_packaging"),
        ({"packaging": [("item", 1), ("case", 0)]}, ValidationFailed, "invalid_packaging"),
        ({"packaging": [("item", 1), ("crate", 3)]}, ValidationFailed, "invalid_packaging"),
        ({"name": ""}, ValidationFailed, "missing_field"),
        ({"name": "电热水壶", "specification": "1.7L"}, Conflict, "duplicate_product"),
    ]
    for overrides, error, code in bad_calls:
        arguments = {"name": "新品", "specification": "1L", "category_id": enterprise.category_id, **overrides}
        with pytest.raises(error) as caught:
            enterprises.add_product(session, actor=ACTOR, principal=OPERATOR, enterprise_id=enterprise.id,
                                    **arguments)
        assert caught.value.code == code, overrides
        session.rollback()
    with pytest.raises(NotFound):
        enterprises.add_product(session, actor=ACTOR, principal=manufacturer(other.id), enterprise_id=enterprise.id,
                                name="冒名", specification="1L", category_id=enterprise.category_id)
    with pytest.raises(NotFound):
        enterprises.list_products(session, principal=manufacturer(other.id), enterprise_id=enterprise.id)
    session.rollback()
    assert counts(session, Product, ProductPackaging) == before

    enterprises.update_product(session, actor=ACTOR, principal=OPERATOR, product_id=product.id,
                               packaging=[("item", 1), ("case", 12)], gtin="")
    session.commit()
    session.refresh(product)
    assert product.gtin is None
    assert [(p.level, p.units_of_lower_level) for p in product.packaging] == [("item", 1), ("case", 12)]
    record = session.scalars(select(AuditRecord).order_by(AuditRecord.id.desc())).first()
    assert record is not None and record.action == "enterprise:product:updated"
    assert record.before["packaging"] == {"item": 1, "case": 6, "pallet": 40}


def test_regulator_scope_by_region_and_agency(session: Session) -> None:
    nanshan = register(session, region_code="440305")
    baoan = register(session, region_code="440306")
    xihu = register(session, region_code="330106")
    session.commit()
    ids = lambda principal: {e.id for e in enterprises.list_enterprises(session, principal=principal)}  # noqa: E731

    nanshan_quality = regulator(session, "440305", Agency.QUALITY)
    assert ids(nanshan_quality) == {nanshan.id}
    with pytest.raises(NotFound):
        enterprises.get_enterprise(session, principal=nanshan_quality, enterprise_id=baoan.id)
    shenzhen_quality = regulator(session, "440300", Agency.QUALITY)
    assert {nanshan.id, baoan.id} <= ids(shenzhen_quality)
    assert xihu.id not in ids(shenzhen_quality)

    # Agriculture does not supervise appliances, until the enterprise registers a seed product.
    nanshan_agriculture = regulator(session, "440305", Agency.AGRICULTURE)
    assert nanshan.id not in ids(nanshan_agriculture)
    with pytest.raises(NotFound):
        enterprises.list_products(session, principal=nanshan_agriculture, enterprise_id=nanshan.id)
    enterprises.add_product(session, actor=ACTOR, principal=OPERATOR, enterprise_id=nanshan.id, name="种子",
                            specification="1kg", category_id=get_category_by_code(session, "seed").id)
    session.commit()
    assert nanshan.id in ids(nanshan_agriculture)

    assert ids(manufacturer(baoan.id)) == {baoan.id}
    assert {nanshan.id, baoan.id, xihu.id} <= ids(OPERATOR)
    for role in (Role.PRINTER, Role.MERCHANT, Role.TERMINAL):
        assert enterprises.list_enterprises(session, principal=Principal(kind="user", id=9, name="x", role=role)) == []


def test_list_filters(session: Session) -> None:
    a = register(session, name="甲电器厂")
    b = register(session, name="乙电缆厂", category_id=get_category_by_code(session, "cable").id,
                 region_code="440306")
    enterprises.sign_enterprise(session, actor=ACTOR, enterprise_id=b.id)
    session.commit()

    def ids(**filters: object) -> set[int]:
        return {e.id for e in enterprises.list_enterprises(session, principal=OPERATOR, **filters)}  # type: ignore[arg-type]  # any filter

    assert ids(stage="registered") >= {a.id} and b.id not in ids(stage="registered")
    assert b.id in ids(stage="signed")
    assert ids(region_code="440306") == {b.id}
    assert ids(query="甲电器") == {a.id}
    assert ids(query=b.credit_code.lower()) == {b.id}
    assert ids(category_id=b.category_id) == {b.id}
    with pytest.raises(ValidationFailed):
        ids(stage="famous")


def test_public_directory_shows_only_signed_enterprises_and_no_contacts(session: Session) -> None:
    signed = register(session, name="公开企业", contact_phone="0755-88888888", contact_email="secret@example.cn")
    hidden = register(session, name="未签约企业")
    enterprises.sign_enterprise(session, actor=ACTOR, enterprise_id=signed.id)
    today = utcnow().date()
    enterprises.add_qualification(session, actor=ACTOR, principal=OPERATOR, enterprise_id=signed.id,
                                  kind="production_licence", number="XK08-001", valid_from=today)
    enterprises.add_qualification(session, actor=ACTOR, principal=OPERATOR, enterprise_id=signed.id,
                                  kind="inspection_exempt", number="MJ-OLD", valid_from=dt.date(2005, 1, 1),
                                  valid_until=dt.date(2008, 1, 1))
    enterprises.add_product(session, actor=ACTOR, principal=OPERATOR, enterprise_id=signed.id, name="电饭煲",
                            specification="3L", category_id=signed.category_id)
    session.commit()
    page = directory.public_directory(session)
    names = [item["name"] for item in page["items"]]
    assert "公开企业" in names and "未签约企业" not in names
    text = json.dumps(page, ensure_ascii=False)
    for secret in ("0755-88888888", "secret@example.cn", "李工", "contact"):
        assert secret not in text
    entry = directory.public_entry(session, signed.id)
    assert entry["region"]["name"] == "南山区"
    assert entry["region"]["path"] == "广东省 深圳市 南山区"
    assert entry["qualifications"] == [{"kind": "production_licence", "number": "XK08-001", "valid_until": None}]
    assert entry["products"] == [{"name": "电饭煲", "specification": "3L"}]
    with pytest.raises(NotFound):
        directory.public_entry(session, hidden.id)
    assert directory.public_directory(session, region_code="330000")["total"] == 0
    assert directory.public_directory(session, query="公开")["total"] == 1
    assert directory.public_directory(session, limit=1, offset=5)["items"] == []


def test_enrolment_progress(session: Session) -> None:
    a = register(session, region_code="440305")
    b = register(session, region_code="440306")
    register(session, region_code="330106")
    for enterprise in (a, b):
        enterprises.sign_enterprise(session, actor=ACTOR, enterprise_id=enterprise.id)
    enrolment.mark_stage_reached(session, actor=ACTOR, enterprise_id=a.id, stage="credentials_issued")
    session.commit()

    country = enrolment.enrolment_progress(session, principal=OPERATOR)
    assert country["totals"] == {"registered": 3, "signed": 2, "credentials_issued": 1, "codes_issued": 0,
                                 "activated": 0}
    guangdong = next(child for child in country["children"] if child["code"] == "440000")
    assert guangdong["signed"] == 2

    shenzhen = enrolment.enrolment_progress(session, principal=OPERATOR, region_code="440300")
    by_code = {child["code"]: child for child in shenzhen["children"]}
    assert by_code["440305"]["credentials_issued"] == 1
    assert by_code["440306"]["signed"] == 1 and by_code["440306"]["credentials_issued"] == 0

    nanshan = regulator(session, "440305", Agency.QUALITY)
    own = enrolment.enrolment_progress(session, principal=nanshan)
    assert own["region"]["code"] == "440305" and own["totals"]["registered"] == 1
    with pytest.raises(NotFound):
        enrolment.enrolment_progress(session, principal=nanshan, region_code="440306")
    with pytest.raises(PermissionDenied):
        enrolment.enrolment_progress(session, principal=manufacturer(a.id))
    assert enrolment.enrolment_progress(session, principal=regulator(session, "440305", Agency.FOOD_DRUG)
                                          )["totals"]["registered"] == 0


def test_registration_details_are_kept(session: Session) -> None:
    fields = enterprise_fields(session)
    enterprise = enterprises.register_enterprise(session, actor=ACTOR, **fields)
    session.commit()
    record = session.scalars(select(AuditRecord).order_by(AuditRecord.id.desc())).first()
    assert record is not None
    assert record.target_type == "enterprise" and record.target_id == str(enterprise.id)
    assert record.after["credit_code"] == fields["credit_code"]
    assert record.after["category"] == "appliance"


def test_a_city_without_counties_is_registrable(session: Session) -> None:
    # 东莞 is a prefecture-level city with no county level under it.
    assert register(session, region_code="441900").region_code == "441900"


def test_the_funnel_only_runs_forward(session: Session) -> None:
    """Reaching a stage records the earlier ones it implies, on the same day; dated stages stay."""
    enterprise = register(session, region_code="440305")
    enterprises.sign_enterprise(session, actor=ACTOR, enterprise_id=enterprise.id, signed_on=dt.date(2007, 3, 1))
    assert enrolment.mark_stage_reached(session, actor=ACTOR, enterprise_id=enterprise.id, stage="codes_issued",
                                        on=dt.date(2007, 5, 1))
    session.commit()
    session.refresh(enterprise)
    assert (enterprise.signed_on, enterprise.credentials_issued_on, enterprise.codes_issued_on,
            enterprise.activated_on) == (dt.date(2007, 3, 1), dt.date(2007, 5, 1), dt.date(2007, 5, 1), None)
    record = session.scalars(select(AuditRecord).order_by(AuditRecord.id.desc())).first()
    assert record is not None and record.action == "enterprise:stage:reached"
    assert record.after == {"credentials_issued_on": "2007-05-01", "codes_issued_on": "2007-05-01",
                            "stage": "codes_issued"}
    assert not enrolment.mark_stage_reached(session, actor=ACTOR, enterprise_id=enterprise.id,
                                            stage="credentials_issued")
    counts = enrolment.enrolment_progress(session, principal=OPERATOR, region_code="440305")["totals"]
    assert counts["signed"] >= counts["credentials_issued"] >= counts["codes_issued"] >= counts["activated"]
    assert enterprise.stage.value == "codes_issued"


def test_the_operator_sets_the_monthly_quota(session: Session) -> None:
    enterprise = make_enterprise(session)
    product = make_product(session, enterprise.id)
    session.commit()
    assert enterprise.monthly_code_quota == 1_000_000
    enterprises.set_monthly_quota(session, actor=ACTOR, enterprise_id=enterprise.id, quota=50)
    session.commit()
    assert session.get(Enterprise, enterprise.id).monthly_code_quota == 50
    record = session.scalars(select(AuditRecord).order_by(AuditRecord.id.desc())).first()
    assert record is not None and record.action == "enterprise:quota:changed"
    assert (record.target_id, record.before, record.after) == (
        str(enterprise.id), {"monthly_code_quota": 1_000_000}, {"monthly_code_quota": 50})
    # The quota is the one request_codes checks: 60 codes now wait for the operator, 50 do not.
    waiting = issuing.request_codes(session, actor=ACTOR, principal=manufacturer(enterprise.id),
                                    product_id=product.id, quantity=60)
    assert waiting.batch is None and waiting.request.status == "pending"
    assert issuing.request_codes(session, actor=ACTOR, principal=manufacturer(enterprise.id), product_id=product.id,
                                 quantity=50).batch is not None
    session.commit()
    # The same value again changes nothing; the bounds are accepted.
    audited = counts(session, Enterprise)
    enterprises.set_monthly_quota(session, actor=ACTOR, enterprise_id=enterprise.id, quota=50)
    session.commit()
    assert counts(session, Enterprise) == audited
    for quota in (0, 10**12):
        assert enterprises.set_monthly_quota(session, actor=ACTOR, enterprise_id=enterprise.id,
                                             quota=quota).monthly_code_quota == quota
    session.commit()


@pytest.mark.parametrize(
    ("quota", "error", "code"),
    [(-1, ValidationFailed, "invalid_quota"), (10**12 + 1, ValidationFailed, "invalid_quota"),
     (True, ValidationFailed, "invalid_quota"), ("500", ValidationFailed, "invalid_quota"),
     (12.0, ValidationFailed, "invalid_quota"), (None, ValidationFailed, "missing_field")],
)
def test_a_bad_quota_is_refused_and_changes_nothing(session: Session, quota: object, error: type[DomainError],
                                                    code: str) -> None:
    enterprise = make_enterprise(session)
    session.commit()
    before = counts(session, Enterprise)
    with pytest.raises(error) as caught:
        enterprises.set_monthly_quota(session, actor=ACTOR, enterprise_id=enterprise.id, quota=quota)  # type: ignore[arg-type]
    session.rollback()
    assert caught.value.code == code
    assert caught.value.message and caught.value.message_zh and caught.value.message != caught.value.message_zh
    assert counts(session, Enterprise) == before
    assert session.get(Enterprise, enterprise.id).monthly_code_quota == 1_000_000


def test_quota_of_an_unknown_enterprise_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        enterprises.set_monthly_quota(session, actor=ACTOR, enterprise_id=10**9, quota=5)


def test_products_and_qualifications_of_another_enterprise_are_not_found(session: Session) -> None:
    """A manufacturer, or an address naming another enterprise, reaches no product or qualification
    of another enterprise: NotFound, and nothing changes."""
    own, other = register(session), register(session)
    product = make_product(session, own.id)
    qualification = enterprises.add_qualification(session, actor=ACTOR, principal=OPERATOR, enterprise_id=own.id,
                                                  kind="china_top_brand", number="2007-009",
                                                  valid_from=dt.date(2007, 1, 1))
    session.commit()
    before = counts(session, Product, Qualification)
    for principal, enterprise_id in ((manufacturer(other.id), None), (manufacturer(other.id), other.id),
                                     (OPERATOR, other.id)):
        with pytest.raises(NotFound):
            enterprises.update_product(session, actor=ACTOR, principal=principal, product_id=product.id,
                                       name="冒名", enterprise_id=enterprise_id)
        with pytest.raises(NotFound):
            enterprises.remove_qualification(session, actor=ACTOR, principal=principal,
                                             qualification_id=qualification.id, enterprise_id=enterprise_id)
        session.rollback()
    with pytest.raises(PermissionDenied):
        enterprises.update_product(session, actor=ACTOR, principal=regulator(session, "440305", Agency.QUALITY),
                                   product_id=product.id, name="冒名")
    session.rollback()
    assert counts(session, Product, Qualification) == before
    assert session.get(Product, product.id).name != "冒名"
    # The enterprise's own staff, on its own address, change both.
    enterprises.update_product(session, actor=ACTOR, principal=manufacturer(own.id), product_id=product.id,
                               name="改名产品", enterprise_id=own.id)
    enterprises.remove_qualification(session, actor=ACTOR, principal=manufacturer(own.id),
                                     qualification_id=qualification.id, enterprise_id=own.id)
    session.commit()
    assert session.get(Product, product.id).name == "改名产品"
    assert session.get(Qualification, qualification.id) is None
    assert _actions(session)[-2:] == ["enterprise:product:updated", "enterprise:qualification:removed"]
