"""Tracing (追溯): ``GET /api/v1/trace/codes/{code}`` (a code's journey) and ``GET /api/v1/trace/products/{id}/lots/{lot}``
(a lot's forward trace), for the manufacturer and the regulators in scope."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Router, get
from litestar.params import PathParameter

from jianguan.accounts.models import Role
from jianguan.codes.models import Activation
from jianguan.fields import text_limit
from jianguan.storage import reading
from jianguan.trace.journey import code_journey, lot_trace
from jianguan.web.access import require_principal, roles
from jianguan.web.params import CodeInPath, RowId

TRACERS = roles(Role.MANUFACTURER, Role.REGULATOR, Role.OPERATOR)
Lot = Annotated[str, PathParameter(min_length=1, max_length=text_limit(Activation.lot), description="A lot / 批号")]


@get("/trace/codes/{code:str}", opt=TRACERS, sync_to_thread=True, summary="A code's journey / 单码追溯")
def journey(request: Request[Any, Any, Any], code: CodeInPath) -> dict[str, Any]:
    """Everything known of a code in time order: issued, printed, activated, packed, each movement
    with party and place (also those of the case it travelled in, ``via``), and consumers' queries
    with their county; and where it is now."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        return code_journey(session, principal=principal, code=code).as_dict()


@get("/trace/products/{product_id:int}/lots/{lot:str}", opt=TRACERS, sync_to_thread=True, summary="A lot's forward trace / 批次流向")
def lot(request: Request[Any, Any, Any], product_id: RowId, lot: Lot) -> dict[str, Any]:
    """Where every code of a lot of a product is now: by party, state and county (``holdings``),
    and the item codes by province, city and county (``regions``)."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        return lot_trace(session, principal=principal, product_id=product_id, lot=lot).as_dict()


router = Router(path="/", route_handlers=[journey, lot], tags=["trace"])
