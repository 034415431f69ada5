"""From a phone's point to its county: the WGS-84 → GCJ-02 shift (identity outside China, a few
hundred metres inside it, smooth and order-keeping), and the look-up in the shipped outlines
(known places found, the sea and other countries not)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jianguan.regions import locate as located
from jianguan.regions.locate import in_gcj02_rectangle, locate, locate_wgs84, wgs84_to_gcj02
from jianguan.regions.services import shipped_regions
from jianguan.regions.tree import RegionNode, RegionTree


@pytest.fixture(scope="module")
def tree() -> RegionTree:
    return RegionTree(RegionNode(row.code, row.name, row.level, row.kind, row.parent_code)
                      for row in shipped_regions())


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lat, lon) points."""
    lat1, lat2 = math.radians(a[0]), math.radians(b[0])
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """The inverse, by fixed-point iteration (the shift changes slowly), to check the forward one."""
    guess = (lat, lon)
    for _ in range(30):
        shifted = wgs84_to_gcj02(*guess)
        guess = (guess[0] + lat - shifted[0], guess[1] + lon - shifted[1])
    return guess


LATS = st.floats(-90, 90, allow_nan=False)
LONS = st.floats(-180, 180, allow_nan=False)
# Mainland China's extent, where the shift is what the maps apply.
CHINA_LATS = st.floats(18.2, 53.5, allow_nan=False)
CHINA_LONS = st.floats(73.5, 135.0, allow_nan=False)


@given(LATS, LONS)
def test_the_shift_is_the_identity_outside_its_rectangle(lat: float, lon: float) -> None:
    if not in_gcj02_rectangle(lat, lon):
        assert wgs84_to_gcj02(lat, lon) == (lat, lon)


@given(CHINA_LATS, CHINA_LONS)
def test_the_shift_in_china_is_under_a_kilometre_and_undone_by_its_inverse(lat: float, lon: float) -> None:
    shifted = wgs84_to_gcj02(lat, lon)
    assert 0 < metres((lat, lon), shifted) < 750
    back = gcj02_to_wgs84(*shifted)
    assert metres((lat, lon), back) < 0.01


@given(CHINA_LATS, CHINA_LONS, st.floats(1e-4, 1.0))
def test_the_shift_keeps_the_order_of_points(lat: float, lon: float, step: float) -> None:
    """East stays east and north stays north: the shift bends the grid, never folds it."""
    assert wgs84_to_gcj02(lat, lon + step)[1] > wgs84_to_gcj02(lat, lon)[1]
    assert wgs84_to_gcj02(lat + step, lon)[0] > wgs84_to_gcj02(lat, lon)[0]


@pytest.mark.parametrize(("lat", "lon"), [(39.9042, 116.4074), (38.0428, 114.5149), (31.2304, 121.4737),
                                          (23.1291, 113.2644), (43.8256, 87.6168), (29.6500, 91.1300),
                                          (45.8038, 126.5350)])
def test_cities_are_shifted_between_100_and_700_metres(lat: float, lon: float) -> None:
    assert 100 < metres((lat, lon), wgs84_to_gcj02(lat, lon)) < 700


def test_the_middle_of_a_county_is_found_in_it(tree: RegionTree) -> None:
    # A point well inside 长安区 (石家庄), from the outline itself (GCJ-02), taken back to WGS-84.
    inside = located._read("130102").point_on_surface()
    lat, lon = gcj02_to_wgs84(inside.y, inside.x)
    assert locate(tree, lat, lon) == "130102"
    assert tree.path_name(locate(tree, lat, lon)) == "河北省 石家庄市 长安区"


@pytest.mark.parametrize(("lat", "lon", "code"), [
    (39.9288, 116.4164, "110101"),  # 北京 东城区 (王府井): a municipality's district, city file = province
    (29.5630, 106.5516, "500103"),  # 重庆 渝中区: districts with no city file above them
    (30.3627, 113.4539, "429004"),  # 仙桃市, a county-level city its province governs directly
    (23.0207, 113.7518, "441900"),  # 东莞市, a city without counties: the city is the finest
    (43.8256, 87.6168, "650105"),   # 乌鲁木齐 水磨沟区
])
def test_known_places_are_found(tree: RegionTree, lat: float, lon: float, code: str) -> None:
    assert locate(tree, lat, lon) == code


@pytest.mark.parametrize(("lat", "lon"), [
    (35.0, 124.0),     # the Yellow Sea
    (48.8566, 2.3522),  # Paris
    (37.5665, 126.9780),  # Seoul, inside the shift's rectangle but not in China
    (0.0, 0.0),
])
def test_the_sea_and_other_countries_are_nowhere(tree: RegionTree, lat: float, lon: float) -> None:
    assert locate_wgs84(lat, lon) is None
    assert locate(tree, lat, lon) is None


def test_divisions_the_table_lacks_give_no_place(tree: RegionTree) -> None:
    """香港's outlines exist, but the divisions table has no 香港 districts: no place, not a wrong one."""
    found = locate_wgs84(22.2800, 114.1600)
    assert found is not None and found.province == "810000"
    assert locate(tree, 22.2800, 114.1600) is None
