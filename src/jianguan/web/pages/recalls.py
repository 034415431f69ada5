"""Recalls (召回), supervised destructions (监督销毁) and diversion signals (串货) in the browser."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Router, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from jianguan.accounts.models import Role
from jianguan.errors import DomainError, ValidationFailed
from jianguan.recalls import destruction as destructions
from jianguan.recalls import services as recalls
from jianguan.recalls.models import DestructionReason, RecallLevel, RecallStatus
from jianguan.storage import reading, transaction
from jianguan.trace import diversions
from jianguan.web.access import actor_for, require_principal, roles
from jianguan.web.forms import Form, form_int
from jianguan.web.i18n import message
from jianguan.web.params import MAX_ROW_ID, RowId

RECALLERS = roles(Role.OPERATOR, Role.REGULATOR, Role.MANUFACTURER)
READERS = roles(Role.OPERATOR, Role.REGULATOR, Role.MANUFACTURER, Role.MERCHANT)
HOLDERS = roles(Role.MANUFACTURER, Role.MERCHANT)
SIGNALS = roles(Role.OPERATOR, Role.REGULATOR, Role.MANUFACTURER)
RECALL_FIELDS = ("product_id", "lots", "level", "reason", "instructions")
DESTRUCTION_FIELDS = ("codes", "reason", "recall_id", "place", "performed_by", "witness")
_OPENERS = (Role.OPERATOR, Role.REGULATOR, Role.MANUFACTURER)


def _recalls_page(request: Request[Any, Any, Any], *, values: dict[str, str] | None = None,
                  error: DomainError | None = None) -> Template:
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        rows = recalls.list_recalls(session, principal=principal)
        products = recalls.recallable_products(session, principal=principal) if principal.role in _OPENERS else []
    return Template("recalls.html", status_code=error.status_code if error else 200, context={
        "me": principal, "recalls": rows, "products": products, "levels": list(RecallLevel), "Level": RecallLevel,
        "Status": RecallStatus, "can_open": principal.role in _OPENERS, "values": values or {},
        "error": message(request, error)})


@get("/recalls", opt=READERS, include_in_schema=False, sync_to_thread=True)
def recalls_page(request: Request[Any, Any, Any], product_id: Annotated[int | None, Parameter(ge=1, le=MAX_ROW_ID)] = None,
                 lots: Annotated[str | None, Parameter(max_length=64)] = None) -> Template:
    """The recalls in the user's scope, and (for an enterprise or a regulator) the form to open one;
    ``product_id`` and ``lots`` fill it in (a failed spot check links here)."""
    filled = {"product_id": str(product_id), "lots": lots or ""} if product_id else None
    return _recalls_page(request, values=filled)


def _lines(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").replace(",", "\n").replace("，", "\n").splitlines() if part.strip()]


@post("/recalls", opt=RECALLERS, include_in_schema=False, sync_to_thread=True)
def open_recall(request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
    """Open a recall from the form; its page follows."""
    principal = require_principal(request)
    values = {name: data.get(name) or "" for name in RECALL_FIELDS}
    try:
        product = form_int(values["product_id"], "product", "产品")
        if product is None:
            raise ValidationFailed("Choose the product to recall.", "请选择召回的产品。", code="missing_field",
                                   field="product_id")
        if values["level"] not in {level.value for level in RecallLevel}:
            raise ValidationFailed("Choose the recall's level.", "请选择召回级别。", code="missing_field", field="level")
        with transaction(request.app.state.sessions) as session:
            recall = recalls.open_recall(session, actor=actor_for(request, principal), principal=principal,
                                         product_ids=[product], lots=_lines(values["lots"]),
                                         level=RecallLevel(values["level"]), reason=values["reason"],
                                         instructions=values["instructions"])
    except DomainError as error:
        return _recalls_page(request, values=values, error=error)
    return Redirect(f"/recalls/{recall.id}", status_code=303)


def _recall_page(request: Request[Any, Any, Any], recall_id: int, *, error: DomainError | None = None) -> Template:
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        made = recalls.progress(session, principal=principal, recall_id=recall_id)
        names = {product.id: product.name for product, _name in recalls.recallable_products(session, principal=principal)}
    recall = made.recall
    can_end = recall.status == RecallStatus.OPEN and (
        principal.role in (Role.OPERATOR, Role.REGULATOR)
        or (principal.role is Role.MANUFACTURER and recall.opened_by_role == Role.MANUFACTURER.value))
    return Template("recall.html", status_code=error.status_code if error else 200, context={
        "me": principal, "progress": made, "recall": recall, "Level": RecallLevel, "Status": RecallStatus,
        "product_names": names, "can_end": can_end, "error": message(request, error)})


@get("/recalls/{recall_id:int}", opt=READERS, include_in_schema=False, sync_to_thread=True)
def recall_page(request: Request[Any, Any, Any], recall_id: RowId) -> Template:
    """One recall: its notice, and by party the codes held, returned and destroyed."""
    return _recall_page(request, recall_id)


def _end(request: Request[Any, Any, Any], recall_id: int, data: dict[str, str], *, withdraw: bool
         ) -> Template | Redirect:
    principal = require_principal(request)
    try:
        with transaction(request.app.state.sessions) as session:
            recalls.end_recall(session, actor=actor_for(request, principal), principal=principal, recall_id=recall_id,
                               withdraw=withdraw, note=data.get("note"))
    except DomainError as error:
        if error.status_code == 404:
            raise
        return _recall_page(request, recall_id, error=error)
    return Redirect(f"/recalls/{recall_id}", status_code=303)


@post("/recalls/{recall_id:int}/close", opt=RECALLERS, include_in_schema=False, sync_to_thread=True)
def close_recall(request: Request[Any, Any, Any], recall_id: RowId, data: Form) -> Template | Redirect:
    """Close the recall: its work is done."""
    return _end(request, recall_id, data, withdraw=False)


@post("/recalls/{recall_id:int}/withdraw", opt=RECALLERS, include_in_schema=False, sync_to_thread=True)
def withdraw_recall(request: Request[Any, Any, Any], recall_id: RowId, data: Form) -> Template | Redirect:
    """Withdraw the recall: it was opened in error."""
    return _end(request, recall_id, data, withdraw=True)


def _destructions_page(request: Request[Any, Any, Any], *, values: dict[str, str] | None = None,
                       error: DomainError | None = None) -> Template:
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        rows = destructions.list_destructions(session, principal=principal)
        open_recalls = recalls.list_recalls(session, principal=principal, status=RecallStatus.OPEN)
    return Template("destructions.html", status_code=error.status_code if error else 200, context={
        "me": principal, "destructions": rows, "recalls": open_recalls, "reasons": list(DestructionReason),
        "Reason": DestructionReason, "can_record": principal.role in (Role.MANUFACTURER, Role.MERCHANT),
        "values": values or {}, "error": message(request, error)})


@get("/destructions", opt=READERS, include_in_schema=False, sync_to_thread=True)
def destructions_page(request: Request[Any, Any, Any]) -> Template:
    """Supervised destructions in the user's scope, and (for a holder of goods) the form to record one."""
    return _destructions_page(request)


@post("/destructions", opt=HOLDERS, include_in_schema=False, sync_to_thread=True)
def record_destruction(request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
    """Record a supervised destruction from the form (codes one a line, or scanned)."""
    principal = require_principal(request)
    values = {name: data.get(name) or "" for name in DESTRUCTION_FIELDS}
    try:
        if values["reason"] not in {reason.value for reason in DestructionReason}:
            raise ValidationFailed("Choose why the goods were destroyed.", "请选择销毁原因。", code="missing_field",
                                   field="reason")
        codes = _lines(values["codes"])
        if len(codes) > destructions.MAX_CODES:
            raise ValidationFailed(f"List at most {destructions.MAX_CODES} codes.",
                                   f"最多列出 {destructions.MAX_CODES} 个监管码。", code="invalid_codes", field="codes")
        with transaction(request.app.state.sessions) as session:
            destructions.record_destruction(
                session, actor=actor_for(request, principal), principal=principal, codes=codes,
                reason=DestructionReason(values["reason"]), place=values["place"], performed_by=values["performed_by"],
                witness=values["witness"], recall_id=form_int(values["recall_id"], "recall", "召回"))
    except DomainError as error:
        return _destructions_page(request, values=values, error=error)
    return Redirect("/destructions", status_code=303)


@get("/diversions", opt=SIGNALS, include_in_schema=False, sync_to_thread=True)
def diversions_page(request: Request[Any, Any, Any]) -> Template:
    """Diversion signals: an enterprise's own, a regulator's in scope; with the evidence."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        rows = [diversions.diversion_json(session, item)
                for item in diversions.list_diversions(session, principal=principal)]
    return Template("diversions.html", context={"me": principal, "diversions": rows})


router = Router(path="/", route_handlers=[recalls_page, open_recall, recall_page, close_recall, withdraw_recall,
                                          destructions_page, record_destruction, diversions_page])
