"""Where a case goes: the agency that answers for the product's category in the county where it
happened (the kernel's ``responsible_agencies``), or in the region of the reporter's phone number
when the place is unknown; and the level above, where an overdue case is escalated."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from jianguan.jurisdiction import LEAD_AGENCY, responsible_agencies
from jianguan.regions.tree import region_tree


@dataclass(frozen=True)
class Route:
    """The region the case is placed in, whether that came from the phone number, the agency
    that answers for it and the region of the level that answers now (None: the operations
    centre passes it on)."""

    region_code: str | None
    from_phone: bool
    agency: str
    assigned_region: str | None


def route_case(session: Session, *, region_code: str | None, category_id: int | None,
               phone_region: str | None) -> Route:
    """Route a case (see the module doc): the most local responsible agency first.
    ``phone_region`` is the region of the reporter's number (the channel places it)."""
    from_phone = False
    if region_code is None and phone_region is not None and phone_region in region_tree(session):
        region_code, from_phone = phone_region, True
    if region_code is None:
        return Route(None, False, LEAD_AGENCY.value, None)
    responsible = responsible_agencies(session, region_code=region_code, category_id=category_id)
    first = responsible[0]
    return Route(region_code, from_phone, first.agency.value, first.region.code)


def level_above(session: Session, region_code: str | None) -> str | None:
    """The region of the level above ``region_code`` (a county's city, a city's province), or
    None at the top (a province's overdue case stays with the province and the operator)."""
    if region_code is None:
        return None
    parent = region_tree(session).parent(region_code)
    return parent.code if parent is not None else None
