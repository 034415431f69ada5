"""Building blocks for the registry tests: valid credit codes, principals, enterprises."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.models import AuditRecord
from jianguan.audit.services import Actor
from jianguan.catalogue.models import Agency
from jianguan.catalogue.services import get_category_by_code
from jianguan.enterprises import services as enterprises
from jianguan.enterprises.identifiers import CREDIT_CODE_ALPHABET, credit_code_check_character
from jianguan.enterprises.models import Enterprise
from jianguan.regions.tree import region_tree

ACTOR = Actor("user:tester", "127.0.0.1")
OPERATOR = Principal(kind="user", id=1, name="tester", role=Role.OPERATOR)


def credit_code(region: str = "440305") -> str:
    """A fresh, valid unified social credit code registered in ``region``."""
    body = "91" + region + "".join(secrets.choice(CREDIT_CODE_ALPHABET) for _ in range(9))
    return body + credit_code_check_character(body)


def gtin13() -> str:
    """A fresh, valid GTIN-13 with a Chinese (690-699) GS1 prefix."""
    from jianguan.enterprises.identifiers import gtin_check_digit

    body = "69" + "".join(secrets.choice("0123456789") for _ in range(10))
    return body + gtin_check_digit(body)


def regulator(session: Session, region_code: str, agency: Agency) -> Principal:
    return Principal(kind="user", id=2, name=f"reg-{region_code}-{agency}", role=Role.REGULATOR,
                     region_code=region_code, agency=agency,
                     region_codes=region_tree(session).descendants(region_code))


def manufacturer(enterprise_id: int) -> Principal:
    return Principal(kind="user", id=3, name=f"maker-{enterprise_id}", role=Role.MANUFACTURER,
                     enterprise_id=enterprise_id)


def enterprise_fields(session: Session, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "credit_code": credit_code(), "name": "深圳市南山电器有限公司", "region_code": "440305",
        "category_id": get_category_by_code(session, "appliance").id, "address": "南山区科技园 1 号",
        "contact_name": "李工", "contact_phone": "0755-26000000", "contact_email": "li@example.cn",
    }
    fields.update(overrides)
    return fields


def register(session: Session, **overrides: Any) -> Enterprise:
    return enterprises.register_enterprise(session, actor=ACTOR, **enterprise_fields(session, **overrides))


def counts(session: Session, *models: type) -> tuple[int, ...]:
    """Row counts of ``models`` and of the audit log, to show that a refused call changed nothing."""
    return tuple(session.scalar(select(func.count()).select_from(model)) or 0 for model in (*models, AuditRecord))


def make_enterprise(session: Session, *, signed: bool = True, **overrides: Any) -> Enterprise:
    """A registered (and by default signed) enterprise with a unique name and credit code."""
    overrides.setdefault("name", f"测试企业 {secrets.token_hex(3)} 有限公司")
    enterprise = register(session, **overrides)
    if signed:
        enterprises.sign_enterprise(session, actor=ACTOR, enterprise_id=enterprise.id)
    return enterprise


def make_product(session: Session, enterprise_id: int, *, packaging: tuple[tuple[str, int], ...] = (("item", 1),),
                 gtin: str | None = None) -> Any:
    """A product of ``enterprise_id`` with the given packaging levels."""
    return enterprises.add_product(session, actor=ACTOR, principal=OPERATOR, enterprise_id=enterprise_id,
                                   name=f"测试产品 {secrets.token_hex(3)}", specification="500 g",
                                   category_id=get_category_by_code(session, "appliance").id, gtin=gtin,
                                   packaging=packaging)


def make_printer(session: Session, *, filing: bool = True, filing_valid_until: Any = None) -> Any:
    """A printer, with a filing valid until ``filing_valid_until`` unless ``filing`` is False."""
    import datetime as dt

    from jianguan.printers.services import register_printer

    return register_printer(
        session, actor=ACTOR, credit_code=credit_code("130104"), name=f"测试印刷厂 {secrets.token_hex(3)}",
        region_code="130104", filing_number=f"备{secrets.token_hex(4)}" if filing else None,
        filing_valid_until=(filing_valid_until or dt.date(2099, 12, 31)) if filing else None,
    )
