"""Supply-chain events over the EPCIS 2.0 REST binding: capture, capture status, queries, places.

``POST /api/v1/epcis/capture`` takes a document whole or refuses it whole: 202 with the capture's
``Location``, or 400 with the errors by event index (by row for CSV) and the ``Location`` of the
refusal, which is kept. The limits are advertised as EPCIS servers do (``OPTIONS`` and every
capture answer carry ``GS1-EPCIS-Capture-Limit`` and ``GS1-EPCIS-Capture-File-Size-Limit``; a
document over the size limit is 413 with them). Queries answer an EPCIS 2.0
``EPCISQueryDocument`` in JSON-LD, paged with ``perPage`` and ``nextPageToken`` (the ``Link``
header with ``rel="next"``); the JSON-LD context is served here too, so nothing needs the network.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache, partial
from typing import Annotated, Any
from urllib.parse import unquote, urlencode

import msgspec
from anyio import to_thread
from litestar import MediaType, Request, Response, Router, get, post, route
from litestar.enums import HttpMethod
from litestar.exceptions import HTTPException
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import JSONBody, PathParameter, QueryParameter

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.storage import reading, transaction
from jianguan.trace import captures, places, query
from jianguan.trace.epcis import epcis_context
from jianguan.trace.epcis_model import EPCISRefused
from jianguan.trace.models import Capture, Location, PartyKind
from jianguan.web.access import PUBLIC, actor_for, require_principal, roles
from jianguan.web.api.openapi import errors
from jianguan.web.params import CODE_INPUT_MAX, Id, Offset, RegionCode, RegionFilter, RowId, stored_in

CAPTURERS = roles(Role.MANUFACTURER, Role.MERCHANT)
READERS = roles(Role.MANUFACTURER, Role.MERCHANT, Role.REGULATOR, Role.OPERATOR)
PLACE_KEEPERS = roles(Role.MANUFACTURER, Role.MERCHANT, Role.OPERATOR)
CAPTURE_HEADERS = {
    "GS1-EPCIS-Version": "2.0.0", "GS1-EPCIS-Min": "1.2.0", "GS1-EPCIS-Max": "2.0.0", "GS1-CBV-Version": "2.0.0",
    "GS1-EPCIS-Capture-Limit": str(captures.MAX_CAPTURE_EVENTS),
    "GS1-EPCIS-Capture-File-Size-Limit": str(captures.MAX_CAPTURE_BYTES),
    "GS1-Capture-Error-Behaviour": "rollback",
}
_QUERY_TEXT = query.MAX_VALUES * (query.MAX_FILTER_VALUE + 1)
_TOKEN_MAX = 200
LD_JSON = "application/ld+json"


def _filter(name: str, description: str) -> Any:
    return QueryParameter(name=name, max_length=_QUERY_TEXT, required=False, description=description)


EventTypeFilter = Annotated[str | None, _filter("eventType", "ObjectEvent|AggregationEvent")]
GETime = Annotated[str | None, _filter("GE_eventTime", "Events at or after this time (ISO 8601 with offset)")]
LTTime = Annotated[str | None, _filter("LT_eventTime", "Events before this time (ISO 8601 with offset)")]
ActionFilter = Annotated[str | None, _filter("EQ_action", "ADD|OBSERVE|DELETE")]
BizStepFilter = Annotated[str | None, _filter("EQ_bizStep", "CBV words or URIs, |-separated / 业务步骤")]
DispositionFilter = Annotated[str | None, _filter("EQ_disposition", "CBV words or URIs, |-separated / 状态")]
EPCFilter = Annotated[str | None, _filter("MATCH_epc", "Codes in epcList or childEPCs, |-separated / 监管码")]
ParentFilter = Annotated[str | None, _filter(
    "MATCH_parentID",
    "Containers: codes, or SSCCs and GRAIs as EPC URIs or Digital Links, |-separated / 包装码或 SSCC、GRAI")]
LocationFilter = Annotated[str | None, _filter("EQ_bizLocation", "Business locations as sent, |-separated")]
ReadPointFilter = Annotated[str | None, _filter("EQ_readPoint", "Read points as sent, |-separated")]
PerPage = Annotated[int, QueryParameter(name="perPage", ge=1, le=query.MAX_PER_PAGE, required=False,
                                   description="Events a page / 每页事件数")]
PageToken = Annotated[str | None, QueryParameter(name="nextPageToken", max_length=_TOKEN_MAX, required=False,
                                            description="From the Link header of the previous page / 翻页令牌")]
EventIdInPath = Annotated[str, PathParameter(min_length=1, max_length=_TOKEN_MAX,
                                         description="An eventID, or the event hash of an event sent without one")]
CodeOrURI = Annotated[str, PathParameter(min_length=1, max_length=CODE_INPUT_MAX,
                                     description="A code, or a URI a code travels as / 监管码")]


@dataclass
class CaptureBody(Operation):
    """The capture operation's request body: a document, in one of the media types it takes."""

    def __post_init__(self) -> None:
        document = OpenAPIMediaType(schema=Schema(type=OpenAPIType.OBJECT, description="An EPCISDocument"))
        self.request_body = RequestBody(required=True, content={"application/json": document, LD_JSON: document},
                                        description="EPCIS 2.0 JSON-LD; also taken: EPCIS 1.2 or 2.0 XML "
                                                    "(application/xml, text/xml) and CSV (text/csv, see docs/api.md)")


class NewPlace(msgspec.Struct, forbid_unknown_fields=True):
    gln: Annotated[str, msgspec.Meta(min_length=13, max_length=13, pattern=r"^[0-9]{13}$")]
    name: Annotated[str, stored_in(Location.name, required=True)]
    region_code: RegionCode
    address: Annotated[str, stored_in(Location.address)] = ""
    party_kind: PartyKind | None = None  # the operator registers for a party
    party_id: Id | None = None


def _time(value: Any) -> str | None:
    return value.isoformat() if value else None


def capture_json(row: Capture, names: dict[tuple[str, int], str]) -> dict[str, Any]:
    """A capture job as the REST binding shows one, with what this network adds."""
    accepted = row.status == "accepted"
    return {
        "captureID": str(row.id), "running": False, "success": accepted, "captureErrorBehaviour": "rollback",
        "createdAt": _time(row.received_at), "finishedAt": _time(row.received_at), "status": row.status,
        "source": row.source, "party": {"kind": row.party_kind, "id": row.party_id,
                                        "name": names.get((row.party_kind, row.party_id), "")},
        "events": row.events, "repeated": row.repeated, "codes": row.codes, "receivedBy": row.received_by,
        "errorCount": row.error_count, "errors": row.errors or [],
    }


def _location(capture_id: int) -> str:
    return f"/api/v1/epcis/capture/{capture_id}"


def _too_large() -> HTTPException:
    return HTTPException(status_code=413, headers=CAPTURE_HEADERS,
                         detail=f"The document is larger than {captures.MAX_CAPTURE_BYTES} bytes.")


def _capture(request: Request[Any, Any, Any], principal: Principal, data: bytes,
             content_type: str) -> Response[Any]:
    sessions, actor = request.app.state.sessions, actor_for(request, principal)
    try:
        with transaction(sessions) as session:
            result = captures.receive(session, actor=actor, principal=principal, data=data,
                                      content_type=content_type)
            body = capture_json(result.capture, captures.party_names(session, [result.capture]))
            body["repeatedDocument"] = result.repeated
            body["diversions"] = len(result.diversions)
            location = _location(result.capture.id)
    except EPCISRefused as refused:
        with transaction(sessions) as session:
            kept = captures.record_refusal(session, actor=actor, principal=principal, content_type=content_type,
                                           refused=refused)
            location = _location(kept.id)
        error = {"code": refused.code, "message": refused.message, "message_zh": refused.message_zh,
                 "details": {**refused.details, "captureID": str(kept.id), "location": location}}
        return Response({"error": error}, status_code=400, media_type=MediaType.JSON,
                        headers={**CAPTURE_HEADERS, "Location": location})
    return Response(body, status_code=202, media_type=MediaType.JSON, headers={**CAPTURE_HEADERS, "Location": location})


@post("/epcis/capture", opt=CAPTURERS, summary="Capture EPCIS events / 上报流向事件", status_code=202,
      request_max_body_size=captures.MAX_CAPTURE_BYTES, operation_class=CaptureBody,
      responses=errors(400, 409, 413))
async def capture(request: Request[Any, Any, Any]) -> Response[Any]:
    """Capture an EPCIS document whole: EPCIS 2.0 JSON-LD (application/json, application/ld+json),
    EPCIS 1.2 or 2.0 XML (application/xml, text/xml) or the CSV layout (text/csv). 202 with the
    capture and its Location; 400 with the errors by event index (CSV: by row) when the document
    is refused (nothing stored; the refusal is kept at its Location); 413 over the size limit. The
    same events sent again store nothing new; the same bytes again answer the same capture."""
    principal = require_principal(request)
    content_type = request.headers.get("content-type", "")
    try:
        data = await request.body()
    except HTTPException as error:
        if error.status_code == 413:
            raise _too_large() from None
        raise
    return await to_thread.run_sync(partial(_capture, request, principal, data, content_type))


@route("/epcis/capture", http_method=[HttpMethod.OPTIONS], opt=PUBLIC, status_code=204,
       summary="What the capture interface takes / 上报接口的限制", include_in_schema=False, sync_to_thread=False)
def capture_options() -> Response[None]:
    """The capture interface's versions and limits, in the GS1 headers (no body)."""
    return Response(None, status_code=204, headers={**CAPTURE_HEADERS, "Allow": "OPTIONS, GET, POST"})


@get("/epcis/capture", opt=READERS, sync_to_thread=True, summary="Captures / 上报记录")
def list_captures(request: Request[Any, Any, Any], offset: Offset = 0) -> list[dict[str, Any]]:
    """The captures in the caller's scope, newest first (100 a page), accepted and refused."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        rows = captures.list_captures(session, principal=principal, offset=offset)
        names = captures.party_names(session, rows)
        return [capture_json(row, names) for row in rows]


@get("/epcis/capture/{capture_id:int}", opt=READERS, sync_to_thread=True, summary="One capture / 上报处理结果")
def show_capture(request: Request[Any, Any, Any], capture_id: RowId) -> dict[str, Any]:
    """A capture's outcome: what it stored, or, for a refused document, its errors by event index."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        row = captures.get_capture(session, principal=principal, capture_id=capture_id)
        return capture_json(row, captures.party_names(session, [row]))


def _token_key(request: Request[Any, Any, Any]) -> bytes:
    secret = request.app.state.settings.secret_key.get_secret_value()
    return hashlib.sha256(b"jianguan epcis page token\x00" + secret.encode()).digest()


def _scope_of(principal: Principal) -> str:
    return f"{principal.kind}:{principal.id}:{principal.role.value}"


def _page(request: Request[Any, Any, Any], principal: Principal, found: query.EventQuery, per_page: int,
          token: str | None, run: Any) -> Response[Any]:
    key, scope = _token_key(request), _scope_of(principal)
    after = query.read_page_token(key, token, found, scope) if token else 0
    with reading(request.app.state.sessions) as session:
        page = run(session, principal=principal, query=found, per_page=per_page, after=after)
    headers = {}
    if page.last_id is not None:
        params = [(name, value) for name, value in request.query_params.items() if name != "nextPageToken"]
        params.append(("nextPageToken", query.page_token(key, found, page.last_id, scope)))
        headers["Link"] = f'<{request.url.path}?{urlencode(params)}>; rel="next"'
    return Response(query.query_document(page.events), media_type=LD_JSON, headers=headers)


@get("/epcis/events", opt=READERS, sync_to_thread=True, summary="Query events / 查询流向事件", media_type=LD_JSON)
def events(request: Request[Any, Any, Any], event_type: EventTypeFilter = None, ge_event_time: GETime = None,
           lt_event_time: LTTime = None, eq_action: ActionFilter = None, eq_biz_step: BizStepFilter = None,
           eq_disposition: DispositionFilter = None, match_epc: EPCFilter = None, match_parent_id: ParentFilter = None,
           eq_biz_location: LocationFilter = None, eq_read_point: ReadPointFilter = None, per_page: PerPage = 30,
           next_page_token: PageToken = None) -> Response[Any]:
    """The events in the caller's scope that match the EPCIS 2.0 query parameters (lists separated
    by ``|``), in the order they were recorded, as an EPCISQueryDocument. A manufacturer sees the
    events naming its codes (and only its codes in them); a distributor or shop its own events and
    those sent to it; a regulator those naming codes in its scope."""
    principal = require_principal(request)
    found = query.EventQuery.read(event_type=event_type, ge_event_time=ge_event_time, lt_event_time=lt_event_time,
                                  action=eq_action, biz_step=eq_biz_step, disposition=eq_disposition,
                                  epc=match_epc, parent_id=match_parent_id, biz_location=eq_biz_location,
                                  read_point=eq_read_point)
    return _page(request, principal, found, per_page, next_page_token, query.query_events)


@get("/epcis/epcs/{code:str}/events", opt=READERS, sync_to_thread=True, summary="A code's events / 监管码的流向事件",
     media_type=LD_JSON)
def code_events(request: Request[Any, Any, Any], code: CodeOrURI, per_page: PerPage = 30,
                next_page_token: PageToken = None) -> Response[Any]:
    """The events naming a code (in epcList, childEPCs or as parentID) that the caller sees; 404
    for a code that is neither in the caller's scope nor named by an event it sees."""
    principal = require_principal(request)
    found = query.EventQuery()
    return _page(request, principal, found, per_page, next_page_token,
                 partial(query.code_events, code=code))


@get("/epcis/events/{event_id:path}", opt=READERS, sync_to_thread=True, summary="One event / 单个流向事件",
     media_type=LD_JSON)
def one_event(request: Request[Any, Any, Any], event_id: EventIdInPath) -> Response[Any]:
    """An event by its eventID (URL-encoded), or by its event hash when it came without one; 404
    outside the caller's scope."""
    principal = require_principal(request)
    # The router merges the slashes of an identifier (ni:///sha-256;…): read it from the raw path.
    raw = request.scope.get("raw_path") or b""
    prefix = b"/api/v1/epcis/events/"
    wanted = unquote(raw[len(prefix):].decode("latin-1")) if raw.startswith(prefix) else event_id.lstrip("/")
    with reading(request.app.state.sessions) as session:
        found = query.get_event(session, principal=principal, event_id=wanted)
    return Response({"@context": [query.CONTEXT_URL], **found}, media_type=LD_JSON)


@get("/epcis/context", opt=PUBLIC, sync_to_thread=False, summary="The EPCIS 2.0 JSON-LD context / JSON-LD 上下文",
     media_type=LD_JSON, cache=3600)
def context() -> Response[dict[str, Any]]:
    """GS1's EPCIS 2.0 JSON-LD context, as the network uses it (served here: nothing needs the network)."""
    return Response(_context(), media_type=LD_JSON, headers={"Cache-Control": "public, max-age=86400"})


@cache
def _context() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(epcis_context())
    return loaded


# --- places -----------------------------------------------------------------------------------


def place_json(location: Location) -> dict[str, Any]:
    return {"gln": location.gln, "name": location.name, "party_kind": location.party_kind,
            "party_id": location.party_id, "region_code": location.region_code, "address": location.address,
            "registered_at": _time(location.registered_at)}


@get("/places", opt=READERS, sync_to_thread=True, summary="Places (GLNs) / 地点")
def list_places(request: Request[Any, Any, Any], region: RegionFilter = None) -> list[dict[str, Any]]:
    """The places the caller sees: its own party's, or (regulators, operator) those in its region."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        found = places.list_locations(session, principal=principal)
    return [place_json(location) for location in found if region is None or location.region_code == region]


@post("/places", opt=PLACE_KEEPERS, sync_to_thread=True, summary="Register a place / 登记地点",
      responses=errors(409))
def register_place(request: Request[Any, Any, Any], data: JSONBody[NewPlace]) -> dict[str, Any]:
    """Register a GLN as a place of the caller's enterprise, distributor or shop (the operator names
    the party with ``party_kind`` and ``party_id``). A GLN belongs to one party."""
    principal = require_principal(request)
    party = places.PartyRef(data.party_kind, data.party_id) if data.party_kind and data.party_id else None
    with transaction(request.app.state.sessions) as session:
        location = places.register_location(session, actor=actor_for(request, principal), principal=principal,
                                            gln=data.gln, name=data.name, region_code=data.region_code,
                                            address=data.address, party=party)
        return place_json(location)


# The OPTIONS handler comes first: a route made without one gets Litestar's own, which ours would not replace.
router = Router(path="/", route_handlers=[capture_options, capture, list_captures, show_capture, events,
                                          code_events, one_event, context, list_places, register_place],
                tags=["supply chain"])
