"""The catalogue's services and its default categories (migration 0002)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.audit.models import AuditRecord
from jianguan.catalogue import services as catalogue
from jianguan.catalogue.models import Category
from jianguan.errors import Conflict, NotFound, ValidationFailed
from tests.functional.registry_data import ACTOR, counts


def test_default_catalogue(session: Session) -> None:
    categories = {c.code: c for c in catalogue.list_categories(session)}
    assert len(categories) == 16
    mandatory = [c for c in categories.values() if c.mandatory_since == 2007]
    # Nine categories of 2007, agricultural inputs counted once although they are four rows.
    assert len(mandatory) == 12
    assert {c.code for c in mandatory} >= {"fertiliser", "pesticide", "seed", "feed", "cosmetics"}
    assert categories["seed"].agency == "agriculture"
    assert categories["cosmetics"].agency == "food_drug"
    assert categories["consumer"].agency == "market"
    assert categories["food"].name_zh == "食品"
    assert categories["food"].created_at.tzinfo is not None
    assert catalogue.list_categories(session)[0].mandatory_since == 2007


def test_create_and_update_category(session: Session) -> None:
    toys = catalogue.create_category(session, actor=ACTOR, code=" Toys ", name_zh="玩具", name_en="toys",
                                     agency="quality", description="儿童玩具")
    session.commit()
    assert toys.code == "toys"
    assert catalogue.get_category_by_code(session, "TOYS").id == toys.id
    catalogue.update_category(session, actor=ACTOR, category_id=toys.id, agency="market", is_active=False)
    session.commit()
    assert toys.agency == "market" and not toys.is_active
    assert "toys" not in {c.code for c in catalogue.list_categories(session)}
    assert "toys" in {c.code for c in catalogue.list_categories(session, include_inactive=True)}
    records = session.scalars(select(AuditRecord).order_by(AuditRecord.id)).all()
    assert [r.action for r in records] == ["catalogue:category:created", "catalogue:category:updated"]
    assert records[1].before == {"agency": "quality", "is_active": True}
    assert records[1].after == {"agency": "market", "is_active": False}
    # An update that changes nothing writes nothing.
    catalogue.update_category(session, actor=ACTOR, category_id=toys.id, agency="market")
    session.commit()
    assert counts(session, Category)[-1] == 2


@pytest.mark.parametrize(
    ("arguments", "error", "code"),
    [
        ({"code": "food"}, Conflict, "duplicate_category"),
        ({"code": "9lives"}, ValidationFailed, "invalid_category_code"),
        ({"agency": "police"}, ValidationFailed, "unknown_agency"),
        ({"name_zh": " "}, ValidationFailed, "missing_field"),
        ({"mandatory_since": 1066}, ValidationFailed, "invalid_year"),
    ],
)
def test_bad_categories_are_refused(session: Session, arguments: dict[str, object], error: type, code: str) -> None:
    before = counts(session, Category)
    fields: dict[str, object] = {"code": "toys", "name_zh": "玩具", "name_en": "toys", "agency": "quality",
                                 **arguments}
    with pytest.raises(error) as caught:
        catalogue.create_category(session, actor=ACTOR, **fields)  # type: ignore[arg-type]  # values wrong on purpose
    session.rollback()
    assert caught.value.code == code
    assert caught.value.message_zh
    assert counts(session, Category) == before


def test_unknown_category(session: Session) -> None:
    with pytest.raises(NotFound):
        catalogue.get_category(session, 999)
    with pytest.raises(NotFound):
        catalogue.update_category(session, actor=ACTOR, category_id=999, name_zh="x")
    with pytest.raises(ValidationFailed):
        catalogue.update_category(session, actor=ACTOR, category_id=1, agency="police")
