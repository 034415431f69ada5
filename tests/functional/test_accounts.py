"""Accounts through a real server: logins, sessions, API keys, CSRF, roles, and the account pages."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from jianguan.accounts.models import ApiKey, LoginSession, User
from jianguan.storage import make_engine, session_factory, transaction
from tests.functional.accounts_data import Organisations, add_organisations_to, unique_name
from tests.live import LiveServer

PASSWORD = "accounts-test-password"


@pytest.fixture(scope="module")
def orgs(live: LiveServer) -> Organisations:
    return add_organisations_to(live.database_url)


@pytest.fixture
def operator(live: LiveServer) -> Iterator[httpx.Client]:
    client = live.login("operator")
    yield client
    client.close()


def _create_user(operator: httpx.Client, role: str = "operator", **scope: Any) -> dict[str, Any]:
    response = operator.post("/api/v1/users", json={"username": unique_name(role), "display_name": "测试 " + role,
                                                     "password": PASSWORD, "role": role, **scope})
    assert response.status_code == 201, response.text
    return response.json()


def _login(live: LiveServer, user: dict[str, Any]) -> httpx.Client:
    return live.login(user["username"], PASSWORD)


def _db_rows(live: LiveServer, statement: Any) -> list[Any]:
    engine = make_engine(live.database_url)
    try:
        with transaction(session_factory(engine)) as session:
            return list(session.execute(statement))
    finally:
        engine.dispose()


# Logging in and out --------------------------------------------------------------------------------


def test_login_failure_does_not_say_whether_the_user_exists(live: LiveServer, operator: httpx.Client) -> None:
    user = _create_user(operator)
    answers = []
    for username, password in ((user["username"], "wrong-password-1"), (unique_name("nobody"), PASSWORD)):
        client = live.client()
        client.get("/login")
        response = client.post("/login", data={"username": username, "password": password,
                                               "csrf_token": client.cookies["jg_csrf"]})
        assert response.status_code == 400
        assert "jg_session" not in response.cookies
        answers.append(re.search(r'role="alert">([^<]*)<', response.text).group(1))  # type: ignore[union-attr]  # no match: the test fails
    assert answers[0] == answers[1] == "用户名或密码错误。"


def test_login_form_without_csrf_token_is_refused(live: LiveServer) -> None:
    client = live.client()
    client.get("/login")
    response = client.post("/login", data={"username": "operator", "password": live.seed.password("operator")})
    assert response.status_code == 403
    assert "jg_session" not in response.cookies


def test_logout_ends_access(live: LiveServer) -> None:
    client = live.login("operator")
    assert client.get("/api/v1/me").status_code == 200
    assert client.post("/logout", data={"csrf_token": client.cookies["jg_csrf"]}).status_code == 303
    client.cookies.delete("jg_session")
    assert client.get("/api/v1/me").status_code == 401


def test_a_copied_cookie_stops_working_after_logout(live: LiveServer) -> None:
    client = live.login("operator")
    stolen = client.cookies["jg_session"]
    client.post("/logout")
    other = live.client(cookies={"jg_session": stolen})
    assert other.get("/api/v1/me").status_code == 401


def test_an_expired_session_ends_access(live: LiveServer, operator: httpx.Client) -> None:
    user = _create_user(operator)
    client = _login(live, user)
    assert client.get("/api/v1/me").json()["name"] == user["username"]
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    _db_rows(live, update(LoginSession).where(LoginSession.user_id == user["id"]).values(expires_at=past)
             .returning(LoginSession.id))
    assert client.get("/api/v1/me").status_code == 401
    page = client.get("/manage/apikeys")
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")


def test_session_token_is_stored_as_sha256_only(live: LiveServer) -> None:
    client = live.login("operator")
    token = client.cookies["jg_session"]
    rows = _db_rows(live, select(LoginSession.token_hash))
    assert (hashlib.sha256(token.encode()).hexdigest(),) in rows
    assert all(token not in row[0] for row in rows)


# Who may call what -----------------------------------------------------------------------------------


def test_me_names_role_and_scope(live: LiveServer, operator: httpx.Client, orgs: Organisations) -> None:
    assert operator.get("/api/v1/me").json()["role"]["value"] == "operator"
    regulator = _create_user(operator, "regulator", region_code="130100", agency="quality")
    me = _login(live, regulator).get("/api/v1/me").json()
    assert me["role"] == {"value": "regulator", "label_zh": "监管部门", "label_en": "regulator"}
    assert me["scope"]["region"]["name"] == "石家庄市"
    assert me["scope"]["region"]["level"]["value"] == "city"
    assert me["scope"]["agency"]["value"] == "quality"
    maker = _create_user(operator, "manufacturer", enterprise_id=orgs.enterprise_id)
    me = _login(live, maker).get("/api/v1/me").json()
    assert me["scope"]["enterprise"] == {"id": orgs.enterprise_id, "name": "石家庄测试企业1"}


def test_unauthenticated_api_call_is_401_json(live: LiveServer) -> None:
    for path in ("/api/v1/me", "/api/v1/users", "/api/v1/apikeys"):
        response = live.client().get(path)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
        assert response.json()["error"]["message_zh"]


def test_unauthenticated_page_redirects_to_login(live: LiveServer) -> None:
    for path in ("/dashboard", "/manage/users", "/manage/apikeys", "/manage/audit"):
        response = live.client().get(path)
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=" + path.replace("/", "%2F")


def test_wrong_role_is_403(live: LiveServer, operator: httpx.Client, orgs: Organisations) -> None:
    maker = _login(live, _create_user(operator, "manufacturer", enterprise_id=orgs.enterprise_id))
    assert maker.get("/api/v1/users").status_code == 403
    assert maker.post("/api/v1/users", json={}).status_code == 403
    assert maker.get("/manage/users").status_code == 403
    assert maker.get("/manage/audit").status_code == 403
    regulator = _login(live, _create_user(operator, "regulator", region_code="130000", agency="market"))
    assert regulator.get("/api/v1/apikeys").status_code == 403
    assert regulator.get("/manage/apikeys").status_code == 403
    assert regulator.get("/dashboard").status_code == 200


def test_cookie_post_without_csrf_token_is_403_and_changes_nothing(live: LiveServer) -> None:
    client = live.login("operator")
    del client.headers["X-CSRF-Token"]
    username = unique_name("csrf")
    response = client.post("/api/v1/users", json={"username": username, "display_name": "x",
                                                  "password": PASSWORD, "role": "operator"})
    assert response.status_code == 403
    page = client.post("/manage/users", data={"username": username, "display_name": "x", "password": PASSWORD,
                                              "role": "operator"})
    assert page.status_code == 403
    wrong = client.post("/api/v1/users", headers={"X-CSRF-Token": "not-the-cookie"},
                        json={"username": username, "display_name": "x", "password": PASSWORD, "role": "operator"})
    assert wrong.status_code == 403
    assert _db_rows(live, select(User.id).where(User.username == username)) == []


# Users ----------------------------------------------------------------------------------------------


def test_users_api_create_list_disable_enable(live: LiveServer, operator: httpx.Client) -> None:
    user = _create_user(operator, "regulator", region_code="130111", agency="agriculture")
    assert "password" not in str(user) and user["is_active"] is True
    listed = {u["username"]: u for u in operator.get("/api/v1/users").json()["users"]}
    assert listed[user["username"]]["region_code"] == "130111"
    client = _login(live, user)
    assert operator.post(f"/api/v1/users/{user['id']}/disable").json()["is_active"] is False
    assert client.get("/api/v1/me").status_code == 401  # disabling ends the session at once
    assert live.client().post("/login").status_code == 403
    assert operator.post(f"/api/v1/users/{user['id']}/enable").json()["is_active"] is True
    assert _login(live, user).get("/api/v1/me").status_code == 200
    assert operator.post("/api/v1/users/999999/disable").status_code == 404


def test_users_api_refusals_are_bilingual(operator: httpx.Client) -> None:
    taken = _create_user(operator)["username"]
    for body, status in (
        ({"username": taken, "role": "operator"}, 409),
        ({"username": unique_name("r"), "role": "regulator", "agency": "quality"}, 400),
        ({"username": unique_name("r"), "role": "terminal"}, 400),
        ({"username": unique_name("r"), "role": "operator", "password": "short"}, 400),
        ({"username": unique_name("r"), "role": "manufacturer", "enterprise_id": 999_999}, 404),
    ):
        response = operator.post("/api/v1/users", json={"display_name": "x", "password": PASSWORD, **body})
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["message"] and response.json()["error"]["message_zh"]


# API keys -------------------------------------------------------------------------------------------


def test_key_is_shown_once_and_stored_as_sha256(live: LiveServer, operator: httpx.Client,
                                                orgs: Organisations) -> None:
    issued = operator.post("/api/v1/apikeys", json={"name": "栾城终端", "role": "terminal",
                                                    "merchant_id": orgs.merchant_id})
    assert issued.status_code == 201
    body = issued.json()
    key = body["key"]
    assert key.startswith(f"jg_{body['prefix']}_")
    assert {"id", "prefix", "name", "role"} <= set(body) and "key_hash" not in body
    listed = operator.get("/api/v1/apikeys").text
    assert key not in listed and "key_hash" not in listed and body["prefix"] in listed
    [(stored,)] = _db_rows(live, select(ApiKey).where(ApiKey.id == body["id"]))
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    secret = key.split("_", 2)[2]  # the secret may hold "_" itself: all of it after the prefix
    assert len(secret) == 43 and secret not in str(vars(stored))
    me = live.key_client(key).get("/api/v1/me").json()
    assert (me["kind"], me["role"]["value"], me["scope"]["merchant"]["id"]) == ("apikey", "terminal",
                                                                                orgs.merchant_id)


def test_revoked_key_is_401_at_once(live: LiveServer, operator: httpx.Client, orgs: Organisations) -> None:
    body = operator.post("/api/v1/apikeys", json={"name": "印刷机", "role": "printer",
                                                  "printer_id": orgs.printer_id}).json()
    machine = live.key_client(body["key"])
    assert machine.get("/api/v1/me").status_code == 200
    assert operator.post(f"/api/v1/apikeys/{body['id']}/revoke").json()["revoked_at"]
    response = machine.get("/api/v1/me")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("header", [
    "Bearer nonsense", "Bearer", "Basic b3BlcmF0b3I6eA==", "Bearer jg_abcdefghij_" + "A" * 43, "jg_key",
])
def test_malformed_or_unknown_bearer_is_401(live: LiveServer, header: str) -> None:
    response = live.client(headers={"Authorization": header}).get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["message_zh"]


def test_manufacturer_staff_manage_their_own_keys_only(live: LiveServer, operator: httpx.Client,
                                                       orgs: Organisations) -> None:
    staff = _login(live, _create_user(operator, "manufacturer", enterprise_id=orgs.enterprise_id))
    own = staff.post("/api/v1/apikeys", json={"name": "ERP"})
    assert own.status_code == 201 and own.json()["enterprise_id"] == orgs.enterprise_id
    assert staff.post("/api/v1/apikeys", json={"name": "x", "enterprise_id": orgs.other_enterprise_id}
                      ).status_code == 403
    assert staff.post("/api/v1/apikeys", json={"name": "x", "role": "printer", "printer_id": orgs.printer_id}
                      ).status_code == 403
    other = operator.post("/api/v1/apikeys", json={"name": "别家", "role": "manufacturer",
                                                   "enterprise_id": orgs.other_enterprise_id}).json()
    seen = {key["id"] for key in staff.get("/api/v1/apikeys").json()["apikeys"]}
    assert own.json()["id"] in seen and other["id"] not in seen
    assert staff.post(f"/api/v1/apikeys/{other['id']}/revoke").status_code == 404
    assert staff.post(f"/api/v1/apikeys/{own.json()['id']}/revoke").status_code == 200
    assert live.key_client(own.json()["key"]).get("/api/v1/me").status_code == 401
    assert live.key_client(other["key"]).get("/api/v1/me").status_code == 200


def test_printer_staff_see_and_revoke_their_keys_but_issue_none(live: LiveServer, operator: httpx.Client,
                                                                 orgs: Organisations) -> None:
    key = operator.post("/api/v1/apikeys", json={"name": "制版", "role": "printer",
                                                 "printer_id": orgs.printer_id}).json()
    staff = _login(live, _create_user(operator, "printer", printer_id=orgs.printer_id))
    assert key["id"] in {k["id"] for k in staff.get("/api/v1/apikeys").json()["apikeys"]}
    assert all(k["printer_id"] == orgs.printer_id for k in staff.get("/api/v1/apikeys").json()["apikeys"])
    assert staff.post("/api/v1/apikeys", json={"name": "x", "role": "printer"}).status_code == 403
    assert staff.post(f"/api/v1/apikeys/{key['id']}/revoke").status_code == 200


def test_a_key_cannot_manage_accounts(live: LiveServer, operator: httpx.Client, orgs: Organisations) -> None:
    key = operator.post("/api/v1/apikeys", json={"name": "ERP-2", "role": "manufacturer",
                                                 "enterprise_id": orgs.enterprise_id}).json()["key"]
    machine = live.key_client(key)
    assert machine.get("/api/v1/users").status_code == 403
    assert machine.get("/api/v1/apikeys").status_code == 200  # a manufacturer key sees its enterprise's keys


# Pages ----------------------------------------------------------------------------------------------


def test_operator_dashboard_links_every_management_page(operator: httpx.Client) -> None:
    page = operator.get("/dashboard")
    assert page.status_code == 200
    for href in ("/manage/enterprises", "/manage/catalogue", "/manage/printers", "/manage/merchants",
                 "/manage/users", "/manage/apikeys", "/manage/audit"):
        assert f'href="{href}"' in page.text
    assert "运营中心" in page.text
    assert "Operations centre" in operator.get("/dashboard?lang=en").text or "operator" in \
        operator.get("/dashboard?lang=en").text


def test_dashboards_of_other_roles(live: LiveServer, operator: httpx.Client, orgs: Organisations) -> None:
    regulator = _login(live, _create_user(operator, "regulator", region_code="130100", agency="quality")
                       ).get("/dashboard").text
    assert "石家庄市" in regulator and "地级" in regulator and "质监" in regulator
    assert 'href="/manage/enterprises"' in regulator and "/manage/apikeys" not in regulator
    maker = _login(live, _create_user(operator, "manufacturer", enterprise_id=orgs.enterprise_id)
                   ).get("/dashboard").text
    assert "石家庄测试企业1" in maker
    assert f'href="/manage/enterprises/{orgs.enterprise_id}"' in maker and 'href="/manage/apikeys"' in maker
    shop = _login(live, _create_user(operator, "merchant", merchant_id=orgs.merchant_id)).get("/dashboard").text
    assert "栾城测试商店" in shop and f'href="/manage/merchants/{orgs.merchant_id}"' in shop
    printer = _login(live, _create_user(operator, "printer", printer_id=orgs.printer_id)).get("/dashboard").text
    assert "石家庄测试印刷厂" in printer and f'href="/manage/printers/{orgs.printer_id}"' in printer


def test_users_page_creates_and_refuses_with_the_values_kept(live: LiveServer, operator: httpx.Client) -> None:
    csrf = operator.cookies["jg_csrf"]
    username = unique_name("page")
    created = operator.post("/manage/users", data={"csrf_token": csrf, "username": username,
                                                   "display_name": "页面 用户", "password": PASSWORD,
                                                   "role": "regulator", "region_code": "130111",
                                                   "agency": "quality"})
    assert created.status_code == 303 and created.headers["location"] == "/manage/users"
    page = operator.get("/manage/users").text
    assert username in page and "栾城区" in page and "监管部门" in page
    refused = operator.post("/manage/users", data={"csrf_token": csrf, "username": username,
                                                   "display_name": "重名的人", "password": PASSWORD,
                                                   "role": "operator"})
    assert refused.status_code == 400
    assert "已被使用" in refused.text and 'value="重名的人"' in refused.text
    english = operator.post("/manage/users?lang=en", data={"csrf_token": csrf, "username": "x",
                                                           "display_name": "y", "password": PASSWORD,
                                                           "role": "operator"})
    assert english.status_code == 400 and "A username is" in english.text
    [user_id] = [row[0] for row in _db_rows(live, select(User.id).where(User.username == username))]
    assert operator.post(f"/manage/users/{user_id}/disable", data={"csrf_token": csrf}).status_code == 303
    assert f'action="/manage/users/{user_id}/enable"' in operator.get("/manage/users").text


def test_keys_page_shows_a_new_key_once(live: LiveServer, operator: httpx.Client, orgs: Organisations) -> None:
    csrf = operator.cookies["jg_csrf"]
    issued = operator.post("/manage/apikeys", data={"csrf_token": csrf, "name": "页面签发", "role": "printer",
                                                    "organisation_id": str(orgs.printer_id)})
    assert issued.status_code == 200
    key = re.search(r'class="key-once"[^>]*>(jg_[^<]+)<', issued.text).group(1)  # type: ignore[union-attr]  # no match: the test fails
    assert "不会再次显示" in issued.text or "只显示这一次" in issued.text
    assert live.key_client(key).get("/api/v1/me").status_code == 200
    again = operator.get("/manage/apikeys").text
    assert key not in again and "key-once" not in again and "页面签发" in again
    refused = operator.post("/manage/apikeys", data={"csrf_token": csrf, "name": "坏的", "role": "printer",
                                                     "organisation_id": "abc"})
    assert refused.status_code == 400 and 'value="坏的"' in refused.text
    [key_id] = [row[0] for row in _db_rows(live, select(ApiKey.id).where(ApiKey.prefix == key.split("_")[1]))]
    assert operator.post(f"/manage/apikeys/{key_id}/revoke", data={"csrf_token": csrf}).status_code == 303
    assert live.key_client(key).get("/api/v1/me").status_code == 401


def test_manufacturer_keys_page(live: LiveServer, operator: httpx.Client, orgs: Organisations) -> None:
    staff = _login(live, _create_user(operator, "manufacturer", enterprise_id=orgs.other_enterprise_id))
    page = staff.get("/manage/apikeys").text
    assert "石家庄测试企业2" in page and 'name="organisation_id"' not in page
    issued = staff.post("/manage/apikeys", data={"csrf_token": staff.cookies["jg_csrf"], "name": "仓储系统"})
    assert issued.status_code == 200 and "key-once" in issued.text


def test_audit_page_filters_and_shows_beijing_time(live: LiveServer, operator: httpx.Client) -> None:
    user = _create_user(operator)
    page = operator.get("/manage/audit", params={"action": "account:user:", "target": f"user:{user['id']}"})
    assert page.status_code == 200
    assert "account:user:created" in page.text and "account:session" not in page.text
    assert "<code>account:user:created</code> 创建用户" in page.text  # the action's label, in the visitor's language
    english = operator.get("/manage/audit", params={"action": "account:user:", "lang": "en"})
    assert "<code>account:user:created</code> user created" in english.text
    rows = _db_rows(live, select(LoginSession.id).limit(1))
    assert rows
    times = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", page.text)
    now_beijing = dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)
    assert times and abs(dt.datetime.strptime(times[0], "%Y-%m-%d %H:%M:%S") - now_beijing.replace(tzinfo=None)
                         ) < dt.timedelta(minutes=5)
    assert len(re.findall(r"<tr>", operator.get("/manage/audit").text)) <= 201
