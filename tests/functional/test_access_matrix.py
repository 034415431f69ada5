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
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import func, select

from jianguan.accounts.models import ApiKey, Role
from jianguan.alerts.models import Alert, SpotCheck
from jianguan.applications.models import Application, ApplicationDocument
from jianguan.audit.models import AuditRecord
from jianguan.cases.models import Case, EnforcementAction
from jianguan.codes.models import Activation, CodeBatch, CodeRequest
from jianguan.config import Settings
from jianguan.demo.seed import ENTERPRISES
from jianguan.enterprises.models import Enterprise, Product, Qualification
from jianguan.merchants.models import Merchant
from jianguan.printers.models import Printer
from jianguan.promotions.models import Promotion
from jianguan.recalls.models import Recall
from jianguan.receipts.models import Receipt
from jianguan.rosters.models import Roster
from jianguan.storage import make_engine, reading, session_factory
from jianguan.terminals.models import Terminal
from jianguan.trace.models import Capture, Event, PartyKind
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
        # The complaint about 珍味 vinegar in 长安区: outside 栾城 and outside 丰穗's products.
        case_id = session.scalar(select(Case.id).where(Case.place == "长安区北国超市"))
        capture = session.scalar(select(func.min(Capture.id)).where(Capture.party_kind == PartyKind.ENTERPRISE,
                                                                   Capture.party_id == zhenwei))
        shipped = session.scalar(select(Event.event_key).where(Event.party_kind == PartyKind.ENTERPRISE,
                                                               Event.party_id == zhenwei,
                                                               Event.biz_step == "shipping").order_by(Event.id))
        event_id = quote(shipped, safe="")
        receipt = session.scalar(select(func.min(Receipt.id)))
        # 福味's application (food, 长安区: the quality office's), and its business licence.
        application = session.scalar(select(Application.id).where(Application.name == "石家庄福味食品有限公司"))
        document = session.scalar(select(func.min(ApplicationDocument.id))
                                  .where(ApplicationDocument.application_id == application))
        recall = session.scalar(select(func.min(Recall.id)))
        promotion = session.scalar(select(func.min(Promotion.id)))
        lvdun_product = session.scalar(select(func.min(Product.id)).where(Product.name == "绿盾吡虫啉可湿性粉剂"))
        action_id = session.scalar(select(func.min(EnforcementAction.id)))  # 珍味's cloned code in 桥西区
        # 珍味 vinegar's failed spot check in 长安区 and its alert (quality; 长安区; 珍味).
        check_id = session.scalar(select(SpotCheck.id).where(SpotCheck.passed.is_(False)))
        alert_id = session.scalar(select(Alert.id).where(Alert.rule == "spot_check_failed"))
        roster = session.scalar(select(Roster.id).where(Roster.industry == "复混肥料生产企业"))  # 栾城区, fertiliser
    engine.dispose()
    yield {
        "ids": {"enterprise_id": zhenwei, "batch_id": batch.id, "activation_id": activation.id,
                "request_id": request.id, "api_key_id": key.id, "user_id": 1, "category_id": 1, "entry_id": 1,
                "terminal_id": terminal.id, "printer_id": printer_id, "merchant_id": merchant_id,
                "code": live.seed.samples["case"][0], "product_id": batch.product_id,
                "qualification_id": qualification, "case_id": case_id, "photo_id": 1,
                "capture_id": capture, "event_id": event_id,
                "receipt_id": (receipt or 0) + 1000, "lot": "ZW-2026-1015",
                "recall_id": recall, "action_id": action_id,
                "application_id": application, "document_id": document,
                "promotion_id": (promotion or 0) + 1000,
                "alert_id": alert_id, "check_id": check_id, "rule": "cloned_code", "roster_id": roster},
        # The matrix's targets: the same objects, and the real printer.
        "matrix_ids": {"enterprise_id": zhenwei, "batch_id": batch.id, "activation_id": activation.id,
                       "request_id": request.id, "api_key_id": key.id, "printer_id": huayin,
                       "merchant_id": merchant_id, "code": live.seed.samples["case"][0],
                       "product_id": batch.product_id, "qualification_id": qualification, "case_id": case_id,
                       "photo_id": 1, "capture_id": capture, "event_id": event_id,
                       "receipt_id": receipt, "lot": "ZW-2026-1015",
                       "recall_id": recall, "lvdun_product": lvdun_product, "action_id": action_id,
                       "application_id": application,
                       "document_id": document, "promotion_id": promotion,
                       "alert_id": alert_id, "check_id": check_id, "rule": "cloned_code", "roster_id": roster},
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
    if route.path in UPLOADS:
        return client.request(route.method, url, data=BODIES.get(route.path, {}), files=UPLOADS[route.path])
    if route.is_api:
        return client.request(route.method, url, json=BODIES.get(route.path, {}))
    return client.request(route.method, url, data=BODIES.get(route.path, {"name": "x"}))


# Plausible bodies, so that a call reaches the scope check instead of stopping at validation.
UPLOADS: dict[str, dict[str, Any]] = {  # API routes that take a file (multipart/form-data)
    "/api/v1/products/{product_id:int}/schemes/drug-codes": {"file": ("codes.csv", b"81000000000000000001\n")},
    "/schemes/drug-codes": {"file": ("codes.csv", b"81000000000000000001\n")},
}
BODIES: dict[str, dict[str, Any]] = {
    "/api/v1/products/{product_id:int}/schemes/gs1": {"gtin": "06901234000030", "ranges": [{"first": 1, "last": 2}]},
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
    "/api/v1/cases/{case_id:int}/transitions": {"action": "investigate"},
    "/manage/cases/{case_id:int}/transitions": {"action": "investigate"},
    "/api/v1/case-deadlines": {"stage": "accepted", "days": 2},
    "/manage/case-deadlines": {"stage": "accepted", "days": "2"},
    "/api/v1/applications/{application_id:int}/decision": {"decision": "refuse", "reason": "冒名拒绝"},
    "/manage/applications/{application_id:int}/decision": {"decision": "refuse", "reason": "冒名拒绝"},
    "/api/v1/targets": {"year": 2026, "region_code": "130102", "signed": 1},
    "/manage/targets": {"year": "2026", "region_code": "130102", "signed": "1"},
    "/api/v1/report-recipients": {"region_code": "130102", "addresses": ["matrix@example.org"]},
    "/manage/reports/recipients": {"region_code": "130102", "addresses": "matrix@example.org"},
    "/api/v1/enforcement-actions": {"case_id": 2**31 - 1, "basis": "冒名执法"},  # no such case
    "/manage/cases/{case_id:int}/enforcement": {"basis": "冒名执法"},
    "/api/v1/enforcement-actions/{action_id:int}/outcome": {"goods_seized": "冒名", "goods_value": 0,
                                                             "cases_filed": 0, "penalty": 0},
    "/manage/enforcement-actions/{action_id:int}/outcome": {"goods_seized": "冒名", "goods_value": "0",
                                                             "cases_filed": "0", "penalty": "0"},
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
    # A manufacturer may issue keys for its own enterprise (the routes admit that), and a document it
    # sends for capture that is refused is kept as its own (with nothing of it stored); nothing else
    # may have changed, and nothing of another enterprise.
    own = facts["names"]["石家庄丰穗复合肥有限公司"]
    for action, after in audit_records_since(live, before):
        if action == "trace:capture:refused":
            continue
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
        "/schemes/gs1": {"product_id": str(ids["product_id"]), "first": "1", "last": "2"},
        "/schemes/drug-codes": {"product_id": str(ids["product_id"])},
        "/api/v1/packings": {"container": container, "contents": contents},
        "/api/v1/packings/unpack": {"container": container, "contents": contents},
        "/codes/batches/{batch_id:int}/packings": {"container": container, "contents": "\n".join(contents)},
        "/api/v1/enterprises/{enterprise_id:int}/broadcast": {"text": "冒名播报"},
        "/api/v1/recalls": {"product_ids": [ids["lvdun_product"]], "lots": ["LD-26-10-A"], "level": "1",
                            "reason": "冒名召回", "instructions": "冒名"},
        "/recalls": {"product_id": str(ids["lvdun_product"]), "lots": "LD-26-10-A", "level": "1", "reason": "冒名召回",
                     "instructions": "冒名"},
        "/manage/enterprises/{enterprise_id:int}/broadcast": {"text": "冒名播报"},
        "/api/v1/enforcement-actions": {"case_id": ids["case_id"], "basis": "冒名执法"},
        "/api/v1/alerts/{alert_id:int}/dismiss": {"reason": "冒名排除"},
        "/manage/alerts/{alert_id:int}/dismiss": {"reason": "冒名排除"},
        "/api/v1/spot-checks": {"product_id": ids["product_id"], "lot": "ZW-2026-1015", "region_code": "130102",
                                "place": "冒名抽样", "sampled_on": "2026-11-01", "items": "总酸", "passed": False,
                                "report_number": "MATRIX-1"},
        "/manage/spot-checks": {"product_id": str(ids["product_id"]), "lot": "ZW-2026-1015", "region_code": "130102",
                                "place": "冒名抽样", "sampled_on": "2026-11-01", "items": "总酸", "passed": "no",
                                "report_number": "MATRIX-1"},
    }
    return made.get(route.path, BODIES.get(route.path, {} if route.is_api else {"name": "x"}))


def matrix_call(client: httpx.Client, route: Route, url: str, body: dict[str, Any]) -> httpx.Response:
    if route.method == "GET":
        return client.get(url)
    if route.path in UPLOADS:
        return client.request(route.method, url, data=body, files=UPLOADS[route.path])
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
