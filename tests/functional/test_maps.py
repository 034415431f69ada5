"""``GET /maps/<code>.json`` on a live server: the outlines of a division's children for the
dashboard's and the brand owner's maps, named by code and by the region tree's names, for the
whole country; cacheable (ETag, 304); malformed and unknown codes refused in both languages."""

from __future__ import annotations

import httpx
import pytest
import shapely

from jianguan.regions.tree import region_tree
from jianguan.storage import make_engine
from tests.live import LiveServer


def codes(body: dict) -> list[str]:
    return [feature["properties"]["code"] for feature in body["features"]]


def children(live: LiveServer, code: str | None) -> dict[str, str]:
    engine = make_engine(live.database_url)
    try:
        tree = region_tree(engine)
        return {node.code: node.name for node in tree.children(code)}
    finally:
        engine.dispose()


def fetch(client: httpx.Client, code: str) -> dict:
    answer = client.get(f"/maps/{code}.json")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/geo+json")
    assert "public" in answer.headers["cache-control"] and answer.headers["etag"].startswith('"')
    body = answer.json()
    assert body["type"] == "FeatureCollection" and body["code"] == code
    for feature in body["features"]:
        assert set(feature["properties"]) == {"code", "name"}
        geometry = shapely.geometry.shape(feature["geometry"])
        assert geometry.geom_type == "MultiPolygon" and not geometry.is_empty
    return body


@pytest.mark.parametrize(("code", "name", "count"), [
    ("100000", "中国", 34),   # the country: its provinces (香港, 澳门 and 台湾 among them)
    ("130000", "河北省", 11),  # a province: its cities
    ("330000", "浙江省", 11),  # outside Hebei
    ("130500", "邢台市", 18),  # a city: its counties, the districts of 2020 (信都区) among them
    ("110000", "北京市", 16),  # a municipality: its districts, no city level between
])
def test_a_map_is_the_divisions_children_named_by_code(live: LiveServer, code: str, name: str, count: int) -> None:
    expected = children(live, None if code == "100000" else code)
    with live.client() as client:
        body = fetch(client, code)
    assert body["name"] == name and body["unmapped"] == []
    assert len(body["features"]) == count == len(expected)
    assert {feature["properties"]["code"]: feature["properties"]["name"] for feature in body["features"]} == expected


def test_renamed_and_duplicate_names_are_told_apart_by_code(live: LiveServer) -> None:
    with live.client() as client:
        tangshan = fetch(client, "130200")
        shijiazhuang = fetch(client, "130100")
        zhangjiakou = fetch(client, "130700")
    assert "130284" in codes(tangshan)  # 滦州市 (was 滦县, code 130223)
    names = {f["properties"]["code"]: f["properties"]["name"] for f in shijiazhuang["features"] + zhangjiakou["features"]}
    assert names["130104"] == names["130703"] == "桥西区"


def test_a_city_without_counties_maps_its_own_outline(live: LiveServer) -> None:
    with live.client() as client:
        dongguan = fetch(client, "441900")
        county = fetch(client, "130102")
    assert [(f["properties"]["code"], f["properties"]["name"]) for f in dongguan["features"]] == [("441900", "东莞市")]
    assert codes(county) == ["130102"]


def test_a_county_renamed_under_a_new_code_is_drawn_and_new_land_is_listed(live: LiveServer) -> None:
    with live.client() as client:
        yongzhou = fetch(client, "431100")
        xinjiang = fetch(client, "650000")
    assert "431181" in codes(yongzhou)  # 祁阳市, drawn from the outline of 祁阳县 (431121)
    assert {"659011", "659012"} <= set(xinjiang["unmapped"])  # 新星市, 白杨市: newer than the outlines


def test_the_map_is_revalidated_by_its_etag(live: LiveServer) -> None:
    with live.client() as client:
        first = client.get("/maps/130000.json")
        again = client.get("/maps/130000.json", headers={"If-None-Match": first.headers["etag"]})
        other = client.get("/maps/130000.json", headers={"If-None-Match": '"stale"'})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == first.headers["etag"]
    assert other.status_code == 200 and other.content == first.content


@pytest.mark.parametrize(("path", "status", "error"), [
    ("/maps/999900.json", 404, "unknown_region"),
    ("/maps/13000.json", 400, "invalid_region_code"),
    ("/maps/abcdef.json", 400, "invalid_region_code"),
    ("/maps/１３００００.json", 400, "invalid_region_code"),
    ("/maps/130000", 404, "not_found"),
])
def test_bad_and_unknown_codes_are_refused_in_both_languages(live: LiveServer, path: str, status: int,
                                                             error: str) -> None:
    with live.client() as client:
        refused = client.get(path)  # a browser's Accept, not JSON's: the error is JSON all the same
    assert refused.status_code == status, refused.text
    body = refused.json()["error"]
    assert body["code"] == error and body["message"] and body["message_zh"]
