"""The enterprise's message (信息播报) shown with every genuine answer: post and withdraw it."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Router, delete, post
from litestar.params import JSONBody

from jianguan.accounts.models import Role
from jianguan.enterprises import broadcasts
from jianguan.enterprises.broadcasts import BROADCAST_MAX_CHARS
from jianguan.storage import transaction
from jianguan.web.access import actor_for, require_principal, roles
from jianguan.web.params import RowId, text

OWNERS = roles(Role.OPERATOR, Role.MANUFACTURER)


class NewBroadcast(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[str, text(BROADCAST_MAX_CHARS, required=True)]


@post("/enterprises/{enterprise_id:int}/broadcast", opt=OWNERS, sync_to_thread=True,
      summary="Post the enterprise's message / 发布信息播报")
def post_broadcast(request: Request[Any, Any, Any], enterprise_id: RowId, data: JSONBody[NewBroadcast]
                   ) -> dict[str, Any]:
    """Post the message shown with every genuine answer on the enterprise's codes (at most 140
    characters); it replaces the one before. The enterprise's own staff and keys, or the operator;
    another enterprise's is 404."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        broadcast = broadcasts.post_broadcast(session, actor=actor_for(request, principal), principal=principal,
                                               enterprise_id=enterprise_id, text=data.text)
        return {"enterprise_id": broadcast.enterprise_id, "text": broadcast.text,
                "posted_at": broadcast.posted_at.isoformat()}


@delete("/enterprises/{enterprise_id:int}/broadcast", opt=OWNERS, sync_to_thread=True,
        summary="Withdraw the enterprise's message / 撤回信息播报")
def withdraw_broadcast(request: Request[Any, Any, Any], enterprise_id: RowId) -> None:
    """Withdraw the current message, if there is one (204 either way)."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        broadcasts.withdraw_broadcast(session, actor=actor_for(request, principal), principal=principal,
                                       enterprise_id=enterprise_id)


router = Router(path="/", route_handlers=[post_broadcast, withdraw_broadcast], tags=["enterprises"])
