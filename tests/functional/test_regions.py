"""Administrative divisions on both databases: counts, look-ups, ancestors, descendants and the API."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from jianguan.errors import NotFound, ValidationFailed
from jianguan.regions.models import RegionLevel
from jianguan.regions.tree import RegionTree, region_tree
from jianguan.storage import migrate
from tests.live import LiveServer


@pytest.fixture
def tree(session: Session) -> RegionTree:
    return region_tree(session)


def test_counts_by_level(tree: RegionTree) -> None:
    counts = Counter(node.level for node in tree)
    assert counts[RegionLevel.PROVINCE] == 34
    assert counts[RegionLevel.CITY] >= 300
    assert counts[RegionLevel.COUNTY] >= 2800
    assert len(tree.provinces()) == 34


def test_look_up_by_code(tree: RegionTree) -> None:
    county = tree.require("130111")
    assert (county.name, county.level, county.parent_code) == ("栾城区", RegionLevel.COUNTY, "130100")
    assert [r.name for r in tree.ancestors("130111")] == ["河北省", "石家庄市"]
    assert tree.ancestors("130000") == []
    assert tree.path_name("130111") == "河北省 石家庄市 栾城区"
    assert tree.level("130100") is RegionLevel.CITY
    assert tree.parent("130111") == tree.require("130100") and tree.parent("130000") is None


def test_municipal_districts_and_province_governed_cities_hang_under_the_province(tree: RegionTree) -> None:
    assert [r.code for r in tree.ancestors("110105")] == ["110000"]
    assert tree.require("110105").name == "朝阳区"
    xiantao = tree.require("429004")
    assert (xiantao.name, xiantao.parent_code) == ("仙桃市", "420000")


def test_prefecture_city_without_counties(tree: RegionTree) -> None:
    dongguan = tree.require("441900")
    assert (dongguan.name, dongguan.level, dongguan.parent_code) == ("东莞市", RegionLevel.CITY, "440000")
    assert tree.children("441900") == ()
    assert tree.descendants("441900") == {"441900"}
    assert tree.is_leaf("441900") and not tree.is_leaf("440300")


def test_children_and_descendants(tree: RegionTree) -> None:
    shijiazhuang = [r.code for r in tree.children("130100")]
    assert "130111" in shijiazhuang and shijiazhuang == sorted(shijiazhuang)
    hebei = tree.descendants("130000")
    assert {"130000", "130100", "130111"} <= hebei
    assert "110105" not in hebei
    assert tree.contains("130000", "130111")
    assert tree.contains("130111", "130111")
    assert not tree.contains("110000", "130111")
    assert not tree.contains("130111", "130000")  # the county does not hold its province


def test_roll_up_adds_counties_to_their_city_and_province(tree: RegionTree) -> None:
    totals = tree.roll_up({"130111": 3, "130102": 2, "110105": 7, "441900": 1})
    assert totals["130111"] == 3 and totals["130100"] == 5 and totals["130000"] == 5
    assert totals["110105"] == 7 and totals["110000"] == 7  # a district straight under its municipality
    assert totals["441900"] == 1 and totals["440000"] == 1
    assert totals["130200"] == 0


def test_the_tree_is_kept_and_reloaded_after_an_upgrade(session: Session, engine: Engine) -> None:
    first = region_tree(session)
    session.close()
    assert region_tree(engine) is first  # one tree a database and process
    migrate.upgrade(engine)
    assert region_tree(engine) is not first
    assert len(region_tree(engine)) == len(first)


def test_find_by_name(tree: RegionTree) -> None:
    found = tree.search("石家庄")
    assert found[0].code == "130100"
    assert all("石家庄" in r.name for r in found)
    assert len(tree.search("区")) == 20
    assert tree.search("  ") == []
    assert tree.search("%") == []  # nothing is a pattern


@pytest.mark.parametrize("code", ["13011", "1301111", "13011x", "", "１３０１１１"])
def test_malformed_codes_are_refused(tree: RegionTree, code: str) -> None:
    with pytest.raises(ValidationFailed):
        tree.require(code)


def test_unknown_code_is_not_found(tree: RegionTree) -> None:
    with pytest.raises(NotFound):
        tree.require("999999")


# The API ------------------------------------------------------------------------------------------


def test_api_county_with_parent_ancestors_and_no_children(live: LiveServer) -> None:
    body = live.client().get("/api/v1/regions/130111").json()
    assert body == {
        "code": "130111", "name": "栾城区", "level": "county", "level_label_zh": "县级", "level_label_en": "county",
        "kind": body["kind"], "parent": {"code": "130100", "name": "石家庄市", "level": "city"},
        "ancestors": [{"code": "130000", "name": "河北省", "level": "province"},
                      {"code": "130100", "name": "石家庄市", "level": "city"}],
        "children": [],
    }


def test_api_province_and_direct_children(live: LiveServer) -> None:
    client = live.client()
    beijing = client.get("/api/v1/regions/110000").json()
    assert beijing["parent"] is None and beijing["ancestors"] == []
    assert beijing["level_label_en"] == "province"
    assert {"code": "110105", "name": "朝阳区", "level": "county"} in beijing["children"]
    chaoyang = client.get("/api/v1/regions/110105").json()
    assert chaoyang["parent"]["code"] == "110000"
    assert client.get("/api/v1/regions/429004").json()["parent"] == {"code": "420000", "name": "湖北省",
                                                                      "level": "province"}
    dongguan = client.get("/api/v1/regions/441900").json()
    assert (dongguan["level"], dongguan["children"]) == ("city", [])


def test_api_malformed_and_unknown_codes(live: LiveServer) -> None:
    client = live.client()
    malformed = client.get("/api/v1/regions/13011x")
    assert malformed.status_code == 400
    error = malformed.json()["error"]
    assert error["code"] == "invalid_region_code" and error["message"] and error["message_zh"]
    assert client.get("/api/v1/regions/1301110").status_code == 400
    unknown = client.get("/api/v1/regions/999999")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["message_zh"]


def test_api_search_and_provinces(live: LiveServer) -> None:
    client = live.client()
    provinces = client.get("/api/v1/regions").json()["regions"]
    assert len(provinces) == 34 and {p["level"] for p in provinces} == {"province"}
    found = client.get("/api/v1/regions", params={"q": "朝阳"}).json()["regions"]
    assert {"211300", "110105"} <= {r["code"] for r in found}
    assert len(client.get("/api/v1/regions", params={"q": "区"}).json()["regions"]) == 20
    assert client.get("/api/v1/regions", params={"q": "没有这个地方"}).json()["regions"] == []
