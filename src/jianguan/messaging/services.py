"""The outbox and the replay guard: the functions that change and read them."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jianguan.errors import Conflict
from jianguan.messaging.models import OutboundSms, SmsStatus, WebhookSignature
from jianguan.storage.base import utcnow

MAX_ERROR = 500


def queue_sms(session: Session, *, to: str, text: str) -> OutboundSms:
    """Put a message in the outbox, queued; the caller's gateway sends it after commit."""
    message = OutboundSms(to=to, text=text, status=SmsStatus.QUEUED, created_at=utcnow())
    session.add(message)
    session.flush()
    return message


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
