"""The verifier on a real database: verdicts, the query log, exact counts under concurrency."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from jianguan.codes import activation as activations
from jianguan.codes.codec import damm_digit
from jianguan.codes.keyring import KeyService, keyring
from jianguan.codes.models import CodeBatch
from jianguan.storage import reading, transaction
from jianguan.verify.models import Channel, CodeQueryState, Query
from jianguan.verify.recorder import QueryLogFull, QueryRecorder
from jianguan.verify.services import QueryContext, Verifier
from tests.conftest import TEST_MASTER
from tests.functional.test_codes_services import ACTOR, codes_of, issue, printer_staff, staff
from tests.functional.test_codes_services import world as world
from tests.live import LiveServer

WEB = QueryContext(Channel.WEB, region_code="130111", source="127.0.0.1")


def verifier(sessions: sessionmaker[Session]) -> Verifier:
    return Verifier(sessions, hash_key=b"k" * 32)


def activate(sessions, world, batch, data: activations.ProductionData | None = None, offsets=None) -> None:
    with transaction(sessions) as session:
        activations.activate(session, actor=ACTOR, principal=staff(world["enterprise"]), batch_id=batch.id,
                       data=data or activations.ProductionData("L7", dt.date(2026, 10, 1), dt.date(2099, 1, 1), "合格"),
                       offsets=offsets)


def one_activated_code(sessions, world) -> tuple[CodeBatch, str]:
    """A batch of one code, activated, and its code."""
    batch = issue(sessions, world, quantity=1)
    activate(sessions, world, batch)
    return batch, codes_of(sessions, batch, limit=1)[0]


def logged(sessions) -> int:
    """How many queries the log holds."""
    with reading(sessions) as session:
        return session.scalar(select(func.count()).select_from(Query))


def unknown_twin(code: str) -> str:
    """A well-formed code near ``code`` that was never issued (two digits changed, check digit fixed)."""
    body = code[:5] + str((int(code[5]) + 1) % 10) + str((int(code[6]) + 3) % 10) + code[7:19]
    return body + damm_digit(body)


def mixed_batch(sessions, world) -> tuple[CodeBatch, list[str], dict[str, str]]:
    """Twenty codes in every state a code's facts can give: activated, expired, not activated
    (never, and by a withdrawn activation), spoiled; and what each is expected to say."""
    batch = issue(sessions, world, quantity=20)
    with transaction(sessions) as session:
        activations.confirm_printing(session, actor=ACTOR, principal=printer_staff(world["printer"]), batch_id=batch.id,
                               printed_count=20, spoiled_codes=codes_of(sessions, batch, offset=19, limit=1))
    activate(sessions, world, batch, offsets=[(0, 10)])
    activate(sessions, world, batch, activations.ProductionData("OLD", dt.date(2024, 1, 1), dt.date(2025, 1, 1)),
             offsets=[(10, 12)])
    activate(sessions, world, batch, offsets=[(12, 14)])
    with transaction(sessions) as session:
        withdrawn = activations.list_activations(session, principal=staff(world["enterprise"]), batch_id=batch.id)[-1]
        activations.withdraw_activation(session, actor=ACTOR, principal=staff(world["enterprise"]),
                                  activation_id=withdrawn.id, reason="贴错标签")
    sample = codes_of(sessions, batch, limit=20)
    expected = {code: "genuine" for code in sample[:10]} | {code: "expired" for code in sample[10:12]}
    expected |= {code: "not_activated" for code in sample[12:19]} | {sample[19]: "spoiled"}
    return batch, sample, expected


def test_every_state_gets_its_verdict_and_is_logged(sessions, world) -> None:
    _batch, sample, _states = mixed_batch(sessions, world)
    v = verifier(sessions)
    expected = {
        sample[0]: "genuine", sample[10]: "expired", sample[13]: "not_activated",  # withdrawn
        sample[15]: "not_activated",
        sample[19]: "spoiled",
        unknown_twin(sample[0]): "unknown", sample[0][:19] + str((int(sample[0][19]) + 1) % 10): "malformed",
        "": "malformed", "😀' OR 1=1 --" * 20: "malformed",
    }
    for raw, verdict in expected.items():
        assert v.verify(raw, WEB).verdict.value == verdict, raw
    answer = v.verify(sample[0], WEB)
    assert answer.verdict.value == "queried_before"
    assert answer.history["count_before"] == 1 and answer.history["first_region_name"] == "栾城区"
    assert answer.production["lot"] == "L7" and answer.product["name"]
    v.close()
    with reading(sessions) as session:
        rows = session.scalars(select(Query).order_by(Query.id)).all()
        assert [row.verdict for row in rows] == [*expected.values(), "queried_before"]
        malformed = [row for row in rows if row.verdict == "malformed"]
        assert all(row.serial is None for row in malformed)
        assert malformed[-1].raw_input is not None and len(malformed[-1].raw_input) <= 64
        assert session.get(CodeQueryState, (1, rows[0].serial)).count == 2


def test_callers_and_addresses_are_stored_hashed(sessions, world) -> None:
    batch = issue(sessions, world, quantity=2)
    v = verifier(sessions)
    v.verify(codes_of(sessions, batch, limit=1)[0], QueryContext(Channel.SMS, caller="+8613800138000",
                                                                 source="10.1.2.3"))
    v.close()
    with reading(sessions) as session:
        row = session.scalars(select(Query)).one()
    assert row.caller_hash and "13800138000" not in row.caller_hash and len(row.caller_hash) == 64
    assert row.source_hash and "10.1.2.3" not in row.source_hash


def test_a_nul_in_the_input_is_logged_and_the_log_goes_on(sessions, world) -> None:
    batch = issue(sessions, world, quantity=1)
    v = verifier(sessions)
    assert v.verify("1234\x005678", WEB).verdict.value == "malformed"
    v.verify(codes_of(sessions, batch, limit=1)[0], WEB)
    assert v.recorder.flush() == 2  # PostgreSQL refuses NUL in text: stored, it would fail every flush
    with reading(sessions) as session:
        assert session.scalars(select(Query.raw_input).order_by(Query.id)).all() == ["1234\ufffd5678", None]


def test_two_hundred_parallel_queries_count_exactly_two_hundred(sessions, world) -> None:
    batch, code = one_activated_code(sessions, world)
    v = verifier(sessions)
    v.recorder.start()
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda _: v.verify(code, WEB), range(200)))
    v.close()
    assert sorted(answer.history["count_before"] for answer in answers) == list(range(200))
    assert sum(answer.verdict.value == "genuine" for answer in answers) == 1
    assert logged(sessions) == 200
    with reading(sessions) as session:
        assert session.get(CodeQueryState, (1, batch.serial_start)).count == 200


async def gathered(v: Verifier, raws: list[str]) -> list:
    return await asyncio.gather(*(v.verify_async(raw, WEB) for raw in raws))


def on_a_loop(make: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run a coroutine on a fresh event loop in a thread of its own, as a server's loop would
    (the test's own thread may hold another library's loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def test_verifications_on_the_event_loop_share_one_read_and_answer_as_alone(sessions, world) -> None:
    batch, sample, expected = mixed_batch(sessions, world)
    reads: list[str] = []
    alone, together = verifier(sessions), verifier(sessions)
    for name in ("fetchone", "fetchall"):  # count the statements of the coalesced verifier
        method = getattr(together._reader, name)
        setattr(together._reader, name, lambda *args, _method=method, _name=name: reads.append(_name) or _method(*args))
    raws = [*sample, "not a code", unknown_twin(sample[0]), sample[3]]  # sample[3] twice in one read
    answers = on_a_loop(lambda: gathered(together, raws))
    assert reads == ["fetchall" if together._engine.dialect.name == "postgresql" else "fetchone"]
    assert [answer.verdict.value for answer in answers[:20]] == [expected[code] for code in sample]
    assert [answer.verdict.value for answer in answers[20:]] == ["malformed", "unknown", "queried_before"]
    assert answers[22].history["count_before"] == 1
    together.recorder.flush()  # what the other verifier finds it told
    for raw, answer in zip(sample, answers, strict=False):  # the same answer as a read of its own
        own = alone.verify(raw, WEB)
        assert (own.production, own.product, own.enterprise, own.message) == (
            answer.production, answer.product, answer.enterprise, answer.message)
        assert own.verdict.value == ("queried_before" if expected[raw] == "genuine" else expected[raw])
    together.close()
    alone.close()
    assert logged(sessions) == len(raws) + len(sample)
    with reading(sessions) as session:
        assert session.get(CodeQueryState, (1, batch.serial_start + 3)).count == 3  # twice together, once alone


def test_a_shared_read_of_more_than_its_statement_holds_exactly_answers_each(sessions, world) -> None:
    # 45 look-ups: SQLite's statement is built for 64 and the rest repeat the last look-up.
    batch = issue(sessions, world, quantity=45)
    activate(sessions, world, batch, offsets=[(0, 40)])  # the last five stay unactivated
    codes = codes_of(sessions, batch, limit=45)
    v = verifier(sessions)
    answers = on_a_loop(lambda: gathered(v, codes))
    assert [answer.verdict.value for answer in answers] == ["genuine"] * 40 + ["not_activated"] * 5
    assert [answer.code for answer in answers] == codes
    v.close()
    assert logged(sessions) == 45


def test_two_hundred_verifications_on_the_event_loop_count_exactly(sessions, world) -> None:
    batch, code = one_activated_code(sessions, world)
    v = verifier(sessions)
    v.recorder.start()

    async def waves() -> list:  # four waves of fifty, each sharing a read
        answers = []
        for _ in range(4):
            answers += await gathered(v, [code] * 50)
        return answers

    answers = on_a_loop(waves)
    v.close()
    assert sorted(answer.history["count_before"] for answer in answers) == list(range(200))
    assert sum(answer.verdict.value == "genuine" for answer in answers) == 1
    assert logged(sessions) == 200
    with reading(sessions) as session:
        assert session.get(CodeQueryState, (1, batch.serial_start)).count == 200


def test_a_failed_shared_read_fails_every_verification_in_it_and_logs_none(sessions, world) -> None:
    _batch, sample, _expected = mixed_batch(sessions, world)
    v = verifier(sessions)

    def refuse(lookups):
        raise ConnectionError("database restarting")

    v._coalescer._read = refuse  # a database that goes away under the read

    async def attempt() -> list:
        return await asyncio.gather(*(v.verify_async(code, WEB) for code in sample[:5]), return_exceptions=True)

    outcomes = on_a_loop(attempt)
    assert all(isinstance(outcome, ConnectionError) for outcome in outcomes)
    assert v.recorder.pending_rows == 0
    v.close()
    assert logged(sessions) == 0


def test_two_processes_worth_of_recorders_sum_exactly(sessions, world) -> None:
    batch, code = one_activated_code(sessions, world)
    first, second = verifier(sessions), verifier(sessions)  # two processes' worth, one database
    for _ in range(30):
        first.verify(code, WEB)
        second.verify(code, WEB)
    first.close()
    second.close()
    with reading(sessions) as session:
        assert session.get(CodeQueryState, (1, batch.serial_start)).count == 60


def test_two_processes_tell_each_caller_the_exact_count_when_their_queries_are_flushed(sessions, world) -> None:
    """Each process answers from the stored count (every process's flushed queries) plus its own
    unflushed ones: alternating between two, a query made after the other's last flush is told
    exactly how many came before it, on both databases."""
    _batch, code = one_activated_code(sessions, world)
    first, second = verifier(sessions), verifier(sessions)
    told = []
    for turn in range(20):
        v = (first, second)[turn % 2]
        told.append(v.verify(code, WEB).history["count_before"])
        v.recorder.flush()  # what a server's flusher does within 0.05 s
    assert told == list(range(20))
    # Unflushed queries of one process are its own to count: the other misses at most those.
    first.verify(code, WEB)
    first.verify(code, WEB)
    assert second.verify(code, WEB).history["count_before"] == 20
    first.recorder.flush()
    second.recorder.flush()
    assert first.verify(code, WEB).history["count_before"] == 23
    first.close()
    second.close()


def test_a_query_log_that_cannot_be_written_stops_at_its_bound(sessions, world) -> None:
    """While the database cannot be written, at most ``max_pending`` answered queries wait in memory;
    past that, verification is refused (503 on the wire) and nothing more is held or answered."""
    _batch, code = one_activated_code(sessions, world)
    failing = threading.Event()
    failing.set()

    class DownSessions:
        """The real session factory, refusing while ``failing`` is set: a database that is away."""

        def __call__(self, *args, **kwargs):
            if failing.is_set():
                raise ConnectionError("database away")
            return sessions(*args, **kwargs)

    recorder = QueryRecorder(DownSessions(), max_pending=5)  # type: ignore[arg-type] - a stand-in factory
    v = Verifier(sessions, hash_key=b"k" * 32, recorder=recorder)
    answers = [v.verify(code, WEB).history["count_before"] for _ in range(5)]
    assert answers == [0, 1, 2, 3, 4]
    with contextlib.suppress(ConnectionError):
        recorder.flush()
    assert recorder.health()["failing"] == "ConnectionError" and not recorder.health()["ok"]
    with pytest.raises(QueryLogFull) as refused:
        v.verify(code, WEB)
    assert refused.value.status_code == 503 and refused.value.retry_after >= 1 and refused.value.message_zh
    with pytest.raises(QueryLogFull):
        v.verify("123", WEB)  # even a typo's row could not be held
    assert recorder.pending_rows == 5
    failing.clear()  # the database is back: everything held is written, and verification resumes
    assert recorder.flush() == 5
    assert v.verify(code, WEB).history["count_before"] == 5
    assert recorder.health()["ok"]
    v.close()
    assert logged(sessions) == 6


def test_a_graceful_stop_writes_everything(sessions, world) -> None:
    batch = issue(sessions, world, quantity=5)
    v = verifier(sessions)
    v.recorder.start()
    for code in codes_of(sessions, batch, limit=5) * 10:
        v.verify(code, WEB)
    v.close()
    assert v.recorder.pending_rows == 0
    assert logged(sessions) == 50


def test_a_failed_flush_keeps_its_rows_and_the_next_one_writes_them(sessions, world) -> None:
    batch = issue(sessions, world, quantity=1)
    code = codes_of(sessions, batch, limit=1)[0]
    failing = threading.Event()

    class FlakySessions:
        """The real session factory, refusing once, as a database that restarts would."""

        def __call__(self, *args, **kwargs):
            if failing.is_set():
                failing.clear()
                raise ConnectionError("database restarting")
            return sessions(*args, **kwargs)

    recorder = QueryRecorder(FlakySessions())  # type: ignore[arg-type]  # a stand-in sessionmaker
    v = Verifier(sessions, hash_key=b"k" * 32, recorder=recorder)
    v.verify(code, WEB)
    failing.set()
    with contextlib.suppress(ConnectionError):
        recorder.flush()
    assert recorder.pending_rows == 1
    assert recorder.flush() == 1
    assert logged(sessions) == 1


def test_two_hundred_parallel_http_queries_leave_exactly_two_hundred(live: LiveServer) -> None:
    code = live.seed.samples["activated_in_part"][0]  # a not-activated code
    from jianguan.codes.codec import decode_code
    from jianguan.storage import make_engine, session_factory

    engine = make_engine(live.database_url)
    with reading(session_factory(engine, keys=KeyService(TEST_MASTER))) as session:
        key = decode_code(keyring(session), code)

    def stored() -> int:
        with reading(session_factory(engine)) as session:
            state = session.get(CodeQueryState, key)
            return state.count if state else 0

    time.sleep(0.2)  # another test's queries of the code are flushed by now (every 0.05 s)
    before = stored()
    with httpx.Client(base_url=live.base_url, timeout=30) as client, ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(lambda _: client.get(f"/api/v1/verify/{code}"), range(200)))
    assert all(response.status_code == 200 for response in responses)
    assert {response.json()["verdict"] for response in responses} == {"not_activated"}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and stored() < before + 200:
        time.sleep(0.05)
    time.sleep(0.2)  # more than 200, had there been, would show by now
    final = stored()
    engine.dispose()
    assert final == before + 200


def test_the_query_log_goes_on_being_written_while_its_follow_ups_are_slow(sessions, world) -> None:
    # The early-warning rules after a write (a flood of clone alerts, say) once ran on the writer's
    # thread: the writer stopped writing, the unwritten rows reached their bound, and every
    # verification answered 503. Now they run beside it.
    _batch, code = one_activated_code(sessions, world)
    v = Verifier(sessions, hash_key=b"k" * 32, recorder=QueryRecorder(sessions, interval=0.02))
    release, evaluated = threading.Event(), []
    original = v.followups._evaluate

    def slow(batch) -> None:
        release.wait(30)
        evaluated.append(sorted(batch.repeated))
        original(batch)

    v.followups._evaluate = slow
    v.start()
    try:
        for _ in range(3):  # a code queried again: the rules look at it after the write
            v.verify(code, WEB)
        deadline = time.monotonic() + 10
        while v.followups.pending() == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert v.followups.pending() > 0  # the rules are held up ...
        for _ in range(5):
            v.verify(code, WEB)
        while logged(sessions) < 8 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert logged(sessions) == 8  # ... and the writer is not
    finally:
        release.set()
        v.close()
    assert v.followups.pending() == 0  # closing follows up what was left
    assert evaluated and all(codes == evaluated[0] for codes in evaluated)
