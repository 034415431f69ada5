"""The coverage of the catalogue of products under supervision (百种产品目录) in a region.

For each entry of the catalogue the caller's agency supervises (its category's), in the region
and the divisions under it: the enrolled (signed) enterprises with a product linked to the entry,
the products linked, and the codes of those products activated in the period and to its end.
An entry is covered when at least one enrolled enterprise in the region has activated codes of
it by the period's end. Codes are read from the per-product roll-up (``stats_product_days``),
joined to the products and enterprises as they stand, never from the codes themselves; the
products and enterprises are limited by the scope rule on the product's region and category.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, case, func, literal, select
from sqlalchemy.orm import Session

from jianguan.accounts.principal import Principal
from jianguan.catalogue.models import CatalogueEntry, Category
from jianguan.catalogue.services import number_order
from jianguan.enterprises.models import Enterprise, Product
from jianguan.jurisdiction import scope_condition
from jianguan.regions.tree import RegionTree
from jianguan.stats.figures import Cell, Column, Period, Place, Table
from jianguan.stats.models import ProductDay

COVERED = ("已覆盖", "covered")
NOT_COVERED = ("未覆盖", "not covered")


@dataclass
class _Tally:
    enterprises: set[int] = field(default_factory=set)
    products: int = 0
    activated: int = 0
    activated_total: int = 0
    activating: set[int] = field(default_factory=set)


def coverage(session: Session, principal: Principal, tree: RegionTree, place: Place,
             span: Period) -> tuple[Table, dict[str, Any]]:
    """The coverage table (entries not covered first, then by number) and its summary: entries
    ``covered`` of ``entries``, and the numbers of those not covered."""
    anchor = place.region.code if place.region is not None else ""
    entries = session.execute(
        select(CatalogueEntry, Category).join(Category, Category.id == CatalogueEntry.category_id)
        .where(CatalogueEntry.is_active.is_(True),
               scope_condition(principal, region=literal(anchor, String(6)), category=CatalogueEntry.category_id)))
    in_place = [Enterprise.region_code.in_(sorted(tree.descendants(place.region.code)))] if place.region else []
    scoped = scope_condition(principal, region=Enterprise.region_code, category=Product.category_id)
    enrolled = Enterprise.signed_on.is_not(None)
    tallies: dict[int, _Tally] = defaultdict(_Tally)
    linked = func.coalesce(Product.catalogue_entry_id, 0)  # never 0: the rows read are linked
    for entry_id, enterprise_id, signed in session.execute(
            select(linked, Product.enterprise_id, enrolled)
            .join(Enterprise, Enterprise.id == Product.enterprise_id)
            .where(Product.catalogue_entry_id.is_not(None), scoped, *in_place)):
        tally = tallies[entry_id]
        tally.products += 1
        if signed:
            tally.enterprises.add(enterprise_id)
    in_period = case((ProductDay.day >= span.first, ProductDay.activated), else_=0)
    for entry_id, enterprise_id, signed, activated, total in session.execute(
            select(Product.catalogue_entry_id, Product.enterprise_id, enrolled, func.sum(in_period),
                   func.sum(ProductDay.activated))
            .join(Product, Product.id == ProductDay.product_id)
            .join(Enterprise, Enterprise.id == Product.enterprise_id)
            .where(ProductDay.day <= span.last, Product.catalogue_entry_id.is_not(None), scoped, *in_place)
            .group_by(Product.catalogue_entry_id, Product.enterprise_id, enrolled)):
        tally = tallies[entry_id]
        tally.activated += int(activated or 0)
        tally.activated_total += int(total or 0)
        if signed and total:
            tally.activating.add(enterprise_id)
    table = Table("catalogue_coverage", "百种产品目录覆盖情况", "Coverage of the product catalogue", [
        Column("number", "编号", "No.", numeric=False), Column("entry", "目录产品", "Catalogue entry", numeric=False),
        Column("category", "产品类别", "Category", numeric=False),
        Column("enterprises", "入网企业", "Enrolled enterprises"), Column("products", "产品", "Products"),
        Column("activated", "激活量（期内）", "Codes activated (period)"),
        Column("activated_total", "激活量（累计）", "Codes activated (to date)"),
        Column("covered", "覆盖", "Covered", numeric=False)])
    rows: list[tuple[bool, tuple[Any, ...], dict[str, Cell]]] = []
    for entry, category in entries:
        tally = tallies.get(entry.id, _Tally())
        covered = bool(tally.activating)
        rows.append((covered, number_order(entry.number), {
            "number": entry.number, "entry": (entry.name_zh, entry.name_en),
            "category": (category.name_zh, category.name_en), "enterprises": len(tally.enterprises),
            "products": tally.products, "activated": tally.activated, "activated_total": tally.activated_total,
            "covered": COVERED if covered else NOT_COVERED}))
    rows.sort(key=lambda row: (row[0], row[1]))
    table.rows = [row for _covered, _order, row in rows]
    covered_count = sum(1 for covered, _order, _row in rows if covered)
    summary = {"entries": len(rows), "covered": covered_count,
               "not_covered": [row["number"] for covered, _order, row in rows if not covered],
               "as_of": span.last}
    return table, summary
