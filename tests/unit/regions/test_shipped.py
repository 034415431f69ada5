"""The shipped GB/T 2260 data, as ``sync_regions`` will load it."""

from __future__ import annotations

from collections import Counter

from jianguan.regions.models import RegionLevel
from jianguan.regions.services import shipped_regions

ROWS = list(shipped_regions())
BY_CODE = {row.code: row for row in ROWS}


def test_counts_by_level() -> None:
    counts = Counter(row.level for row in ROWS)
    assert counts[RegionLevel.PROVINCE] == 34
    assert counts[RegionLevel.CITY] >= 300
    assert counts[RegionLevel.COUNTY] >= 2800


def test_codes_are_six_digits_unique_and_parents_come_first() -> None:
    seen: set[str] = set()
    for row in ROWS:
        assert len(row.code) == 6 and row.code.isdigit(), row
        assert row.code not in seen, row.code
        assert row.parent_code is None or row.parent_code in seen, row
        seen.add(row.code)


def test_levels_follow_parents() -> None:
    for row in ROWS:
        if row.level is RegionLevel.PROVINCE:
            assert row.parent_code is None
        elif row.level is RegionLevel.CITY:
            assert BY_CODE[row.parent_code].level is RegionLevel.PROVINCE
        else:
            assert BY_CODE[row.parent_code].level in (RegionLevel.PROVINCE, RegionLevel.CITY)


def test_known_divisions() -> None:
    assert (BY_CODE["130000"].name, BY_CODE["130100"].name, BY_CODE["130111"].name) == ("河北省", "石家庄市", "栾城区")
    assert BY_CODE["130111"].parent_code == "130100"
    assert BY_CODE["110105"].name == "朝阳区" and BY_CODE["110105"].parent_code == "110000"
    assert BY_CODE["429004"].name == "仙桃市" and BY_CODE["429004"].parent_code == "420000"
    assert BY_CODE["441900"].name == "东莞市" and BY_CODE["441900"].level is RegionLevel.CITY
    assert not any(row.parent_code == "441900" for row in ROWS)
    assert BY_CODE["710000"].level is RegionLevel.PROVINCE  # Taiwan, listed without a code upstream
