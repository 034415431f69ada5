"""The phone channel: a VoiceXML 2.1 dialogue any standard IVR platform can run.

The platform's call flow points at ``GET /channels/ivr/start.vxml`` and passes the calling
number in the query as ``caller`` (``callerid``, ``ani``, ``from`` and ``session.callerid`` are
read too, in that order; ``tel:`` and other non-digits are dropped). The dialogue then moves
itself on, carrying the caller in each address:

1. ``start.vxml`` greets (not on ``again=1``) and collects the keys by DTMF ending with ``#``
   (see "What a caller keys" below); it submits ``digits`` and ``caller`` to
2. ``confirm.vxml``, which reads the code back in groups of four (1 confirm, 2 re-enter), or
   says what is wrong with the input (too few digits, letters, nothing) and collects again;
3. ``verdict.vxml?digits=…`` verifies the code, once (the log row is written here), and speaks
   the verdict; 1 repeats it inside the same document, without a new query; 2 goes to
4. ``report.vxml``, 3 to a new code, 9 hangs up.

The region of the query is the one the caller's number prefix belongs to, as for SMS.
``report.vxml`` opens a case, a report of a suspected fake (channel phone, place 电话举报), with
the verdict the caller just heard (passed along, checked to be a verdict; the code is not
verified again), routed by the region of the caller's number; it speaks the case number and the
secret, which are also sent to the caller by text message (the number is kept as the case's
``reply_to``, to tell the caller the outcome the same way). If the report cannot be recorded,
the caller is sent to the 12365 hotline.

What a caller keys (up to ``vxml.MAX_KEYS`` keys, then ``#``):

- 20 digits: one of our codes, or a registered drug supervision code (药品电子监管码), read by the
  verifier as on every channel (ours first);
- a registered GS1 serial: the GTIN (the 8, 12, 13 or 14 digits under the bar code), ``*``, then
  the serial (digits only: letters cannot be keyed), e.g. ``6901234000078*1000007#``;
- or the digits of the GS1 line as printed, brackets left out: ``01``, the 14-digit GTIN, ``21``
  and the serial, e.g. ``0106901234000078211000007#`` (no code of ours starts with 0, and a drug
  code has 20 digits, so more than 20 digits starting with ``01`` are read this way only).

Both GS1 forms are checked here (the GTIN's check digit, a serial of 1 to 20 digits), read back
as GTIN and serial, and passed on as the element string ``(01)…(21)…``, which the verifier reads
as it reads one scanned: the same look-up and the same verdicts (a well-formed code nobody
registered is ``unknown``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, Router, get
from litestar.params import FromQuery

from jianguan.cases import intake
from jianguan.channels import vxml
from jianguan.channels.sms import phone_regions, sms_gateway
from jianguan.codes.codec import CODE_LENGTH, MalformedCode, parse_code
from jianguan.errors import DomainError
from jianguan.messaging.gateways import deliver_queued
from jianguan.schemes.parsing import MAX_GS1_SERIAL, gs1_code, gtin14
from jianguan.storage.tx import transaction
from jianguan.verify.models import Channel
from jianguan.verify.services import QueryContext
from jianguan.verify.verdict import Verdict
from jianguan.web.access import PUBLIC, actor_for

MEDIA_TYPE = "application/voicexml+xml"
CALLER_PARAMETERS = ("caller", "callerid", "ani", "from", "session.callerid")
_NOT_PHONE = re.compile(r"[^0-9+]")
MAX_CALLER = 20
GS1_KEY = "*"  # between the GTIN and the serial
REPORT_PLACE = "电话举报"


def caller_of(request: Request[Any, Any, Any]) -> str:
    """The calling number the platform passed, reduced to digits and a leading +."""
    for name in CALLER_PARAMETERS:
        value = request.query_params.get(name)
        if value:
            number = _NOT_PHONE.sub("", value.removeprefix("tel:"))
            return ("+" if number.startswith("+") else "") + number.replace("+", "")[:MAX_CALLER]
    return ""


def _vxml(document: bytes) -> Response[bytes]:
    return Response(document, media_type=MEDIA_TYPE, headers={"Cache-Control": "no-store"})


@dataclass(frozen=True, slots=True)
class Keyed:
    """What a caller keyed, once read: the text the verifier is given, and for a GS1 code the GTIN
    and serial as keyed (to read them back)."""

    code: str
    gtin: str | None = None
    serial: str | None = None


def _gs1_keys(gtin: str, serial: str) -> Keyed | str:
    """A GTIN and serial keyed by phone, or why they cannot be one."""
    if gtin14(gtin) is None:
        return "商品条码有误：应为条码下方的8、12、13或14位数字，请核对。"
    if not (serial.isascii() and serial.isdigit()) or len(serial) > MAX_GS1_SERIAL:
        return f"序列号应为1至{MAX_GS1_SERIAL}位数字。"
    code = gs1_code(gtin, serial)
    if code is None:  # not reached: both parts were checked above
        return "商品条码或序列号有误。"
    return Keyed(code.text, gtin, serial)


def read_keys(digits: str) -> Keyed | str:
    """What the caller keyed (see the module doc), or why it cannot be read back as a code (a wrong
    count, letters, nothing, a GTIN or serial that cannot be one). Platforms may space the keys.

    A well-shaped entry with a wrong check digit is read back and confirmed: the verdict then
    tells the caller it is a typo, and the attempt is logged like any other query.
    """
    text = "".join(digits.split())
    if len(text) == CODE_LENGTH and text.isascii() and text.isdigit():
        return Keyed(text)
    if GS1_KEY in text:
        gtin, _, serial = text.partition(GS1_KEY)
        if not (gtin.isascii() and gtin.isdigit()) or GS1_KEY in serial:
            return "请先输入商品条码，按一次星号键，再输入序列号。"
        return _gs1_keys(gtin, serial)
    if len(text) > CODE_LENGTH and text.startswith("01") and text.isascii() and text.isdigit():
        if len(text) > vxml.MAX_KEYS or text[16:18] != "21":
            return "按标签上的GS1编码输入时，请依次输入01、14位商品条码、21和序列号。"
        return _gs1_keys(text[2:16], text[18:])
    try:
        parse_code(text)
    except MalformedCode as error:
        return error.message_zh
    return f"监管码为 {CODE_LENGTH} 位数字。"


@get("/channels/ivr/start.vxml", opt=PUBLIC, include_in_schema=False)
async def start(request: Request[Any, Any, Any], again: FromQuery[str] = "") -> Response[bytes]:
    """The greeting and the keys of a code."""
    return _vxml(vxml.collect(caller_of(request), greet=again != "1"))


@get("/channels/ivr/confirm.vxml", opt=PUBLIC, include_in_schema=False)
async def confirm(request: Request[Any, Any, Any], digits: FromQuery[str] = "") -> Response[bytes]:
    """The code read back, or the reason it cannot be a code."""
    caller = caller_of(request)
    keyed = read_keys(digits)
    if isinstance(keyed, str):
        return _vxml(vxml.wrong_input(caller, keyed))
    if keyed.gtin is not None and keyed.serial is not None:
        return _vxml(vxml.confirm(caller, keyed.code, gs1=(keyed.gtin, keyed.serial)))
    return _vxml(vxml.confirm(caller, keyed.code))


@get("/channels/ivr/verdict.vxml", opt=PUBLIC, sync_to_thread=True, include_in_schema=False)
def verdict(request: Request[Any, Any, Any], digits: FromQuery[str] = "") -> Response[bytes]:
    """The verdict on a confirmed code: the one verification (and log row) of this code in the call."""
    caller = caller_of(request)
    state = request.app.state
    context = QueryContext(Channel.PHONE, region_code=phone_regions(state).region_of(caller), caller=caller or None)
    answer = state.verifier.verify(digits, context)
    return _vxml(vxml.verdict(caller, answer.code, vxml.spoken_verdict(answer), verdict=answer.verdict.value,
                              can_report=answer.verdict != Verdict.MALFORMED))


@get("/channels/ivr/report.vxml", opt=PUBLIC, sync_to_thread=True, include_in_schema=False)
def report(request: Request[Any, Any, Any], digits: FromQuery[str] = "", verdict: FromQuery[str] = ""
           ) -> Response[bytes]:
    """A suspected fake: recorded as a report, whose reference the caller hears."""
    caller = caller_of(request)
    state = request.app.state
    heard = verdict if verdict in {v.value for v in Verdict} else None
    try:
        with transaction(state.sessions) as session:
            opened = intake.open_case(
                session, actor=actor_for(request, None), code=digits, place=REPORT_PLACE, channel=Channel.PHONE,
                verdict=heard, reply_to=caller, phone_region=phone_regions(state).region_of(caller))
            number, secret = opened.case.number, opened.secret
    except DomainError:
        return _vxml(vxml.report(caller, vxml.REPORT_HOTLINE))
    deliver_queued(sms_gateway(state), state.sessions, opened.messages)
    return _vxml(vxml.report(caller, vxml.report_received(number, secret)))


router = Router(path="/", route_handlers=[start, confirm, verdict, report])
