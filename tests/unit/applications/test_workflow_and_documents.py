"""The review's state machine, the documents' checks and the applicant's notices: pure."""

from __future__ import annotations

import pytest

from jianguan.applications import notices
from jianguan.applications.documents import MAX_DOCUMENT_BYTES, MAX_DOCUMENTS, Upload, check_documents
from jianguan.applications.workflow import (
    ApplicationAction,
    ApplicationStage,
    allowed_decisions,
    next_stage,
)
from jianguan.errors import Conflict, ValidationFailed
from jianguan.uploads import sniff_type

A, S = ApplicationAction, ApplicationStage
PDF = b"%PDF-1.4\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16


def test_the_corrections_loop_and_the_final_decisions() -> None:
    assert next_stage(S.SUBMITTED, A.CORRECT) is S.CORRECTIONS
    assert next_stage(S.CORRECTIONS, A.RESUBMIT) is S.SUBMITTED
    assert next_stage(S.SUBMITTED, A.APPROVE) is S.APPROVED
    assert next_stage(S.SUBMITTED, A.REFUSE) is S.REFUSED
    assert next_stage(S.CORRECTIONS, A.REFUSE) is S.REFUSED


@pytest.mark.parametrize(("stage", "action"), [
    (S.CORRECTIONS, A.APPROVE),  # an application waiting for its corrections is not signed as it was
    (S.CORRECTIONS, A.CORRECT),
    (S.SUBMITTED, A.RESUBMIT),
    (S.APPROVED, A.APPROVE), (S.APPROVED, A.REFUSE), (S.APPROVED, A.CORRECT), (S.APPROVED, A.RESUBMIT),
    (S.REFUSED, A.APPROVE), (S.REFUSED, A.CORRECT), (S.REFUSED, A.RESUBMIT), (S.REFUSED, A.REFUSE),
])
def test_a_step_the_stage_cannot_take_is_a_conflict(stage: ApplicationStage, action: ApplicationAction) -> None:
    with pytest.raises(Conflict) as refused:
        next_stage(stage, action)
    assert refused.value.code == "unreachable_stage" and refused.value.status_code == 409
    assert stage.label_zh in refused.value.message_zh


def test_the_decisions_offered_at_each_stage() -> None:
    assert allowed_decisions(S.SUBMITTED) == [A.CORRECT, A.APPROVE, A.REFUSE]
    assert allowed_decisions(S.CORRECTIONS) == [A.REFUSE]
    assert allowed_decisions(S.APPROVED) == [] and allowed_decisions(S.REFUSED) == []


def test_documents_are_typed_by_their_bytes() -> None:
    assert sniff_type(PDF) == "application/pdf" and sniff_type(PNG) == "image/png" and sniff_type(JPEG) == "image/jpeg"
    checked = check_documents([Upload("business_licence", PDF), Upload("other", JPEG)], first=True)
    assert [(c.kind.value, c.media_type) for c in checked] == [("business_licence", "application/pdf"),
                                                               ("other", "image/jpeg")]


@pytest.mark.parametrize(("uploads", "code"), [
    ([Upload("business_licence", b"<html>not a pdf</html>")], "document_type"),
    ([Upload("business_licence", b"GIF89a" + b"\x00" * 10)], "document_type"),
    ([Upload("business_licence", b"RIFF\x00\x00\x00\x00WEBPVP8 ")], "document_type"),  # a photo type, not a document
    ([Upload("business_licence", b"")], "empty_document"),
    ([Upload("business_licence", b"%PDF-" + b"0" * MAX_DOCUMENT_BYTES)], "document_too_large"),
    ([Upload("passport", PDF)], "invalid_document_kind"),
    ([Upload("production_licence", PDF)], "missing_document"),
    ([], "missing_document"),
    ([Upload("business_licence", PDF)] * (MAX_DOCUMENTS + 1), "too_many_documents"),
])
def test_bad_documents_are_refused_in_both_languages(uploads: list[Upload], code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        check_documents(uploads, first=True)
    assert refused.value.code == code and refused.value.message and refused.value.message_zh


def test_a_resubmission_needs_no_document_again() -> None:
    assert check_documents([], first=False) == []


def test_the_notices_say_the_number_and_what_to_do() -> None:
    assert "SQ20261201000001" in notices.received(number="SQ20261201000001", secret="abc") and "abc" in \
        notices.received(number="SQ20261201000001", secret="abc")
    long = "补" * 500
    assert len(notices.corrections(number="SQ1", note=long)) < 250
    approved = notices.approved(number="SQ1", username="91130102abc", password="pw-123")
    assert "91130102abc" in approved and "pw-123" in approved
