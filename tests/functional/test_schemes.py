"""Registered codes of other schemes on a real database: registration and its refusals, and
verification with the same verdicts and counts as our own codes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import random
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from jianguan.audit.models import AuditRecord
from jianguan.codes import activation as activations
from jianguan.codes.issue import issued_this_month
from jianguan.codes.models import CodeBatch
from jianguan.errors import Conflict, NotFound, ValidationFailed
from jianguan.schemes import services as schemes
from jianguan.schemes.models import SchemeValue
from jianguan.storage import reading, transaction
from jianguan.trace.gs1_uri import check_digit
from jianguan.verify.models import Channel
from jianguan.verify.services import QueryContext, Verifier
from tests.functional.registry_data import make_enterprise, make_product
from tests.functional.test_codes_services import ACTOR, codes_of, issue, staff
from tests.functional.test_codes_services import world as world
from tests.live import LiveServer

WEB = QueryContext(Channel.WEB, region_code="130111", source="127.0.0.1")
DATA = activations.ProductionData("R1", dt.date(2026, 10, 1), dt.date(2099, 1, 1), "合格")


def random_gtin() -> str:
    body = "0690" + "".join(random.choice("0123456789") for _ in range(9))
    return body + check_digit(body)


def drug_codes(count: int) -> list[str]:
    start = random.randrange(10**18)
    return [f"81{start + i:018d}" for i in range(count)]


@pytest.fixture
def gs1(sessions: sessionmaker[Session]) -> Iterator[dict[str, object]]:
    """A signed enterprise with a product that has a GTIN, and another enterprise."""
    gtin = random_gtin()
    with transaction(sessions) as session:
        first = make_enterprise(session, signed=True)
        other = make_enterprise(session, signed=True)
        product = make_product(session, first.id, gtin=gtin)
        yield_ids = {"enterprise": first.id, "other": other.id, "product": product.id, "gtin": gtin[-14:].zfill(14)}
    yield yield_ids


def register(sessions, gs1, ranges=(), serials=(), production=DATA) -> schemes.Registered:
    with transaction(sessions) as session:
        return schemes.register_gs1(session, actor=ACTOR, principal=staff(gs1["enterprise"]),
                                    product_id=gs1["product"], gtin=gs1["gtin"], ranges=ranges, serials=serials,
                                    production=production)


def import_drugs(sessions, gs1, data: bytes, production=DATA) -> schemes.Registered:
    with transaction(sessions) as session:
        return schemes.import_drug_codes(session, actor=ACTOR, principal=staff(gs1["enterprise"]),
                                         product_id=gs1["product"], file_name="codes.csv", data=data,
                                         production=production)


def count(sessions, model) -> int:
    with reading(sessions) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_registered_gs1_range_verifies_on_every_spelling_with_the_same_counts(sessions, gs1) -> None:
    made = register(sessions, gs1, ranges=[(1000, 1999)], serials=["A-17"])
    assert made.quantity == 1001 and len(made.registrations) == 2
    gtin = gs1["gtin"]
    verifier = Verifier(sessions, hash_key=b"k" * 32)
    try:
        first = verifier.verify(f"https://example.cn/01/{gtin}/21/1500", WEB)
        assert first.verdict.value == "genuine", first.to_json()
        body = first.to_json()
        assert body["scheme"]["name"] == "gs1" and body["scheme"]["registered"] and not body["scheme"]["issued"]
        assert body["production"]["lot"] == "R1"
        again = verifier.verify(f"(01){gtin}(21)1500", WEB)
        assert again.verdict.value == "queried_before" and again.history["count_before"] == 1
        linked = verifier.verify("1500", QueryContext(Channel.WEB, region_code="130111", link_gtin=gtin))
        assert linked.verdict.value == "queried_before" and linked.history["count_before"] == 2
        assert verifier.verify(f"(01){gtin}(21)A-17", WEB).verdict.value == "genuine"
        # Well formed, never registered: unknown, not malformed.
        assert verifier.verify(f"(01){gtin}(21)2000", WEB).verdict.value == "unknown"
        assert verifier.verify(f"(01){gtin}(21)0999", WEB).verdict.value == "unknown"
    finally:
        verifier.close()


def test_registered_codes_are_not_issued_and_take_no_quota(sessions, gs1) -> None:
    register(sessions, gs1, ranges=[(1, 5000)])
    with reading(sessions) as session:
        assert issued_this_month(session, gs1["enterprise"]) == 0
        batch = session.scalars(select(CodeBatch).where(CodeBatch.product_id == gs1["product"])).one()
        assert batch.generation == 0 and batch.request_id is None
        actions = set(session.scalars(select(AuditRecord.action).where(AuditRecord.target_id == str(batch.id))))
    assert "schemes:serials:registered" in actions


def test_overlapping_ranges_and_values_are_refused_with_nothing_registered(sessions, gs1) -> None:
    register(sessions, gs1, ranges=[(100, 199)], serials=["X1", "250"])
    batches = count(sessions, CodeBatch)
    for ranges, serials in (([(150, 300)], ()), ([(240, 260)], ()), ((), ["X1"]), ((), ["120"])):
        with pytest.raises(Conflict) as refused:
            register(sessions, gs1, ranges=ranges, serials=serials)
        assert refused.value.code == "overlap"
    with pytest.raises(ValidationFailed):
        register(sessions, gs1, ranges=[(1, 10), (5, 20)])
    with pytest.raises(ValidationFailed) as bad:
        register(sessions, gs1, serials=["ok", "ok", "x" * 21])
    assert [fault["row"] for fault in bad.value.details["faults"]] == [2, 3]
    assert count(sessions, CodeBatch) == batches


def test_another_enterprise_is_answered_as_if_there_were_no_product(sessions, gs1) -> None:
    with pytest.raises(NotFound), transaction(sessions) as session:
        schemes.register_gs1(session, actor=ACTOR, principal=staff(gs1["other"]), product_id=gs1["product"],
                             gtin=gs1["gtin"], ranges=[(1, 2)])
    with pytest.raises(NotFound), transaction(sessions) as session:
        schemes.import_drug_codes(session, actor=ACTOR, principal=staff(gs1["other"]), product_id=gs1["product"],
                                  file_name="x.csv", data=b"81000000000000000001\n")
    with reading(sessions) as session:
        assert schemes.list_registrations(session, principal=staff(gs1["other"])) == []


def test_drug_codes_from_a_file_verify_and_count(sessions, gs1) -> None:
    codes = drug_codes(3)
    made = import_drugs(sessions, gs1, ("药品电子监管码\n" + "\n".join(codes) + "\n").encode())
    assert made.quantity == 3
    verifier = Verifier(sessions, hash_key=b"k" * 32)
    try:
        answer = verifier.verify(codes[1], WEB)
        assert answer.verdict.value == "genuine" and answer.to_json()["scheme"]["name"] == "drug"
        assert verifier.verify(codes[1], WEB).history["count_before"] == 1
    finally:
        verifier.close()
    with reading(sessions) as session:
        listed = schemes.list_registrations(session, principal=staff(gs1["enterprise"]))
    assert listed[0]["scheme"] == "drug" and listed[0]["quantity"] == 3


def test_a_file_with_bad_or_repeated_rows_is_refused_whole(sessions, gs1) -> None:
    codes = drug_codes(2)
    before = count(sessions, SchemeValue)
    data = f"{codes[0]}\n1234\n{codes[1]}\n{codes[0]}\n".encode()
    with pytest.raises(ValidationFailed) as refused:
        import_drugs(sessions, gs1, data)
    assert refused.value.code == "drug_codes_refused"
    assert [fault["row"] for fault in refused.value.details["faults"]] == [2, 4]
    assert count(sessions, SchemeValue) == before
    import_drugs(sessions, gs1, f"{codes[0]}\n".encode())
    with pytest.raises(Conflict):
        import_drugs(sessions, gs1, f"{codes[1]}\n{codes[0]}\n".encode())


def test_our_own_codes_cannot_be_registered(sessions, world) -> None:
    batch = issue(sessions, world, quantity=3)
    ours = codes_of(sessions, batch, limit=1)[0]
    with pytest.raises(ValidationFailed) as refused, transaction(sessions) as session:
        schemes.import_drug_codes(session, actor=ACTOR, principal=staff(world["enterprise"]),
                                  product_id=world["product"], file_name="x.csv", data=f"{ours}\n".encode())
    assert refused.value.details["faults"][0]["row"] == 1


def test_an_unregistered_typo_of_our_code_is_still_a_typo(sessions, world) -> None:
    batch = issue(sessions, world, quantity=1)
    ours = codes_of(sessions, batch, limit=1)[0]
    typo = ours[:19] + str((int(ours[19]) + 1) % 10)
    verifier = Verifier(sessions, hash_key=b"k" * 32)
    try:
        answer = verifier.verify(typo, WEB)
        assert answer.verdict.value == "malformed" and answer.history["reason"] == "bad_check_digit"
    finally:
        verifier.close()


def test_the_demo_samples_verify_on_the_web_the_api_and_the_digital_link(live: LiveServer) -> None:
    link = live.seed.samples["gs1"][0]
    drug = live.seed.samples["drug"][0]
    path = "/01/" + link.split("/01/", 1)[1]
    gtin, serial = path.split("/")[2], path.split("/")[4]
    client = live.client()
    page = client.get(path)
    assert page.status_code == 200 and "非本网签发的注册码" in page.text
    answer = client.get(path, headers={"Accept": "application/json"}).json()
    assert answer["scheme"] == {"name": "gs1", "registered": True, "issued": False,
                                "label": {"zh": "GS1 商品序列号（SGTIN）", "en": "GS1 serialised GTIN (SGTIN)"}}
    assert answer["verdict"] in ("genuine", "queried_before") and answer["production"]["lot"] == "ZW-JY-2026-1020"
    again = client.get(f"/api/v1/verify/{quote(f'(01){gtin}(21){serial}', safe='')}").json()
    assert again["verdict"] == "queried_before" and again["history"]["count_before"] >= 1
    assert client.get(f"/01/{gtin}/21/99").status_code == 404  # well formed, never registered
    assert client.get(f"/api/v1/verify/{quote(f'(01){gtin}(21)99', safe='')}").json()["verdict"] == "unknown"
    answer = client.get(f"/api/v1/verify/{drug}").json()
    assert answer["scheme"]["name"] == "drug" and answer["verdict"] in ("genuine", "queried_before")
    page = client.get(f"/v/{drug}", headers={"Accept-Language": "en"})
    assert page.status_code == 200


def test_registrations_are_listed_to_their_enterprise_and_regulators_in_scope(live: LiveServer) -> None:
    own = live.login("zhenwei").get("/api/v1/schemes/registrations")
    assert own.status_code == 200
    assert [row["product"]["name"] for row in own.json()] == ["珍味特级酱油"]
    assert "珍味特级酱油" not in live.login("fengsui").get("/api/v1/schemes/registrations").text


def test_an_upload_with_bad_rows_is_refused_over_http(live: LiveServer) -> None:
    client = live.login("zhenwei")
    products = client.get("/api/v1/schemes/registrations").json()
    product_id = products[0]["product"]["id"]
    refused = client.post(f"/api/v1/products/{product_id}/schemes/drug-codes",
                          files={"file": ("codes.csv", b"81000000000000000001\nabc\n81000000000000000001\n")})
    assert refused.status_code == 400
    assert [fault["row"] for fault in refused.json()["error"]["details"]["faults"]] == [2, 3]
    overlap = client.post(f"/api/v1/products/{product_id}/schemes/gs1",
                          json={"gtin": products[0]["gtin"], "ranges": [{"first": 100500, "last": 100600}]})
    assert overlap.status_code == 409 and overlap.json()["error"]["code"] == "overlap"


def test_a_file_of_drug_codes_over_the_limit_is_refused_in_its_own_words(sessions, gs1, live: LiveServer) -> None:
    """Over 5 MB: refused as a file of drug codes naming its limit (not in a roster's words), by the
    service, the API and the page, with nothing registered."""
    before = count(sessions, SchemeValue)
    big = ("\n".join(drug_codes(1)) + "\n").encode() * (schemes.MAX_FILE_BYTES // 21 + 1)
    assert len(big) > schemes.MAX_FILE_BYTES
    with pytest.raises(ValidationFailed) as refused:
        import_drugs(sessions, gs1, big)
    assert refused.value.code == "drug_codes_refused" and count(sessions, SchemeValue) == before
    assert "药品电子监管码文件最大 5 MB" in refused.value.message_zh and "名录" not in refused.value.message_zh
    assert "A file of drug codes is at most 5 MB" in refused.value.message and "roster" not in refused.value.message
    client = live.login("zhenwei")
    product_id = client.get("/api/v1/schemes/registrations").json()[0]["product"]["id"]
    answer = client.post(f"/api/v1/products/{product_id}/schemes/drug-codes", files={"file": ("big.csv", big)})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "drug_codes_refused"
    assert "5 MB" in answer.json()["error"]["message_zh"] and "roster" not in answer.json()["error"]["message"]
    client.get("/schemes")
    page = client.post("/schemes/drug-codes", data={"csrf_token": client.cookies["jg_csrf"], "product_id": product_id},
                       files={"file": ("big.csv", big)})
    assert page.status_code == 400 and "药品电子监管码文件最大 5 MB" in page.text and "名录" not in page.text



def test_registered_codes_are_captured_traced_received_and_looked_up(sessions) -> None:
    from jianguan.codes import lookup
    from jianguan.receipts import services as receipts
    from jianguan.receipts.models import CheckResult
    from jianguan.trace.journey import code_journey
    from tests.functional.registry_data import OPERATOR
    from tests.functional.trace_data import event, issue_codes, make_chain, send

    chain = make_chain(sessions)
    issue_codes(sessions, chain, 1)  # the network has keys (captures read them)
    gtin = random_gtin()
    with transaction(sessions) as session:
        product = make_product(session, chain.enterprise, gtin=gtin)
    owner = chain.principal("enterprise")
    with transaction(sessions) as session:
        schemes.register_gs1(session, actor=ACTOR, principal=owner, product_id=product.id, gtin=gtin,
                             ranges=[(1, 100)], production=DATA)
        drugs = drug_codes(2)
        schemes.import_drug_codes(session, actor=ACTOR, principal=owner, product_id=product.id, file_name="d.csv",
                                  data="\n".join(drugs).encode(), production=DATA)
    gtin14 = gtin.zfill(14)
    prefix, item = gtin14[1:8], gtin14[0] + gtin14[8:13]
    shipped = event(0, "shipping", where=chain.places["warehouse"], to=chain.places["depot"])
    shipped = dataclasses.replace(shipped, epc_list=(f"urn:epc:id:sgtin:{prefix}.{item}.5",
                                                     f"https://example.cn/01/{gtin14}/21/6",
                                                     f"urn:jianguan:code:{drugs[0]}"))
    result = send(sessions, chain, "enterprise", [shipped])
    assert result.capture.codes == 3
    with reading(sessions) as session:
        journey = code_journey(session, principal=OPERATOR, code=f"(01){gtin14}(21)5").as_dict()
        assert journey["code"] == f"(01){gtin14}(21)5"
        assert "shipping" in [step["step"] for step in journey["steps"]], journey["steps"]
        status = lookup.code_status(session, code=drugs[0])
        assert status["issued"] and status["scheme"]["registered"] and status["generation"] == 0
        batch_id = session.scalars(select(CodeBatch.id).where(CodeBatch.product_id == product.id,
                                                              CodeBatch.generation == 0)
                                   .order_by(CodeBatch.id)).first()
        assert lookup.batch_codes(session, principal=OPERATOR, batch_id=batch_id, offset=4, limit=2) == [
            f"(01){gtin14}(21)5", f"(01){gtin14}(21)6"]
    with transaction(sessions) as session:
        checked = receipts.check_delivery(session, principal=chain.principal("distributor"),
                                          codes=[f"(01){gtin14}(21)5", drugs[0], f"(01){gtin14}(21)7"])
    assert [line.result for line in checked] == [CheckResult.OK, CheckResult.OK, CheckResult.NOT_SHIPPED]
    assert checked[0].code == f"(01){gtin14}(21)5"
    with transaction(sessions) as session:
        receipts.receive(session, actor=ACTOR, principal=chain.principal("distributor"),
                         codes=[f"(01){gtin14}(21)5", drugs[0]])


def test_drug_codes_are_read_from_an_xlsx_file(sessions, gs1) -> None:
    import io

    from openpyxl import Workbook

    codes = drug_codes(2)
    book = Workbook()
    sheet = book.active
    sheet.append(["药品电子监管码"])
    for code in codes:
        sheet.append([code])
    data = io.BytesIO()
    book.save(data)
    assert import_drugs(sessions, gs1, data.getvalue()).quantity == 2
    verifier = Verifier(sessions, hash_key=b"k" * 32)
    try:
        assert verifier.verify(codes[0], WEB).verdict.value == "genuine"
    finally:
        verifier.close()


def test_a_registered_code_checked_in_three_counties_is_alerted_as_a_clone(sessions, gs1) -> None:
    from jianguan.alerts.models import Alert

    register(sessions, gs1, ranges=[(1, 10)])
    verifier = Verifier(sessions, hash_key=b"k" * 32)
    verifier.recorder.start()
    try:
        for county in ("130102", "130104", "130111"):
            verifier.verify(f"(01){gs1['gtin']}(21)3", QueryContext(Channel.WEB, region_code=county, source=county))
    finally:
        verifier.close()
    with reading(sessions) as session:
        subjects = list(session.scalars(select(Alert.subject)))
    assert f"(01){gs1['gtin']}(21)3" in subjects


def test_a_registration_has_its_batch_page_and_no_code_file(live: LiveServer) -> None:
    client = live.login("zhenwei")
    registration = client.get("/api/v1/schemes/registrations").json()[0]
    page = client.get(f"/codes/batches/{registration['batch_id']}")
    assert page.status_code == 200, page.text[:2000]
    assert "珍味特级酱油" in page.text and "ZW-JY-2026-1020" in page.text  # activated at registration
    refused = client.get(f"/api/v1/batches/{registration['batch_id']}/file")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "registered_batch"
    # The page offers no code file, labels or printing confirmation (each would be refused): it says
    # the codes are registered and printed by the enterprise itself.
    assert 'id="registered"' in page.text and "由企业自行印刷" in page.text
    for action in ('id="downloads"', "/labels.pdf", 'id="printing"', "码文件下载"):
        assert action not in page.text
    printing = client.post(f"/api/v1/batches/{registration['batch_id']}/printing", json={"printed_count": 1})
    assert printing.status_code == 400 and printing.json()["error"]["code"] == "registered_batch"


def test_a_capture_looks_registered_codes_up_in_a_few_statements(sessions) -> None:
    """Hundreds of registered codes in one document (GS1 serials of ranges and of a list, drug
    codes) are looked up together: a few statements on the scheme tables, not one a code; and
    ``find_many`` places each code where ``find`` does, registered or not."""
    from sqlalchemy import event as sql_event

    from jianguan.schemes.parsing import drug_code, gs1_code
    from tests.functional.trace_data import event, issue_codes, make_chain, send

    chain = make_chain(sessions)
    issue_codes(sessions, chain, 1)
    gtin = random_gtin()
    with transaction(sessions) as session:
        product = make_product(session, chain.enterprise, gtin=gtin)
    owner = chain.principal("enterprise")
    drugs = drug_codes(150)
    with transaction(sessions) as session:
        schemes.register_gs1(session, actor=ACTOR, principal=owner, product_id=product.id, gtin=gtin,
                             ranges=[(1, 100), (1000, 1199)], serials=["A1", "B2", "0077"], production=DATA)
        schemes.import_drug_codes(session, actor=ACTOR, principal=owner, product_id=product.id, file_name="d.csv",
                                  data="\n".join(drugs).encode(), production=DATA)
    gtin14 = gtin.zfill(14)
    uris = ([f"https://example.cn/01/{gtin14}/21/{serial}" for serial in [*range(1, 101), *range(1000, 1200)]]
            + [f"https://example.cn/01/{gtin14}/21/{serial}" for serial in ("A1", "B2", "0077")]
            + [f"urn:jianguan:code:{code}" for code in drugs])
    engine = sessions.kw["bind"]
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        if "scheme_values" in statement or "scheme_registrations" in statement:
            statements.append(statement)

    sql_event.listen(engine, "before_cursor_execute", seen)
    try:
        shipped = dataclasses.replace(event(0, "shipping", where=chain.places["warehouse"], to=chain.places["depot"]),
                                      epc_list=tuple(uris))
        result = send(sessions, chain, "enterprise", [shipped])
    finally:
        sql_event.remove(engine, "before_cursor_execute", seen)
    assert result.capture.codes == len(uris)
    assert len(statements) <= 4, len(statements)  # values of each scheme, then the GTIN's ranges

    codes = ([gs1_code(gtin14, str(serial)) for serial in (1, 100, 101, 999, 1000, 1199, 1200)]
             + [gs1_code(gtin14, serial) for serial in ("A1", "0077", "C3")]
             + [gs1_code(random_gtin(), "5"), drug_code(drugs[7]), drug_code(drug_codes(1)[0])])
    with reading(sessions) as session:
        connection = session.connection()
        many = schemes.find_many(connection, [code for code in codes if code is not None])
        for code in codes:
            assert code is not None
            assert many.get(code) == schemes.find(connection, code), code
    assert len(many) == 7  # 1, 100, 1000, 1199, A1, 0077 and the registered drug code


def test_sixteen_enterprises_registering_overlapping_serials_at_once_register_each_once(
        sessions, gs1, database_url: str) -> None:
    """Sixteen clients register overlapping GS1 ranges and serial lists of one product (so one GTIN)
    at once: registrations take turns, so every serial ends registered once, every loser is told
    409 ``overlap`` and nothing of a refused request is stored."""
    from jianguan.schemes.models import SchemeRegistration
    from tests.functional.issuing_worker import register_once
    from tests.functional.test_codes_services import race

    requests = [([(1000 + w * 10, 1000 + w * 10 + 24)], [f"S{w}", f"S{w + 1}"]) for w in range(16)]
    outcomes = race(register_once, [(database_url, gs1["enterprise"], gs1["product"], gs1["gtin"], ranges, serials)
                                    for ranges, serials in requests])
    assert set(outcomes) <= {"ok", "overlap"}, outcomes
    winners = [request for request, outcome in zip(requests, outcomes, strict=True) if outcome == "ok"]
    assert winners
    with reading(sessions) as session:
        ranges = sorted((int(first), int(first) + quantity) for first, quantity in session.execute(
            select(SchemeRegistration.serial_first, CodeBatch.quantity)
            .join(CodeBatch, CodeBatch.id == SchemeRegistration.batch_id)
            .where(SchemeRegistration.gtin == gs1["gtin"], SchemeRegistration.serial_first.is_not(None))))
        listed = sorted(session.scalars(select(SchemeValue.value).where(SchemeValue.value.like(f"{gs1['gtin']}%"))))
        batches = session.scalar(select(func.count()).select_from(CodeBatch)
                                 .where(CodeBatch.product_id == gs1["product"], CodeBatch.generation == 0))
        audited = session.scalar(select(func.count()).select_from(AuditRecord)
                                 .where(AuditRecord.action == "schemes:serials:registered"))
    assert ranges == sorted((first, last + 1) for request in winners for first, last in request[0])
    for (_, end), (first, _) in itertools.pairwise(ranges):
        assert end <= first  # no serial in two ranges
    assert listed == sorted(f"{gs1['gtin']}{serial}" for request in winners for serial in request[1])
    assert batches == audited == 2 * len(winners)  # a range and a list each; nothing of a loser


def test_sixteen_enterprises_importing_overlapping_drug_codes_at_once_register_each_once(
        sessions, gs1, database_url: str) -> None:
    """Sixteen enterprises import overlapping files of drug codes at once, each for its own product
    (so no product lock orders them): registrations take turns, so each code ends registered once,
    every loser is told 409 ``overlap`` (not a failed insert, nor "busy, try again") and nothing of
    a refused file is stored."""
    from tests.functional.issuing_worker import import_once
    from tests.functional.test_codes_services import race

    with transaction(sessions) as session:
        products = []
        for _ in range(16):
            enterprise = make_enterprise(session, signed=True)
            products.append((enterprise.id, make_product(session, enterprise.id).id))
    codes = drug_codes(16 * 5 + 5)
    files = [codes[w * 5:w * 5 + 10] for w in range(16)]  # each shares five codes with the next
    outcomes = race(import_once, [(database_url, enterprise, product, "\n".join(file))
                                  for (enterprise, product), file in zip(products, files, strict=True)])
    assert set(outcomes) <= {"ok", "overlap"} and "ok" in outcomes, outcomes
    winners = [file for file, outcome in zip(files, outcomes, strict=True) if outcome == "ok"]
    with reading(sessions) as session:
        stored = sorted(session.scalars(select(SchemeValue.value).where(SchemeValue.value.in_(codes))))
        batches = session.scalar(select(func.count()).select_from(CodeBatch).where(
            CodeBatch.product_id.in_([product for _enterprise, product in products]), CodeBatch.generation == 0))
    assert stored == sorted(code for file in winners for code in file)  # each once, and only the winners'
    assert batches == len(winners)


def test_a_drug_code_import_waits_for_one_in_progress_and_then_sees_it(sessions, gs1, backend, monkeypatch) -> None:
    """The interleaving sixteen clients may not hit: a second enterprise's import of the same drug
    code reads what is registered while the first is in progress, and the first commits before the
    second writes. Registrations take turns, so the second reads only after the first committed and
    is refused as an overlap (before, it found nothing registered and failed on the unique index)."""
    import threading

    if backend != "postgresql":
        pytest.skip("SQLite's writers take turns from BEGIN")
    with transaction(sessions) as session:
        product = make_product(session, gs1["other"]).id
    code = drug_codes(1)[0]
    read = threading.Event()
    real = schemes._registered_already

    def read_then_signal(session, scheme, keys):
        found = real(session, scheme, keys)
        read.set()
        return found

    outcome: list[str] = []

    def second() -> None:
        try:
            with transaction(sessions) as session:
                schemes.import_drug_codes(session, actor=ACTOR, principal=staff(gs1["other"]), product_id=product,
                                          file_name="b.csv", data=code.encode())
            outcome.append("ok")
        except Exception as error:
            outcome.append(getattr(error, "code", type(error).__name__))

    with transaction(sessions) as session:
        schemes.import_drug_codes(session, actor=ACTOR, principal=staff(gs1["enterprise"]), product_id=gs1["product"],
                                  file_name="a.csv", data=code.encode())
        monkeypatch.setattr(schemes, "_registered_already", read_then_signal)
        thread = threading.Thread(target=second)
        thread.start()
        assert not read.wait(timeout=2)  # the second is held before it reads what is registered
    thread.join(timeout=30)
    assert outcome == ["overlap"]
    with reading(sessions) as session:
        assert session.scalar(select(func.count()).select_from(SchemeValue).where(SchemeValue.value == code)) == 1
