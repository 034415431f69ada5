"""The SMS channel: ``POST /channels/sms/inbound``, the webhook an SMS gateway calls.

The gateway posts ``{"sender", "text", "received_at"?}`` as JSON (or the same fields
form-encoded), signed as ``channels.webhooks`` describes; a request that is unsigned, badly
signed or more than 300 s off is refused (401), and a replayed signature too (409), before
anything is verified. A text that starts with 举报 or 投诉, or names a case number and its secret,
is a complaint, a report or a look-up (``channels.sms_cases``). The code is read out of the free text, verified with the sender's number
(stored hashed) and the region its prefix belongs to, and the 70-character reply is both
returned (``{"reply", "verdict", "message_id"}``) and sent to the sender through the configured
gateway (``JIANGUAN_SMS_GATEWAY``).
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs

from litestar import Request, Router, post
from litestar.datastructures import State
from litestar.params import RawBody

from jianguan.channels.phone_regions import PhoneRegions
from jianguan.channels.sms_cases import answer_case_text
from jianguan.channels.sms_text import reply_to_text
from jianguan.channels.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, WINDOW_SECONDS, check_signature
from jianguan.config import Settings
from jianguan.errors import ValidationFailed
from jianguan.messaging.gateways import SmsGateway, gateway_from_settings
from jianguan.messaging.services import claim_webhook_signature
from jianguan.storage.tx import transaction
from jianguan.verify.models import Channel
from jianguan.verify.services import QueryContext
from jianguan.web.access import PUBLIC

MAX_SENDER = 32
# The gateway posts from one address for every subscriber, and each request is authenticated by
# its signature: the per-client rate limit of anonymous public routes would throttle the gateway.
WEBHOOK: dict[str, Any] = {**PUBLIC, "unthrottled": True}


def phone_regions(state: State) -> PhoneRegions:
    """The process's phone-number-to-region look-up, made on first use."""
    if not hasattr(state, "phone_regions"):
        state.phone_regions = PhoneRegions(state.sessions)
    return state.phone_regions


def sms_gateway(state: State) -> SmsGateway:
    """The process's SMS gateway, as the settings choose it, made on first use."""
    if not hasattr(state, "sms_gateway"):
        state.sms_gateway = gateway_from_settings(state.settings, state.sessions)
    return state.sms_gateway


def _fields(body: bytes, content_type: str) -> tuple[str, str]:
    """The sender and text of an inbound message, from JSON or a form."""
    try:
        if content_type.startswith("application/x-www-form-urlencoded"):
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
            data: Any = {name: values[0] for name, values in form.items()}
        else:
            data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("sender"), str) or not isinstance(
            data.get("text", ""), str):
        raise ValidationFailed("Send JSON or a form with the fields sender and text.",
                               "请以 JSON 或表单发送 sender 和 text 字段。", code="bad_message")
    sender = data["sender"].strip()
    if not sender or len(sender) > MAX_SENDER:
        raise ValidationFailed("The sender is not a phone number.", "发送方号码有误。", code="bad_sender")
    return sender, data.get("text", "")


@post("/channels/sms/inbound", opt=WEBHOOK, sync_to_thread=True, status_code=200, include_in_schema=False)
def inbound_sms(request: Request[Any, Any, Any], body: RawBody) -> dict[str, Any]:
    """Answer one inbound text message (see the module doc)."""
    state = request.app.state
    settings: Settings = state.settings
    signed_at = check_signature(settings.sms_webhook_secret.get_secret_value().encode(),
                                timestamp=request.headers.get(TIMESTAMP_HEADER),
                                signature=request.headers.get(SIGNATURE_HEADER), body=body, now=time.time())
    with transaction(state.sessions) as session:
        claim_webhook_signature(session, signature=request.headers[SIGNATURE_HEADER].strip().lower(),
                                timestamp=signed_at, window_seconds=WINDOW_SECONDS)
    sender, text = _fields(body, request.headers.get("content-type", ""))
    region = phone_regions(state).region_of(sender)
    case_reply = answer_case_text(state, sender, text, sms_gateway(state), region)
    if case_reply is not None:
        return {"reply": case_reply, "verdict": None, "message_id": sms_gateway(state).send(sender, case_reply)}
    context = QueryContext(Channel.SMS, region_code=region, caller=sender)
    reply, answer = reply_to_text(text, lambda code: state.verifier.verify(code, context))
    message_id = sms_gateway(state).send(sender, reply)
    return {"reply": reply, "verdict": answer.verdict.value if answer else None, "message_id": message_id}


router = Router(path="/", route_handlers=[inbound_sms])
