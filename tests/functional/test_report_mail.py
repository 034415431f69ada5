"""The monthly report by e-mail, on both databases, against a small SMTP server the test starts
(``socketserver`` on a thread), sent through the service's one SMTP client
(``messaging.mail.send_smtp``, ``JIANGUAN_EMAIL_GATEWAY=smtp``): the addresses a regulator sets
(scoped, audited, bad ones listed and nothing changed), one sending a month, region and address
however often ``jianguan jobs run`` runs (four processes at once, then once more) and the
roll-ups not counted twice by them, a failure retried later with a longer wait and shown on the
page, the report attached as PDF and XLSX, and no report while the roll-up lacks the month's end."""

from __future__ import annotations

import datetime as dt
import email
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from jianguan.audit.models import AuditRecord
from jianguan.audit.services import Actor
from jianguan.config import Settings
from jianguan.reports.jobs import run_jobs
from jianguan.reports.models import ReportRecipient, ReportSending
from jianguan.reports.monthly import last_full_month
from jianguan.reports.services import deliver_due, schedule_month
from jianguan.stats.models import CodeDay, QueryDay, QueryMonth, RolledDay, TerminalDay
from jianguan.storage import make_engine, reading, session_factory, transaction
from jianguan.storage.base import utcnow
from tests.conftest import run_cli
from tests.live import LiveServer, cli_env

MONTH = str(last_full_month())


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, Message]] = []
        self.refuse: set[str] = set()
        self.lock = threading.Lock()


class _Handler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: greeting, EHLO, MAIL, RCPT (refusing the box's ``refuse``), DATA, QUIT."""

    server: Any

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        box: Mailbox = self.server.mailbox
        self.reply("220 test SMTP")
        recipient = ""
        while line := self.rfile.readline():
            verb = line.decode(errors="replace").strip()
            upper = verb.upper()
            if upper.startswith(("EHLO", "HELO")):
                self.reply("250-test\r\n250 8BITMIME")
            elif upper.startswith("MAIL FROM"):
                self.reply("250 ok")
            elif upper.startswith("RCPT TO"):
                recipient = verb.split(":", 1)[1].strip().strip("<>")
                self.reply("550 no such box" if recipient in box.refuse else "250 ok")
            elif upper == "DATA":
                self.reply("354 go on")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                with box.lock:
                    box.messages.append((recipient, email.message_from_bytes(data)))
                self.reply("250 queued")
            elif upper == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Mailbox, int]]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.mailbox = Mailbox()  # type: ignore[attr-defined]  # the handler reads it
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.mailbox, server.server_address[1]  # type: ignore[attr-defined]  # see above
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def db(live: LiveServer) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(live.database_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def clean(db: sessionmaker[Session], smtp: tuple[Mailbox, int]) -> Iterator[None]:
    def empty() -> None:
        with transaction(db) as session:
            session.execute(delete(ReportSending))
            session.execute(delete(ReportRecipient))
        smtp[0].messages.clear()
        smtp[0].refuse.clear()
    empty()
    yield
    empty()


def settings(port: int, **extra: Any) -> Settings:
    return Settings(email_gateway="smtp", smtp_host="127.0.0.1", smtp_port=port,  # type: ignore[call-arg]
                    smtp_sender="jianguan@example.org", report_email_retry_seconds=60, **extra)


def test_a_regulator_sets_the_addresses(live: LiveServer, db: sessionmaker[Session], clean: None) -> None:
    client = live.login("sjz.quality")
    before = _audits(db, "reports:recipients:set")
    done = client.post("/api/v1/report-recipients",
                       json={"region_code": "130100", "addresses": ["a@example.org", " A@example.org ", "b@example.org"]})
    assert done.status_code == 200, done.text
    assert done.json()["addresses"] == ["a@example.org", "b@example.org"]
    assert _audits(db, "reports:recipients:set") == before + 1
    bad = client.post("/api/v1/report-recipients",
                      json={"region_code": "130100", "addresses": ["c@example.org", "not-an-address", "x@y"]})
    assert bad.status_code == 400 and "not-an-address" in bad.text and "x@y" in bad.text
    assert "有效的电子邮件地址" in bad.text
    assert client.get("/api/v1/report-recipients?region=130100").json()["addresses"] == ["a@example.org",
                                                                                          "b@example.org"]
    outside = live.login("fuzhou.quality")
    assert outside.post("/api/v1/report-recipients", json={"region_code": "130100", "addresses": []}).status_code == 404
    assert outside.get("/api/v1/report-recipients?region=130100").status_code == 404
    page = client.post("/manage/reports/recipients", data={"region_code": "130100", "addresses": "bad address"})
    assert page.status_code == 400 and "bad address" in page.text
    assert _audits(db, "reports:recipients:set") == before + 1


def _audits(db: sessionmaker[Session], action: str) -> int:
    with reading(db) as session:
        return int(session.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.action == action))
                   or 0)


def _set(live: LiveServer, user: str, region: str, addresses: list[str]) -> None:
    done = live.login(user).post("/api/v1/report-recipients", json={"region_code": region, "addresses": addresses})
    assert done.status_code == 200, done.text


def _jobs(live: LiveServer, port: int) -> subprocess.Popen[str]:
    env = cli_env(live.database_url, JIANGUAN_EMAIL_GATEWAY="smtp", JIANGUAN_SMTP_HOST="127.0.0.1",
                  JIANGUAN_SMTP_PORT=str(port), JIANGUAN_SMTP_SENDER="jianguan@example.org")
    return subprocess.Popen([sys.executable, "-m", "jianguan.cli", "jobs", "run"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _rolled_up(db: sessionmaker[Session]) -> list[list[tuple[Any, ...]]]:
    with reading(db) as session:
        return [sorted(tuple(row) for row in session.execute(select(table.__table__)))  # type: ignore[arg-type]
                for table in (QueryDay, QueryMonth, CodeDay, TerminalDay)]


def test_jobs_run_at_once_send_each_report_once_and_count_once(live: LiveServer, db: sessionmaker[Session],
                                                                smtp: tuple[Mailbox, int], clean: None) -> None:
    box, port = smtp
    _set(live, "sjz.quality", "130100", ["sjz@example.org", "office@example.org"])
    _set(live, "luancheng.quality", "130111", ["luancheng@example.org"])
    # The roll-ups brought up to date first (from the start of last month), so that what the runs
    # below write can be compared with them: running again must change no count.
    rolled = run_cli(live.database_url, "stats", "rollup", "--since", str(last_full_month().first))
    assert rolled.returncode == 0, rolled.stderr
    before, sent_before = _rolled_up(db), _audits(db, "reports:email:sent")
    runs = [_jobs(live, port) for _ in range(4)]
    outputs = []
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
        outputs.append(out)
    assert all('"report_ready": true' in out for out in outputs)
    assert sum(int(out.split('"sendings_entered": ')[1].split(",")[0]) for out in outputs) == 3
    again = _jobs(live, port)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert f'"month": "{MONTH}"' in out and '"sent": 0' in out and '"sendings_entered": 0' in out
    assert sorted(to for to, _ in box.messages) == ["luancheng@example.org", "office@example.org", "sjz@example.org"]
    assert _audits(db, "reports:email:sent") == sent_before + 3
    assert _rolled_up(db) == before
    message = next(m for to, m in box.messages if to == "sjz@example.org")
    assert message["From"] == "jianguan@example.org"
    assert "信息通报" in str(email.header.make_header(email.header.decode_header(message["Subject"])))
    names = {part.get_filename(): part.get_payload(decode=True) for part in message.walk() if part.get_filename()}
    assert names.keys() == {f"monthly-130100-{MONTH}.pdf", f"monthly-130100-{MONTH}.xlsx"}
    assert names[f"monthly-130100-{MONTH}.pdf"].startswith(b"%PDF")  # type: ignore[union-attr]  # bytes
    with reading(db) as session:
        rows = list(session.scalars(select(ReportSending)))
    assert len(rows) == 3 and {row.status for row in rows} == {"sent"} and {row.attempts for row in rows} == {1}
    page = live.login("sjz.quality").get("/manage/reports/monthly?region=130100")
    assert "sjz@example.org" in page.text and "已发送" in page.text


def test_no_report_while_the_rollup_lacks_the_months_end(live: LiveServer, db: sessionmaker[Session],
                                                        smtp: tuple[Mailbox, int], clean: None) -> None:
    box, port = smtp
    _set(live, "sjz.quality", "130100", ["early@example.org"])
    last_day = last_full_month().last
    with transaction(db) as session:
        rolled = session.get(RolledDay, last_day)
        if rolled is None:
            rolled = RolledDay(day=last_day)
            session.add(rolled)
        kept, rolled.rolled_at = rolled.rolled_at, dt.datetime.combine(last_day, dt.time(), dt.UTC)
    try:
        done = run_jobs(db, settings(port))
        assert done["report_ready"] is False and done["sendings_entered"] == 0 and done["sent"] == 0
        assert box.messages == []
    finally:
        with transaction(db) as session:
            row = session.get(RolledDay, last_day)
            assert row is not None
            row.rolled_at = kept or utcnow()
    done = run_jobs(db, settings(port))
    assert done["report_ready"] is True and done["sendings_entered"] == 1 and done["sent"] == 1
    assert [to for to, _ in box.messages] == ["early@example.org"]


def test_the_outbox_gateway_sends_nothing_and_the_sendings_wait(live: LiveServer, db: sessionmaker[Session],
                                                                smtp: tuple[Mailbox, int], clean: None) -> None:
    box, port = smtp
    _set(live, "sjz.quality", "130100", ["waits@example.org"])
    with transaction(db) as session:
        schedule_month(session, month=last_full_month())
    outbox = Settings(smtp_host="127.0.0.1", smtp_port=port)  # type: ignore[call-arg]  # the gateway left at "outbox"
    assert deliver_due(db, outbox, actor=Actor.system("test")) == {"sent": 0, "failed": 0}
    with reading(db) as session:
        assert session.scalars(select(ReportSending.status)).one() == "pending"
    assert box.messages == []
    assert "待发送" in live.login("sjz.quality").get("/manage/reports/monthly?region=130100").text


def test_a_failure_is_retried_later_and_shown(live: LiveServer, db: sessionmaker[Session],
                                             smtp: tuple[Mailbox, int], clean: None) -> None:
    box, port = smtp
    _set(live, "sjz.quality", "130100", ["refused@example.org", "fine@example.org"])
    box.refuse.add("refused@example.org")
    actor = Actor.system("test")
    with transaction(db) as session:
        assert schedule_month(session, month=last_full_month()) == 2
    with transaction(db) as session:
        assert schedule_month(session, month=last_full_month()) == 0
    start = utcnow()
    assert deliver_due(db, settings(port), actor=actor, now=start) == {"sent": 1, "failed": 1}
    with reading(db) as session:
        failed = session.scalars(select(ReportSending).where(ReportSending.address == "refused@example.org")).one()
        assert failed.status == "failed" and "550" in failed.last_error and failed.attempts == 1
        first_wait = failed.next_attempt_at - start  # type: ignore[operator]  # set on a failure
    assert first_wait == dt.timedelta(seconds=60)
    page = live.login("sjz.quality").get("/manage/reports/monthly?region=130100")
    assert 'data-status="failed"' in page.text and "550" in page.text
    # Not yet due: nothing is tried; then due, refused again: the wait doubles.
    assert deliver_due(db, settings(port), actor=actor, now=start + dt.timedelta(seconds=30)) == {"sent": 0, "failed": 0}
    assert deliver_due(db, settings(port), actor=actor, now=start + dt.timedelta(seconds=61)) == {"sent": 0, "failed": 1}
    with reading(db) as session:
        failed = session.scalars(select(ReportSending).where(ReportSending.address == "refused@example.org")).one()
        assert failed.next_attempt_at == start + dt.timedelta(seconds=61 + 120) and failed.attempts == 2
    box.refuse.clear()
    later = start + dt.timedelta(seconds=400)
    assert deliver_due(db, settings(port), actor=actor, now=later) == {"sent": 1, "failed": 0}
    assert sorted(to for to, _ in box.messages) == ["fine@example.org", "refused@example.org"]
    # The attempts used up: failed for good (no next attempt).
    _set(live, "sjz.quality", "130100", ["gone@example.org"])
    box.refuse.add("gone@example.org")
    with transaction(db) as session:
        schedule_month(session, month=last_full_month())
    assert deliver_due(db, settings(port, report_email_attempts=1), actor=actor, now=later) == {"sent": 0, "failed": 1}
    with reading(db) as session:
        gone = session.scalars(select(ReportSending).where(ReportSending.address == "gone@example.org")).one()
    assert gone.status == "failed" and gone.next_attempt_at is None
    assert "不再重试" in live.login("sjz.quality").get("/manage/reports/monthly?region=130100").text


def test_an_unreachable_server_is_a_failure(db: sessionmaker[Session], live: LiveServer, clean: None) -> None:
    _set(live, "sjz.quality", "130100", ["a@example.org"])
    with transaction(db) as session:
        schedule_month(session, month=last_full_month())
    port = 1  # nothing listens there
    result = deliver_due(db, settings(port), actor=Actor.system("test"))
    assert result == {"sent": 0, "failed": 1}
    with reading(db) as session:
        row = session.scalars(select(ReportSending)).one()
    assert row.status == "failed" and row.last_error and row.next_attempt_at is not None
