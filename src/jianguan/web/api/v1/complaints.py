"""Complaints and reports (投诉举报): ``POST /api/v1/reports`` (a report of a fake), public."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Router, post
from litestar.params import JSONBody

from jianguan.complaints import services as complaints
from jianguan.complaints.models import Complaint
from jianguan.storage import transaction
from jianguan.verify.models import Channel
from jianguan.verify.services import QueryContext
from jianguan.web.access import PUBLIC, actor_for, client_address, current_principal
from jianguan.web.params import RegionCode, stored_in


class NewReport(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, stored_in(Complaint.code_input, required=True)]
    place: Annotated[str, stored_in(Complaint.place, required=True)]
    region_code: RegionCode | None = None
    contact: Annotated[str, stored_in(Complaint.contact, description="A phone number or an e-mail address "
                                                                     "/ 电话号码或电子邮箱")] | None = None
    description: Annotated[str, stored_in(Complaint.description)] | None = None


@post("/reports", opt=PUBLIC, sync_to_thread=True, summary="Report a fake / 举报假冒")
def submit(request: Request[Any, Any, Any], data: JSONBody[NewReport]) -> dict[str, Any]:
    """Report a product believed to be fake: the code as found on it, where it was bought
    (required), the region code of that place (optional, 6 digits: it decides which regulators
    see the report), a phone number or e-mail for a call back (optional) and what was noticed.
    The code is verified as it would be on any channel, and the report keeps that verdict.
    Answers the reference number. Public, and rate limited per client."""
    answer = request.app.state.verifier.verify(
        data.code, QueryContext(Channel.API, source=client_address(request)))
    with transaction(request.app.state.sessions) as session:
        report = complaints.submit_report(
            session, actor=actor_for(request, current_principal(request)), code=data.code, place=data.place,
            region_code=data.region_code, contact=data.contact, description=data.description, channel=Channel.API,
            verifier_answer_verdict=answer.verdict)
        return {"id": report.id, "reference": report.reference, "status": report.status,
                "verdict": report.verdict, "created_at": report.created_at.isoformat()}


router = Router(path="/", route_handlers=[submit], tags=["reports"])
