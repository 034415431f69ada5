"""A consumer's place for web queries (/place): chosen once, remembered on the phone, named by
every later web check (the log row, the clone-risk answer); bad choices refused, clearing it."""

from __future__ import annotations

import re
import time

import httpx
from sqlalchemy import select

from jianguan.codes.codec import decode_code
from jianguan.codes.keyring import KeyService
from jianguan.config import Settings
from jianguan.storage import make_engine, reading, session_factory
from jianguan.verify.models import Query
from tests.functional.test_verify_web import FENGSUI, fresh_codes
from tests.live import LiveServer


def logged_regions(live: LiveServer, code: str) -> list[str | None]:
    """The places the log holds for ``code``'s queries, oldest first."""
    engine = make_engine(live.database_url)
    with reading(session_factory(engine)) as session:
        ring = KeyService(Settings(database_url=live.database_url).master_key_bytes()).keyring(session)
        generation, serial = decode_code(ring, code)
        rows = session.scalars(select(Query.region_code).where(Query.generation == generation, Query.serial == serial)
                               .order_by(Query.id)).all()
    engine.dispose()
    return list(rows)


def csrf(client: httpx.Client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200
    return client.cookies["jg_csrf"]


def test_a_chosen_county_names_every_later_web_check_until_cleared(live: LiveServer) -> None:
    code = fresh_codes(live, FENGSUI, 711)[0]
    with live.client() as client:
        first = client.get(f"/v/{code}")
        assert "本次查询地点未知" in first.text and f"/place?back=/v/{code}" in first.text
        search = client.get(f"/place?q=栾城&back=/v/{code}")
        assert search.status_code == 200 and "栾城区" in search.text and 'value="130111"' in search.text
        token = client.cookies["jg_csrf"]
        chosen = client.post("/place", data={"region_code": "130111", "back": f"/v/{code}", "csrf_token": token})
        assert chosen.status_code == 303 and chosen.headers["location"] == f"/v/{code}"
        assert client.cookies["jg_place"] == "130111"
        again = client.get(f"/v/{code}")
        assert "本次查询已记下您选择的地点" in again.text and "栾城区" in again.text
        assert client.get("/place").text.count('data-place="130111"') == 1
        # Another site as "back" is never followed; a province, an unknown code or junk is refused.
        away = client.post("/place", data={"region_code": "130111", "back": "https://evil.example/",
                                           "csrf_token": token})
        assert away.headers["location"] == "/v"
        for bad in ("130000", "999999", "13011x", ""):
            refused = client.post("/place", data={"region_code": bad, "csrf_token": token})
            assert refused.status_code == 400 and "请从列表中选择区县或城市" in refused.text, bad
        assert client.cookies["jg_place"] == "130111"
        english = client.post("/place?lang=en", data={"region_code": "130000", "csrf_token": token})
        assert "Choose a county or a city from the list." in english.text
        assert client.post("/place", data={"region_code": "130102", "csrf_token": "forged"}).status_code == 403
        cleared = client.post("/place", data={"forget": "1", "back": f"/v/{code}", "csrf_token": token})
        assert cleared.status_code == 303 and "jg_place" not in client.cookies
        client.get(f"/v/{code}")
        # A cookie naming no division is ignored, not trusted.
        client.cookies.set("jg_place", "999999")
        junk = client.get(f"/v/{code}?lang=zh")
        assert "本次查询地点未知" in junk.text
    regions: list[str | None] = []
    for _ in range(100):  # the server writes its query log every 0.05 s
        regions = logged_regions(live, code)
        if len(regions) >= 4:
            break
        time.sleep(0.1)
    assert regions == [None, "130111", None, None]


def test_the_place_prompt_has_nothing_to_say_for_empty_input(live: LiveServer) -> None:
    with live.client() as client:
        page = client.get("/v?code=")
        assert page.status_code in (200, 400) and "告诉我们您所在的区县" not in page.text
        search = client.get("/place?q=" + "不存在的地方")
        assert "没有找到" in search.text and not re.search(r'name="region_code" value="\d{6}"', search.text)
