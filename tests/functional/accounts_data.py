"""Organisations for the accounts tests, written straight into a test database.

The accounts tests need an enterprise, a printer and a merchant to bind users and keys to;
how those are registered is another area's business and its own tests', so they are inserted
here as plain rows.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

import jianguan.models  # noqa: F401 - every table, so foreign keys resolve when used on its own
from jianguan.catalogue.models import Agency, Category
from jianguan.enterprises.models import Enterprise
from jianguan.merchants.models import Merchant, MerchantKind
from jianguan.printers.models import Printer
from jianguan.storage import make_engine, session_factory, transaction


@dataclass(frozen=True)
class Organisations:
    enterprise_id: int
    other_enterprise_id: int
    printer_id: int
    merchant_id: int


def _credit_code() -> str:
    return "91" + secrets.token_hex(8).upper()


def unique_name(stem: str) -> str:
    """A username no other test uses."""
    return f"{stem}.{uuid.uuid4().hex[:10]}"


def add_organisations(session: Session) -> Organisations:
    """Two enterprises, a printer and a shop in 石家庄, on the first category (made if none)."""
    category = session.scalar(select(Category).order_by(Category.id).limit(1))
    if category is None:
        category = Category(code=f"test-{uuid.uuid4().hex[:8]}", name_zh="测试类别", name_en="test category",
                            agency=Agency.QUALITY)
        session.add(category)
        session.flush()
    enterprises = [
        Enterprise(credit_code=_credit_code(), name=f"石家庄测试企业{n}", region_code="130111",
                   category_id=category.id, address="栾城区测试路 1 号", contact_name="张三",
                   contact_phone="0311-80000000")
        for n in (1, 2)
    ]
    printer = Printer(credit_code=_credit_code(), name="石家庄测试印刷厂", region_code="130100")
    merchant = Merchant(credit_code=_credit_code(), name="栾城测试商店", kind=MerchantKind.SHOP,
                        region_code="130111")
    session.add_all([*enterprises, printer, merchant])
    session.flush()
    return Organisations(enterprises[0].id, enterprises[1].id, printer.id, merchant.id)


def add_organisations_to(database_url: str) -> Organisations:
    """``add_organisations`` in its own committed transaction on ``database_url``."""
    engine = make_engine(database_url)
    try:
        with transaction(session_factory(engine)) as session:
            return add_organisations(session)
    finally:
        engine.dispose()
