"""Who may see what: the one scope rule every service asks, and the agency that answers for a product.

Every object a service lists or reads is placed on up to five axes: where it is (a region
column), what it is (a product category column), which enterprise it belongs to, and which
printer or merchant it concerns. A principal's scope admits an object by these rules:

- the operator (运营中心) sees everything;
- a regulator sees an object that lies in its region (the region and every division under it)
  and whose category its agency supervises; an object that names no category (a shop, a
  terminal, an abuse alert, a report of a code nobody issued) is general business, seen by the
  agencies with general duties: quality supervision (质监, whose office leads the network's
  rollout and handles production) and market regulation (工商/市场监管, circulation). An
  object that belongs to an enterprise is also seen when that enterprise is in scope: in the
  region, and making products of a category the agency supervises (its main category or any
  product's);
- a manufacturer sees what belongs to its enterprise, a printer what names it, a merchant (and
  its query terminal) what names its shop: their own organisation only (信息保密).

A caller names the columns that apply to its table; an axis it does not name admits nothing
(an object with no enterprise column is never a manufacturer's). ``scope_condition`` is the
rule as a SQL condition; ``in_scope`` evaluates the very same condition on one object's values,
so a list and a single read can never disagree. Outside scope is answered NotFound: a caller
must not learn that something exists.

``responsible_agencies`` names the agency of each level that answers for a category in a
county, where a case is routed. A case also names the agency it was routed (or passed) to:
that agency's regulators in the region see it (the ``agency`` axis).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, String, and_, exists, false, literal, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter, False_, SQLColumnExpression, True_
from sqlalchemy.types import TypeEngine

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.catalogue.models import Agency, Category
from jianguan.enterprises.models import Enterprise, Product
from jianguan.regions.tree import RegionNode, region_tree

# Agencies whose duties are not bounded by product category: they see what names no category.
GENERAL_AGENCIES = frozenset({Agency.QUALITY, Agency.MARKET})
# Who answers for an object of no category when one agency must be named (the leading group's office).
LEAD_AGENCY = Agency.QUALITY

# A table's column, an ORM attribute (``Enterprise.region_code``) or any expression standing for one.
Column = SQLColumnExpression[Any]


def _agency_categories(agency: Agency) -> Any:
    return select(Category.id).where(Category.agency == agency).scalar_subquery()


def _category_condition(agency: Agency, category: Column) -> ColumnElement[bool]:
    """Objects whose category ``agency`` supervises (and, for a general agency, objects of none)."""
    supervised = category.in_(_agency_categories(agency))
    return or_(supervised, category.is_(None)) if agency in GENERAL_AGENCIES else supervised


def enterprises_in_scope(principal: Principal) -> Any:
    """The ids of the enterprises ``principal`` sees, as a subquery (see the module doc)."""
    if principal.role is Role.OPERATOR:
        return select(Enterprise.id)
    if principal.role is Role.MANUFACTURER:
        return select(Enterprise.id).where(Enterprise.id == principal.enterprise_id)
    if principal.role is not Role.REGULATOR or principal.agency is None or not principal.region_codes:
        return select(Enterprise.id).where(false())
    supervised = _agency_categories(principal.agency)
    return select(Enterprise.id).where(
        Enterprise.region_code.in_(sorted(principal.region_codes)),
        or_(Enterprise.category_id.in_(supervised),
            exists().where(Product.enterprise_id == Enterprise.id, Product.category_id.in_(supervised))),
    )


def scope_condition(
    principal: Principal,
    *,
    region: Column | None = None,
    category: Column | None = None,
    enterprise: Column | None = None,
    printer: Column | None = None,
    merchant: Column | None = None,
    agency: Column | None = None,
) -> ColumnElement[bool]:
    """The condition that limits a query to what ``principal`` may see (see the module doc).

    ``region``, ``category``, ``enterprise``, ``printer`` and ``merchant`` are the columns (or
    expressions) of the queried table that hold a region code, a category id, an enterprise id,
    a printer id and a merchant id; give those that the table has. ``agency`` is the column of an
    object routed to one agency (a case): a regulator of that agency sees it in its region too,
    whatever its category (a case passed to another agency).
    """
    role = principal.role
    if role is Role.OPERATOR:
        return true()
    if role is Role.REGULATOR:
        if principal.agency is None or not principal.region_codes:
            return false()
        admitted: list[ColumnElement[bool]] = []
        if region is not None:
            where = _region_in(region, principal.region_codes)
            if category is not None:
                admitted.append(and_(where, _category_condition(principal.agency, category)))
            elif principal.agency in GENERAL_AGENCIES:
                admitted.append(where)
            if agency is not None:
                admitted.append(and_(where, agency == principal.agency.value))
        if enterprise is not None:
            admitted.append(enterprise.in_(enterprises_in_scope(principal)))
        return or_(*admitted) if admitted else false()
    own = {Role.MANUFACTURER: (enterprise, principal.enterprise_id), Role.PRINTER: (printer, principal.printer_id),
           Role.MERCHANT: (merchant, principal.merchant_id), Role.TERMINAL: (merchant, principal.merchant_id)}
    column, ident = own.get(role, (None, None))
    if column is None or ident is None:
        return false()
    return column == ident


def _region_in(region: Column, codes: frozenset[str] | set[str]) -> ColumnElement[bool]:
    """``region`` among ``codes``; decided here when ``region`` is a constant (a ``literal``): a
    province's scope is a list of about two hundred codes, which every statement would otherwise
    carry, compile and send as parameters."""
    if isinstance(region, BindParameter) and region.value is not None and region.callable is None:
        return true() if region.value in codes else false()
    return region.in_(sorted(codes))


def in_scope(
    session: Session,
    principal: Principal,
    *,
    region: str | None = None,
    category: int | None = None,
    enterprise: int | None = None,
    printer: int | None = None,
    merchant: int | None = None,
    agency: str | None = None,
    axes: frozenset[str] | None = None,
) -> bool:
    """Whether one object with these values is in ``principal``'s scope: the same condition as
    ``scope_condition``, evaluated on the values. ``axes`` names the axes the object's kind has
    (default: those given a value); an axis the kind has but this object leaves empty is passed
    as NULL."""
    values = {"region": region, "category": category, "enterprise": enterprise, "printer": printer,
              "merchant": merchant, "agency": agency}
    named = axes if axes is not None else frozenset(name for name, value in values.items() if value is not None)
    types: dict[str, TypeEngine[Any]] = {"region": String(6), "category": Integer(), "enterprise": Integer(), "printer": Integer(),
             "merchant": Integer(), "agency": String(16)}
    columns = {name: literal(values[name], types[name]) for name in named}
    condition = scope_condition(principal, **columns)
    if isinstance(condition, True_ | False_):  # decided by the role alone: no need to ask the database
        return isinstance(condition, True_)
    return bool(session.scalar(select(condition)))


def covers_region(principal: Principal, region_code: str) -> bool:
    """Whether ``principal``'s region scope holds ``region_code``: an operator every region, a
    regulator its region and what lies under it, nobody else any."""
    if principal.role is Role.OPERATOR:
        return True
    return principal.role is Role.REGULATOR and region_code in principal.region_codes


@dataclass(frozen=True)
class ResponsibleAgency:
    """The agency of one level that answers for a category in a place: a county's, then its
    city's, then its province's."""

    region: RegionNode
    agency: Agency


def responsible_agencies(session: Session, *, region_code: str, category_id: int | None) -> list[ResponsibleAgency]:
    """Who answers for a product of ``category_id`` (None: no known product) in ``region_code``:
    the supervising agency of the category at the county, city and province over it, the most
    local first. A product of no known category is the leading office's (质监)."""
    agency = LEAD_AGENCY
    if category_id is not None:
        category = session.get(Category, category_id)
        if category is not None:
            agency = Agency(category.agency)
    path = region_tree(session).path(region_code)
    return [ResponsibleAgency(node, agency) for node in reversed(path)]
