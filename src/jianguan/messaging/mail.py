"""Where outgoing e-mails go: the outbox alone (the default, in development and tests: they stay
queued there), or the outbox and an SMTP server (``JIANGUAN_EMAIL_GATEWAY=smtp``), each e-mail
sent after the transaction that queued it committed, and marked sent or failed.

``send_smtp`` is the one SMTP client of the service: the applicants' notices go through it, and
so does the monthly report (信息通报, with its PDF and XLSX attached; its sendings keep their own
log and retries, ``reports.services``)."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage

from sqlalchemy.orm import Session, sessionmaker

from jianguan.config import Settings
from jianguan.messaging.models import OutboundEmail
from jianguan.messaging.services import mark_email
from jianguan.storage.tx import transaction

logger = logging.getLogger("jianguan.messaging")

Attachment = tuple[str, bytes, str]  # file name, content, media type ("application/pdf")


def smtp_enabled(settings: Settings) -> bool:
    """Whether e-mails go out through the SMTP server (``JIANGUAN_EMAIL_GATEWAY=smtp``)."""
    return settings.email_gateway == "smtp"


def _message(settings: Settings, to: str, subject: str, body: str,
             attachments: Sequence[Attachment]) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.smtp_sender, to, subject
    message.set_content(body)
    for name, content, media_type in attachments:
        maintype, _, subtype = media_type.partition(";")[0].strip().partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message


def send_smtp(settings: Settings, to: str, subject: str, body: str, *, attachments: Sequence[Attachment] = (),
              timeout: float = 10) -> None:
    """Send one e-mail, with its attachments, through the configured SMTP server (STARTTLS, the
    server's certificate checked, and login when configured); raises ``OSError`` or
    ``smtplib.SMTPException`` when the server cannot be reached or refuses it."""
    message = _message(settings, to, subject, body, attachments)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout) as client:
        if settings.smtp_starttls:
            client.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            client.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        client.send_message(message)


def deliver_emails(settings: Settings, sessions: sessionmaker[Session], message_ids: list[int]) -> None:
    """Send, after their transaction committed, e-mails a service queued (with the outbox
    alone they stay queued)."""
    if not smtp_enabled(settings) or not message_ids:
        return
    for message_id in message_ids:
        with transaction(sessions) as session:
            message = session.get(OutboundEmail, message_id)
            if message is None:
                continue
            to, subject, body = message.to, message.subject, message.body
        error: str | None = None
        try:
            send_smtp(settings, to, subject, body)
        except (OSError, smtplib.SMTPException) as failure:
            logger.warning("sending e-mail %s failed: %s", message_id, failure)
            error = str(failure) or type(failure).__name__
        with transaction(sessions) as session:
            mark_email(session, message_id=message_id, error=error)
