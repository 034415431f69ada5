"""The OpenAPI document states the API's bounds and errors: every number a request carries has its
range, every text its length, every operation the error statuses it can answer, each with the one
error body the API sends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jianguan.accounts.models import Role
from jianguan.config import Settings
from jianguan.web.app import create_app
from jianguan.web.params import MAX_ROW_ID

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    app = create_app(Settings(database_url="sqlite:///:memory:"), check_database=False)
    return app.openapi_schema.to_schema()


@pytest.fixture(scope="module")
def handlers() -> dict[tuple[str, str], Any]:
    """Each API operation's handler, by method and path as the document spells it."""
    app = create_app(Settings(database_url="sqlite:///:memory:"), check_database=False)
    found = {}
    for route in app.routes:
        if not route.path.startswith("/api/v1"):
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods - {"HEAD", "OPTIONS"}:
                path = "".join(part.split(":")[0] + ("}" if ":" in part else "") for part in route.path.split("}"))
                found[(method.lower(), path)] = handler
    return found


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def kinds(schema: dict[str, Any]) -> set[str]:
    """The JSON types a schema admits, through a ``oneOf`` with null."""
    if "oneOf" in schema:
        return {kind for option in schema["oneOf"] for kind in kinds(option)}
    kind = schema.get("type")
    return set(kind) if isinstance(kind, list) else {kind} if kind else set()


def unbounded(document: dict[str, Any], schema: dict[str, Any], where: str) -> Iterator[str]:
    """Where a request schema leaves a string without a length, a number without a range, or a list
    without a size (enumerations and dates are bounded by what they are)."""
    schema = resolve(document, schema)
    admitted = kinds(schema)
    if "object" in admitted:
        for name, field in schema.get("properties", {}).items():
            yield from unbounded(document, field, f"{where}.{name}")
        return
    options = [resolve(document, option) for option in schema.get("oneOf", [schema])]
    if any("enum" in option or option.get("format") in ("date", "date-time") for option in options):
        return
    if "string" in admitted and "maxLength" not in schema:
        yield f"{where}: a string without maxLength"
    if "integer" in admitted and ("maximum" not in schema or "minimum" not in schema):
        yield f"{where}: an integer without its range"
    if "array" in admitted:
        if "maxItems" not in schema:
            yield f"{where}: an array without maxItems"
        if "items" in schema:
            yield from unbounded(document, schema["items"], f"{where}[]")
        for item in schema.get("prefixItems", []):
            yield from unbounded(document, item, f"{where}[]")


def test_every_request_field_and_parameter_is_bounded(document: dict[str, Any]) -> None:
    problems = []
    for method, path, operation in operations(document):
        where = f"{method.upper()} {path}"
        for parameter in operation.get("parameters", []):
            problems += unbounded(document, parameter["schema"], f"{where} {parameter['name']}")
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            problems += unbounded(document, body["schema"], f"{where} body")
    assert not problems, "\n".join(problems)


def test_limits_come_from_the_columns(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["NewActivation"]["properties"]["lot"]["maxLength"] == 64
    assert schemas["NewActivation"]["properties"]["inspection_record"]["maxLength"] == 200
    assert schemas["NewEnterprise"]["properties"]["description"]["maxLength"] == 2000
    assert schemas["NewReport"]["properties"]["place"] == {**schemas["NewReport"]["properties"]["place"],
                                                           "minLength": 1, "maxLength": 200}
    assert schemas["NewCodeRequest"]["properties"]["quantity"]["maximum"] == 100_000_000
    enterprise = document["paths"]["/api/v1/enterprises/{enterprise_id}"]["get"]["parameters"][0]["schema"]
    assert (enterprise["minimum"], enterprise["maximum"]) == (1, MAX_ROW_ID)


def test_the_public_verification_takes_no_region(document: dict[str, Any]) -> None:
    operation = document["paths"]["/api/v1/verify/{code}"]["get"]
    assert [parameter["name"] for parameter in operation["parameters"]] == ["code"]


def test_errors_are_documented_once_and_as_the_api_sends_them(document: dict[str, Any]) -> None:
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    detail = resolve(document, error["properties"]["error"])
    assert set(detail["required"]) == {"code", "message", "message_zh"}
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if status == "414":  # the HTTP server's answer to an overlong address: no body of ours
                assert "content" not in response and method == "get", (method, path)
            elif status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)


def test_every_operation_documents_the_statuses_it_can_answer(
        document: dict[str, Any], handlers: dict[tuple[str, str], Any]) -> None:
    for method, path, operation in operations(document):
        handler = handlers[(method, path)]
        statuses = set(operation["responses"])
        assert "401" in statuses, (method, path)
        assert ("414" in statuses) == (method == "get" and any(
            parameter["in"] == "query" for parameter in operation.get("parameters", []))), (method, path)
        if handler.opt.get("public"):
            assert "429" in statuses or handler.opt.get("unthrottled"), (method, path)
            assert "403" not in statuses and "security" not in operation, (method, path)
        else:
            assert {"403", "404"} <= statuses, (method, path)
            kinds_of_credential = {name for requirement in operation["security"] for name in requirement}
            assert ("apiKey" in kinds_of_credential) == bool(handler.opt["roles"] & {
                Role.MANUFACTURER, Role.PRINTER, Role.TERMINAL}), (method, path)
        if operation.get("parameters") or operation.get("requestBody"):
            assert "400" in statuses, (method, path)
    schemes = document["components"]["securitySchemes"]
    assert schemes["apiKey"]["scheme"] == "bearer" and schemes["session"]["name"] == "jg_session"


def test_what_can_conflict_says_so(document: dict[str, Any]) -> None:
    for path, method in (("/api/v1/enterprises", "post"), ("/api/v1/code-requests", "post"),
                         ("/api/v1/batches/{batch_id}/file", "get"), ("/api/v1/packings", "post"),
                         ("/api/v1/enterprises/{enterprise_id}/sign", "post")):
        assert "409" in document["paths"][path][method]["responses"], (method, path)
    downloads = document["paths"]["/api/v1/batches/{batch_id}/file"]["get"]["responses"]["200"]
    assert list(downloads["content"]) == ["application/zip"]
