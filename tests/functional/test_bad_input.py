"""No input makes a server error, on any route: numbers too large for the database in paths, queries
and bodies, Unicode digits that pass ``str.isdigit()``, JSON nested a thousand deep, text where a
number belongs. Each is answered 4xx with the usual error (the API's ``{"error": {...}}``, a page's
error page) and changes nothing. And a client cannot say where its public verification came from.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from jianguan.config import Settings
from jianguan.storage import make_engine, reading, session_factory
from jianguan.verify.models import Query
from jianguan.web.app import create_app
from tests.functional.test_access_matrix import (
    ALL_ROUTES,
    PARAM,
    UPLOADS,
    Route,
    audit_actions_since,
    audit_count,
)
from tests.live import LiveServer

HUGE = (2**63, 10**30, 2**31)  # past SQLite's and PostgreSQL's BIGINT, and past an INTEGER id
INT_ROUTES = [route for route in ALL_ROUTES if ":int}" in route.path]


def takes_a_json_body() -> set[tuple[str, str]]:
    """The API routes whose handler reads a body (others ignore one, and would act)."""
    app = create_app(Settings(database_url="sqlite:///:memory:"), check_database=False)
    return {(method, route.path) for route in app.routes if route.path.startswith("/api")
            for handler in getattr(route, "route_handlers", [])
            if "data" in handler.parsed_fn_signature.parameters for method in handler.http_methods}


_BODIES = takes_a_json_body()  # one app: building one takes seconds
BODY_ROUTES = [route for route in ALL_ROUTES if (route.method, route.path) in _BODIES]


@pytest.fixture(scope="module")
def clients(live: LiveServer) -> Iterator[dict[str, httpx.Client]]:
    made = {"operator": live.login("operator"), "fengsui": live.login("fengsui"),
            "manufacturer-key": live.key_client(live.seed.apikeys["manufacturer"][0]),
            "printer-key": live.key_client(live.seed.apikeys["printer"][0]),
            "terminal-key": live.key_client(live.seed.apikeys["terminal"][0]), "shop": live.login("luancheng.shop"),
            "anonymous": live.client()}
    yield made
    for client in made.values():
        client.close()


def send(client: httpx.Client, route: Route, url: str, **kwargs: Any) -> httpx.Response:
    if route.method == "GET":
        return client.get(url)
    if route.path in UPLOADS and not kwargs:  # a route that takes a file: a file, so the path is what is wrong
        return client.request(route.method, url, files=UPLOADS[route.path])
    if route.is_api:
        return client.request(route.method, url, **({"json": {}} | kwargs))
    return client.request(route.method, url, data={"name": "x"})


def refused(response: httpx.Response, *, api: bool) -> dict[str, Any] | None:
    """The error of a 4xx answer (None for a page), after checking it is one; a protected page sends
    an anonymous visitor to the login form instead."""
    if not api and response.status_code == 303:
        assert response.headers["location"].startswith("/login?next="), response.headers["location"]
        return None
    assert 400 <= response.status_code < 500, (response.request.url, response.status_code, response.text[:300])
    if not api:
        return None
    error = response.json()["error"]
    assert error["code"] and error["message"] and error["message_zh"]
    return error


def test_numbers_too_large_for_the_database_in_any_path(live: LiveServer, clients: dict[str, httpx.Client]) -> None:
    assert len(INT_ROUTES) > 40
    before = audit_count(live)
    for route in INT_ROUTES:
        for number in HUGE:
            url = PARAM.sub(str(number), route.path)
            answers = {name: send(client, route, url) for name, client in clients.items()}
            for response in answers.values():
                refused(response, api=route.is_api)
            # Whoever the route admits is told what is wrong with the number.
            admitted = [response for response in answers.values() if response.status_code not in (303, 401, 403)]
            assert admitted and all(response.status_code in (400, 404) for response in admitted), route
            if route.is_api:
                assert any(refused(response, api=True)["code"] == "validation_failed"  # type: ignore[index]
                           for response in admitted if response.status_code == 400), route
    assert audit_count(live) == before, audit_actions_since(live, before)


@pytest.mark.parametrize(("path", "params"), [
    ("/api/v1/enterprises", {"offset": 2**63}),
    ("/api/v1/enterprises", {"limit": 2**63}),
    ("/api/v1/enterprises", {"category": "¹"}),
    ("/api/v1/enterprises", {"category": "١٢"}),
    ("/api/v1/enterprises", {"region": "9" * 100}),
    ("/api/v1/regions", {"q": "区" * 1000}),
    ("/api/v1/categories", {"include_inactive": "maybe"}),
    ("/enterprises", {"offset": 2**63}),
])
def test_odd_numbers_in_a_query(live: LiveServer, path: str, params: dict[str, Any]) -> None:
    response = live.client().get(path, params=params)
    refused(response, api=path.startswith("/api"))


def test_unicode_digits_in_a_filter_are_not_an_id(live: LiveServer) -> None:
    """``"¹".isdigit()`` is true and ``int("¹")`` fails: a filter of it is a category code nobody has."""
    error = refused(live.client().get("/api/v1/enterprises", params={"category": "¹"}), api=True)
    assert error is not None and error["code"] == "unknown_category"
    page = live.client().get("/enterprises", params={"category": "¹"})
    assert page.status_code == 200


def test_unicode_digits_and_huge_numbers_in_a_form(live: LiveServer, clients: dict[str, httpx.Client]) -> None:
    before = audit_count(live)
    for quantity in ("¹", "١٠", "9" * 30, str(2**63)):
        page = clients["fengsui"].post("/codes/requests", data={"product_id": "1", "quantity": quantity,
                                                                 "packaging_level": "item"})
        assert page.status_code == 400, (quantity, page.status_code)
        assert "数" in page.text
    for organisation in ("²", str(2**63)):
        page = clients["operator"].post("/manage/apikeys", data={"name": "测试", "role": "manufacturer",
                                                                  "organisation_id": organisation})
        assert page.status_code == 400, (organisation, page.status_code)
    assert audit_count(live) == before, audit_actions_since(live, before)


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("body", [nested(955), nested(100_000), b'{"code": ' + nested(5000) + b', "place": "x"}',
                                  b'{"code": "1", "place": "x"', b"\xff\xfe"])
def test_nested_or_broken_json_is_refused_on_every_route_that_takes_a_body(
        live: LiveServer, clients: dict[str, httpx.Client], body: bytes) -> None:
    before = audit_count(live)
    for route in BODY_ROUTES:
        url = PARAM.sub("1", route.path)
        statuses = set()
        for client in clients.values():
            response = client.request(route.method, url, content=body, headers={"Content-Type": "application/json"})
            refused(response, api=True)
            statuses.add(response.status_code)
        assert 400 in statuses, (route, statuses)  # whoever the route admits is told the body is wrong
    assert audit_count(live) == before, audit_actions_since(live, before)


def test_a_body_has_json_types_not_strings_for_numbers(live: LiveServer, clients: dict[str, httpx.Client]) -> None:
    before = audit_count(live)
    key = clients["manufacturer-key"]
    for body in ({"product_id": 1, "quantity": "10"}, {"product_id": "1", "quantity": 10},
                 {"product_id": 1, "quantity": 10.0}, {"product_id": 1, "quantity": True},
                 {"product_id": 1, "quantity": 2**63}, {"product_id": 2**63, "quantity": 10}):
        error = refused(key.post("/api/v1/code-requests", json=body), api=True)
        assert error is not None and error["code"] == "validation_failed", body
        assert error["details"]["fields"][0]["key"] in ("product_id", "quantity")
    decision = clients["operator"].post("/api/v1/code-requests/1/decision", json={"approve": "true"})
    assert refused(decision, api=True)["code"] == "validation_failed"  # type: ignore[index]
    assert audit_count(live) == before, audit_actions_since(live, before)


def test_a_public_verification_is_logged_without_the_region_its_client_names(live: LiveServer) -> None:
    marker = f"region-{uuid.uuid4().hex[:12]}"
    answer = live.client().get(f"/api/v1/verify/{marker}", params={"region": "130111"})
    assert answer.status_code == 200 and answer.json()["verdict"] == "malformed"
    engine = make_engine(live.database_url)
    deadline, logged = time.monotonic() + 5, []
    while time.monotonic() < deadline and not logged:  # the log is written in batches every 0.05 s
        time.sleep(0.05)
        with reading(session_factory(engine)) as session:
            logged = list(session.execute(select(Query.channel, Query.region_code).where(Query.raw_input == marker)))
    engine.dispose()
    assert [tuple(row) for row in logged] == [("api", None)]


def test_an_over_long_code_is_refused_not_verified(live: LiveServer) -> None:
    error = refused(live.client().get(f"/api/v1/verify/{'1' * 300}"), api=True)
    assert error is not None and error["details"]["fields"][0]["key"] == "code"
