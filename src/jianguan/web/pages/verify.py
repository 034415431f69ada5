"""The verification page a phone opens after scanning a label, the report of a fake, and the
GS1 Digital Link resolver.

``/v/{code}`` accepts anything in place of the code (the verifier says what is wrong with it),
so no input makes an error page. ``/01/{gtin}/21/{serial}`` answers like ``/v/{serial}``, with
the statuses a GS1 resolver gives: 404 for what was never issued or belongs to another product,
410 for what was recalled or destroyed.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any
from urllib.parse import quote

from litestar import MediaType, Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from jianguan.cases import intake
from jianguan.cases.photos import MAX_PHOTO_BYTES
from jianguan.channels.sms import phone_regions, sms_gateway
from jianguan.enterprises.identifiers import validate_gtin
from jianguan.enterprises.models import PackagingLevel
from jianguan.errors import DomainError, ValidationFailed
from jianguan.messaging.gateways import deliver_queued
from jianguan.storage import transaction
from jianguan.verify.models import Channel
from jianguan.verify.services import Answer, QueryContext
from jianguan.verify.verdict import Verdict
from jianguan.web.access import PUBLIC, VERIFYING, actor_for, client_address, current_principal
from jianguan.web.i18n import language
from jianguan.web.pages.place import place_name, remembered_place

REPORT_SUFFIX = "/report"
REPORT_FIELDS = ("code", "place", "region_code", "contact", "description", "kind")
# A form with photos: its text fields, and each photo as an uploaded file.
UploadForm = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
# What the search box may send on to /v/{code} as a path: digits, spaces and dashes only;
# anything else (a pasted link, letters) is answered on /v itself.
_CODE_LIKE = re.compile(r"^[0-9\s\-]{1,64}$")

def _verify(request: Request[Any, Any, Any], raw: str, channel: Channel = Channel.WEB,
            link_gtin: str | None = None) -> Answer:
    """Verify ``raw`` for a web visitor, at the place they chose (``/place``) if they did. On a route
    marked ``abuse_guarded`` the visitor's abuse standing was read with the rate-limit count."""
    return request.app.state.verifier.verify(raw, QueryContext(channel, source=client_address(request),
                                                               region_code=remembered_place(request),
                                                               link_gtin=link_gtin),
                                             request.scope["state"].get("abuse_standing"))


def _segment(text: str) -> str:
    """``text`` as one path segment of ``/v/{code}``."""
    return quote(text.strip() or "-", safe="")


def report_path(answer: Answer) -> str | None:
    """Where the report button leads for this answer; None when nothing was entered."""
    text = answer.code or answer.input.strip()
    return f"/v/{_segment(text)}/report?verdict={answer.verdict.value}" if text else None


def _answer_page(request: Request[Any, Any, Any], answer: Answer, *, status_code: int = 200) -> Template:
    first_at = answer.history.get("first_at")
    place = remembered_place(request)
    return Template("verify.html", status_code=status_code, context={
        "answer": answer, "decision": answer.decision, "report_url": report_path(answer),
        "place_known": place is not None, "place_name": place_name(request, place), "here": request.url.path,
        "first_at": dt.datetime.fromisoformat(first_at) if first_at else None, "levels": PackagingLevel,
    })


@get("/v", opt=VERIFYING, include_in_schema=False, sync_to_thread=True)
def search(request: Request[Any, Any, Any], code: FromQuery[str | None] = None) -> Template | Redirect:
    """The search box's target: a code goes on to ``/v/{code}``; anything else is answered here."""
    text = code or ""
    if _CODE_LIKE.match(text.strip()):
        compact = re.sub(r"[\s\-]+", "", text)
        if compact:
            return Redirect(f"/v/{compact}", status_code=303)
    return _answer_page(request, _verify(request, text))


# --- reports of fakes -----------------------------------------------------------------------


def _report_form(request: Request[Any, Any, Any], values: dict[str, str], verdict: str | None, *,
                 error: DomainError | None = None) -> Template:
    message = None
    if error is not None:
        message = error.message if language(request) == "en" else error.message_zh
    return Template("verify_report.html", status_code=error.status_code if error else 200, context={
        "values": values, "verdict": verdict, "error": message, "action": f"/v/{_segment(values['code'])}/report",
        "error_field": error.details.get("field") if error else None,
    })


def _verdict(value: str | None) -> str | None:
    return value if value in {v.value for v in Verdict} else None


def _split(path: str) -> tuple[str, bool]:
    """The code in ``/v/{path}``, and whether the path is its report form (``/v/{code}/report``)."""
    text = path.removeprefix("/")
    if text.endswith(REPORT_SUFFIX):
        return text.removesuffix(REPORT_SUFFIX), True
    return text, False


# One route takes everything under /v/, because what was scanned or pasted may hold slashes
# (a link, "<script></script>"): a route per segment would answer such input 404.
@get("/v/{path:path}", opt=VERIFYING, include_in_schema=False, sync_to_thread=True)
def verify_page(request: Request[Any, Any, Any], path: FromPath[str], verdict: FromQuery[str | None] = None
                ) -> Template:
    """``/v/{code}``: the verdict on a code in big words and colour, the advice, then what is known
    of the product. ``/v/{code}/report``: the report form, with the code filled in."""
    code, report = _split(path)
    if report:
        return _report_form(request, {"code": code[:intake.CODE_MAX]}, _verdict(verdict))
    return _answer_page(request, _verify(request, code))


@post("/v/{path:path}", opt={**PUBLIC, "csrf": True}, include_in_schema=False, sync_to_thread=True)
def submit_report(request: Request[Any, Any, Any], path: FromPath[str], data: UploadForm) -> Template:
    """``/v/{code}/report``: open the case (a report, or a complaint) with its photos; the
    thank-you page gives its number and secret.

    The verdict stored is the one the reporter was shown, which the form carries from the
    answer page: verifying again here would count the report as one more query of the code.
    """
    code, is_report = _split(path)
    if not is_report:
        raise NotFoundException()
    values = {name: _field(data.get(name)) for name in REPORT_FIELDS}
    values["code"] = values["code"] or code
    verdict = _verdict(_field(data.get("verdict")))
    state = request.app.state
    try:
        photos = _photos(data.get("photos"))
        with transaction(state.sessions) as session:
            opened = intake.open_case(
                session, actor=actor_for(request, current_principal(request)), kind=values["kind"] or "report",
                code=values["code"], place=values["place"], region_code=values["region_code"],
                contact=values["contact"], description=values["description"], channel=Channel.WEB, verdict=verdict,
                photos=photos, photo_dir=state.settings.case_photo_dir,
                phone_region=phone_regions(state).region_of(values["contact"]))
            number, secret = opened.case.number, opened.secret
    except ValidationFailed as error:
        return _report_form(request, values, verdict, error=error)
    deliver_queued(sms_gateway(state), state.sessions, opened.messages)
    return Template("verify_reported.html", context={"reference": number, "secret": secret})


def _field(value: Any) -> str:
    """A text field of the form ("" for a file or nothing in its place)."""
    return value if isinstance(value, str) else ""


def _photos(value: Any) -> list[bytes]:
    """The photos of the form: each file's bytes, read up to one byte past the limit (an empty
    file input sends one empty, nameless file, which is no photo)."""
    files = value if isinstance(value, list) else [value] if value is not None else []
    photos = []
    for item in files:
        if isinstance(item, UploadFile):
            data = item.file.read(MAX_PHOTO_BYTES + 1)
            if data or item.filename:
                photos.append(data)
    return photos


# --- GS1 Digital Link -----------------------------------------------------------------------


def link_status(answer: Answer) -> int:
    """The status a GS1 resolver gives for an answer reached through a link (the verifier has
    already answered a code of another product as the copy it is): 404 for what is not a code,
    was never issued or belongs to another product; 410 for what was recalled or destroyed; 200
    otherwise."""
    if answer.verdict in (Verdict.MALFORMED, Verdict.UNKNOWN):
        return 404
    return 410 if answer.gone else 200


def link_response(request: Request[Any, Any, Any], answer: Answer) -> Response[Any]:
    """The resolver's response: JSON when the client asks for it, the answer page otherwise."""
    status = link_status(answer)
    if "application/json" in request.headers.get("accept", ""):
        return Response(answer.to_json(), status_code=status, media_type=MediaType.JSON)
    return _answer_page(request, answer, status_code=status)


@get("/01/{gtin:str}/21/{serial:str}", opt=VERIFYING, include_in_schema=False, sync_to_thread=True)
def digital_link(request: Request[Any, Any, Any], gtin: FromPath[str], serial: FromPath[str]) -> Response[Any]:
    """GS1 Digital Link: the answer on ``serial`` if it is a code of the product ``gtin``."""
    try:
        normalised = validate_gtin(gtin)
    except ValidationFailed:
        normalised = ""  # a link that names no valid GTIN names no product: any code is a copy
    wants_json = "application/json" in request.headers.get("accept", "")
    return link_response(request, _verify(request, serial, Channel.API if wants_json else Channel.WEB, normalised))


router = Router(path="/", route_handlers=[search, verify_page, submit_report, digital_link])
