"""The outboxes and the replay guard: the functions that change and read them."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jianguan.errors import Conflict
from jianguan.messaging.models import OutboundEmail, OutboundSms, SmsStatus, WebhookSignature
from jianguan.storage.base import utcnow

MAX_ERROR = 500


def queue_sms(session: Session, *, to: str, text: str) -> OutboundSms:
    """Put a message in the outbox, queued; the caller's gateway sends it after commit."""
    message = OutboundSms(to=to, text=text, status=SmsStatus.QUEUED, created_at=utcnow())
    session.add(message)
    session.flush()
    return message


def queue_email(session: Session, *, to: str, subject: str, body: str) -> OutboundEmail:
    """Put an e-mail in the outbox, queued; the caller's mailer sends it after commit."""
    message = OutboundEmail(to=to[:200], subject=subject[:200], body=body, status=SmsStatus.QUEUED,
                            created_at=utcnow())
    session.add(message)
    session.flush()
    return message


def mark_email(session: Session, *, message_id: int, error: str | None) -> None:
    """Record that the mailer sent the e-mail (``error`` None) or why it failed (not retried)."""
    message = session.get(OutboundEmail, message_id)
    if message is not None:
        if error is None:
            message.status, message.sent_at = SmsStatus.SENT, utcnow()
        else:
            message.status, message.error = SmsStatus.FAILED, error[:MAX_ERROR]


def mark_sent(session: Session, *, message_id: int, gateway_id: str) -> None:
    """Record that the gateway accepted the message, with the id it gave."""
    message = session.get(OutboundSms, message_id)
    if message is not None:
        message.status, message.sent_at, message.gateway_id = SmsStatus.SENT, utcnow(), gateway_id[:80]


def mark_failed(session: Session, *, message_id: int, error: str) -> None:
    """Record that sending failed, and why (kept for the operator; the message is not retried)."""
    message = session.get(OutboundSms, message_id)
    if message is not None:
        message.status, message.error = SmsStatus.FAILED, error[:MAX_ERROR]


def recent_messages(session: Session, *, limit: int = 200) -> list[OutboundSms]:
    """The newest messages first."""
    return list(session.scalars(select(OutboundSms).order_by(OutboundSms.id.desc()).limit(limit)))


def recent_emails(session: Session, *, limit: int = 200) -> list[OutboundEmail]:
    """The newest e-mails first."""
    return list(session.scalars(select(OutboundEmail).order_by(OutboundEmail.id.desc()).limit(limit)))


def mask_email(address: str) -> str:
    """An e-mail address with its local part hidden but its first character: a***@example.com."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_number(number: str) -> str:
    """A phone number with its middle hidden, as shown to operators: 13812345678 -> 138****5678."""
    if len(number) > 8:
        return number[:-8] + "****" + number[-4:]
    return "*" * max(len(number) - 2, 0) + number[-2:]


def claim_webhook_signature(session: Session, *, signature: str, timestamp: int, window_seconds: int) -> None:
    """Accept a signature once: Conflict if it was seen before (a replay).

    Signatures whose timestamp has left the window are pruned first: a replay of one of them is
    refused by its timestamp. The unique constraint makes two processes racing on the same
    signature end with one accepted and one refused.
    """
    now = utcnow()
    session.execute(delete(WebhookSignature).where(
        WebhookSignature.timestamp < int(now.timestamp()) - 2 * window_seconds))
    try:
        with session.begin_nested():
            session.add(WebhookSignature(signature=signature, timestamp=timestamp, received_at=now))
    except IntegrityError:
        raise Conflict("This request was already received (a replay).", "该请求已收到过（重放）。",
                       code="replayed") from None
