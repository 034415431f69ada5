"""Uploading supply-chain events as CSV (上报流向事件) in the browser, for enterprises and shops
without an EPCIS system: the same capture as ``POST /api/v1/epcis/capture`` with ``text/csv``,
its errors shown by row, and the party's recent uploads with what became of each."""

from __future__ import annotations

from typing import Annotated, Any

from anyio import to_thread
from litestar import Request, Router, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.errors import DomainError, ValidationFailed
from jianguan.storage import reading, transaction
from jianguan.trace import captures
from jianguan.trace.epcis_csv import COLUMNS
from jianguan.trace.epcis_model import EPCISRefused
from jianguan.web.access import actor_for, require_principal, roles
from jianguan.web.i18n import message
from jianguan.web.params import RowId

UPLOADERS = roles(Role.MANUFACTURER, Role.MERCHANT)
MAX_TEXT = 2 * 1024 * 1024  # characters pasted into the form
RECENT = 10
Upload = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
EXAMPLE = ("eventTime,action,bizStep,bizLocation,destination,epcList\n"
           "2026-11-02 09:00,OBSERVE,shipping,6901234000011,6901234000028,12345678901234567890 12345678901234567891\n")


def _page(request: Request[Any, Any, Any], principal: Principal, *, done: int | None = None,
          refused: EPCISRefused | None = None, kept: int | None = None, error: DomainError | None = None,
          text: str = "") -> Template:
    with reading(request.app.state.sessions) as session:
        finished = captures.get_capture(session, principal=principal, capture_id=done) if done else None
        recent = captures.list_captures(session, principal=principal, limit=RECENT)
    return Template("epcis_upload.html", context={
        "me": principal, "columns": COLUMNS, "example": EXAMPLE, "done": finished, "recent": recent,
        "refused": refused, "kept": kept, "error": message(request, error), "text": text,
    }, status_code=400 if refused or error else 200)


@get("/epcis/upload", opt=UPLOADERS, include_in_schema=False, sync_to_thread=True)
def upload_page(request: Request[Any, Any, Any], done: FromQuery[RowId | None] = None) -> Template:
    """The upload form, the column layout, and the party's recent uploads (``done``: one just taken)."""
    return _page(request, require_principal(request), done=done)


async def _content(data: dict[str, Any]) -> tuple[bytes, str]:
    upload, text = data.get("file"), data.get("text")
    if isinstance(upload, UploadFile) and upload.filename:
        return await upload.read(), ""
    text = text if isinstance(text, str) else ""
    if len(text) > MAX_TEXT:
        raise ValidationFailed("The pasted text is too long; upload it as a file.", "粘贴的内容过长，请以文件上传。")
    if not text.strip():
        raise ValidationFailed("Choose a CSV file or paste its rows.", "请选择 CSV 文件或粘贴其内容。")
    return text.encode(), text


@post("/epcis/upload", opt=UPLOADERS, include_in_schema=False)
async def upload(request: Request[Any, Any, Any], data: Upload) -> Template | Redirect:
    """Capture an uploaded (or pasted) CSV file whole; its errors by row, or the capture taken."""
    principal = require_principal(request)
    try:
        content, text = await _content(data)
    except DomainError as error:
        return await _render(request, principal, error=error)
    return await to_thread.run_sync(lambda: _capture(request, principal, content, text))


async def _render(request: Request[Any, Any, Any], principal: Principal, **context: Any) -> Template:
    return await to_thread.run_sync(lambda: _page(request, principal, **context))


def _capture(request: Request[Any, Any, Any], principal: Principal, content: bytes, text: str) -> Template | Redirect:
    sessions, actor = request.app.state.sessions, actor_for(request, principal)
    try:
        with transaction(sessions) as session:
            result = captures.receive(session, actor=actor, principal=principal, data=content, content_type="text/csv")
            capture_id = result.capture.id
    except EPCISRefused as refused:
        with transaction(sessions) as session:
            kept = captures.record_refusal(session, actor=actor, principal=principal, content_type="text/csv",
                                           refused=refused).id
        return _page(request, principal, refused=refused, kept=kept, text=text)
    except DomainError as error:
        return _page(request, principal, error=error, text=text)
    return Redirect(f"/epcis/upload?done={capture_id}", status_code=303)


router = Router(path="/", route_handlers=[upload_page, upload])
