"""Query terminals: registering them with their key, retiring them, heartbeats, and who sees them.

A terminal authenticates with an API key of role ``terminal`` bound to its shop; the registry
row says which terminal a key is, and so which county its queries count in. Retiring a
terminal revokes its key at once, so a stolen or scrapped machine stops working.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.accounts.services import create_api_key, revoke_api_key
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.enterprises.services import registrable_region
from jianguan.errors import NotFound, PermissionDenied, ValidationFailed
from jianguan.fields import clean_text
from jianguan.jurisdiction import scope_condition
from jianguan.merchants.models import Merchant
from jianguan.regions.tree import region_tree
from jianguan.storage.base import utcnow
from jianguan.terminals.models import Terminal, TerminalStatus

PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 -]{4,30}$")


def register_terminal(
    session: Session,
    *,
    actor: Actor,
    merchant_id: int,
    name: str,
    address: str = "",
    region_code: str | None = None,
    contact_name: str,
    contact_phone: str,
    derive_key_from: bytes | None = None,
) -> tuple[Terminal, str]:
    """Register a terminal in a shop and issue its key in the same transaction.

    Returns the terminal and its key, which is shown this once (only its hash is stored). The
    terminal's county defaults to the shop's. ``derive_key_from`` is for the demo network only
    (see ``accounts.services.create_api_key``).
    """
    merchant = session.get(Merchant, merchant_id)
    if merchant is None:
        raise NotFound(f"No distributor or shop {merchant_id}.", f"经销商/商店 {merchant_id} 不存在。")
    name = clean_text(name, Terminal.name, english="name", chinese="终端名称", required=True)
    contact_name = clean_text(contact_name, Terminal.contact_name, english="contact name", chinese="运维联系人",
                              required=True)
    contact_phone = clean_text(contact_phone, Terminal.contact_phone, english="contact phone", chinese="联系电话",
                               required=True)
    address = clean_text(address, Terminal.address, english="address", chinese="安装地址")
    if not PHONE_PATTERN.match(contact_phone):
        raise ValidationFailed("The contact phone is not a phone number.", "联系电话格式有误。",
                               code="invalid_phone", field="contact_phone")
    region = registrable_region(session, region_code or merchant.region_code)
    key, api_key = create_api_key(session, actor=actor, name=f"{merchant.name} {name}"[:100], role=Role.TERMINAL,
                                  merchant_id=merchant.id, derive_from=derive_key_from)
    terminal = Terminal(merchant_id=merchant.id, name=name, address=address or merchant.address,
                        region_code=region.code, contact_name=contact_name, contact_phone=contact_phone,
                        api_key_id=api_key.id, status=TerminalStatus.ACTIVE, registered_at=utcnow())
    session.add(terminal)
    session.flush()
    record(session, actor=actor, action=AuditAction.TERMINAL_TERMINAL_REGISTERED, target_type="terminal",
           target_id=terminal.id, after={"merchant_id": merchant.id, "name": name, "address": terminal.address,
                                         "region_code": region.code, "contact_name": contact_name,
                                         "contact_phone": contact_phone, "api_key_id": api_key.id})
    return terminal, key


def retire_terminal(session: Session, *, actor: Actor, terminal_id: int) -> Terminal:
    """Retire a terminal and revoke its key at once; retiring twice is harmless."""
    terminal = session.get(Terminal, terminal_id)
    if terminal is None:
        raise NotFound(f"No terminal {terminal_id}.", f"查询终端 {terminal_id} 不存在。")
    if terminal.status != TerminalStatus.RETIRED:
        terminal.status = TerminalStatus.RETIRED
        terminal.retired_at = utcnow()
        revoke_api_key(session, actor=actor, api_key_id=terminal.api_key_id)
        record(session, actor=actor, action=AuditAction.TERMINAL_TERMINAL_RETIRED, target_type="terminal",
               target_id=terminal.id, before={"status": TerminalStatus.ACTIVE.value},
               after={"status": TerminalStatus.RETIRED.value})
    return terminal


def terminal_for_principal(session: Session, principal: Principal) -> Terminal:
    """The terminal behind a terminal key; PermissionDenied for any other caller, and for a terminal
    key issued without a registry row (e.g. by hand on the keys page), which has no county to count in."""
    terminal = None
    if principal.role is Role.TERMINAL and principal.kind == "apikey":
        terminal = session.scalar(select(Terminal).where(Terminal.api_key_id == principal.id))
    if terminal is None or terminal.status != TerminalStatus.ACTIVE:
        raise PermissionDenied(
            "This key is not the key of a registered query terminal; ask the operator to register the terminal.",
            "此密钥不属于已登记的查询终端，请联系运营中心登记该终端。",
        )
    return terminal


def heartbeat(session: Session, *, principal: Principal, version: str | None, actor: Actor | None = None
              ) -> Terminal:
    """Note that the terminal is alive and which software it runs.

    A heartbeat comes every minute from every terminal, so it is not audited as such: only a
    change of the reported software version (the first report included) is, since that is what
    someone may later need to trace.
    """
    terminal = terminal_for_principal(session, principal)
    version = clean_text(version, Terminal.software_version, english="software version", chinese="软件版本") or None
    terminal.last_heartbeat_at = utcnow()
    if version is not None and version != terminal.software_version:
        before = terminal.software_version
        terminal.software_version = version
        record(session, actor=actor or Actor(principal.actor_name),
               action=AuditAction.TERMINAL_SOFTWARE_REPORTED, target_type="terminal", target_id=terminal.id,
               before={"software_version": before}, after={"software_version": version})
    return terminal


@dataclass(frozen=True)
class TerminalView:
    """A terminal with the names to show and whether it is online now."""

    terminal: Terminal
    merchant_name: str
    region_name: str
    online: bool


def is_online(terminal: Terminal, *, now: dt.datetime, offline_after_seconds: int) -> bool:
    """Active and heard from within ``offline_after_seconds``."""
    if terminal.status != TerminalStatus.ACTIVE or terminal.last_heartbeat_at is None:
        return False
    return now - terminal.last_heartbeat_at <= dt.timedelta(seconds=offline_after_seconds)


def list_terminals(
    session: Session, *, principal: Principal, offline_after_seconds: int, now: dt.datetime | None = None
) -> list[TerminalView]:
    """The terminals ``principal`` may see (the jurisdiction rule), active first, by shop: an operator
    all, a regulator of a general agency those in its region, a shop's staff their own shop's."""
    query = (select(Terminal, Merchant.name)
             .join(Merchant, Merchant.id == Terminal.merchant_id)
             .where(scope_condition(principal, region=Terminal.region_code, merchant=Terminal.merchant_id))
             .order_by(Terminal.status, Merchant.name, Terminal.name, Terminal.id))
    now, tree = now or utcnow(), region_tree(session)
    return [TerminalView(terminal, merchant_name, tree.name(terminal.region_code) or terminal.region_code,
                         is_online(terminal, now=now, offline_after_seconds=offline_after_seconds))
            for terminal, merchant_name in session.execute(query).tuples()]
