"""Supervision codes through HTTP on a live server (SQLite and PostgreSQL): requests, issue, code
files, labels, printing, activation, packing, look-up, approvals and the pages.

Logins of the demo network: ``fengsui`` and ``zhenwei`` (manufacturers of enterprises 1 and 4),
``huayin`` (printer 1, with a valid filing) and ``operator``. Every test makes its own requests,
so none depends on another; quantities stay small except where the quota is the point.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import httpx
import pytest

from jianguan.codes.files import CSV_NAME, verify_code_file
from jianguan.codes.keys import decode_public_key
from tests.functional.registry_data import credit_code
from tests.live import LiveServer

FENGSUI, ZHENWEI, HUAYIN = 1, 4, 1


@pytest.fixture
def fengsui(live: LiveServer) -> Iterator[httpx.Client]:
    client = live.login("fengsui")
    yield client
    client.close()


@pytest.fixture
def zhenwei(live: LiveServer) -> Iterator[httpx.Client]:
    client = live.login("zhenwei")
    yield client
    client.close()


@pytest.fixture
def huayin(live: LiveServer) -> Iterator[httpx.Client]:
    client = live.login("huayin")
    yield client
    client.close()


@pytest.fixture
def operator(live: LiveServer) -> Iterator[httpx.Client]:
    client = live.login("operator")
    yield client
    client.close()


def _key_client(live: LiveServer, role: str, enterprise_id: int | None = None) -> httpx.Client:
    """A client with one of the demo network's API keys of ``role`` (of the enterprise, if given)."""
    for key in live.seed.apikeys[role]:
        client = live.key_client(key)
        me = client.get("/api/v1/me").json()
        if enterprise_id is None or (me["scope"]["enterprise"] or {}).get("id") == enterprise_id:
            return client
        client.close()
    raise LookupError(f"no demo {role} key for enterprise {enterprise_id}")


def _product(client: httpx.Client, enterprise_id: int, level: str = "item") -> int:
    products = client.get(f"/api/v1/enterprises/{enterprise_id}/products").json()
    return next(p["id"] for p in products if level in {pack["level"] for pack in p["packaging"]})


def _issue(client: httpx.Client, enterprise_id: int = FENGSUI, *, quantity: int = 100,
           printer_id: int | None = HUAYIN, level: str = "item") -> dict[str, Any]:
    response = client.post("/api/v1/code-requests", json={
        "product_id": _product(client, enterprise_id, level), "quantity": quantity, "packaging_level": level,
        "printer_id": printer_id})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "issued" and body["batch_id"], body
    return body


def _signing_keys(live: LiveServer) -> dict[str, bytes]:
    with live.client() as anonymous:
        keys = anonymous.get("/api/v1/keys/signing")
    assert keys.status_code == 200
    return {key["key_id"]: decode_public_key(key["public_key"]) for key in keys.json()}


def _codes_in(zip_bytes: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive, archive.open(CSV_NAME) as raw:
        return [row["code"] for row in csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8"))]


def _download(client: httpx.Client, batch_id: int) -> list[str]:
    response = client.get(f"/api/v1/batches/{batch_id}/file")
    assert response.status_code == 200, response.text
    return _codes_in(response.content)


def _error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"] and error["message_zh"]
    if code is not None:
        assert error["code"] == code, error
    return error


# --- request, issue, download --------------------------------------------------------------------


def test_request_within_quota_is_issued_and_the_printer_downloads_a_verified_file(
        live: LiveServer, fengsui: httpx.Client, huayin: httpx.Client) -> None:
    request = _issue(fengsui, quantity=120)
    assert request["quantity"] == 120 and request["printer"]["id"] == HUAYIN
    batch_id = request["batch_id"]
    assert fengsui.get(f"/api/v1/code-requests/{request['id']}").json()["batch_id"] == batch_id
    assert request["id"] in {r["id"] for r in fengsui.get("/api/v1/code-requests").json()}
    assert batch_id in {b["id"] for b in huayin.get("/api/v1/batches").json()}

    response = huayin.get(f"/api/v1/batches/{batch_id}/file")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/zip")
    assert response.headers["content-disposition"].startswith("attachment")
    verified = verify_code_file(io.BytesIO(response.content), _signing_keys(live))
    assert verified.count == 120
    assert verified.manifest["batch_id"] == batch_id
    assert verified.manifest["enterprise"]["id"] == FENGSUI
    codes = _codes_in(response.content)
    assert len(set(codes)) == 120 and all(len(code) == 20 and code.isdigit() for code in codes)

    batch = huayin.get(f"/api/v1/batches/{batch_id}").json()
    assert (batch["downloads"], batch["downloads_left"], batch["quantity"]) == (1, 4, 120)


def test_the_download_limit(live: LiveServer, fengsui: httpx.Client, huayin: httpx.Client) -> None:
    batch_id = _issue(fengsui, quantity=10)["batch_id"]
    with closing(_key_client(live, "printer")) as printer_key:
        for client in (huayin, printer_key, huayin, fengsui, printer_key):
            assert client.get(f"/api/v1/batches/{batch_id}/file").status_code == 200
        _error(printer_key.get(f"/api/v1/batches/{batch_id}/file"), 409, "download_limit")
    _error(huayin.get(f"/api/v1/batches/{batch_id}/file"), 409, "download_limit")
    batch = fengsui.get(f"/api/v1/batches/{batch_id}").json()
    assert (batch["downloads"], batch["downloads_left"]) == (5, 0)


def test_others_cannot_see_download_or_activate_the_batch(
        live: LiveServer, fengsui: httpx.Client, zhenwei: httpx.Client, huayin: httpx.Client,
        operator: httpx.Client) -> None:
    batch_id = _issue(fengsui, quantity=10)["batch_id"]
    own_code = _download(fengsui, batch_id)[0]
    for path in (f"/api/v1/batches/{batch_id}", f"/api/v1/batches/{batch_id}/file",
                 f"/api/v1/batches/{batch_id}/labels.pdf?count=1", f"/api/v1/codes/{own_code}/status",
                 f"/codes/batches/{batch_id}"):
        assert zhenwei.get(path).status_code == 404, path
    assert batch_id not in {b["id"] for b in zhenwei.get("/api/v1/batches").json()}
    _error(zhenwei.post(f"/api/v1/batches/{batch_id}/activations",
                        json={"lot": "X", "production_date": "2026-01-01"}), 404, "unknown_batch")
    _error(zhenwei.post(f"/api/v1/batches/{batch_id}/printing", json={"printed_count": 1}), 404)

    # A batch the enterprise prints itself names no printer: huayin does not see it.
    own_batch = _issue(fengsui, quantity=10, printer_id=None)["batch_id"]
    assert huayin.get(f"/api/v1/batches/{own_batch}/file").status_code == 404
    assert huayin.get(f"/codes/batches/{own_batch}").status_code == 404

    # Another designated printer cannot take huayin's batch.
    printer = operator.post("/api/v1/printers", json={
        "credit_code": credit_code("130104"), "name": "另一家印务", "region_code": "130104",
        "filing_number": "印备-" + credit_code()[-8:], "filing_valid_until": "2099-12-31"}).json()
    username = "printer" + credit_code()[-6:].lower()
    created = operator.post("/api/v1/users", json={"username": username, "display_name": username,
                                                    "password": "a-long-test-password", "role": "printer",
                                                    "printer_id": printer["id"]})
    assert created.status_code == 201, created.text
    with closing(live.login(username, "a-long-test-password")) as other_printer:
        assert other_printer.get(f"/api/v1/batches/{batch_id}/file").status_code == 404
        assert other_printer.get(f"/api/v1/batches/{batch_id}").status_code == 404
        assert other_printer.get("/api/v1/batches").json() == []
    assert fengsui.get(f"/api/v1/batches/{batch_id}").json()["downloads"] == 1
    # The operator sees every batch and code, but downloads no code files.
    assert operator.get(f"/api/v1/batches/{batch_id}").status_code == 200
    assert operator.get(f"/api/v1/codes/{own_code}/status").json()["batch"]["id"] == batch_id
    assert operator.get(f"/api/v1/batches/{batch_id}/file").status_code == 403


def test_label_sheet(fengsui: httpx.Client, huayin: httpx.Client) -> None:
    batch_id = _issue(fengsui, quantity=60)["batch_id"]
    response = huayin.get(f"/api/v1/batches/{batch_id}/labels.pdf", params={"offset": 5, "count": 50})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/pdf")
    assert response.content.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page(?![a-z])", response.content)) == 3  # 24 labels a page
    whole = fengsui.get(f"/api/v1/batches/{batch_id}/labels.pdf", params={"count": 24})
    assert len(re.findall(rb"/Type\s*/Page(?![a-z])", whole.content)) == 1
    # Counts outside 1..10,000 are refused by the parameter's declared range, before the service.
    _error(huayin.get(f"/api/v1/batches/{batch_id}/labels.pdf", params={"count": 0}), 400, "validation_failed")
    _error(huayin.get(f"/api/v1/batches/{batch_id}/labels.pdf", params={"count": 10_001}), 400, "validation_failed")
    _error(huayin.get(f"/api/v1/batches/{batch_id}/labels.pdf", params={"offset": 60, "count": 1}), 400,
           "range_outside_batch")
    # Labels are not counted as downloads of the code file.
    assert fengsui.get(f"/api/v1/batches/{batch_id}").json()["downloads"] == 0


# --- printing and activation ---------------------------------------------------------------------


def test_printing_spoilage_and_activation(fengsui: httpx.Client, huayin: httpx.Client,
                                          operator: httpx.Client) -> None:
    batch_id = _issue(fengsui, quantity=200)["batch_id"]
    codes = _download(huayin, batch_id)
    spoiled = [codes[5], codes[7]]
    printed = huayin.post(f"/api/v1/batches/{batch_id}/printing",
                          json={"printed_count": 200, "spoiled_codes": spoiled})
    assert printed.status_code == 201, printed.text
    assert printed.json()["printed_count"] == 200 and printed.json()["spoiled_count"] == 2
    _error(huayin.post(f"/api/v1/batches/{batch_id}/printing", json={"printed_count": 200}), 409,
           "already_confirmed")
    # The enterprise does not confirm printing of a batch it gave to a printer.
    _error(fengsui.post(f"/api/v1/batches/{batch_id}/printing", json={"printed_count": 1}), 403)

    activated = fengsui.post(f"/api/v1/batches/{batch_id}/activations", json={
        "lot": "20261120-A", "production_date": "2026-11-20", "expiry_date": "2028-11-19",
        "inspection_record": "检验合格 No. 77", "ranges": [[0, 5], [10, 20]]})
    assert activated.status_code == 201, activated.text
    assert activated.json()["activated"] == 15
    status = fengsui.get(f"/api/v1/codes/{codes[12]}/status").json()
    assert status["activation"]["lot"] == "20261120-A"
    assert status["activation"]["expiry_date"] == "2028-11-19"
    assert status["batch"] == {**status["batch"], "id": batch_id, "offset": 12, "printed": True}
    assert fengsui.get(f"/api/v1/codes/{codes[7]}/status").json()["spoiled"] is True
    assert fengsui.get(f"/api/v1/codes/{codes[30]}/status").json()["activation"] is None

    before = fengsui.get(f"/api/v1/batches/{batch_id}").json()
    assert len(before["activations"]) == 2
    data = {"lot": "20261121-B", "production_date": "2026-11-21"}
    for body, code in (({"ranges": [[20, 40], [5, 6]]}, "spoiled_code"),
                       ({"codes": [codes[50], codes[7]]}, "spoiled_code"),
                       ({}, "spoiled_code"),
                       ({"ranges": [[150, 201]]}, "range_outside_batch"),
                       ({"ranges": [[-1, 3]]}, "validation_failed"),
                       ({"codes": [codes[50], codes[50][:-1] + str((int(codes[50][-1]) + 1) % 10)]},
                        "malformed_code"),
                       ({"ranges": [[0, 3]], "lot": ""}, "validation_failed"),
                       ({"ranges": [[0, 3]], "lot": "x" * 65}, "validation_failed")):
        response = fengsui.post(f"/api/v1/batches/{batch_id}/activations", json={**data, **body})
        _error(response, 400, code)
    assert fengsui.get(f"/api/v1/batches/{batch_id}").json() == before
    assert fengsui.get(f"/api/v1/codes/{codes[30]}/status").json()["activation"] is None

    scanned = fengsui.post(f"/api/v1/batches/{batch_id}/activations",
                           json={**data, "codes": [codes[40], codes[41], " ".join([codes[42][:4], codes[42][4:]])]})
    assert scanned.status_code == 201 and scanned.json()["activated"] == 3
    first = activated.json()["activations"][0]["id"]
    _error(fengsui.post(f"/api/v1/activations/{first}/withdraw", json={"reason": " "}), 400, "validation_failed")
    withdrawn = fengsui.post(f"/api/v1/activations/{first}/withdraw", json={"reason": "批次录入错误"})
    assert withdrawn.status_code == 201 and withdrawn.json()["withdrawn_reason"] == "批次录入错误"
    assert fengsui.get(f"/api/v1/codes/{codes[2]}/status").json()["activation"] is None
    assert operator.get(f"/api/v1/codes/{codes[41]}/status").json()["activation"]["lot"] == "20261121-B"
    _error(fengsui.get("/api/v1/codes/12345/status"), 400)


def test_packing_items_into_a_pallet(fengsui: httpx.Client, zhenwei: httpx.Client) -> None:
    items = _issue(fengsui, quantity=10, printer_id=None)["batch_id"]
    pallets = _issue(fengsui, quantity=2, printer_id=None, level="pallet")["batch_id"]
    item_codes, pallet_codes = _download(fengsui, items), _download(fengsui, pallets)
    production = {"lot": "P-1", "production_date": "2026-11-01"}
    _error(fengsui.post("/api/v1/packings", json={"container": pallet_codes[0], "contents": item_codes[:4]}), 400,
           "not_activated")
    for batch_id in (items, pallets):
        assert fengsui.post(f"/api/v1/batches/{batch_id}/activations", json=production).status_code == 201
    packed = fengsui.post("/api/v1/packings", json={"container": pallet_codes[0], "contents": item_codes[:4]})
    assert packed.status_code == 201 and packed.json()["packed"] == 4
    assert fengsui.get(f"/api/v1/codes/{item_codes[1]}/status").json()["container"] == pallet_codes[0]
    _error(fengsui.post("/api/v1/packings", json={"container": pallet_codes[1], "contents": [item_codes[1]]}), 409,
           "already_packed")
    _error(fengsui.post("/api/v1/packings", json={"container": item_codes[8], "contents": [pallet_codes[1]]}), 400,
           "bad_packaging_level")
    assert zhenwei.post("/api/v1/packings", json={"container": pallet_codes[1],
                                                  "contents": [item_codes[9]]}).status_code == 404
    unpacked = fengsui.post("/api/v1/packings/unpack", json={"container": pallet_codes[0]})
    assert unpacked.status_code == 201 and unpacked.json()["unpacked"] == 4
    assert fengsui.get(f"/api/v1/codes/{item_codes[1]}/status").json()["container"] is None


# --- bad requests and approvals ------------------------------------------------------------------


def test_bad_requests_change_nothing(live: LiveServer, fengsui: httpx.Client, operator: httpx.Client) -> None:
    expired = operator.post("/api/v1/printers", json={
        "credit_code": credit_code("130104"), "name": "备案过期印务", "region_code": "130104",
        "filing_number": "过期-" + credit_code()[-8:], "filing_valid_until": "2001-01-01"}).json()
    product = _product(fengsui, FENGSUI)
    other_product = _product(operator, ZHENWEI)
    before = fengsui.get("/api/v1/code-requests").json()
    batches = fengsui.get("/api/v1/batches").json()
    with closing(_key_client(live, "manufacturer", FENGSUI)) as erp:
        for client, body, status, code in (
            (fengsui, {"product_id": product, "quantity": 0}, 400, "validation_failed"),
            (erp, {"product_id": product, "quantity": 100_000_001}, 400, "validation_failed"),
            (fengsui, {"product_id": product, "quantity": -5}, 400, "validation_failed"),
            (fengsui, {"product_id": product, "quantity": "10"}, 400, "validation_failed"),
            (fengsui, {"product_id": product, "quantity": 2**63}, 400, "validation_failed"),
            (fengsui, {"product_id": 2**63, "quantity": 10}, 400, "validation_failed"),
            (fengsui, {"product_id": product, "quantity": 10, "printer_id": expired["id"]}, 400, "printer_not_filed"),
            (fengsui, {"product_id": product, "quantity": 10, "printer_id": 999_999}, 404, "unknown_printer"),
            (fengsui, {"product_id": product, "quantity": 10, "packaging_level": "case"}, 400, "bad_packaging_level"),
            (erp, {"product_id": other_product, "quantity": 10}, 404, "unknown_product"),
            (fengsui, {"product_id": 999_999, "quantity": 10}, 404, "unknown_product"),
            (fengsui, {"product_id": product, "quantity": "ten"}, 400, None),
        ):
            _error(client.post("/api/v1/code-requests", json=body), status, code)
        issued = erp.post("/api/v1/code-requests", json={"product_id": product, "quantity": 5})
        assert issued.status_code == 201 and issued.json()["status"] == "issued"
        assert issued.json()["requested_by"].startswith("apikey:")
    assert fengsui.get("/api/v1/code-requests").json()[1:] == before
    assert fengsui.get("/api/v1/batches").json()[1:] == batches
    _error(fengsui.get("/api/v1/code-requests", params={"status": "lost"}), 400, "validation_failed")
    for path in ("/api/v1/code-requests/999999", "/api/v1/batches/999999"):
        _error(fengsui.get(path), 404)


def _new_manufacturer(live: LiveServer, operator: httpx.Client) -> tuple[httpx.Client, int]:
    """A signed enterprise of its own, with one product and a manufacturer login, so that a
    test about the monthly quota does not use up the demo enterprises' quota."""
    category = next(c["id"] for c in operator.get("/api/v1/categories").json() if c["code"] == "appliance")
    enterprise = operator.post("/api/v1/enterprises", json={
        "credit_code": credit_code("130104"), "name": "配额测试电器厂", "region_code": "130104",
        "category_id": category, "address": "一号", "contact_name": "王", "contact_phone": "13800000000"}).json()
    assert operator.post(f"/api/v1/enterprises/{enterprise['id']}/sign", json={}).status_code == 201
    assert operator.post(f"/api/v1/enterprises/{enterprise['id']}/products", json={
        "name": "电水壶", "specification": "1.5 L", "category_id": category}).status_code == 201
    username = "quota" + credit_code()[-6:].lower()
    assert operator.post("/api/v1/users", json={
        "username": username, "display_name": username, "password": "a-long-test-password",
        "role": "manufacturer", "enterprise_id": enterprise["id"]}).status_code == 201
    return live.login(username, "a-long-test-password"), enterprise["id"]


def test_above_quota_waits_for_the_operator(live: LiveServer, operator: httpx.Client) -> None:
    maker, enterprise_id = _new_manufacturer(live, operator)
    product = _product(maker, enterprise_id)
    with closing(maker):
        pending = maker.post("/api/v1/code-requests", json={"product_id": product, "quantity": 1_500_000})
        assert pending.status_code == 201, pending.text
        assert pending.json()["status"] == "pending" and pending.json()["batch_id"] is None
        second = maker.post("/api/v1/code-requests", json={"product_id": product, "quantity": 1_200_000}).json()
        assert second["status"] == "pending"
        waiting = {r["id"] for r in operator.get("/api/v1/code-requests", params={"status": "pending"}).json()}
        assert {pending.json()["id"], second["id"]} <= waiting
        assert maker.post(f"/api/v1/code-requests/{second['id']}/decision",
                          json={"approve": True}).status_code == 403
        page = operator.get("/manage/code-requests")
        assert page.status_code == 200 and "配额测试电器厂" in page.text and "1,500,000" in page.text

        _error(operator.post(f"/api/v1/code-requests/{second['id']}/decision", json={"approve": False}), 400,
               "missing_field")
        no_reason = operator.post(f"/manage/code-requests/{second['id']}/decision",
                                  data={"csrf_token": operator.cookies["jg_csrf"], "decision": "reject"})
        assert no_reason.status_code == 400 and "驳回时请填写理由" in no_reason.text
        rejected = operator.post(f"/api/v1/code-requests/{second['id']}/decision",
                                 json={"approve": False, "reason": "超出产能"})
        assert rejected.status_code == 201 and rejected.json()["status"] == "rejected"
        assert rejected.json()["batch_id"] is None

        approved = operator.post(f"/manage/code-requests/{pending.json()['id']}/decision",
                                 data={"csrf_token": operator.cookies["jg_csrf"], "decision": "approve"})
        assert approved.status_code == 303
        decided = maker.get(f"/api/v1/code-requests/{pending.json()['id']}").json()
        assert decided["status"] == "issued" and decided["decided_by"] == "user:operator"
        batch = maker.get(f"/api/v1/batches/{decided['batch_id']}").json()
        assert batch["quantity"] == 1_500_000 and batch["printer"] is None
        _error(operator.post(f"/api/v1/code-requests/{pending.json()['id']}/decision", json={"approve": True}), 409,
               "already_decided")
        assert pending.json()["id"] not in {
            r["id"] for r in operator.get("/api/v1/code-requests", params={"status": "pending"}).json()}


# --- pages ----------------------------------------------------------------------------------------


def test_pages_for_each_role(fengsui: httpx.Client, zhenwei: httpx.Client, huayin: httpx.Client,
                             operator: httpx.Client) -> None:
    batch_id = _issue(fengsui, quantity=30)["batch_id"]
    codes_page = fengsui.get("/codes")
    assert codes_page.status_code == 200
    for text in ("申请监管码", "本企业自行印刷", "石家庄华印票证印刷有限公司", f"/codes/batches/{batch_id}"):
        assert text in codes_page.text, text
    english = fengsui.get("/codes", params={"lang": "en"})
    assert "Request codes" in english.text and "Print ourselves" in english.text
    assert fengsui.get("/codes", params={"lang": "zh"}).status_code == 200  # the language sticks in a cookie

    maker_batch = fengsui.get(f"/codes/batches/{batch_id}")
    assert maker_batch.status_code == 200
    for text in ("激活监管码", "下载码文件", "下载标签 PDF", "包装关联", "0 / 5"):
        assert text in maker_batch.text, text
    assert "确认印刷" not in maker_batch.text  # huayin prints this batch

    printer_batch = huayin.get(f"/codes/batches/{batch_id}")
    assert printer_batch.status_code == 200
    assert "确认印刷" in printer_batch.text and "激活监管码" not in printer_batch.text
    printing = huayin.get("/printing")
    assert printing.status_code == 200 and "印刷任务" in printing.text and f"/codes/batches/{batch_id}" in printing.text
    operator_batch = operator.get(f"/codes/batches/{batch_id}")
    assert operator_batch.status_code == 200 and "下载码文件" not in operator_batch.text
    assert "监管码审批" in operator.get("/manage/code-requests").text

    assert zhenwei.get(f"/codes/batches/{batch_id}").status_code == 404
    assert huayin.get("/codes").status_code == 403
    assert fengsui.get("/printing").status_code == 403
    assert fengsui.get("/manage/code-requests").status_code == 403


def test_page_forms(fengsui: httpx.Client, huayin: httpx.Client) -> None:
    csrf = fengsui.cookies["jg_csrf"]
    product = str(_product(fengsui, FENGSUI))
    form = {"csrf_token": csrf, "product_id": product, "packaging_level": "item", "quantity": "0", "printer_id": ""}
    refused = fengsui.post("/codes/requests", data=form)
    assert refused.status_code == 400 and "收到 0" in refused.text and 'name="quantity" value="0"' in refused.text
    assert "got 0" in fengsui.post("/codes/requests?lang=en", data=form).text
    assert fengsui.get("/codes", params={"lang": "zh"}).status_code == 200  # the language sticks in a cookie
    issued = fengsui.post("/codes/requests", data={**form, "quantity": "1,000", "printer_id": str(HUAYIN)})
    assert issued.status_code == 303
    batch_path = issued.headers["location"]
    assert re.fullmatch(r"/codes/batches/\d+", batch_path)
    batch_id = int(batch_path.rsplit("/", 1)[1])

    activation = {"csrf_token": csrf, "mode": "range", "first": "1", "last": "900", "lot": "",
                  "production_date": "2026-11-20"}
    missing_lot = fengsui.post(f"{batch_path}/activations", data=activation)
    assert missing_lot.status_code == 400 and "请填写生产批次" in missing_lot.text and 'value="900"' in missing_lot.text
    outside = fengsui.post(f"{batch_path}/activations", data={**activation, "lot": "L-9", "last": "1001"})
    assert outside.status_code == 400 and "超出本批次范围" in outside.text
    accepted = fengsui.post(f"{batch_path}/activations", data={**activation, "lot": "L-9"})
    assert accepted.status_code == 303
    page = fengsui.get(batch_path).text
    assert "L-9" in page and "1–900" in page

    downloaded = huayin.post(f"{batch_path}/file", data={"csrf_token": huayin.cookies["jg_csrf"]})
    assert downloaded.status_code == 200 and downloaded.headers["content-type"].startswith("application/zip")
    assert len(_codes_in(downloaded.content)) == 1000
    labels = huayin.get(f"{batch_path}/labels.pdf", params={"first": "1", "count": "24"})
    assert labels.status_code == 200 and labels.content.startswith(b"%PDF")
    assert huayin.get(f"{batch_path}/labels.pdf", params={"first": "1", "count": "0"}).status_code == 400
    codes = _codes_in(downloaded.content)
    # A code activated above cannot be reported spoiled; the printer is told so and nothing changes.
    refused_printing = huayin.post(f"{batch_path}/printing", data={
        "csrf_token": huayin.cookies["jg_csrf"], "printed_count": "1000", "spoiled_codes": codes[3]})
    assert refused_printing.status_code == 409 and "已激活" in refused_printing.text
    printed = huayin.post(f"{batch_path}/printing", data={
        "csrf_token": huayin.cookies["jg_csrf"], "printed_count": "1000", "spoiled_codes": f"{codes[950]}\n\n"})
    assert printed.status_code == 303
    batch = fengsui.get(f"/api/v1/batches/{batch_id}").json()
    assert batch["printed_count"] == 1000 and batch["spoiled_count"] == 1 and batch["downloads"] == 1


def test_the_dashboard_links_the_code_pages(fengsui: httpx.Client, huayin: httpx.Client,
                                            operator: httpx.Client) -> None:
    for client, link in ((fengsui, 'href="/codes"'), (huayin, 'href="/printing"'),
                         (operator, 'href="/manage/code-requests"')):
        page = client.get("/dashboard")
        assert page.status_code == 200 and link in page.text
