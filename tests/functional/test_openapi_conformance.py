"""The served OpenAPI document is the API: schemathesis makes requests from it, valid ones and
invalid ones, for every operation, as an anonymous client, as a manufacturer's API key and as an
operator's session, and no answer may be a server error or differ from what the document says
(its status, content type, headers and body schema).

A server of its own on a fresh demo network, since the requests change what they may (users,
enterprises, keys, even the operator's own account); the operations that can end the caller's
own credential (disabling a user, revoking a key) come last. Generation is bounded and
deterministic: a few examples an operation and mode, no shrinking, no example database.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import DatabaseFactory
from tests.live import LiveServer, demo_seed, start_server

EXAMPLES = 4  # an operation, a mode and a caller: some 1,100 requests a database, about half a minute
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
SETTINGS = settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
# Credentials are the callers' own: the generator must not replace them with made-up ones.
CONFIG = {"seed": 20261201, "generation": {"with-security-parameters": False, "deterministic": True}}


@pytest.fixture(scope="module")
def fuzzed(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    url = databases.new_url()
    server = start_server(url, tmp_path_factory.mktemp("openapi"), demo_seed(url))
    yield server
    server.stop()


def callers(server: LiveServer) -> dict[str, requests.Session]:
    anonymous = requests.Session()
    manufacturer = requests.Session()
    manufacturer.headers["Authorization"] = f"Bearer {server.seed.apikeys['manufacturer'][0]}"
    logged_in = server.login("operator")
    operator = requests.Session()
    operator.cookies.update(dict(logged_in.cookies))
    operator.headers["X-CSRF-Token"] = logged_in.headers["X-CSRF-Token"]
    logged_in.close()
    return {"anonymous": anonymous, "manufacturer key": manufacturer, "operator session": operator}


def ends_own_credential(operation: schemathesis.APIOperation) -> bool:
    return operation.path.endswith(("/disable", "/revoke"))


def fuzz(operation: schemathesis.APIOperation, mode: GenerationMode, session: requests.Session,
         failures: list[str], caller: str) -> int:
    """Run ``EXAMPLES`` cases of one operation and mode; note each failed check; return the requests made."""
    made = 0

    @given(case=operation.as_strategy(generation_mode=mode))
    @SETTINGS
    def run(case: schemathesis.Case) -> None:
        nonlocal made
        made += 1
        try:
            case.call_and_validate(session=session, checks=CHECKS)
        except schemathesis.errors.FailureGroup as group:
            failures.append(f"{caller}, {mode.value}: {group}")

    with contextlib.suppress(Unsatisfiable):  # an operation that takes nothing has no invalid request
        run()
    return made


def test_the_api_answers_as_its_openapi_document_says(fuzzed: LiveServer) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzzed.base_url}/api/openapi.json",
                                           config=schemathesis.Config.from_dict(CONFIG))
    operations = sorted((result.ok() for result in schema.get_all_operations()),
                        key=lambda op: (ends_own_credential(op), op.method != "get", op.path, op.method))
    assert len(operations) > 50
    failures: list[str] = []
    made = 0
    for caller, session in callers(fuzzed).items():
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                made += fuzz(operation, mode, session, failures, caller)
    assert made > 800
    assert not failures, f"{len(failures)} failures in {made} requests:\n\n" + "\n\n".join(failures[:20])
    assert "unhandled error" not in fuzzed.log_path.read_text()
