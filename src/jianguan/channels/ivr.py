"""The phone channel: a VoiceXML 2.1 dialogue any standard IVR platform can run.

The platform's call flow points at ``GET /channels/ivr/start.vxml`` and passes the calling
number in the query as ``caller`` (``callerid``, ``ani``, ``from`` and ``session.callerid`` are
read too, in that order; ``tel:`` and other non-digits are dropped). The dialogue then moves
itself on, carrying the caller in each address:

1. ``start.vxml`` greets (not on ``again=1``) and collects 20 digits by DTMF ending with ``#``;
   it submits ``digits`` and ``caller`` to
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
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, Response, Router, get
from litestar.params import FromQuery

from jianguan.cases import intake
from jianguan.channels import vxml
from jianguan.channels.sms import phone_regions, sms_gateway
from jianguan.codes.codec import CODE_LENGTH, MalformedCode, parse_code
from jianguan.errors import DomainError
from jianguan.messaging.gateways import deliver_queued
from jianguan.storage.tx import transaction
from jianguan.verify.models import Channel
from jianguan.verify.services import QueryContext
from jianguan.verify.verdict import Verdict
from jianguan.web.access import PUBLIC, actor_for

MEDIA_TYPE = "application/voicexml+xml"
CALLER_PARAMETERS = ("caller", "callerid", "ani", "from", "session.callerid")
_NOT_PHONE = re.compile(r"[^0-9+]")
MAX_CALLER = 20
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


def _wrong_input(digits: str) -> str | None:
    """Why ``digits`` cannot be read back as a code (a wrong count, letters, nothing), or None.

    A well-shaped entry with a wrong check digit is read back and confirmed: the verdict then
    tells the caller it is a typo, and the attempt is logged like any other query.
    """
    text = digits.strip()
    if len(text) == CODE_LENGTH and text.isascii() and text.isdigit():
        return None
    try:
        parse_code(text)
    except MalformedCode as error:
        return error.message_zh
    return f"监管码为 {CODE_LENGTH} 位数字。"


@get("/channels/ivr/start.vxml", opt=PUBLIC, include_in_schema=False)
async def start(request: Request[Any, Any, Any], again: FromQuery[str] = "") -> Response[bytes]:
    """The greeting and the 20 digits."""
    return _vxml(vxml.collect(caller_of(request), greet=again != "1"))


@get("/channels/ivr/confirm.vxml", opt=PUBLIC, include_in_schema=False)
async def confirm(request: Request[Any, Any, Any], digits: FromQuery[str] = "") -> Response[bytes]:
    """The code read back, or the reason it cannot be a code."""
    caller = caller_of(request)
    reason = _wrong_input(digits)
    if reason is not None:
        return _vxml(vxml.wrong_input(caller, reason))
    return _vxml(vxml.confirm(caller, digits.strip()))


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
