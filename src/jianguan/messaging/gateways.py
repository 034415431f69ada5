"""Where outgoing text messages go: a small Protocol with a local outbox and an SMPP transport.

Every message is written to the outbox first. Without a transport (the default, used in
development and tests) it stays queued there for operators to read at ``/manage/outbox``;
with the SMPP transport it is sent at once and marked sent (with the SMSC's message id) or
failed (with the reason).
"""

from __future__ import annotations

import logging
from typing import Protocol

import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.gsm
from sqlalchemy.orm import Session, sessionmaker

from jianguan.config import Settings
from jianguan.messaging.services import mark_failed, mark_sent, queue_sms
from jianguan.storage.tx import transaction

logger = logging.getLogger("jianguan.messaging")


class SmsGateway(Protocol):
    """Sends one text message; returns the id the gateway gave it."""

    def send(self, to: str, text: str) -> str: ...


class SmppGateway:
    """An SMSC reached over SMPP 3.4: one connection per message, bound as a transmitter.

    Chinese text goes out as UCS-2 (data_coding 8); a text longer than one message (70
    characters) is split by smpplib into parts of 67 with a concatenation header (UDH), which
    the handset reassembles. Returns the message id of the first part.
    """

    def __init__(self, *, host: str, port: int, system_id: str, password: str, source_address: str,
                 timeout: float = 10) -> None:
        self.host, self.port = host, port
        self.system_id, self.password, self.source_address = system_id, password, source_address
        self.timeout = timeout

    def send(self, to: str, text: str) -> str:
        parts, data_coding, esm_class = smpplib.gsm.make_parts(text, encoding=smpplib.consts.SMPP_ENCODING_ISO10646)
        client = smpplib.client.Client(self.host, self.port, timeout=self.timeout, allow_unknown_opt_params=True)
        ids: list[str] = []
        client.connect()
        try:
            client.bind_transmitter(system_id=self.system_id, password=self.password)
            for part in parts:
                client.send_message(
                    source_addr_ton=smpplib.consts.SMPP_TON_ALNUM if not self.source_address.isdigit()
                    else smpplib.consts.SMPP_TON_UNK,
                    source_addr_npi=smpplib.consts.SMPP_NPI_UNK,
                    source_addr=self.source_address,
                    dest_addr_ton=smpplib.consts.SMPP_TON_INTL if to.startswith("+")
                    else smpplib.consts.SMPP_TON_UNK,
                    dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
                    destination_addr=to.lstrip("+"),
                    short_message=part, data_coding=data_coding, esm_class=esm_class,
                    registered_delivery=False)
                response = client.read_pdu()
                if response.command != "submit_sm_resp" or response.is_error():
                    raise smpplib.exceptions.PDUError(
                        f"submit_sm refused: {response.command} status {response.status}")
                message_id = response.message_id
                ids.append(message_id.decode() if isinstance(message_id, bytes) else str(message_id))
            client.unbind()
        finally:
            client.disconnect()
        return ids[0]


class OutboxGateway:
    """Writes every message to the outbox; with a ``transport`` also sends it (see the module doc)."""

    def __init__(self, sessions: sessionmaker[Session], transport: SmsGateway | None = None) -> None:
        self._sessions = sessions
        self.transport = transport

    def send(self, to: str, text: str) -> str:
        with transaction(self._sessions) as session:
            message_id = queue_sms(session, to=to, text=text).id
        if self.transport is None:
            return f"outbox-{message_id}"
        try:
            gateway_id = self.transport.send(to, text)
        except (OSError, smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError) as error:
            logger.warning("sending SMS %s failed: %s", message_id, error)
            with transaction(self._sessions) as session:
                mark_failed(session, message_id=message_id, error=str(error) or type(error).__name__)
            return f"outbox-{message_id}"
        with transaction(self._sessions) as session:
            mark_sent(session, message_id=message_id, gateway_id=gateway_id)
        return gateway_id


def gateway_from_settings(settings: Settings, sessions: sessionmaker[Session]) -> SmsGateway:
    """The gateway the settings choose: the outbox alone, or the outbox with SMPP."""
    if settings.sms_gateway == "smpp":
        return OutboxGateway(sessions, SmppGateway(
            host=settings.smpp_host, port=settings.smpp_port, system_id=settings.smpp_system_id,
            password=settings.smpp_password.get_secret_value(), source_address=settings.smpp_source_address))
    return OutboxGateway(sessions)


def deliver_queued(gateway: SmsGateway, sessions: sessionmaker[Session], message_ids: list[int]) -> None:
    """Send, after their transaction committed, messages a service queued in the outbox (a case's
    notices): with no transport they stay queued there, as every message does then."""
    transport = getattr(gateway, "transport", None)
    if transport is None or not message_ids:
        return
    from jianguan.messaging.models import OutboundSms  # the models are not needed to build a gateway

    for message_id in message_ids:
        with transaction(sessions) as session:
            message = session.get(OutboundSms, message_id)
            if message is None:
                continue
            to, text = message.to, message.text
        try:
            gateway_id = transport.send(to, text)
        except (OSError, smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError) as error:
            logger.warning("sending SMS %s failed: %s", message_id, error)
            with transaction(sessions) as session:
                mark_failed(session, message_id=message_id, error=str(error) or type(error).__name__)
            continue
        with transaction(sessions) as session:
            mark_sent(session, message_id=message_id, gateway_id=gateway_id)
