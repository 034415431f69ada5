"""Promotions (促销) in the browser: a manufacturer's promotions (start, follow by region, end),
and the public claim page where a consumer or a shop enters a claim code."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from litestar import Request, Router, get, post
from litestar.response import Redirect, Template

from jianguan.accounts.models import Role
from jianguan.audit.services import Actor
from jianguan.errors import DomainError, ValidationFailed
from jianguan.promotions import services as promotions
from jianguan.promotions.models import PromotionKind, PromotionStatus
from jianguan.storage import reading, transaction
from jianguan.web.access import PUBLIC, actor_for, client_address, require_principal, roles
from jianguan.web.forms import Form, form_int
from jianguan.web.i18n import message
from jianguan.web.params import RowId

MAKERS = roles(Role.MANUFACTURER)
READERS = roles(Role.OPERATOR, Role.MANUFACTURER)
TIER_ROWS = 3  # the form's tier rows
FIELDS = ("name", "kind", "product_id", "lots", "regions", "starts_on", "ends_on", "budget_value",
          *(f"tier_{part}_{row}" for row in range(TIER_ROWS) for part in ("name", "probability", "value", "quantity")))


def _lines(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").replace(",", "\n").replace("，", "\n").splitlines() if part.strip()]


def _date(value: str, english: str, chinese: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(f"Give the {english} as a date (2026-12-01).", f"请按 2026-12-01 的格式填写{chinese}。",
                               code="invalid_date", field=field) from None


def _amount(value: str, kind: PromotionKind, field: str) -> int:
    """A value typed in yuan (a draw: kept in fen) or in points, as a whole number of the unit kept."""
    try:
        number = Decimal(value.strip().replace(",", ""))
    except InvalidOperation:
        number = Decimal(-1)
    scaled = number * 100 if kind is PromotionKind.DRAW else number
    if not number.is_finite() or scaled < 0 or scaled != scaled.to_integral_value() or scaled > promotions.MAX_VALUE:
        raise ValidationFailed("Give the value as an amount (yuan, at most two decimals) or whole points.",
                               "请填写金额（元，最多两位小数）或整数积分。", code="invalid_value", field=field)
    return int(scaled)


def _list_page(request: Request[Any, Any, Any], *, values: dict[str, str] | None = None,
               error: DomainError | None = None) -> Template:
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        rows = promotions.list_promotions(session, principal=principal)
        products = promotions.own_products(session, principal=principal)
    return Template("promotions.html", status_code=error.status_code if error else 200, context={
        "me": principal, "promotions": rows, "products": products, "kinds": list(PromotionKind),
        "Kind": PromotionKind, "Status": PromotionStatus, "values": values or {}, "tier_rows": range(TIER_ROWS),
        "can_start": principal.role is Role.MANUFACTURER, "error": message(request, error)})


@get("/promotions", opt=READERS, include_in_schema=False, sync_to_thread=True)
def promotions_page(request: Request[Any, Any, Any]) -> Template:
    """The promotions in the user's scope, and (for a manufacturer) the form to start one."""
    return _list_page(request)


@post("/promotions", opt=MAKERS, include_in_schema=False, sync_to_thread=True)
def start_promotion(request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
    """Start a promotion from the form; its page follows."""
    principal = require_principal(request)
    values = {name: data.get(name) or "" for name in FIELDS}
    try:
        if values["kind"] not in {kind.value for kind in PromotionKind}:
            raise ValidationFailed("Choose a prize draw or points.", "请选择抽奖或积分。", code="missing_field",
                                   field="kind")
        kind = PromotionKind(values["kind"])
        product = form_int(values["product_id"], "product", "产品")
        if product is None:
            raise ValidationFailed("Choose the product.", "请选择产品。", code="missing_field", field="product_id")
        tiers = [promotions.TierSpec(values[f"tier_name_{row}"], values[f"tier_probability_{row}"].strip(),
                                     _amount(values[f"tier_value_{row}"], kind, f"tier_value_{row}"),
                                     form_int(values[f"tier_quantity_{row}"], "number of prizes", "奖品数量") or 0)
                 for row in range(TIER_ROWS) if values[f"tier_name_{row}"].strip()]
        budget = _amount(values["budget_value"], kind, "budget_value") if values["budget_value"].strip() else None
        with transaction(request.app.state.sessions) as session:
            made = promotions.create_promotion(
                session, actor=actor_for(request, principal), principal=principal, name=values["name"], kind=kind,
                product_ids=[product], lots=_lines(values["lots"]), regions=_lines(values["regions"]),
                starts_on=_date(values["starts_on"], "start date", "开始日期", "starts_on"),
                ends_on=_date(values["ends_on"], "end date", "结束日期", "ends_on"), tiers=tiers, budget_value=budget)
    except DomainError as error:
        return _list_page(request, values=values, error=error)
    return Redirect(f"/promotions/{made.id}", status_code=303)


def _promotion_page(request: Request[Any, Any, Any], promotion_id: int, *,
                    error: DomainError | None = None) -> Template:
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        promotion = promotions.get_promotion(session, principal=principal, promotion_id=promotion_id)
        shown = promotions.promotion_json(session, promotion)
        regions = promotions.by_region(session, principal=principal, promotion_id=promotion_id)
    totals = {key: sum(row[key] for row in regions) for key in ("draws", "wins", "claims", "value")}
    return Template("promotion.html", status_code=error.status_code if error else 200, context={
        "me": principal, "p": shown, "regions": regions, "totals": totals, "Kind": PromotionKind,
        "Status": PromotionStatus, "can_end": principal.role is Role.MANUFACTURER and shown["status"] == "running",
        "error": message(request, error)})


@get("/promotions/{promotion_id:int}", opt=READERS, include_in_schema=False, sync_to_thread=True)
def promotion_page(request: Request[Any, Any, Any], promotion_id: RowId) -> Template:
    """One promotion: its tiers and prizes left, and by region its draws, wins and claims."""
    return _promotion_page(request, promotion_id)


@post("/promotions/{promotion_id:int}/end", opt=MAKERS, include_in_schema=False, sync_to_thread=True)
def end_promotion(request: Request[Any, Any, Any], promotion_id: RowId) -> Template | Redirect:
    """End the promotion: its codes draw no more."""
    principal = require_principal(request)
    try:
        with transaction(request.app.state.sessions) as session:
            promotions.end_promotion(session, actor=actor_for(request, principal), principal=principal,
                                     promotion_id=promotion_id)
    except DomainError as error:
        if error.status_code == 404:
            raise
        return _promotion_page(request, promotion_id, error=error)
    return Redirect(f"/promotions/{promotion_id}", status_code=303)


@get("/claim", opt=PUBLIC, include_in_schema=False, sync_to_thread=True)
def claim_page(request: Request[Any, Any, Any]) -> Template:
    """The claim page: a consumer or a shop enters the claim code the winner was shown."""
    return Template("claim.html", context={"claimed": None, "error": None, "value": ""})


@post("/claim", opt={**PUBLIC, "csrf": True}, include_in_schema=False, sync_to_thread=True)
def claim_prize(request: Request[Any, Any, Any], data: Form) -> Template:
    """Claim the prize of the code entered: the prize it names, once."""
    code = (data.get("claim_code") or "")[:20]
    try:
        with transaction(request.app.state.sessions) as session:
            claimed = promotions.claim_prize(session, actor=Actor("anonymous", client_address(request)), code=code)
    except DomainError as error:
        return Template("claim.html", status_code=error.status_code,
                        context={"claimed": None, "error": message(request, error), "value": code})
    return Template("claim.html", context={"claimed": claimed, "error": None, "value": ""})


router = Router(path="/", route_handlers=[promotions_page, start_promotion, promotion_page, end_promotion,
                                          claim_page, claim_prize])
