"""``POST /place/locate`` on a live server: a phone's point (WGS-84) becomes the county in the
jg_place cookie, named by the next check; bad numbers, the sea and places the divisions table
lacks are refused in both languages with the cookie left as it was; nothing is logged for it."""

from __future__ import annotations

import time

import httpx

from tests.functional.test_verify_place import csrf, logged_regions
from tests.functional.test_verify_web import FENGSUI, fresh_codes
from tests.live import LiveServer

JSON = {"Accept": "application/json"}
CHANGAN = {"lat": "38.0428", "lon": "114.5149"}  # 石家庄 长安区, as a phone reports it (WGS-84)


def post(client: httpx.Client, token: str, path: str = "/place/locate", **form: str) -> httpx.Response:
    return client.post(path, data={**form, "csrf_token": token}, headers=JSON)


def test_a_located_phone_names_its_county_in_later_checks(live: LiveServer) -> None:
    code = fresh_codes(live, FENGSUI, 731)[0]
    with live.client() as client:
        token = csrf(client, "/place")
        found = post(client, token, **CHANGAN)
        assert found.status_code == 200, found.text
        assert found.json() == {"region_code": "130102", "name": "长安区", "path": "河北省 石家庄市 长安区"}
        assert client.cookies["jg_place"] == "130102"
        assert "38.04" not in found.text and "114.51" not in found.text  # the point is not echoed
        again = client.get(f"/v/{code}")
        assert "本次查询已记下您选择的地点" in again.text
        assert client.get("/place").text.count('data-place="130102"') == 1
    regions: list[str | None] = []
    for _ in range(100):  # the server writes its query log every 0.05 s
        regions = logged_regions(live, code)
        if regions:
            break
        time.sleep(0.1)
    assert regions == ["130102"]


def test_bad_points_are_refused_and_leave_the_cookie_alone(live: LiveServer) -> None:
    with live.client() as client:
        token = csrf(client, "/place")
        assert post(client, token, lat="39.9288", lon="116.4164").json()["region_code"] == "110101"  # 北京 东城区
        bad_numbers = [
            {"lat": "abc", "lon": "116.4"}, {"lat": "39.9", "lon": ""}, {"lon": "116.4"}, {},
            {"lat": "nan", "lon": "116.4"}, {"lat": "39.9", "lon": "inf"}, {"lat": "91", "lon": "116.4"},
            {"lat": "39.9", "lon": "-180.5"}, {"lat": "1e400", "lon": "116.4"}, {"lat": "3" * 1000, "lon": "116.4"},
            {"lat": "３９.９", "lon": "116.4"}, {"lat": "39.9; DROP TABLE", "lon": "116.4"},
        ]
        for form in bad_numbers:
            refused = post(client, token, **form)
            assert refused.status_code == 400, (form, refused.text)
            error = refused.json()["error"]
            assert error["code"] == "invalid_location" and error["message_zh"] and error["message"], form
        sea = post(client, token, lat="35.0", lon="124.0")  # the Yellow Sea
        assert sea.status_code == 404 and sea.json()["error"]["code"] == "outside_china"
        assert "不在中国境内" in sea.json()["error"]["message_zh"] and "outside China" in sea.json()["error"]["message"]
        paris = post(client, token, lat="48.8566", lon="2.3522")
        assert paris.status_code == 404 and paris.json()["error"]["code"] == "outside_china"
        hong_kong = post(client, token, lat="22.28", lon="114.16")  # outlines, but no division in the table
        assert hong_kong.status_code == 404 and hong_kong.json()["error"]["code"] == "place_not_found"
        assert client.cookies["jg_place"] == "110101"
        # Without the form's token nothing happens; a body over 4 KB is refused unread (on a connection
        # of its own: a server may close one whose body it did not read).
        forged = client.post("/place/locate", data={**CHANGAN, "csrf_token": "forged"}, headers=JSON)
        assert forged.status_code == 403 and forged.json()["error"]["message_zh"]
        assert client.get("/place/locate").status_code == 405
        with live.client(cookies={"jg_csrf": token}) as other:
            huge = other.post("/place/locate", data={"lat": "1" * 8000, "lon": "1", "csrf_token": token}, headers=JSON)
            assert huge.status_code == 413 and "jg_place" not in huge.cookies
        assert client.cookies["jg_place"] == "110101"
