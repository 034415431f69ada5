"""Distributors and shops: registering them and who may see them."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from jianguan.accounts.principal import Principal
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.enterprises.identifiers import validate_credit_code
from jianguan.enterprises.services import registrable_region
from jianguan.errors import Conflict, NotFound, ValidationFailed
from jianguan.fields import clean_text
from jianguan.jurisdiction import scope_condition
from jianguan.merchants.models import Merchant, MerchantKind


def register_merchant(
    session: Session, *, actor: Actor, credit_code: str, name: str, kind: MerchantKind | str, region_code: str,
    address: str = "",
) -> Merchant:
    """Enter a distributor or shop in the registry."""
    code = validate_credit_code(credit_code)
    name = clean_text(name, Merchant.name, english="name", chinese="经销商或商店名称", required=True)
    address = clean_text(address, Merchant.address, english="address", chinese="地址")
    try:
        kind = MerchantKind(kind)
    except ValueError:
        raise ValidationFailed(f"Unknown kind {kind!r}; distributor or shop.",
                               f"未知的类型 {kind!r}，可选：distributor（经销商）、shop（商店）。",
                               code="unknown_merchant_kind") from None
    region = registrable_region(session, region_code)
    if session.scalar(select(Merchant.id).where(Merchant.credit_code == code)) is not None:
        raise Conflict(f"A distributor or shop with the credit code {code} is already registered.",
                       f"统一社会信用代码为 {code} 的经销商/商店已登记。", code="duplicate_merchant")
    merchant = Merchant(credit_code=code, name=name, kind=kind, region_code=region.code, address=address)
    session.add(merchant)
    session.flush()
    record(session, actor=actor, action=AuditAction.MERCHANT_MERCHANT_REGISTERED, target_type="merchant",
           target_id=merchant.id, after={"credit_code": code, "name": name, "kind": kind.value,
                                         "region_code": region.code, "address": merchant.address})
    return merchant


def _in_scope(principal: Principal) -> ColumnElement[bool]:
    return scope_condition(principal, region=Merchant.region_code, merchant=Merchant.id)


def list_merchants(session: Session, *, principal: Principal) -> list[Merchant]:
    """The merchants ``principal`` may see (the jurisdiction rule): an operator all, a regulator of a
    general agency those in its region, a merchant (or its terminal) itself."""
    return list(session.scalars(select(Merchant).where(_in_scope(principal)).order_by(Merchant.name, Merchant.id)))


def get_merchant(session: Session, *, principal: Principal, merchant_id: int) -> Merchant:
    """One merchant in ``principal``'s scope; NotFound otherwise."""
    merchant = session.scalar(select(Merchant).where(_in_scope(principal), Merchant.id == merchant_id))
    if merchant is None:
        raise NotFound(f"No distributor or shop {merchant_id}.", f"经销商/商店 {merchant_id} 不存在。")
    return merchant
