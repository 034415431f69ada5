"""Administrative divisions on both databases: counts, look-ups, ancestors, descendants and the API."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from jianguan.errors import NotFound, ValidationFailed
from jianguan.regions import services as regions
from jianguan.regions.models import RegionLevel
from tests.live import LiveServer


def test_counts_by_level(session: Session) -> None:
    counts = regions.count_by_level(session)
    assert counts[RegionLevel.PROVINCE] == 34
    assert counts[RegionLevel.CITY] >= 300
    assert counts[RegionLevel.COUNTY] >= 2800
    assert len(regions.provinces(session)) == 34


def test_look_up_by_code(session: Session) -> None:
    county = regions.get_region(session, "130111")
    assert (county.name, county.level, county.parent_code) == ("栾城区", RegionLevel.COUNTY, "130100")
    assert [r.name for r in regions.ancestors(session, "130111")] == ["河北省", "石家庄市"]
    assert regions.ancestors(session, "130000") == []


def test_municipal_districts_and_province_governed_cities_hang_under_the_province(session: Session) -> None:
    assert [r.code for r in regions.ancestors(session, "110105")] == ["110000"]
    assert regions.get_region(session, "110105").name == "朝阳区"
    xiantao = regions.get_region(session, "429004")
    assert (xiantao.name, xiantao.parent_code) == ("仙桃市", "420000")


def test_prefecture_city_without_counties(session: Session) -> None:
    dongguan = regions.get_region(session, "441900")
    assert (dongguan.name, dongguan.level, dongguan.parent_code) == ("东莞市", RegionLevel.CITY, "440000")
    assert regions.children(session, "441900") == []
    assert regions.descendant_codes(session, "441900") == {"441900"}


def test_children_and_descendants(session: Session) -> None:
    shijiazhuang = [r.code for r in regions.children(session, "130100")]
    assert "130111" in shijiazhuang and shijiazhuang == sorted(shijiazhuang)
    hebei = regions.descendant_codes(session, "130000")
    assert {"130000", "130100", "130111"} <= hebei
    assert "110105" not in hebei
    assert regions.is_within(session, "130111", "130000")
    assert regions.is_within(session, "130111", "130111")
    assert not regions.is_within(session, "130111", "110000")


def test_find_by_name(session: Session) -> None:
    found = regions.find_regions(session, "石家庄")
    assert found[0].code == "130100"
    assert all("石家庄" in r.name for r in found)
    assert len(regions.find_regions(session, "区")) == 20
    assert regions.find_regions(session, "  ") == []
    assert regions.find_regions(session, "%") == []  # a LIKE wildcard is searched for literally


@pytest.mark.parametrize("code", ["13011", "1301111", "13011x", "", "１３０１１１"])
def test_malformed_codes_are_refused(session: Session, code: str) -> None:
    with pytest.raises(ValidationFailed):
        regions.get_region(session, code)


def test_unknown_code_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        regions.get_region(session, "999999")


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
