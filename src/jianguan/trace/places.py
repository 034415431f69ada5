"""Places (GLNs) of enterprises, distributors and shops, as supply-chain events name them.

A party registers the GLNs of its warehouses and shops (and its own party GLN); events then name
them in readPoint, bizLocation, sourceList and destinationList. A GLN belongs to one party. The
operator may register a place for any party.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.enterprises.identifiers import validate_gtin
from jianguan.enterprises.models import Enterprise
from jianguan.enterprises.services import registrable_region
from jianguan.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jianguan.fields import clean_text
from jianguan.jurisdiction import scope_condition
from jianguan.merchants.models import Merchant
from jianguan.trace.models import Location, PartyKind


def validate_gln(value: object) -> str:
    """A 13-digit GLN with a correct check digit; ValidationFailed otherwise."""
    text = str(value).strip() if value is not None else ""
    if not (len(text) == 13 and text.isascii() and text.isdigit()):
        raise ValidationFailed("A GLN has 13 digits.", "GLN（全球位置码）应为 13 位数字。", code="bad_gln")
    try:
        validate_gtin(text)  # the same mod-10 check digit as a GTIN-13
    except ValidationFailed:
        raise ValidationFailed(f"The check digit of the GLN {text} is wrong.", f"GLN {text} 的校验位不正确。",
                               code="bad_gln") from None
    return text


@dataclass(frozen=True, slots=True)
class PartyRef:
    kind: PartyKind
    id: int


def own_party(principal: Principal) -> PartyRef:
    """The party a manufacturer's or merchant's principal speaks for."""
    if principal.role is Role.MANUFACTURER and principal.enterprise_id is not None:
        return PartyRef(PartyKind.ENTERPRISE, principal.enterprise_id)
    if principal.role is Role.MERCHANT and principal.merchant_id is not None:
        return PartyRef(PartyKind.MERCHANT, principal.merchant_id)
    raise PermissionDenied("Only enterprises, distributors and shops have places of their own.",
                           "只有生产企业、经销商和商店可以登记地点。")


def _party_exists(session: Session, party: PartyRef) -> bool:
    table = Enterprise if party.kind is PartyKind.ENTERPRISE else Merchant
    return session.get(table, party.id) is not None


def register_location(session: Session, *, actor: Actor, principal: Principal, gln: str, name: str,
                      region_code: str, address: str = "", party: PartyRef | None = None) -> Location:
    """Register a GLN as a place of the caller's party (the operator: of ``party``)."""
    if principal.role is Role.OPERATOR:
        if party is None or not _party_exists(session, party):
            raise NotFound("No such enterprise, distributor or shop.", "未找到该企业、经销商或商店。")
    else:
        party = own_party(principal)
    code = validate_gln(gln)
    name = clean_text(name, Location.name, english="name", chinese="地点名称", required=True)
    address = clean_text(address, Location.address, english="address", chinese="地址")
    region = registrable_region(session, region_code)
    existing = session.get(Location, code)
    if existing is not None:
        if (existing.party_kind, existing.party_id) == (party.kind, party.id) and existing.name == name:
            return existing
        raise Conflict(f"The GLN {code} is already registered.", f"GLN {code} 已被登记。", code="duplicate_gln")
    location = Location(gln=code, party_kind=party.kind, party_id=party.id, name=name, region_code=region.code,
                        address=address, registered_by=actor.name)
    session.add(location)
    session.flush()
    record(session, actor=actor, action=AuditAction.TRACE_LOCATION_REGISTERED, target_type="location", target_id=code,
           after={"party_kind": party.kind.value, "party_id": party.id, "name": name, "region_code": region.code,
                  "address": address})
    return location


def list_locations(session: Session, *, principal: Principal) -> list[Location]:
    """The places ``principal`` may see: its own, or those in its region (regulators, operator)."""
    query = select(Location)
    if principal.role in (Role.MANUFACTURER, Role.MERCHANT):
        party = own_party(principal)
        query = query.where(Location.party_kind == party.kind, Location.party_id == party.id)
    else:
        query = query.where(scope_condition(principal, region=Location.region_code))
    return list(session.scalars(query.order_by(Location.party_kind, Location.party_id, Location.gln)))
