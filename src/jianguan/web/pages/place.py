"""Where a consumer checks codes on the web: a county (or city) they choose once, remembered in
a cookie on their phone, so that their web and QR queries name a place. The clone-risk answer,
the early-warning rules and the statistics then see where a code was checked; without a choice
the place stays unknown and the answer says so.

Nothing identifies the consumer: the cookie holds a division code, set only when they choose
one, and kept for a year or until they clear it. The network asks no map service.

A consumer may instead press "use my location": the page asks the browser for the point only
then (the browser's prompt is the consent), and ``POST /place/locate`` turns it into the county
from boundary data shipped with the server (``regions/locate.py``). The point is not stored or
logged anywhere; only the division code goes into the same cookie.
"""

from __future__ import annotations

import contextlib
import math
from typing import Annotated, Any
from urllib.parse import urlsplit

from litestar import MediaType, Request, Response, Router, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from jianguan.errors import DomainError, NotFound, ValidationFailed
from jianguan.regions.locate import finest_known, locate_wgs84
from jianguan.regions.models import RegionLevel
from jianguan.regions.tree import RegionTree, region_tree
from jianguan.web.access import PUBLIC
from jianguan.web.i18n import message

PLACE_COOKIE = "jg_place"
PLACE_SECONDS = 365 * 24 * 3600
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _tree(request: Request[Any, Any, Any]) -> RegionTree:
    """The process's region tree (loaded once; no session per request: the verify page asks)."""
    return region_tree(request.app.state.sessions.kw["bind"])


def remembered_place(request: Request[Any, Any, Any]) -> str | None:
    """The division the visitor chose (a county or city known to the tree), or None."""
    code = request.cookies.get(PLACE_COOKIE)
    if not code or len(code) != 6 or not code.isdigit():
        return None
    tree = _tree(request)
    node = tree.get(code)
    return code if node is not None and node.level is not RegionLevel.PROVINCE else None


def place_name(request: Request[Any, Any, Any], code: str | None) -> str | None:
    """The name of a remembered division (``remembered_place``), for the answer to say where."""
    return _tree(request).name(code)


def _back(target: str | None) -> str:
    """Where to go after choosing: a local path (a verification page), never another site."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return "/v"


def _page(request: Request[Any, Any, Any], *, q: str = "", back: str = "/v", error: ValidationFailed | None = None
          ) -> Template:
    tree = _tree(request)
    found = [node for node in tree.search(q, limit=40) if node.level is not RegionLevel.PROVINCE] if q else []
    current = remembered_place(request)
    return Template("place.html", status_code=error.status_code if error else 200, context={
        "q": q, "back": _back(back), "found": [(node, tree.path_name(node.code)) for node in found],
        "current": current, "current_name": tree.path_name(current) if current else None,
        "error": message(request, error)})


@get("/place", opt=PUBLIC, include_in_schema=False, sync_to_thread=True)
def place_page(request: Request[Any, Any, Any], q: FromQuery[str | None] = None,
               back: FromQuery[str | None] = None) -> Template:
    """Search a county or city by name and choose it (or clear the choice)."""
    return _page(request, q=(q or "").strip()[:20], back=back or "/v")


@post("/place", opt={**PUBLIC, "csrf": True}, include_in_schema=False, sync_to_thread=True)
def choose_place(request: Request[Any, Any, Any], data: Form) -> Response[Any] | Template:
    """Remember the chosen division (``region_code``), or forget it (``forget``), then go back."""
    back = _back(data.get("back"))
    if data.get("forget"):
        response: Response[Any] = Redirect(back, status_code=303)
        response.delete_cookie(PLACE_COOKIE)
        return response
    code = (data.get("region_code") or "").strip()
    node = _tree(request).get(code) if len(code) == 6 and code.isdigit() else None
    if node is None or node.level is RegionLevel.PROVINCE:
        error = ValidationFailed("Choose a county or a city from the list.", "请从列表中选择区县或城市。",
                                 code="invalid_region", field="region_code")
        return _page(request, q=(data.get("q") or "")[:20], back=back, error=error)
    response = Redirect(back, status_code=303)
    _remember(request, response, code)
    return response


def _remember(request: Request[Any, Any, Any], response: Response[Any], code: str) -> None:
    response.set_cookie(PLACE_COOKIE, code, max_age=PLACE_SECONDS, httponly=True, samesite="lax",
                        secure=request.app.state.settings.cookie_secure)


def _degrees(raw: str | None, name: str, limit: float) -> float:
    """A latitude or longitude as the browser sends it: a finite decimal number within ±``limit``."""
    text = (raw or "").strip()
    value = math.nan
    if 0 < len(text) <= 32 and text.isascii():
        with contextlib.suppress(ValueError):
            value = float(text)
    if not math.isfinite(value) or abs(value) > limit:
        raise ValidationFailed(f"The {name} must be a number between -{limit:g} and {limit:g}.",
                               f"{'纬度' if name == 'latitude' else '经度'}应为 -{limit:g} 到 {limit:g} 之间的数字。",
                               code="invalid_location", field=name)
    return value


@post("/place/locate", opt={**PUBLIC, "csrf": True}, include_in_schema=False, sync_to_thread=True,
      request_max_body_size=4096)
def locate_place(request: Request[Any, Any, Any], data: Form) -> Response[Any]:
    """Remember the county (else city) holding the WGS-84 point ``lat``/``lon`` the browser gave,
    and answer its code and name as JSON; a refusal answers ``{"error": ...}`` and leaves the
    cookie as it was. The point is used for this one look-up and not kept."""
    try:
        lat = _degrees(data.get("lat"), "latitude", 90)
        lon = _degrees(data.get("lon"), "longitude", 180)
        found = locate_wgs84(lat, lon)
        if found is None:
            raise NotFound("Your location is outside China (or on water); choose your county or city instead.",
                           "您的位置不在中国境内（或在水域），请改为选择您所在的区县或城市。", code="outside_china")
        tree = _tree(request)
        code = finest_known(tree, found)
        if code is None:
            raise NotFound("No county we know was found at your location; choose your county or city instead.",
                           "没有找到您所在位置对应的区县，请改为选择您所在的区县或城市。", code="place_not_found")
    except DomainError as error:
        return Response({"error": {"code": error.code, "message": error.message, "message_zh": error.message_zh}},
                        status_code=error.status_code, media_type=MediaType.JSON)
    node = tree.require(code)
    response: Response[Any] = Response(
        {"region_code": code, "name": node.name, "path": tree.path_name(code)}, status_code=200,
        media_type=MediaType.JSON)
    _remember(request, response, code)
    return response


router = Router(path="/", route_handlers=[place_page, choose_place, locate_place])
