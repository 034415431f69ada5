"""The public directory of networked enterprises: what anyone may know of a signed enterprise."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, selectinload

from jianguan.enterprises.models import Enterprise
from jianguan.enterprises.services import category_filter, name_filter, region_filter
from jianguan.errors import NotFound
from jianguan.regions.tree import RegionTree, region_tree
from jianguan.timezone import today


def _public_entry(enterprise: Enterprise, tree: RegionTree, day: dt.date) -> dict[str, Any]:
    """What anyone may know about a signed enterprise: never its contacts."""
    category = enterprise.category
    return {
        "id": enterprise.id,
        "name": enterprise.name,
        "credit_code": enterprise.credit_code,
        "region": {"code": enterprise.region_code, "name": tree.name(enterprise.region_code) or "",
                   "path": tree.path_name(enterprise.region_code)},
        "category": {"id": category.id, "code": category.code, "name_zh": category.name_zh,
                     "name_en": category.name_en},
        "stage": enterprise.stage.value,
        "signed_on": enterprise.signed_on.isoformat() if enterprise.signed_on else None,
        "qualifications": [
            {"kind": q.kind, "number": q.number,
             "valid_until": q.valid_until.isoformat() if q.valid_until else None}
            for q in enterprise.qualifications if q.is_valid_on(day)
        ],
        "products": [{"name": p.name, "specification": p.specification} for p in enterprise.products],
    }


def public_directory(
    session: Session,
    *,
    region_code: str | None = None,
    category_id: int | None = None,
    query: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """The public directory of signed enterprises: ``{"total", "limit", "offset", "items"}``.

    Each item holds only public facts (name, credit code, region, main category, stage,
    qualifications valid today, product names); contacts stay in the registry.
    """
    limit = max(1, min(int(limit), 200))
    offset = max(0, int(offset))
    conditions: list[ColumnElement[bool]] = [Enterprise.signed_on.is_not(None)]
    if region_code:
        conditions.append(region_filter(session, region_code))
    if category_id is not None:
        conditions.append(category_filter(category_id))
    if query and query.strip():
        conditions.append(name_filter(query))
    total = session.scalar(select(func.count()).select_from(Enterprise).where(*conditions)) or 0
    rows = session.scalars(
        select(Enterprise).where(*conditions).order_by(Enterprise.name, Enterprise.id).limit(limit).offset(offset)
        .options(selectinload(Enterprise.category), selectinload(Enterprise.qualifications),
                 selectinload(Enterprise.products))
    ).all()
    tree, day = region_tree(session), today()
    return {"total": total, "limit": limit, "offset": offset,
            "items": [_public_entry(row, tree, day) for row in rows]}


def public_entry(session: Session, enterprise_id: int) -> dict[str, Any]:
    """The directory entry of one signed enterprise; NotFound for any other."""
    enterprise = session.scalar(
        select(Enterprise).where(Enterprise.id == enterprise_id, Enterprise.signed_on.is_not(None))
        .options(selectinload(Enterprise.category), selectinload(Enterprise.qualifications),
                 selectinload(Enterprise.products))
    )
    if enterprise is None:
        raise NotFound(f"No networked enterprise {enterprise_id}.", f"入网企业 {enterprise_id} 不存在。")
    return _public_entry(enterprise, region_tree(session), today())
