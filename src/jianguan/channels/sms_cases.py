"""Complaints, reports and look-ups by text message: the keywords the SMS channel reads first.

- ``举报 <code> <what and where>`` reports a suspected fake, ``投诉 <code> <…>`` complains about a
  genuine product's quality: a case is opened (channel SMS, routed by the sender's number when
  the text names no region), and the reply gives its number and secret.
- ``<case number> <secret>`` (``JB2026120100001 123456``, optionally after ``查询``) answers the
  case's stage, and its outcome once the reporter is told. Look-ups are throttled per sender,
  as on the web.

Any other text is a code to verify, as before.
"""

from __future__ import annotations

import re
import time
from typing import Any

from litestar.datastructures import State

from jianguan.audit.services import Actor
from jianguan.cases import intake, notices
from jianguan.cases.models import NUMBER_PREFIX
from jianguan.cases.workflow import CaseStage
from jianguan.channels.sms_text import SIGNATURE, extract_code
from jianguan.errors import DomainError, RateLimited
from jianguan.messaging.gateways import deliver_queued
from jianguan.storage.tx import reading, transaction
from jianguan.verify.models import Channel

KEYWORDS = {"举报": "report", "投诉": "complaint"}
SMS_PLACE = "短信举报"
_LOOKUP = re.compile(rf"({NUMBER_PREFIX}\d{{14,18}})\s*[,，:：]?\s*(\d{{{intake.SECRET_DIGITS}}})(?!\d)", re.IGNORECASE)
CASE_HELP = f"{SIGNATURE}请发送“举报 监管码 地点和情况”，例如：举报 1234 5678 9012 3456 7890 某超市"


def keyword_kind(text: str) -> str | None:
    """``report`` or ``complaint`` when the text starts with its keyword, else None."""
    stripped = text.strip()
    for word, kind in KEYWORDS.items():
        if stripped.startswith(word):
            return kind
    return None


def lookup_request(text: str) -> tuple[str, str] | None:
    """The case number and secret a look-up names, or None."""
    match = _LOOKUP.search(text[:200])
    return (match.group(1).upper(), match.group(2)) if match else None


def answer_case_text(state: State, sender: str, text: str, gateway: Any, region: str | None) -> str | None:
    """The reply to a case message (see the module doc), or None when the text is not one;
    ``region`` is the region of the sender's number."""
    kind = keyword_kind(text)
    if kind is not None:
        return _open(state, sender, text, kind, gateway, region)
    wanted = lookup_request(text)
    if wanted is None:
        return None
    try:
        intake.throttle_lookup(state.counters, f"sms:{sender}", time.time(), limit=state.settings.case_lookup_limit)
        with reading(state.sessions) as session:
            case = intake.lookup(session, number=wanted[0], secret=wanted[1])
            return notices.status_reply(number=case.number, stage=CaseStage(case.stage), finding=case.finding)
    except RateLimited:
        return f"{SIGNATURE}查询过于频繁，请稍后再试。"
    except DomainError:
        return f"{SIGNATURE}编号或查询码不正确。"


def _open(state: State, sender: str, text: str, kind: str, gateway: Any, region: str | None) -> str:
    body = text.strip()[2:].strip()
    code = extract_code(body)
    if code is None:
        return CASE_HELP
    description = body[:2000]
    try:
        with transaction(state.sessions) as session:
            opened = intake.open_case(session, actor=Actor("anonymous", "sms"), kind=kind, code=code, place=None,
                                      default_place=SMS_PLACE, description=description, channel=Channel.SMS,
                                      reply_to=sender, tell_reporter=False,
                                      phone_region=region)
            number, secret, messages = opened.case.number, opened.secret, opened.messages
    except DomainError as error:
        return f"{SIGNATURE}{error.message_zh}"
    deliver_queued(gateway, state.sessions, messages)  # the manufacturer's; the reply is the reporter's
    return notices.accepted_to_reporter(kind_zh="举报" if kind == "report" else "投诉", number=number, secret=secret)
