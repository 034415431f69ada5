"""Every route, called by every kind of caller: nobody outside a route's roles or scope gets data
or changes anything (信息保密).

The routes come from the application itself, so a route added later is covered without editing
this file, and the access matrix (``access_table.MATRIX``) must name it. Unauthenticated calls
get 401 (API) or a redirect to the login page; callers of a role the route does not admit get
403; within a route's roles, the matrix says who reaches each object and who sees each listed
one, and everyone else gets 404 (never 403, never a glimpse); and the audit log shows that no
call changed anything.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from jianguan.accounts.models import ApiKey, Role
from jianguan.audit.models import AuditRecord
from jianguan.codes.models import Activation, CodeBatch, CodeRequest
from jianguan.config import Settings
from jianguan.demo.seed import ENTERPRISES
from jianguan.enterprises.models import Enterprise, Qualification
from jianguan.merchants.models import Merchant
from jianguan.printers.models import Printer
from jianguan.storage import make_engine, reading, session_factory
from jianguan.terminals.models import Terminal
from jianguan.web.access import is_framework_route
from jianguan.web.app import create_app
from tests.functional.access_table import CALLERS, MATRIX, PUBLIC, Listing, Unscoped
from tests.live import LiveServer

PARAM = re.compile(r"\{(\w+):\w+\}")


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    roles: frozenset[Role]

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api")

    def url(self, ids: dict[str, Any]) -> str:
        return PARAM.sub(lambda match: str(ids[match.group(1)]), self.path)


def app_routes() -> list[Route]:
    """Every route of the app but the framework's and the static files: public ones with no roles."""
    app = create_app(Settings(database_url="sqlite:///:memory:"), check_database=False)
    routes = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            methods = set(handler.http_methods) - {"OPTIONS", "HEAD"}
            if not methods or is_framework_route(route.path, methods) or route.path.startswith("/static"):
                continue
            admitted = frozenset() if handler.opt.get("public") else frozenset(handler.opt["roles"])
            for method in sorted(methods):
                routes.append(Route(method, route.path, admitted))
    return routes


ALL_ROUTES = app_routes()
ROUTES = [route for route in ALL_ROUTES if route.roles]
# Logging out ends the caller's own session, so the sweeps below leave it out (it is a
# protected route all the same, and the unauthenticated sweep covers it).
SWEPT = [route for route in ROUTES if route.path != "/logout"]


def test_every_route_declares_its_access() -> None:
    app = create_app(Settings(database_url="sqlite:///:memory:"), check_database=False)
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            methods = set(handler.http_methods)
            assert (handler.opt.get("public") or handler.opt.get("roles")
                    or is_framework_route(route.path, methods)), route.path
    assert len(ROUTES) > 50


@pytest.fixture(scope="module")
def facts(live: LiveServer) -> Iterator[dict[str, Any]]:
    """Ids in the demo network: one enterprise's objects to aim other callers at."""
    engine = make_engine(live.database_url)
    with reading(session_factory(engine)) as session:
        names = {row.name: row.id for row in session.scalars(select(Enterprise))}
        zhenwei = names["石家庄珍味酿造集团有限公司"]
        batch = session.scalars(select(CodeBatch).where(CodeBatch.enterprise_id == zhenwei)
                                .order_by(CodeBatch.id)).first()
        activation = session.scalars(select(Activation).where(Activation.batch_id == batch.id)).first()
        request = session.scalars(select(CodeRequest).where(CodeRequest.enterprise_id == zhenwei)).first()
        key = session.scalars(select(ApiKey).where(ApiKey.enterprise_id == zhenwei)).first()
        credit_code = session.get(Enterprise, zhenwei).credit_code
        terminal = session.scalars(select(Terminal).order_by(Terminal.id)).first()
        # The registry records aimed at: a printer none of the test's callers works for, and the
        # distributor in 长安区 (outside the county regulator's 栾城区, not the merchant's own shop).
        printer_id = session.scalar(select(func.max(Printer.id))) + 1000
        merchant_id = session.scalar(select(Merchant.id).where(Merchant.name == "河北农资连锁有限公司"))
        huayin = session.scalar(select(Printer.id).where(Printer.name == "石家庄华印票证印刷有限公司"))
        qualification = session.scalar(select(func.min(Qualification.id)).where(Qualification.enterprise_id == zhenwei))
    engine.dispose()
    yield {
        "ids": {"enterprise_id": zhenwei, "batch_id": batch.id, "activation_id": activation.id,
                "request_id": request.id, "api_key_id": key.id, "user_id": 1, "category_id": 1,
                "terminal_id": terminal.id, "printer_id": printer_id, "merchant_id": merchant_id,
                "code": live.seed.samples["case"][0], "product_id": batch.product_id,
                "qualification_id": qualification},
        # The matrix's targets: the same objects, and the real printer.
        "matrix_ids": {"enterprise_id": zhenwei, "batch_id": batch.id, "activation_id": activation.id,
                       "request_id": request.id, "api_key_id": key.id, "printer_id": huayin,
                       "merchant_id": merchant_id, "code": live.seed.samples["case"][0],
                       "product_id": batch.product_id, "qualification_id": qualification},
        "zhenwei_markers": ("珍味", credit_code),
        "outside_luancheng": [e.name for e in ENTERPRISES if e.region != "130111"],
        "names": names,
    }


def audit_actions_since(live: LiveServer, count: int) -> list[str]:
    engine = make_engine(live.database_url)
    with reading(session_factory(engine)) as session:
        actions = list(session.scalars(select(AuditRecord.action).where(AuditRecord.id > count)))
    engine.dispose()
    return actions


def audit_records_since(live: LiveServer, count: int) -> list[tuple[str, Any]]:
    engine = make_engine(live.database_url)
    with reading(session_factory(engine)) as session:
        rows = session.execute(select(AuditRecord.action, AuditRecord.after).where(AuditRecord.id > count)).all()
    engine.dispose()
    return [(row.action, row.after) for row in rows]


def audit_count(live: LiveServer) -> int:
    engine = make_engine(live.database_url)
    with reading(session_factory(engine)) as session:
        count = session.scalar(select(func.count()).select_from(AuditRecord)) or 0
    engine.dispose()
    return count


def call(client: httpx.Client, route: Route, ids: dict[str, Any]) -> httpx.Response:
    url = route.url(ids)
    if route.method == "GET":
        return client.get(url)
    if route.is_api:
        return client.request(route.method, url, json=BODIES.get(route.path, {}))
    return client.request(route.method, url, data=BODIES.get(route.path, {"name": "x"}))


# Plausible bodies, so that a call reaches the scope check instead of stopping at validation.
BODIES: dict[str, dict[str, Any]] = {
    "/api/v1/enterprises/{enterprise_id:int}": {"contact_name": "冒名者"},
    "/api/v1/enterprises/{enterprise_id:int}/qualifications": {
        "kind": "production_licence", "number": "XK-1", "valid_from": "2020-01-01"},
    "/api/v1/enterprises/{enterprise_id:int}/products": {
        "name": "冒名产品", "specification": "1 kg", "category_id": 1},
    "/api/v1/batches/{batch_id:int}/printing": {"printed_count": 0, "spoiled_codes": []},
    "/api/v1/batches/{batch_id:int}/activations": {"lot": "X", "production_date": "2026-10-01"},
    "/api/v1/activations/{activation_id:int}/withdraw": {"reason": "冒名撤销"},
    "/api/v1/code-requests": {"product_id": 5, "quantity": 10},
    "/api/v1/products/{product_id:int}": {"name": "冒名产品", "gtin": ""},
    "/api/v1/printers/{printer_id:int}/filing": {"filing_number": "冒名备案", "valid_until": "2099-12-31"},
    "/api/v1/printers/{printer_id:int}/filing/revoke": {"reason": "冒名撤销"},
    "/api/v1/enterprises/{enterprise_id:int}/quota": {"monthly_code_quota": 0},
    "/manage/enterprises/{enterprise_id:int}/quota": {"monthly_code_quota": "0"},
    "/manage/enterprises/{enterprise_id:int}/products/{product_id:int}": {
        "name": "冒名产品", "specification": "1 kg", "category_id": "1", "gtin": ""},
    "/manage/printers/{printer_id:int}/filing": {"filing_number": "冒名备案", "valid_until": "2099-12-31"},
    "/manage/printers/{printer_id:int}/filing/revoke": {"reason": "冒名撤销"},
    "/manage/enterprises/{enterprise_id:int}/qualifications": {
        "kind": "production_licence", "number": "XK-1", "valid_from": "2020-01-01"},
    "/manage/enterprises/{enterprise_id:int}/products": {
        "name": "冒名产品", "specification": "1 kg", "category_id": "1", "packaging": "item:1"},
    "/codes/batches/{batch_id:int}/activations": {"lot": "X", "production_date": "2026-10-01", "scope": "all"},
    "/codes/batches/{batch_id:int}/activations/{activation_id:int}/withdraw": {"reason": "冒名撤销"},
    "/codes/batches/{batch_id:int}/printing": {"printed_count": "0", "spoiled_codes": ""},
    "/codes/requests": {"product_id": "5", "quantity": "10", "packaging_level": "item"},
}


def callers(live: LiveServer) -> dict[str, httpx.Client]:
    keys = live.seed.apikeys
    return {
        "operator": live.login("operator"),
        "regulator": live.login("luancheng.quality"),
        "manufacturer": live.login("fengsui"),
        "manufacturer-key": live.key_client(keys["manufacturer"][0]),
        "printer": live.login("huayin"),
        "printer-key": live.key_client(keys["printer"][0]),
        "merchant": live.login("luancheng.shop"),
        "terminal-key": live.key_client(keys["terminal"][0]),
    }


ROLE_OF = {"operator": Role.OPERATOR, "regulator": Role.REGULATOR, "manufacturer": Role.MANUFACTURER,
           "manufacturer-key": Role.MANUFACTURER, "printer": Role.PRINTER, "printer-key": Role.PRINTER,
           "merchant": Role.MERCHANT, "terminal-key": Role.TERMINAL}


def test_unauthenticated_calls_get_401_or_the_login_page(live: LiveServer, facts: dict[str, Any]) -> None:
    before = audit_count(live)
    client = live.client()
    for route in ROUTES:
        response = call(client, route, facts["ids"])
        if route.is_api:
            assert response.status_code == 401, (route, response.status_code)
            assert response.json()["error"]["code"] == "not_authenticated"
        else:
            assert response.status_code == 303, (route, response.status_code)
            assert response.headers["location"].startswith("/login?next=")
    assert audit_count(live) == before, audit_actions_since(live, before)


def test_callers_outside_a_routes_roles_get_403(live: LiveServer, facts: dict[str, Any]) -> None:
    clients = callers(live)
    before = audit_count(live)  # logging in is audited too, so count after it
    for route in SWEPT:
        for name, client in clients.items():
            if ROLE_OF[name] in route.roles:
                continue
            response = call(client, route, facts["ids"])
            assert response.status_code == 403, (name, route, response.status_code, response.text[:200])
            for marker in facts["zhenwei_markers"]:
                assert marker not in response.text
    assert audit_count(live) == before, audit_actions_since(live, before)


def test_a_manufacturer_never_reads_or_changes_another_enterprises_data(live: LiveServer,
                                                                          facts: dict[str, Any]) -> None:
    clients = callers(live)
    before = audit_count(live)
    for name in ("manufacturer", "manufacturer-key"):
        client = clients[name]
        for route in SWEPT:
            if Role.MANUFACTURER not in route.roles:
                continue
            response = call(client, route, facts["ids"])
            has_params = bool(PARAM.search(route.path))
            if has_params:
                assert response.status_code in (400, 403, 404), (name, route, response.status_code)
            else:
                assert response.status_code < 500, (name, route, response.status_code)
            for marker in facts["zhenwei_markers"]:
                assert marker not in response.text, (name, route)
    # A manufacturer may issue keys for its own enterprise (the routes admit that); nothing else
    # may have changed, and nothing of another enterprise.
    own = facts["names"]["石家庄丰穗复合肥有限公司"]
    for action, after in audit_records_since(live, before):
        assert action == "account:apikey:created" and after["enterprise_id"] == own, (action, after)


def test_a_county_regulator_sees_nothing_outside_its_county_and_agency(live: LiveServer,
                                                                        facts: dict[str, Any]) -> None:
    client = live.login("luancheng.quality")
    before = audit_count(live)
    for route in SWEPT:
        if Role.REGULATOR not in route.roles:
            continue
        response = call(client, route, facts["ids"])
        if PARAM.search(route.path):
            assert response.status_code in (400, 403, 404), (route, response.status_code)
        else:
            assert response.status_code == 200 or route.method != "GET", (route, response.status_code)
        for name in [*facts["outside_luancheng"], "石家庄丰穗复合肥有限公司"]:
            assert name not in response.text, (route, name)
    own = client.get("/api/v1/manage/enterprises").text
    assert "栾城恒温电热毯厂" in own
    assert audit_count(live) == before, audit_actions_since(live, before)


# --- the access matrix ------------------------------------------------------------------------------


def test_the_matrix_names_every_route() -> None:
    """A route with no row in the matrix (or a row for a route that is gone) fails here: adding an
    area means adding its rows (CONTRIBUTING.md)."""
    keys = {f"{route.method} {route.path}" for route in ALL_ROUTES}
    protected = {f"{route.method} {route.path}" for route in ROUTES}
    assert set(MATRIX) == protected, (sorted(protected - set(MATRIX)), sorted(set(MATRIX) - protected))
    assert keys - protected == PUBLIC, (sorted(keys - protected - PUBLIC), sorted(PUBLIC - (keys - protected)))
    for key, rule in MATRIX.items():
        assert not isinstance(rule, Unscoped) or rule.why, key


def matrix_clients(live: LiveServer) -> dict[str, httpx.Client]:
    clients = {}
    for name, (kind, who, _role) in CALLERS.items():
        if kind == "user":
            clients[name] = live.login(who)
        else:
            role, index = who.split(":")
            clients[name] = live.key_client(live.seed.apikeys[role][int(index)])
    return clients


def matrix_body(route: Route, ids: dict[str, Any], container: str, contents: list[str]) -> dict[str, Any]:
    """A body that passes validation, so that the call reaches the scope check."""
    made = {
        "/api/v1/code-requests": {"product_id": ids["product_id"], "quantity": 10},
        "/codes/requests": {"product_id": str(ids["product_id"]), "quantity": "10", "packaging_level": "item"},
        "/api/v1/packings": {"container": container, "contents": contents},
        "/api/v1/packings/unpack": {"container": container, "contents": contents},
        "/codes/batches/{batch_id:int}/packings": {"container": container, "contents": "\n".join(contents)},
        "/api/v1/enterprises/{enterprise_id:int}/broadcast": {"text": "冒名播报"},
        "/manage/enterprises/{enterprise_id:int}/broadcast": {"text": "冒名播报"},
    }
    return made.get(route.path, BODIES.get(route.path, {} if route.is_api else {"name": "x"}))


def matrix_call(client: httpx.Client, route: Route, url: str, body: dict[str, Any]) -> httpx.Response:
    if route.method == "GET":
        return client.get(url)
    if route.is_api:
        return client.request(route.method, url, json=body)
    return client.request(route.method, url, data=body)


def test_the_access_matrix(live: LiveServer, facts: dict[str, Any]) -> None:
    """Every row, every caller the route's roles admit: the ones the row names reach the object (or
    see the listed one), every other is answered 404 and sees nothing of it; nothing changes."""
    ids = facts["matrix_ids"]
    container, contents = live.seed.samples["case"][0], live.seed.samples["packed"][:1]
    alert = hashlib.sha256(b"demo probing source").hexdigest()[:12]
    clients = matrix_clients(live)
    before = audit_count(live)
    failures = []
    for route in ROUTES:
        rule = MATRIX[f"{route.method} {route.path}"]
        if isinstance(rule, Unscoped):
            continue
        admitted = [name for name, (_kind, _who, role) in CALLERS.items() if role in route.roles]
        query = rule.query.format(**ids)
        url = route.url(ids) + (f"?{query}" if query else "")
        body = matrix_body(route, ids, container, contents)
        for name in admitted:
            if isinstance(rule, Listing):
                response = matrix_call(clients[name], route, url, body)
                if response.status_code != 200:
                    failures.append((route.path, name, response.status_code))
                    continue
                for marker, seers in rule.rows.items():
                    shown = marker.format(alert=alert) in response.text
                    if shown != (name in seers):
                        failures.append((route.path, name, marker, "shown" if shown else "missing"))
                continue
            inside = name in rule.reach
            if inside and rule.acts:
                continue  # acting for real would change the demo network; the areas' own tests do that
            response = matrix_call(clients[name], route, url, body)
            if inside and (response.status_code != 200 or rule.marker not in response.text):
                failures.append((route.path, name, response.status_code, "should reach"))
            if not inside and (response.status_code != 404 or (rule.marker and rule.marker in response.text)):
                failures.append((route.path, name, response.status_code, "should be 404"))
    assert not failures, failures
    assert audit_count(live) == before, audit_actions_since(live, before)
