"""Query terminals over the API: the registry (operator, regulators, shops) and the terminal's own
calls (heartbeat, verify), made with its key.

A terminal's verification is counted in the terminal's county and names the terminal in the
query log; the answer is the one every channel gives.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Router, get, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from jianguan.accounts.models import Role
from jianguan.merchants.models import Merchant
from jianguan.regions.tree import region_tree
from jianguan.storage import reading, transaction
from jianguan.terminals import services as terminals
from jianguan.terminals.models import Terminal
from jianguan.verify.models import Channel
from jianguan.verify.services import QueryContext
from jianguan.web.access import actor_for, client_address, require_principal, roles
from jianguan.web.params import CodeInPath, Id, RegionCode, RowId, stored_in

VIEWERS = (Role.OPERATOR, Role.REGULATOR, Role.MERCHANT)



def terminal_json(terminal: Terminal, *, online: bool | None = None, merchant_name: str | None = None,
                  region_name: str | None = None) -> dict[str, Any]:
    """A terminal as the API shows it (its key's id, never the key)."""
    return {
        "id": terminal.id,
        "merchant_id": terminal.merchant_id,
        "merchant_name": merchant_name,
        "name": terminal.name,
        "address": terminal.address,
        "region_code": terminal.region_code,
        "region_name": region_name,
        "contact_name": terminal.contact_name,
        "contact_phone": terminal.contact_phone,
        "api_key_id": terminal.api_key_id,
        "status": str(terminal.status),
        "registered_at": terminal.registered_at.isoformat(),
        "retired_at": terminal.retired_at.isoformat() if terminal.retired_at else None,
        "last_heartbeat_at": terminal.last_heartbeat_at.isoformat() if terminal.last_heartbeat_at else None,
        "software_version": terminal.software_version,
        "online": online,
    }


class NewTerminal(msgspec.Struct, forbid_unknown_fields=True):
    """A terminal to register in a shop; its county defaults to the shop's."""

    merchant_id: Id
    name: Annotated[str, stored_in(Terminal.name, required=True)]
    contact_name: Annotated[str, stored_in(Terminal.contact_name, required=True)]
    contact_phone: Annotated[str, stored_in(Terminal.contact_phone, required=True)]
    address: Annotated[str, stored_in(Terminal.address)] = ""
    region_code: RegionCode | None = None


class Heartbeat(msgspec.Struct, forbid_unknown_fields=True):
    """What a terminal reports every minute."""

    version: Annotated[str, stored_in(Terminal.software_version)] | None = None


@post("/terminals", opt=roles(Role.OPERATOR), sync_to_thread=True, status_code=HTTP_201_CREATED,
      summary="Register a query terminal / 登记查询终端")
def register_terminal(request: Request[Any, Any, Any], data: JSONBody[NewTerminal]) -> dict[str, Any]:
    """Register a terminal and issue its key. The answer holds the key itself (``key``): it is shown
    this once and cannot be recovered; the installer types it into the terminal."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        terminal, key = terminals.register_terminal(
            session, actor=actor_for(request, principal), merchant_id=data.merchant_id, name=data.name,
            address=data.address, region_code=data.region_code, contact_name=data.contact_name,
            contact_phone=data.contact_phone)
        return {**terminal_json(terminal, online=False), "key": key}


@get("/terminals", opt=roles(*VIEWERS), sync_to_thread=True, summary="Query terminals / 查询终端列表")
def list_terminals(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The terminals in the caller's scope with whether each is online (heard from within
    ``terminal_offline_after_seconds``): an operator all, a regulator its region, a shop its own."""
    principal = require_principal(request)
    offline_after = request.app.state.settings.terminal_offline_after_seconds
    with reading(request.app.state.sessions) as session:
        views = terminals.list_terminals(session, principal=principal, offline_after_seconds=offline_after)
        return {"terminals": [terminal_json(view.terminal, online=view.online, merchant_name=view.merchant_name,
                                            region_name=view.region_name) for view in views]}


@post("/terminals/{terminal_id:int}/retire", opt=roles(Role.OPERATOR), sync_to_thread=True,
      status_code=HTTP_200_OK, summary="Retire a query terminal / 停用查询终端")
def retire_terminal(request: Request[Any, Any, Any], terminal_id: RowId) -> dict[str, Any]:
    """Retire a terminal; its key is revoked at once."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        terminal = terminals.retire_terminal(session, actor=actor_for(request, principal), terminal_id=terminal_id)
        return terminal_json(terminal, online=False)


@post("/terminal/heartbeat", opt=roles(Role.TERMINAL), sync_to_thread=True, status_code=HTTP_200_OK,
      summary="Terminal heartbeat / 终端心跳")
def heartbeat(request: Request[Any, Any, Any], data: JSONBody[Heartbeat]) -> dict[str, Any]:
    """The terminal is alive and runs ``version``; the answer tells it when the server expects the
    next one at the latest."""
    principal = require_principal(request)
    with transaction(request.app.state.sessions) as session:
        terminal = terminals.heartbeat(session, principal=principal, version=data.version,
                                       actor=actor_for(request, principal))
        merchant = session.get(Merchant, terminal.merchant_id)
        return {"id": terminal.id, "name": terminal.name, "merchant_name": merchant.name if merchant else None,
                "region_code": terminal.region_code,
                "region_name": region_tree(session).name(terminal.region_code),
                "last_heartbeat_at": terminal.last_heartbeat_at.isoformat() if terminal.last_heartbeat_at else None,
                "offline_after_seconds": request.app.state.settings.terminal_offline_after_seconds}


@get("/terminal/verify/{code:path}", opt=roles(Role.TERMINAL), sync_to_thread=True,
     summary="Verify a code at a terminal / 终端查询监管码")
def terminal_verify(request: Request[Any, Any, Any], code: CodeInPath) -> dict[str, Any]:
    """The verdict on a code scanned or typed at the terminal, as ``GET /api/v1/verify/{code}`` gives it
    (``alarm`` true: the shop must not sell it and the terminal sounds its alarm). The query is counted in
    the terminal's county and names the terminal. A scanned URL or GS1 string may be sent whole."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        terminal = terminals.terminal_for_principal(session, principal)
        terminal_id, region_code = terminal.id, terminal.region_code
    answer = request.app.state.verifier.verify(
        code.lstrip("/"), QueryContext(Channel.TERMINAL, region_code=region_code, terminal_id=terminal_id,
                                       source=client_address(request)))
    return answer.to_json()


router = Router(path="/", route_handlers=[register_terminal, list_terminals, retire_terminal, heartbeat,
                                          terminal_verify])
