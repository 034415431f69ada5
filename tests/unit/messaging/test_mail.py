"""Sending an e-mail over SMTP: the message as built (with attachments), STARTTLS with the
server's certificate checked, and the login when configured."""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from typing import Any, ClassVar

import pytest
from pydantic import SecretStr

from jianguan.config import Settings
from jianguan.messaging import mail


class FakeSmtp:
    """Records what a client did with the server."""

    made: ClassVar[list[FakeSmtp]] = []

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port = host, port
        self.calls: list[Any] = []
        self.sent: list[EmailMessage] = []
        FakeSmtp.made.append(self)

    def __enter__(self) -> FakeSmtp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.calls.append("quit")

    def starttls(self, context: ssl.SSLContext | None = None) -> None:
        assert context is not None and context.verify_mode == ssl.CERT_REQUIRED
        self.calls.append("starttls")

    def login(self, user: str, password: str) -> None:
        self.calls.append(("login", user, password))

    def send_message(self, message: EmailMessage) -> None:
        self.sent.append(message)


@pytest.fixture(autouse=True)
def fake_smtp(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeSmtp.made = []
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSmtp)


def test_an_email_is_sent_with_its_subject_and_body() -> None:
    settings = Settings(database_url="sqlite:///:memory:", email_gateway="smtp", smtp_host="mx.example",
                        smtp_port=587, smtp_sender="noreply@jianguan.example", smtp_starttls=True,
                        smtp_username="jg", smtp_password=SecretStr("pw"))
    mail.send_smtp(settings, "a@example.com", "【电子监管】入网申请已提交", "编号 SQ1")
    (client,) = FakeSmtp.made
    assert (client.host, client.port) == ("mx.example", 587)
    assert client.calls == ["starttls", ("login", "jg", "pw"), "quit"]
    (message,) = client.sent
    assert message["To"] == "a@example.com" and message["From"] == "noreply@jianguan.example"
    assert message["Subject"] == "【电子监管】入网申请已提交" and "编号 SQ1" in message.get_content()


def test_attachments_go_with_the_text() -> None:
    settings = Settings(database_url="sqlite:///:memory:", email_gateway="smtp")
    mail.send_smtp(settings, "a@example.com", "信息通报 2026-11", "见附件",
                   attachments=[("r.pdf", b"%PDF-1.4", "application/pdf"),
                                ("r.xlsx", b"PK", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")])
    (message,) = FakeSmtp.made[0].sent
    assert "见附件" in message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]  # found
    files = {part.get_filename(): (part.get_content_type(), part.get_content()) for part in message.iter_attachments()}
    assert files == {"r.pdf": ("application/pdf", b"%PDF-1.4"),
                     "r.xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK")}


def test_without_a_login_none_is_attempted() -> None:
    settings = Settings(database_url="sqlite:///:memory:", email_gateway="smtp")
    mail.send_smtp(settings, "a@example.com", "s", "b")
    assert FakeSmtp.made[0].calls == ["quit"]


def test_the_outbox_alone_sends_nothing() -> None:
    mail.deliver_emails(Settings(database_url="sqlite:///:memory:"), None, [1, 2])  # type: ignore[arg-type]  # never used
    assert FakeSmtp.made == []
