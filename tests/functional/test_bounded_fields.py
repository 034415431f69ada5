"""Every text a person types has a length, at the table, in the services and at the API: a lot
number of a megabyte was accepted at activation, and every verification of its codes answered a
megabyte. The services refuse an over-long value in both languages (pages and the command line
reach the database only through them); the API refuses it by the length its schema declares."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from jianguan.accounts import services as accounts
from jianguan.accounts.passwords import hash_password
from jianguan.cases.intake import open_case
from jianguan.catalogue import services as catalogue
from jianguan.codes.activation import ProductionData
from jianguan.enterprises import services as enterprises
from jianguan.enterprises.models import Enterprise, Product
from jianguan.errors import ValidationFailed
from jianguan.merchants.services import register_merchant
from jianguan.printers.models import Printer
from jianguan.printers.services import register_printer
from jianguan.terminals.services import register_terminal
from tests.functional.registry_data import (
    ACTOR,
    OPERATOR,
    counts,
    credit_code,
    make_enterprise,
    make_product,
    register,
)
from tests.live import LiveServer

MEGABYTE = "批" * (1 << 20)


def _merchant(session: Session) -> Any:
    return register_merchant(session, actor=ACTOR, credit_code=credit_code("130111"), name="测试商店", kind="shop",
                             region_code="130111")


OVER_LONG: dict[str, Callable[[Session], Any]] = {
    "enterprise name": lambda session: register(session, name="厂" * 201),
    "enterprise description": lambda session: register(session, description=MEGABYTE),
    "enterprise address, changed": lambda session: enterprises.update_enterprise(
        session, actor=ACTOR, principal=OPERATOR, enterprise_id=make_enterprise(session).id, address="路" * 301),
    "product description": lambda session: enterprises.add_product(
        session, actor=ACTOR, principal=OPERATOR, enterprise_id=make_enterprise(session).id, name="产品",
        specification="1 kg", category_id=1, description="说" * 2001),
    "product specification, changed": lambda session: enterprises.update_product(
        session, actor=ACTOR, principal=OPERATOR, product_id=make_product(session, make_enterprise(session).id).id,
        specification="规" * 201),
    "category description": lambda session: catalogue.create_category(
        session, actor=ACTOR, code="toys_long", name_zh="玩具", name_en="toys", agency="quality",
        description="说" * 2001),
    "printer filing number": lambda session: register_printer(
        session, actor=ACTOR, credit_code=credit_code("130104"), name="印刷厂", region_code="130104",
        filing_number="备" * 65, filing_valid_until=dt.date(2099, 1, 1)),
    "merchant address": lambda session: register_merchant(
        session, actor=ACTOR, credit_code=credit_code("130111"), name="商店", kind="shop", region_code="130111",
        address="址" * 301),
    "terminal address": lambda session: register_terminal(
        session, actor=ACTOR, merchant_id=_merchant(session).id, name="收银台", contact_name="王",
        contact_phone="13800000000", address="址" * 301),
    "user display name": lambda session: accounts.create_user(
        session, actor=ACTOR, username="long.name", display_name="名" * 101, password="a long password",
        role="operator"),
    "key name": lambda session: accounts.create_api_key(
        session, actor=ACTOR, name="钥" * 101, role="manufacturer", enterprise_id=make_enterprise(session).id),
    "report place": lambda session: open_case(session, actor=ACTOR, code="123", place="店" * 201),
}


@pytest.mark.parametrize("call", OVER_LONG.values(), ids=OVER_LONG.keys())
def test_the_services_refuse_over_long_text(session: Session, call: Callable[[Session], Any]) -> None:
    before = counts(session, Enterprise, Product, Printer)
    with pytest.raises(ValidationFailed) as refused, session.begin_nested():
        call(session)
    assert refused.value.code == "too_long" and "最多" in refused.value.message_zh
    assert "at most" in refused.value.message
    assert counts(session, Enterprise, Product, Printer) == before


@pytest.mark.parametrize(("lot", "record"), [("批" * 65, ""), ("A1", "检" * 201), (MEGABYTE, "")])
def test_production_data_of_an_activation_is_bounded(lot: str, record: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        ProductionData(lot, dt.date(2026, 10, 1), None, record).checked()
    assert refused.value.code == "too_long"
    assert ProductionData("批" * 64, dt.date(2026, 10, 1), None, "检" * 200).checked().lot == "批" * 64


def test_a_password_has_an_upper_bound_too() -> None:
    with pytest.raises(ValidationFailed) as refused:
        hash_password("p" * 129)
    assert refused.value.code == "too_long"


# --- over the API and the pages ------------------------------------------------------------------


def _self_printed_batch(key: httpx.Client, quantity: int = 4) -> int:
    """A batch of the key's enterprise (丰穗, product 1) that it prints itself, printed."""
    issued = key.post("/api/v1/code-requests", json={"product_id": 1, "quantity": quantity})
    assert issued.status_code == 201, issued.text
    batch_id: int = issued.json()["batch_id"]
    printed = key.post(f"/api/v1/batches/{batch_id}/printing", json={"printed_count": quantity})
    assert printed.status_code == 201, printed.text
    return batch_id


def test_a_lot_of_a_megabyte_is_refused_and_a_verification_stays_small(live: LiveServer) -> None:
    key = live.key_client(live.seed.apikeys["manufacturer"][0])
    batch_id = _self_printed_batch(key)
    refused = key.post(f"/api/v1/batches/{batch_id}/activations",
                       json={"lot": MEGABYTE, "production_date": "2026-10-01"})
    assert refused.status_code == 400 and len(refused.content) < 2_000
    error = refused.json()["error"]
    assert error["code"] == "validation_failed" and error["details"]["fields"][0]["key"] == "lot"
    assert "64" in error["message"] and "64" in error["message_zh"]
    assert key.get(f"/api/v1/batches/{batch_id}").json()["activations"] == []
    for field, value in (("inspection_record", "检" * 201), ("lot", " ")):
        body = {"lot": "20261001-A", "production_date": "2026-10-01", field: value}
        assert key.post(f"/api/v1/batches/{batch_id}/activations", json=body).status_code == 400
    done = key.post(f"/api/v1/batches/{batch_id}/activations",
                    json={"lot": "批" * 64, "production_date": "2026-10-01", "inspection_record": "检" * 200})
    assert done.status_code == 201, done.text
    withdraw = key.post(f"/api/v1/activations/{done.json()['activations'][0]['id']}/withdraw",
                        json={"reason": "因" * 501})
    assert withdraw.status_code == 400
    key.close()


def test_a_page_form_refuses_an_over_long_lot_in_both_languages(live: LiveServer) -> None:
    key = live.key_client(live.seed.apikeys["manufacturer"][0])
    batch_id = _self_printed_batch(key)
    key.close()
    page = live.login("fengsui").post(f"/codes/batches/{batch_id}/activations",
                                      data={"lot": "批" * 65, "production_date": "2026-10-01", "scope": "all"})
    assert page.status_code == 400
    assert "生产批次最多 64 个字符" in page.text


@pytest.mark.parametrize(("path", "body"), [
    ("/api/v1/reports", {"code": "1" * 65, "place": "店"}),
    ("/api/v1/reports", {"code": "123", "place": "店", "description": "说" * 2001}),
    ("/api/v1/reports", {"code": "123", "place": "店", "region_code": "1301110"}),
])
def test_the_public_report_is_bounded(live: LiveServer, path: str, body: dict[str, Any]) -> None:
    response = live.client().post(path, json=body)
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_failed"
