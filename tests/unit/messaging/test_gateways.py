"""The SMPP gateway against a tiny SMSC written here, with smpplib's own PDU classes."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from smpplib import consts, smpp
from smpplib.client import SimpleSequenceGenerator
from smpplib.command import Command

from jianguan.messaging.gateways import SmppGateway


@dataclass
class TinySmsc:
    """Answers bind_transmitter, submit_sm and unbind on 127.0.0.1; records what it received."""

    server: socket.socket
    received: list[Command] = field(default_factory=list)
    refuse_submit: bool = False

    @property
    def port(self) -> int:
        return self.server.getsockname()[1]

    def serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with connection:
                self._talk(connection)

    def _read(self, connection: socket.socket) -> bytes | None:
        header = b""
        while len(header) < 4:
            chunk = connection.recv(4 - len(header))
            if not chunk:
                return None
            header += chunk
        (length,) = struct.unpack(">L", header)
        data = header
        while len(data) < length:
            chunk = connection.recv(length - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def _talk(self, connection: socket.socket) -> None:
        sequence = SimpleSequenceGenerator()
        while (raw := self._read(connection)) is not None:
            pdu = smpp.parse_pdu(raw, client=sequence, allow_unknown_opt_params=True)
            self.received.append(pdu)
            if pdu.command == "bind_transmitter":
                response = smpp.make_pdu("bind_transmitter_resp", client=sequence, sequence=pdu.sequence,
                                         system_id="tinysmsc")
            elif pdu.command == "submit_sm":
                status = consts.SMPP_ESME_RSUBMITFAIL if self.refuse_submit else consts.SMPP_ESME_ROK
                response = smpp.make_pdu("submit_sm_resp", client=sequence, sequence=pdu.sequence, status=status,
                                         message_id=f"msg-{len(self.received)}")
            elif pdu.command == "unbind":
                response = smpp.make_pdu("unbind_resp", client=sequence, sequence=pdu.sequence)
            else:
                response = smpp.make_pdu("generic_nack", client=sequence, sequence=pdu.sequence,
                                         status=consts.SMPP_ESME_RINVCMDID)
            connection.sendall(response.generate())
            if pdu.command == "unbind":
                return


@pytest.fixture
def smsc() -> Iterator[TinySmsc]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    tiny = TinySmsc(server)
    thread = threading.Thread(target=tiny.serve, daemon=True)
    thread.start()
    yield tiny
    server.shutdown(socket.SHUT_RDWR)  # wakes the accept() the thread waits in
    server.close()
    thread.join(timeout=5)


def gateway(smsc: TinySmsc) -> SmppGateway:
    return SmppGateway(host="127.0.0.1", port=smsc.port, system_id="jianguan", password="secret",
                       source_address="1069012365", timeout=5)


def test_a_long_chinese_reply_goes_out_as_two_ucs2_parts_that_reassemble(smsc: TinySmsc) -> None:
    text = ("【电子监管】正品，首次查询。清源牌纯净水 550ml，批号L20261120。感谢选购清源产品" * 3)[:126]
    assert len(text) == 126
    message_id = gateway(smsc).send("+8613805710000", text)

    commands = [pdu.command for pdu in smsc.received]
    assert commands == ["bind_transmitter", "submit_sm", "submit_sm", "unbind"]
    bind = smsc.received[0]
    assert bind.system_id == b"jianguan" and bind.password == b"secret"
    parts = smsc.received[1:3]
    assert message_id == "msg-2"
    chunks = []
    for number, part in enumerate(parts, start=1):
        assert part.data_coding == consts.SMPP_ENCODING_ISO10646  # 8: UCS-2
        assert part.esm_class & consts.SMPP_GSMFEAT_UDHI
        assert part.destination_addr == b"8613805710000" and part.source_addr == b"1069012365"
        udh_length = part.short_message[0]
        udh = part.short_message[1:1 + udh_length]
        assert udh[:2] == b"\x00\x03"  # concatenated message, 8-bit reference
        assert udh[3] == 2 and udh[4] == number  # two parts; this one's number
        chunks.append((udh[2], part.short_message[1 + udh_length:]))
    assert chunks[0][0] == chunks[1][0]  # the same reference joins the parts
    assert b"".join(chunk for _, chunk in chunks).decode("utf-16-be") == text


def test_a_short_reply_is_one_ucs2_message_without_udh(smsc: TinySmsc) -> None:
    gateway(smsc).send("13805710000", "【电子监管】正品，首次查询。")
    submits = [pdu for pdu in smsc.received if pdu.command == "submit_sm"]
    assert len(submits) == 1
    assert submits[0].short_message.decode("utf-16-be") == "【电子监管】正品，首次查询。"
    assert not submits[0].esm_class & consts.SMPP_GSMFEAT_UDHI


def test_a_refused_submit_raises(smsc: TinySmsc) -> None:
    from smpplib.exceptions import PDUError

    smsc.refuse_submit = True
    with pytest.raises(PDUError):
        gateway(smsc).send("13805710000", "你好")
