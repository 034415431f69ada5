"""Code requests, issue, code files, printing, activation and packing, on a real database."""

from __future__ import annotations

import datetime as dt
import io
import multiprocessing
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.models import AuditRecord
from jianguan.audit.services import Actor, verify_chain
from jianguan.codes import services as codes
from jianguan.codes.codec import decode_code
from jianguan.codes.files import verify_code_file
from jianguan.codes.keys import decode_public_key
from jianguan.codes.models import Activation, CodeBatch, CodeRequest, RequestStatus, SerialCounter
from jianguan.config import Settings
from jianguan.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jianguan.storage import reading, transaction
from tests.functional.issuing_worker import issue_many
from tests.functional.registry_data import make_enterprise, make_printer, make_product

MASTER = Settings().master_key_bytes()
ACTOR = Actor("user:test", "127.0.0.1")
OPERATOR = Principal(kind="user", id=0, name="op", role=Role.OPERATOR)
DATA = codes.ProductionData("L1", dt.date(2026, 10, 1), dt.date(2027, 10, 1), "检验合格")


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
        request = codes.request_codes(session, actor=ACTOR, principal=staff(world["enterprise"]),
                                      product_id=world["product"], quantity=quantity, packaging_level=level,
                                      printer_id=world["printer"] if printer else None, master=MASTER)
        return session.scalars(select(CodeBatch).where(CodeBatch.request_id == request.id)).one()


def codes_of(sessions: sessionmaker[Session], batch: CodeBatch, offset: int = 0, limit: int = 10) -> list[str]:
    with reading(sessions) as session:
        return codes.batch_codes(session, principal=OPERATOR, batch_id=batch.id, master=MASTER, offset=offset,
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
        from jianguan.enterprises.models import Enterprise

        assert session.get(Enterprise, world["enterprise"]).codes_issued_on is not None
    sample = codes_of(sessions, batch, offset=4990, limit=10)
    with reading(sessions) as session:
        keyring = codes.load_keyring(session, master=MASTER)
    assert [decode_code(keyring, code)[1] for code in sample] == list(range(4990, 5000))


def test_request_above_quota_waits_for_the_operator(sessions, world) -> None:
    with transaction(sessions) as session:
        request = codes.request_codes(session, actor=ACTOR, principal=staff(world["enterprise"]),
                                      product_id=world["product"], quantity=1_500_000, master=MASTER)
        request_id = request.id
        assert RequestStatus(request.status) is RequestStatus.PENDING
    with transaction(sessions) as session, pytest.raises(ValidationFailed):
        codes.decide_request(session, actor=ACTOR, request_id=request_id, approve=False, reason=" ", master=MASTER)
    with transaction(sessions) as session:
        codes.decide_request(session, actor=ACTOR, request_id=request_id, approve=True, master=MASTER)
    with reading(sessions) as session:
        assert RequestStatus(session.get(CodeRequest, request_id).status) is RequestStatus.ISSUED
        assert session.scalar(select(CodeBatch.quantity)) == 1_500_000
    with transaction(sessions) as session, pytest.raises(Conflict):
        codes.decide_request(session, actor=ACTOR, request_id=request_id, approve=True, master=MASTER)


@pytest.mark.parametrize("quantity", [0, -5, codes.MAX_REQUEST_QUANTITY + 1])
def test_bad_quantities_change_nothing(sessions, world, quantity: int) -> None:
    before = audit_count(sessions)
    with transaction(sessions) as session, pytest.raises(ValidationFailed) as error:
        codes.request_codes(session, actor=ACTOR, principal=staff(world["enterprise"]), product_id=world["product"],
                            quantity=quantity, master=MASTER)
    assert error.value.message_zh
    assert audit_count(sessions) == before


def test_another_enterprise_cannot_request_for_a_product_not_its_own(sessions, world) -> None:
    with transaction(sessions) as session, pytest.raises(NotFound):
        codes.request_codes(session, actor=ACTOR, principal=staff(world["other"]), product_id=world["product"],
                            quantity=10, master=MASTER)


def test_printer_without_valid_filing_cannot_be_named(sessions, world) -> None:
    with transaction(sessions) as session:
        expired = make_printer(session, filing_valid_until=dt.date(2020, 1, 1)).id
        unfiled = make_printer(session, filing=False).id
    for printer_id in (expired, unfiled):
        with transaction(sessions) as session, pytest.raises(ValidationFailed) as error:
            codes.request_codes(session, actor=ACTOR, principal=staff(world["enterprise"]),
                                product_id=world["product"], quantity=10, printer_id=printer_id, master=MASTER)
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


def test_code_file_is_signed_and_only_the_named_printer_and_enterprise_download(sessions, world) -> None:
    batch = issue(sessions, world, quantity=300)
    with transaction(sessions) as session:
        other_printer = make_printer(session, filing_valid_until=dt.date(2099, 1, 1)).id
    for outsider in (staff(world["other"]), printer_staff(other_printer)):
        with transaction(sessions) as session, pytest.raises(NotFound):
            codes.start_download(session, actor=ACTOR, principal=outsider, batch_id=batch.id, master=MASTER, limit=5)
    with transaction(sessions) as session, pytest.raises(PermissionDenied):
        codes.start_download(session, actor=ACTOR, principal=OPERATOR, batch_id=batch.id, master=MASTER, limit=5)
    with transaction(sessions) as session:
        plan = codes.start_download(session, actor=ACTOR, principal=printer_staff(world["printer"]),
                                    batch_id=batch.id, master=MASTER, limit=2)
    data = b"".join(codes.stream_code_file(plan, base_url="https://jianguan.example"))
    with reading(sessions) as session:
        keys = {row["key_id"]: decode_public_key(row["public_key"]) for row in codes.public_signing_keys(session)}
    verified = verify_code_file(io.BytesIO(data), keys)
    assert verified.count == 300 and verified.manifest["batch_id"] == batch.id
    with transaction(sessions) as session:
        codes.start_download(session, actor=ACTOR, principal=staff(world["enterprise"]), batch_id=batch.id,
                             master=MASTER, limit=2)
    with transaction(sessions) as session, pytest.raises(Conflict):
        codes.start_download(session, actor=ACTOR, principal=printer_staff(world["printer"]), batch_id=batch.id,
                             master=MASTER, limit=2)
    with reading(sessions) as session:
        actions = session.scalars(select(AuditRecord.action).where(AuditRecord.action == "code:file:downloaded"))
        assert len(list(actions)) == 2


def test_printing_spoilage_and_activation(sessions, world) -> None:
    batch = issue(sessions, world, quantity=100)
    spoiled = codes_of(sessions, batch, offset=50, limit=2)
    with transaction(sessions) as session, pytest.raises(PermissionDenied):
        codes.confirm_printing(session, actor=ACTOR, principal=staff(world["enterprise"]), batch_id=batch.id,
                               printed_count=100, master=MASTER)
    with transaction(sessions) as session:
        codes.confirm_printing(session, actor=ACTOR, principal=printer_staff(world["printer"]), batch_id=batch.id,
                               printed_count=100, spoiled_codes=spoiled, master=MASTER)
    owner = staff(world["enterprise"])
    before = audit_count(sessions)
    with transaction(sessions) as session, pytest.raises(ValidationFailed) as error:
        codes.activate(session, actor=ACTOR, principal=owner, batch_id=batch.id, data=DATA, master=MASTER)
    assert error.value.code == "spoiled_code"
    assert audit_count(sessions) == before
    with transaction(sessions) as session:
        created = codes.activate(session, actor=ACTOR, principal=owner, batch_id=batch.id, data=DATA,
                                 offsets=[(0, 50), (52, 100)], master=MASTER)
    assert len(created) == 2
    with transaction(sessions) as session:  # repeating is harmless
        assert codes.activate(session, actor=ACTOR, principal=owner, batch_id=batch.id, data=DATA,
                              offsets=[(10, 20)], master=MASTER) == []
    other = codes.ProductionData("L2", dt.date(2026, 10, 2))
    with transaction(sessions) as session, pytest.raises(Conflict):
        codes.activate(session, actor=ACTOR, principal=owner, batch_id=batch.id, data=other, offsets=[(10, 20)],
                       master=MASTER)
    with transaction(sessions) as session, pytest.raises(ValidationFailed) as error:
        codes.activate(session, actor=ACTOR, principal=owner, batch_id=batch.id, data=DATA, offsets=[(90, 101)],
                       master=MASTER)
    assert error.value.code == "range_outside_batch"
    first = codes_of(sessions, batch, limit=1)[0]
    with reading(sessions) as session:
        status = codes.code_status(session, code=first, master=MASTER)
        assert status["activation"]["lot"] == "L1"
        assert codes.code_status(session, code=spoiled[0], master=MASTER)["spoiled"] is True
    with transaction(sessions) as session:
        codes.withdraw_activation(session, actor=ACTOR, principal=owner, activation_id=created[0].id,
                                  reason="标签印错")
    with reading(sessions) as session:
        assert codes.code_status(session, code=first, master=MASTER)["activation"] is None


def test_activation_by_scanned_codes_is_stored_as_ranges(sessions, world) -> None:
    batch = issue(sessions, world, quantity=50)
    scanned = codes_of(sessions, batch, offset=10, limit=5) + codes_of(sessions, batch, offset=30, limit=1)
    scanned.append(scanned[0].replace("", " ").strip())  # a duplicate, typed with spaces
    with transaction(sessions) as session:
        created = codes.activate(session, actor=ACTOR, principal=staff(world["enterprise"]), batch_id=batch.id,
                                 data=DATA, codes=scanned, master=MASTER)
    assert sorted((row.serial_end - row.serial_start) for row in created) == [1, 5]
    other_batch_code = codes_of(sessions, issue(sessions, world, quantity=5), limit=1)
    with transaction(sessions) as session, pytest.raises(ValidationFailed) as error:
        codes.activate(session, actor=ACTOR, principal=staff(world["enterprise"]), batch_id=batch.id, data=DATA,
                       codes=other_batch_code, master=MASTER)
    assert error.value.code == "code_not_in_batch"
    with transaction(sessions) as session, pytest.raises(NotFound):
        codes.activate(session, actor=ACTOR, principal=staff(world["other"]), batch_id=batch.id, data=DATA,
                       master=MASTER)
    with reading(sessions) as session:
        assert session.scalar(select(func.count()).select_from(Activation)) == 2


def test_packing_items_into_a_case(sessions, world) -> None:
    items = issue(sessions, world, quantity=24)
    case = issue(sessions, world, quantity=2, level="case")
    owner = staff(world["enterprise"])
    item_codes = codes_of(sessions, items, limit=12)
    case_code = codes_of(sessions, case, limit=1)[0]
    with transaction(sessions) as session, pytest.raises(ValidationFailed):  # not activated yet
        codes.pack(session, actor=ACTOR, principal=owner, container=case_code, contents=item_codes, master=MASTER)
    with transaction(sessions) as session:
        codes.activate(session, actor=ACTOR, principal=owner, batch_id=items.id, data=DATA, master=MASTER)
        codes.activate(session, actor=ACTOR, principal=owner, batch_id=case.id, data=DATA, master=MASTER)
    with transaction(sessions) as session:
        assert codes.pack(session, actor=ACTOR, principal=owner, container=case_code, contents=item_codes,
                          master=MASTER) == 12
    with transaction(sessions) as session, pytest.raises(ValidationFailed):  # a case cannot hold a case
        codes.pack(session, actor=ACTOR, principal=owner, container=case_code, contents=[case_code], master=MASTER)
    second_case = codes_of(sessions, case, offset=1, limit=1)[0]
    with transaction(sessions) as session, pytest.raises(Conflict):
        codes.pack(session, actor=ACTOR, principal=owner, container=second_case, contents=item_codes[:1],
                   master=MASTER)
    with reading(sessions) as session:
        assert codes.code_status(session, code=item_codes[3], master=MASTER)["container"] == case_code
    with transaction(sessions) as session:
        assert codes.unpack(session, actor=ACTOR, principal=owner, container=case_code, contents=item_codes[:2],
                            master=MASTER) == 2
    with reading(sessions) as session:
        assert codes.code_status(session, code=item_codes[0], master=MASTER)["container"] is None
        assert codes.code_status(session, code=item_codes[5], master=MASTER)["container"] == case_code


def test_key_rotation_issues_with_the_newest_and_decodes_all(sessions, world) -> None:
    old = issue(sessions, world, quantity=3)
    with transaction(sessions) as session:
        assert codes.rotate_code_key(session, actor=ACTOR, master=MASTER) == 2
    new = issue(sessions, world, quantity=3)
    assert (old.generation, new.generation) == (1, 2)
    old_code, new_code = codes_of(sessions, old, limit=1)[0], codes_of(sessions, new, limit=1)[0]
    assert old_code[0] == "1" and new_code[0] == "2"
    with reading(sessions) as session:
        assert codes.code_status(session, code=old_code, master=MASTER)["issued"] is True
        assert codes.code_status(session, code=new_code, master=MASTER)["batch"]["id"] == new.id
    with reading(sessions) as session, pytest.raises(ValidationFailed):
        codes.load_keyring(session, master=bytes(32))
