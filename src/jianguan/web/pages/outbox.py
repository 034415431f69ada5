"""The outboxes in the browser (operators): the newest text messages and e-mails, with the numbers
and addresses partly hidden."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get
from litestar.response import Template

from jianguan.accounts.models import Role
from jianguan.messaging.services import mask_email, mask_number, recent_emails, recent_messages
from jianguan.storage import reading
from jianguan.web.access import roles

PAGE_SIZE = 200


@get("/manage/outbox", opt=roles(Role.OPERATOR), include_in_schema=False, sync_to_thread=True)
def outbox_page(request: Request[Any, Any, Any]) -> Template:
    """The newest 200 outgoing text messages and e-mails, newest first."""
    with reading(request.app.state.sessions) as session:
        messages = [{"id": m.id, "to": mask_number(m.to), "text": m.text, "status": m.status,
                     "created_at": m.created_at, "sent_at": m.sent_at, "gateway_id": m.gateway_id,
                     "error": m.error} for m in recent_messages(session, limit=PAGE_SIZE)]
        emails = [{"id": e.id, "to": mask_email(e.to), "subject": e.subject, "body": e.body, "status": e.status,
                   "created_at": e.created_at, "error": e.error} for e in recent_emails(session, limit=PAGE_SIZE)]
    return Template("manage_outbox.html", context={"messages": messages, "emails": emails})


router = Router(path="/", route_handlers=[outbox_page])
