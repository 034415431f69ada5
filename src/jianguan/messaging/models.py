"""The outboxes of text messages and e-mails, and the webhook signatures already seen.

Both are machine records, not user state: a reply is a consequence of a logged query, and a
seen signature only guards against replays, so neither writes an audit record.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jianguan.choices import LabelledChoice
from jianguan.storage.base import Base


class SmsStatus(LabelledChoice):
    QUEUED = "queued", "待发送", "queued"
    SENT = "sent", "已发送", "sent"
    FAILED = "failed", "发送失败", "failed"


class OutboundSms(Base):
    """One text message to a phone: queued, then sent or failed by the configured gateway.

    ``to`` is kept in full because the gateway needs it to send; the operator page masks it.
    ``gateway_id`` is the message id the SMSC gave (the first part's, for a long message).
    """

    __tablename__ = "outbound_sms"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    to: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[SmsStatus] = mapped_column(String(16), default=SmsStatus.QUEUED.value, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    gateway_id: Mapped[str | None] = mapped_column(String(80), default=None)
    error: Mapped[str | None] = mapped_column(String(500), default=None)


class OutboundEmail(Base):
    """One e-mail: queued, then sent or failed by the configured mailer (SMTP), like a text
    message; without a mailer it stays queued for operators to read."""

    __tablename__ = "outbound_emails"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    to: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[SmsStatus] = mapped_column(String(16), default=SmsStatus.QUEUED.value, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(String(500), default=None)


class WebhookSignature(Base):
    """A webhook signature already accepted, with the timestamp it signed.

    The unique signature is what refuses a replay, across every process and worker; rows older
    than the accepted clock skew are pruned, since their timestamp alone refuses them then.
    """

    __tablename__ = "webhook_signatures"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    signature: Mapped[str] = mapped_column(String(64), unique=True)
    timestamp: Mapped[int] = mapped_column(BigInteger, index=True)
    received_at: Mapped[dt.datetime]
