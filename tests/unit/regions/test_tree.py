"""RegionTree on constructed trees: parents, paths, descendants and roll-ups agree with each other."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jianguan.errors import NotFound, ValidationFailed
from jianguan.regions.models import RegionLevel
from jianguan.regions.tree import RegionNode, RegionTree

LEVELS = [RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY]


@st.composite
def trees(draw: st.DrawFn) -> RegionTree:
    """A province-city-county tree with some counties straight under their province (as 北京's
    districts and the province-governed cities are) and some cities without counties."""
    nodes = []
    for p in range(1, draw(st.integers(1, 4)) + 1):
        province = f"{p:02d}0000"
        nodes.append(RegionNode(province, f"省{p}", RegionLevel.PROVINCE, "省", None))
        for c in range(1, draw(st.integers(0, 3)) + 1):
            city = f"{p:02d}{c:02d}00"
            nodes.append(RegionNode(city, f"市{p}{c}", RegionLevel.CITY, "地级市", province))
            for k in range(1, draw(st.integers(0, 3)) + 1):
                nodes.append(RegionNode(f"{p:02d}{c:02d}{k:02d}", f"县{p}{c}{k}", RegionLevel.COUNTY, "县", city))
        for k in range(90, 90 + draw(st.integers(0, 2))):
            nodes.append(RegionNode(f"{p:02d}90{k:02d}", f"直辖县{p}{k}", RegionLevel.COUNTY, "县级市", province))
    return RegionTree(nodes)


@given(trees())
def test_descendants_and_contains_agree_with_the_paths(tree: RegionTree) -> None:
    for node in tree:
        path = tree.path(node.code)
        assert path[-1] == node and path[0].level is RegionLevel.PROVINCE
        assert [n.code for n in tree.ancestors(node.code)] == [n.code for n in path[:-1]]
        assert tree.province(node.code) == path[0].code
        for other in tree:
            holds = other.code in tree.descendants(node.code)
            assert holds == tree.contains(node.code, other.code)
            assert holds == (node in tree.path(other.code))


@given(trees(), st.data())
def test_roll_up_adds_every_count_to_each_division_above_it(tree: RegionTree, data: st.DataObject) -> None:
    leaves = [node.code for node in tree if tree.is_leaf(node.code)]
    counts = {code: data.draw(st.integers(0, 1000)) for code in leaves}
    totals = tree.roll_up(counts)
    for node in tree:
        assert totals[node.code] == sum(counts.get(code, 0) for code in tree.descendants(node.code))
    assert sum(totals[p.code] for p in tree.provinces()) == sum(counts.values())


def test_unknown_and_malformed_codes() -> None:
    tree = RegionTree([RegionNode("110000", "北京市", RegionLevel.PROVINCE, "直辖市", None)])
    assert tree.province("120000") is None and tree.province(None) is None
    with pytest.raises(NotFound):
        tree.require("120000")
    with pytest.raises(ValidationFailed):
        tree.require("12")
    assert tree.get("120000") is None and tree.name(None) is None and tree.path_name("120000") == ""
    assert not tree.contains("110000", "120000") and not tree.contains("110000", None)
    assert tree.roll_up({"999999": 5}) == Counter()
