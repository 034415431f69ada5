"""Recalls (召回), supervised destructions (监督销毁) and diversion signals (串货) over the API."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Router, get, post
from litestar.params import JSONBody, QueryParameter

from jianguan.accounts.models import Role
from jianguan.codes.models import Activation
from jianguan.recalls import destruction as destructions
from jianguan.recalls import services as recalls
from jianguan.recalls.models import Destruction, DestructionReason, Recall, RecallLevel, RecallStatus
from jianguan.storage import reading, transaction
from jianguan.trace import diversions
from jianguan.trace.models import DiversionKind
from jianguan.web.access import actor_for, require_principal, roles
from jianguan.web.api.openapi import errors
from jianguan.web.params import CODE_INPUT_MAX, MAX_ROW_ID, Code, Id, Offset, RowId, stored_in

RECALLERS = roles(Role.OPERATOR, Role.REGULATOR, Role.MANUFACTURER)
READERS = roles(Role.OPERATOR, Role.REGULATOR, Role.MANUFACTURER, Role.MERCHANT)
HOLDERS = roles(Role.MANUFACTURER, Role.MERCHANT)
SIGNALS = roles(Role.OPERATOR, Role.REGULATOR, Role.MANUFACTURER)

Lot = Annotated[str, stored_in(Activation.lot, required=True)]
# Litestar documents the bounds of a list, not those of its items: these name them.
DestroyedCodes = Annotated[list[Code], msgspec.Meta(
    min_length=1, max_length=destructions.MAX_CODES,
    extra_json_schema={"extra": {"items": {"type": "string", "minLength": 1, "maxLength": CODE_INPUT_MAX}}})]
ProductIds = Annotated[list[Id], msgspec.Meta(
    min_length=1, max_length=recalls.MAX_PRODUCTS,
    extra_json_schema={"extra": {"items": {"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID}}})]
Lots = Annotated[list[Lot], msgspec.Meta(
    max_length=recalls.MAX_LOTS,
    extra_json_schema={"extra": {"items": {"type": "string", "minLength": 1, "maxLength": 64}}})]


StatusFilter = Annotated[Literal["open", "closed", "withdrawn"] | None,
                        QueryParameter(description="open, closed or withdrawn / 召回状态")]
KindFilter = Annotated[Literal["received", "sold", "queried"] | None,
                      QueryParameter(description="received, sold or queried / 串货类型")]


class NewRecall(msgspec.Struct, forbid_unknown_fields=True):
    product_ids: ProductIds
    level: Literal["1", "2", "3"]
    reason: Annotated[str, stored_in(Recall.reason, required=True)]
    instructions: Annotated[str, stored_in(Recall.instructions, required=True)]
    lots: Lots = []


class EndRecall(msgspec.Struct, forbid_unknown_fields=True):
    note: Annotated[str, stored_in(Recall.end_note)] | None = None


class NewDestruction(msgspec.Struct, forbid_unknown_fields=True):
    codes: DestroyedCodes
    reason: Literal["recalled", "expired", "returned"]
    place: Annotated[str, stored_in(Destruction.place, required=True)]
    performed_by: Annotated[str, stored_in(Destruction.performed_by, required=True)]
    witness: Annotated[str, stored_in(Destruction.witness, required=True)]
    recall_id: Id | None = None
    gln: Annotated[str, msgspec.Meta(min_length=13, max_length=13, pattern=r"^[0-9]{13}$")] | None = None


def _status(value: str | None) -> RecallStatus | None:
    return RecallStatus(value) if value in {status.value for status in RecallStatus} else None


@get("/recalls", opt=READERS, sync_to_thread=True, summary="Recalls / 召回列表")
def list_recalls(request: Request[Any, Any, Any], status: StatusFilter = None,
                 offset: Offset = 0) -> dict[str, Any]:
    """The recalls the caller sees, newest first: an enterprise its own, a regulator those of the
    products in its scope, a distributor or shop those of goods it held when they were opened."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        found = recalls.list_recalls(session, principal=principal, status=_status(status), offset=offset)
        return {"recalls": [recalls.recall_json(recall) for recall in found]}


@post("/recalls", opt=RECALLERS, sync_to_thread=True, summary="Open a recall / 发起召回", status_code=201)
def open_recall(request: Request[Any, Any, Any], data: JSONBody[NewRecall]) -> dict[str, Any]:
    """Open a recall of products (of one enterprise) and lots (none: every lot), with its level
    (1, 2 or 3: 一级 is the gravest), reason and instructions. Its codes answer ``recalled`` with
    the notice on every channel within two seconds; the parties holding them are recorded and
    sent a text message where a mobile number is on file. A product outside the caller's scope is 404."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        recall = recalls.open_recall(session, actor=actor_for(request, principal), principal=principal,
                                     product_ids=data.product_ids, lots=data.lots, level=RecallLevel(data.level),
                                     reason=data.reason, instructions=data.instructions)
        return recalls.progress_json(recalls.progress(session, principal=principal, recall_id=recall.id))


@get("/recalls/{recall_id:int}", opt=READERS, sync_to_thread=True, summary="A recall and its progress / 召回进度")
def show_recall(request: Request[Any, Any, Any], recall_id: RowId) -> dict[str, Any]:
    """The recall, and by party the codes held when it was opened, returned and destroyed since."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        return recalls.progress_json(recalls.progress(session, principal=principal, recall_id=recall_id))


def _end(request: Request[Any, Any, Any], recall_id: int, data: EndRecall, *, withdraw: bool) -> dict[str, Any]:
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        recall = recalls.end_recall(session, actor=actor_for(request, principal), principal=principal,
                                    recall_id=recall_id, withdraw=withdraw, note=data.note)
        return recalls.recall_json(recall)


@post("/recalls/{recall_id:int}/close", opt=RECALLERS, sync_to_thread=True, status_code=200,
      summary="Close a recall / 结束召回", responses=errors(409))
def close_recall(request: Request[Any, Any, Any], recall_id: RowId, data: JSONBody[EndRecall]) -> dict[str, Any]:
    """Close an open recall (its work is done): its codes stop answering ``recalled``. 409 when it has ended."""
    return _end(request, recall_id, data, withdraw=False)


@post("/recalls/{recall_id:int}/withdraw", opt=RECALLERS, sync_to_thread=True, status_code=200,
      summary="Withdraw a recall / 撤销召回", responses=errors(409))
def withdraw_recall(request: Request[Any, Any, Any], recall_id: RowId, data: JSONBody[EndRecall]) -> dict[str, Any]:
    """Withdraw an open recall opened in error: its codes stop answering ``recalled``. 409 when it has ended."""
    return _end(request, recall_id, data, withdraw=True)


@get("/destructions", opt=READERS, sync_to_thread=True, summary="Supervised destructions / 监督销毁记录")
def list_destructions(request: Request[Any, Any, Any], offset: Offset = 0) -> dict[str, Any]:
    """The destructions the caller sees, newest first: its enterprise's goods or its own, or, for a
    regulator, those in its region or of an enterprise in its scope."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        found = destructions.list_destructions(session, principal=principal, offset=offset)
        return {"destructions": [destructions.destruction_json(item) for item in found]}


@post("/destructions", opt=HOLDERS, sync_to_thread=True, status_code=201,
      summary="Record a supervised destruction / 登记监督销毁")
def record_destruction(request: Request[Any, Any, Any], data: JSONBody[NewDestruction]) -> dict[str, Any]:
    """Record goods the caller holds destroyed under supervision: the codes (one enterprise's, at
    most 10,000), why (recalled: name the recall; expired; returned), where (and the GLN of the
    place if registered), who did it and who witnessed it. The codes end by a destroying event and
    answer ``destroyed`` on every channel. A code the caller does not hold refuses the whole record."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        made = destructions.record_destruction(
            session, actor=actor_for(request, principal), principal=principal, codes=data.codes,
            reason=DestructionReason(data.reason), place=data.place, performed_by=data.performed_by,
            witness=data.witness, recall_id=data.recall_id, gln=data.gln)
        return destructions.destruction_json(made)


@get("/diversions", opt=SIGNALS, sync_to_thread=True, summary="Diversion signals / 串货信号")
def list_diversions(request: Request[Any, Any, Any], kind: KindFilter = None,
                    offset: Offset = 0) -> dict[str, Any]:
    """Codes received, sold or queried in a region other than the one they were shipped to, with the
    evidence (the event or the query's region, some of the codes): an enterprise its own, a regulator
    those of the enterprises in its scope. Consumers are never shown them."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        found = diversions.list_diversions(session, principal=principal,
                                           kind=DiversionKind(kind) if kind else None, offset=offset)
        return {"diversions": [diversions.diversion_json(session, item) for item in found]}


router = Router(path="/", route_handlers=[list_recalls, open_recall, show_recall, close_recall, withdraw_recall,
                                          list_destructions, record_destruction, list_diversions],
                tags=["recalls"])
