"""The enterprise's message (信息播报): what it tells the people who verify its codes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.accounts.principal import Principal
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.enterprises.models import Broadcast
from jianguan.enterprises.services import editable_enterprise
from jianguan.errors import ValidationFailed
from jianguan.storage.base import utcnow

BROADCAST_MAX_CHARS = 140


def post_broadcast(session: Session, *, actor: Actor, principal: Principal, enterprise_id: int, text: str) -> Broadcast:
    """Post the enterprise's message (信息播报); it replaces the one before on every channel.

    At most 140 characters, so that it fits a phone screen and the tail of an SMS reply.
    """
    enterprise = editable_enterprise(session, principal, enterprise_id)
    text = " ".join((text or "").split())
    if not text:
        raise ValidationFailed("The message is empty.", "播报内容不能为空。", code="missing_field", field="text")
    if len(text) > BROADCAST_MAX_CHARS:
        raise ValidationFailed(f"A message has at most {BROADCAST_MAX_CHARS} characters; this has {len(text)}.",
                               f"播报内容最多 {BROADCAST_MAX_CHARS} 个字，当前 {len(text)} 个。", code="too_long",
                               field="text")
    previous = current_broadcast(session, enterprise.id)
    broadcast = Broadcast(enterprise_id=enterprise.id, text=text, posted_by=actor.name)
    session.add(broadcast)
    session.flush()
    record(session, actor=actor, action=AuditAction.ENTERPRISE_BROADCAST_POSTED, target_type="enterprise",
           target_id=enterprise.id, before={"text": previous}, after={"text": text})
    return broadcast


def withdraw_broadcast(session: Session, *, actor: Actor, principal: Principal, enterprise_id: int) -> None:
    """Withdraw the enterprise's current message, if it has one."""
    enterprise = editable_enterprise(session, principal, enterprise_id)
    latest = session.scalars(select(Broadcast).where(Broadcast.enterprise_id == enterprise.id,
                                                     Broadcast.withdrawn_at.is_(None))
                             .order_by(Broadcast.id.desc()).limit(1)).first()
    if latest is None:
        return
    latest.withdrawn_at = utcnow()
    record(session, actor=actor, action=AuditAction.ENTERPRISE_BROADCAST_WITHDRAWN, target_type="enterprise",
           target_id=enterprise.id, before={"text": latest.text}, after={"text": None})


def current_broadcast(session: Session, enterprise_id: int) -> str | None:
    """The enterprise's current message, or None."""
    return session.scalar(select(Broadcast.text).where(Broadcast.enterprise_id == enterprise_id,
                                                       Broadcast.withdrawn_at.is_(None))
                          .order_by(Broadcast.id.desc()).limit(1))
