"""Code requests, issue, code files, printing, activation and packing, on a real database."""

from __future__ import annotations

import datetime as dt
import io
import multiprocessing
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.models import AuditRecord
from jianguan.audit.services import Actor, verify_chain
from jianguan.codes import activation as activations
from jianguan.codes import delivery, lookup
from jianguan.codes import issue as issuing
from jianguan.codes.codec import decode_code
from jianguan.codes.files import verify_code_file
from jianguan.codes.keyring import KeyService, key_service, keyring, public_signing_keys
from jianguan.codes.keys import decode_public_key
from jianguan.codes.models import (
    Activation,
    CodeBatch,
    CodeDownload,
    CodeRequest,
    RequestStatus,
    SerialCounter,
)
from jianguan.enterprises.models import Enterprise
from jianguan.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jianguan.storage import reading, transaction
from jianguan.trace import services as trace
from tests.functional.issuing_worker import download_once, issue_many, request_once
from tests.functional.registry_data import make_enterprise, make_printer, make_product

ACTOR = Actor("user:test", "127.0.0.1")
OPERATOR = Principal(kind="user", id=0, name="op", role=Role.OPERATOR)
DATA = activations.ProductionData("L1", dt.date(2026, 10, 1), dt.date(2027, 10, 1), "检验合格")


def staff(enterprise_id: int) -> Principal:
    return Principal(kind="user", id=0, name="staff", role=Role.MANUFACTURER, enterprise_id=enterprise_id)


def printer_staff(printer_id: int) -> Principal:
    return Principal(kind="user", id=0, name="printer", role=Role.PRINTER, printer_id=printer_id)


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> Iterator[dict[str, int]]:
    """Two signed enterprises with a product each, and a printer with a valid filing."""
    with transaction(sessions) as session:
        first = make_enterprise(session, signed=True)
        second = make_enterprise(session, signed=True)
        product = make_product(session, first.id, packaging=(("item", 1), ("case", 12)))
        other_product = make_product(session, second.id)
        printer = make_printer(session, filing_valid_until=dt.date(2099, 1, 1))
        ids = {"enterprise": first.id, "other": second.id, "product": product.id, "other_product": other_product.id,
               "printer": printer.id}
    yield ids


def issue(sessions: sessionmaker[Session], world: dict[str, int], quantity: int = 100, level: str = "item",
          printer: bool = True) -> CodeBatch:
    with transaction(sessions) as session:
        made = issuing.request_codes(session, actor=ACTOR, principal=staff(world["enterprise"]),
                                     product_id=world["product"], quantity=quantity, packaging_level=level,
                                     printer_id=world["printer"] if printer else None)
        assert made.batch is not None and made.batch.request_id == made.request.id
        return made.batch


def codes_of(sessions: sessionmaker[Session], batch: CodeBatch, offset: int = 0, limit: int = 10) -> list[str]:
    with reading(sessions) as session:
        return lookup.batch_codes(session, principal=OPERATOR, batch_id=batch.id, offset=offset,
                                 limit=limit)


def audit_count(sessions: sessionmaker[Session]) -> int:
    with reading(sessions) as session:
        return session.scalar(select(func.count()).select_from(AuditRecord))


def test_request_within_quota_is_issued_at_once_as_one_row(sessions, world) -> None:
    batch = issue(sessions, world, quantity=5000)
    assert batch.quantity == 5000 and batch.generation == 1
    with reading(sessions) as session:
        assert session.scalar(select(func.count()).select_from(CodeBatch)) == 1
        assert session.get(SerialCounter, 1).next_serial == 5000
        assert session.get(Enterprise, world["enterprise"]).codes_issued_on is not None
    sample = codes_of(sessions, batch, offset=4990, limit=10)
    with reading(sessions) as session:
        ring = keyring(session)
    assert [decode_code(ring, code)[1] for code in sample] == list(range(4990, 5000))


def test_a_request_waiting_for_approval_is_not_issued_to_a_printer_whose_filing_was_revoked(sessions, world) -> None:
    from jianguan.printers.services import revoke_filing

    with transaction(sessions) as session:
        made = issuing.request_codes(session, actor=ACTOR, principal=staff(world["enterprise"]),
                                     product_id=world["product"], quantity=1_500_000, printer_id=world["printer"])
        request_id = made.request.id
    with transaction(sessions) as session:
        revoke_filing(session, actor=ACTOR, printer_id=world["printer"], reason="印刷质量不合格")
    with pytest.raises(ValidationFailed) as refused, transaction(sessions) as session:
        issuing.decide_request(session, actor=ACTOR, request_id=request_id, approve=True)
    assert refused.value.code == "printer_not_filed"
    with reading(sessions) as session:
        assert RequestStatus(session.get(CodeRequest, request_id).status) is RequestStatus.PENDING
        assert session.scalar(select(func.count()).select_from(CodeBatch)) == 0


def test_request_above_quota_waits_for_the_operator(sessions, world) -> None:
    with transaction(sessions) as session:
        made = issuing.request_codes(session, actor=ACTOR, principal=staff(world["enterprise"]),
                                     product_id=world["product"], quantity=1_500_000)
        request, request_id = made.request, made.request.id
        assert made.batch is None
        assert RequestStatus(request.status) is RequestStatus.PENDING
    with transaction(sessions) as session, pytest.raises(ValidationFailed):
        issuing.decide_request(session, actor=ACTOR, request_id=request_id, approve=False, reason=" ")
    with transaction(sessions) as session:
        issuing.decide_request(session, actor=ACTOR, request_id=request_id, approve=True)
    with reading(sessions) as session:
        assert RequestStatus(session.get(CodeRequest, request_id).status) is RequestStatus.ISSUED
        assert session.scalar(select(CodeBatch.quantity)) == 1_500_000
    with transaction(sessions) as session, pytest.raises(Conflict):
        issuing.decide_request(session, actor=ACTOR, request_id=request_id, approve=True)


@pytest.mark.parametrize("quantity", [0, -5, issuing.MAX_REQUEST_QUANTITY + 1])
def test_bad_quantities_change_nothing(sessions, world, quantity: int) -> None:
    before = audit_count(sessions)
    with transaction(sessions) as session, pytest.raises(ValidationFailed) as error:
        issuing.request_codes(session, actor=ACTOR, principal=staff(world["enterprise"]), product_id=world["product"],
                            quantity=quantity)
    assert error.value.message_zh
    assert audit_count(sessions) == before


def test_another_enterprise_cannot_request_for_a_product_not_its_own(sessions, world) -> None:
    with transaction(sessions) as session, pytest.raises(NotFound):
        issuing.request_codes(session, actor=ACTOR, principal=staff(world["other"]), product_id=world["product"],
                            quantity=10)


def test_printer_without_valid_filing_cannot_be_named(sessions, world) -> None:
    with transaction(sessions) as session:
        expired = make_printer(session, filing_valid_until=dt.date(2020, 1, 1)).id
        unfiled = make_printer(session, filing=False).id
    for printer_id in (expired, unfiled):
        with transaction(sessions) as session, pytest.raises(ValidationFailed) as error:
            issuing.request_codes(session, actor=ACTOR, principal=staff(world["enterprise"]),
                                product_id=world["product"], quantity=10, printer_id=printer_id)
        assert error.value.code == "printer_not_filed"


def test_sixteen_processes_issue_disjoint_ranges_and_lose_none(sessions, world, database_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    workers, per_worker = 16, 4
    quantities = [[(w * 7 + i) % 50 + 1 for i in range(per_worker)] for w in range(workers)]
    with context.Manager() as manager:
        barrier = manager.Barrier(workers)
        with context.Pool(workers) as pool:
            results = pool.starmap(issue_many, [(database_url, world["product"], q, barrier) for q in quantities])
    assert sum(len(ids) for ids in results) == workers * per_worker
    with reading(sessions) as session:
        batches = session.scalars(select(CodeBatch).order_by(CodeBatch.serial_start)).all()
        counter = session.get(SerialCounter, 1).next_serial
        checked, broken = verify_chain(session)
    assert len(batches) == workers * per_worker
    position = 0
    for batch in batches:  # contiguous and disjoint: each starts where the one before ended
        assert batch.serial_start == position
        position = batch.serial_end
    assert counter == position == sum(sum(q) for q in quantities)
    assert broken is None and checked > workers * per_worker


def race(worker: Any, arguments: list[tuple[Any, ...]]) -> list[Any]:
    """Run ``worker`` in one spawned process per argument tuple, all released at once by a barrier."""
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(len(arguments))
        with context.Pool(len(arguments)) as pool:
            return pool.starmap(worker, [(*args, barrier) for args in arguments])


def test_sixteen_requests_at_once_never_issue_past_the_monthly_quota(sessions, world, database_url: str) -> None:
    """The quota is read with the enterprise's row locked: of sixteen requests of 300 codes against a
    quota of 1,000, three are issued and thirteen wait for the operator, whatever the interleaving."""
    with transaction(sessions) as session:
        session.execute(update(Enterprise).where(Enterprise.id == world["enterprise"]).values(monthly_code_quota=1000))
    statuses = race(request_once, [(database_url, world["enterprise"], world["product"], 300)] * 16)
    assert sorted(statuses) == ["issued"] * 3 + ["pending"] * 13
    with reading(sessions) as session:
        assert issuing.issued_this_month(session, world["enterprise"]) == 900
        assert session.scalar(select(func.count()).select_from(CodeRequest)
                              .where(CodeRequest.status == RequestStatus.PENDING)) == 13


def test_sixteen_downloads_at_once_stop_at_the_limit(sessions, world, database_url: str) -> None:
    """The download count is checked and raised by one statement: five of sixteen get the file."""
    batch = issue(sessions, world, quantity=10)
    outcomes = race(download_once, [(database_url, batch.id, world["printer"], 5)] * 16)
    assert sorted(outcomes) == ["download_limit"] * 11 + ["ok"] * 5
    with reading(sessions) as session:
        assert session.get(CodeBatch, batch.id).downloads == 5
        assert session.scalar(select(func.count()).select_from(CodeDownload)
                              .where(CodeDownload.batch_id == batch.id)) == 5


def test_code_file_is_signed_and_only_the_named_printer_and_enterprise_download(sessions, world) -> None:
    batch = issue(sessions, world, quantity=300)
    with transaction(sessions) as session:
        other_printer = make_printer(session, filing_valid_until=dt.date(2099, 1, 1)).id
    for outsider in (staff(world["other"]), printer_staff(other_printer)):
        with transaction(sessions) as session, pytest.raises(NotFound):
            delivery.start_download(session, actor=ACTOR, principal=outsider, batch_id=batch.id, limit=5)
    with transaction(sessions) as session, pytest.raises(PermissionDenied):
        delivery.start_download(session, actor=ACTOR, principal=OPERATOR, batch_id=batch.id, limit=5)
    with transaction(sessions) as session:
        plan = delivery.start_download(session, actor=ACTOR, principal=printer_staff(world["printer"]),
                                    batch_id=batch.id, limit=2)
    data = b"".join(delivery.stream_code_file(plan, base_url="https://jianguan.example"))
    with reading(sessions) as session:
        keys = {row["key_id"]: decode_public_key(row["public_key"]) for row in public_signing_keys(session)}
    verified = verify_code_file(io.BytesIO(data), keys)
    assert verified.count == 300 and verified.manifest["batch_id"] == batch.id
    with transaction(sessions) as session:
        delivery.start_download(session, actor=ACTOR, principal=staff(world["enterprise"]), batch_id=batch.id, limit=2)
    with transaction(sessions) as session, pytest.raises(Conflict):
        delivery.start_download(session, actor=ACTOR, principal=printer_staff(world["printer"]), batch_id=batch.id, limit=2)
    with reading(sessions) as session:
        actions = session.scalars(select(AuditRecord.action).where(AuditRecord.action == "code:file:downloaded"))
        assert len(list(actions)) == 2


def test_printing_spoilage_and_activation(sessions, world) -> None:
    batch = issue(sessions, world, quantity=100)
    spoiled = codes_of(sessions, batch, offset=50, limit=2)
    with transaction(sessions) as session, pytest.raises(PermissionDenied):
        activations.confirm_printing(session, actor=ACTOR, principal=staff(world["enterprise"]), batch_id=batch.id,
                               printed_count=100)
    with transaction(sessions) as session:
        activations.confirm_printing(session, actor=ACTOR, principal=printer_staff(world["printer"]), batch_id=batch.id,
                               printed_count=100, spoiled_codes=spoiled)
    owner = staff(world["enterprise"])
    before = audit_count(sessions)
    with transaction(sessions) as session, pytest.raises(ValidationFailed) as error:
        activations.activate(session, actor=ACTOR, principal=owner, batch_id=batch.id, data=DATA)
    assert error.value.code == "spoiled_code"
    assert audit_count(sessions) == before
    with transaction(sessions) as session:
        created = activations.activate(session, actor=ACTOR, principal=owner, batch_id=batch.id, data=DATA,
                                 offsets=[(0, 50), (52, 100)])
    assert len(created) == 2
    with transaction(sessions) as session:  # repeating is harmless
        assert activations.activate(session, actor=ACTOR, principal=owner, batch_id=batch.id, data=DATA,
                              offsets=[(10, 20)]) == []
    other = activations.ProductionData("L2", dt.date(2026, 10, 2))
    with transaction(sessions) as session, pytest.raises(Conflict):
        activations.activate(session, actor=ACTOR, principal=owner, batch_id=batch.id, data=other, offsets=[(10, 20)])
    with transaction(sessions) as session, pytest.raises(ValidationFailed) as error:
        activations.activate(session, actor=ACTOR, principal=owner, batch_id=batch.id, data=DATA, offsets=[(90, 101)])
    assert error.value.code == "range_outside_batch"
    first = codes_of(sessions, batch, limit=1)[0]
    with reading(sessions) as session:
        status = lookup.code_status(session, code=first)
        assert status["activation"]["lot"] == "L1"
        assert lookup.code_status(session, code=spoiled[0])["spoiled"] is True
    with transaction(sessions) as session:
        activations.withdraw_activation(session, actor=ACTOR, principal=owner, activation_id=created[0].id,
                                  reason="标签印错")
    with reading(sessions) as session:
        assert lookup.code_status(session, code=first)["activation"] is None


def test_activation_by_scanned_codes_is_stored_as_ranges(sessions, world) -> None:
    batch = issue(sessions, world, quantity=50)
    scanned = codes_of(sessions, batch, offset=10, limit=5) + codes_of(sessions, batch, offset=30, limit=1)
    scanned.append(scanned[0].replace("", " ").strip())  # a duplicate, typed with spaces
    with transaction(sessions) as session:
        created = activations.activate(session, actor=ACTOR, principal=staff(world["enterprise"]), batch_id=batch.id,
                                 data=DATA, codes=scanned)
    assert sorted((row.serial_end - row.serial_start) for row in created) == [1, 5]
    other_batch_code = codes_of(sessions, issue(sessions, world, quantity=5), limit=1)
    with transaction(sessions) as session, pytest.raises(ValidationFailed) as error:
        activations.activate(session, actor=ACTOR, principal=staff(world["enterprise"]), batch_id=batch.id, data=DATA,
                       codes=other_batch_code)
    assert error.value.code == "code_not_in_batch"
    with transaction(sessions) as session, pytest.raises(NotFound):
        activations.activate(session, actor=ACTOR, principal=staff(world["other"]), batch_id=batch.id, data=DATA)
    with reading(sessions) as session:
        assert session.scalar(select(func.count()).select_from(Activation)) == 2


def test_packing_items_into_a_case(sessions, world) -> None:
    items = issue(sessions, world, quantity=24)
    case = issue(sessions, world, quantity=2, level="case")
    owner = staff(world["enterprise"])
    item_codes = codes_of(sessions, items, limit=12)
    case_code = codes_of(sessions, case, limit=1)[0]
    with transaction(sessions) as session, pytest.raises(ValidationFailed):  # not activated yet
        trace.pack(session, actor=ACTOR, principal=owner, container=case_code, contents=item_codes)
    with transaction(sessions) as session:
        activations.activate(session, actor=ACTOR, principal=owner, batch_id=items.id, data=DATA)
        activations.activate(session, actor=ACTOR, principal=owner, batch_id=case.id, data=DATA)
    with transaction(sessions) as session:
        assert trace.pack(session, actor=ACTOR, principal=owner, container=case_code, contents=item_codes) == 12
    with transaction(sessions) as session, pytest.raises(ValidationFailed):  # a case cannot hold a case
        trace.pack(session, actor=ACTOR, principal=owner, container=case_code, contents=[case_code])
    second_case = codes_of(sessions, case, offset=1, limit=1)[0]
    with transaction(sessions) as session, pytest.raises(Conflict):
        trace.pack(session, actor=ACTOR, principal=owner, container=second_case, contents=item_codes[:1])
    with reading(sessions) as session:
        assert lookup.code_status(session, code=item_codes[3])["container"] == case_code
    with transaction(sessions) as session:
        assert trace.unpack(session, actor=ACTOR, principal=owner, container=case_code, contents=item_codes[:2]) == 2
    with reading(sessions) as session:
        assert lookup.code_status(session, code=item_codes[0])["container"] is None
        assert lookup.code_status(session, code=item_codes[5])["container"] == case_code


def test_key_rotation_issues_with_the_newest_and_decodes_all(sessions, world) -> None:
    old = issue(sessions, world, quantity=3)
    with transaction(sessions) as session:
        assert key_service(session).rotate_code_key(session, actor=ACTOR) == 2
    new = issue(sessions, world, quantity=3)
    assert (old.generation, new.generation) == (1, 2)
    old_code, new_code = codes_of(sessions, old, limit=1)[0], codes_of(sessions, new, limit=1)[0]
    assert old_code[0] == "1" and new_code[0] == "2"
    with reading(sessions) as session:
        assert lookup.code_status(session, code=old_code)["issued"] is True
        assert lookup.code_status(session, code=new_code)["batch"]["id"] == new.id
    with reading(sessions) as session, pytest.raises(ValidationFailed):
        KeyService(bytes(32)).keyring(session)  # another master key opens none of the stored keys
