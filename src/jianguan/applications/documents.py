"""The documents an application sends: which are asked for, and the check of each file (type by
its first bytes: PDF, JPEG or PNG; size bounded). Storing is ``jianguan.uploads``'s, as for a
case's photos."""

from __future__ import annotations

from dataclasses import dataclass

from jianguan.choices import LabelledChoice
from jianguan.errors import ValidationFailed
from jianguan.uploads import sniff_type

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
MAX_DOCUMENTS = 6
DOCUMENT_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})


class DocumentKind(LabelledChoice):
    BUSINESS_LICENCE = "business_licence", "营业执照", "business licence"
    PRODUCTION_LICENCE = "production_licence", "生产许可证", "production licence"
    OTHER = "other", "其他材料", "other document"


# Asked of every application when it is first sent.
REQUIRED_KINDS = (DocumentKind.BUSINESS_LICENCE,)


@dataclass(frozen=True)
class Upload:
    """One file as sent: the kind the applicant named and its bytes."""

    kind: str
    data: bytes


@dataclass(frozen=True)
class CheckedUpload:
    kind: DocumentKind
    data: bytes
    media_type: str


def _check(upload: Upload) -> CheckedUpload:
    try:
        kind = DocumentKind(upload.kind)
    except ValueError:
        raise ValidationFailed("A document is a business_licence, production_licence or other.",
                               "材料类型应为营业执照、生产许可证或其他材料。", code="invalid_document_kind",
                               field="documents") from None
    if not upload.data:
        raise ValidationFailed(f"The {kind.label_en} file is empty.", f"{kind.label_zh}文件为空。",
                               code="empty_document", field="documents")
    if len(upload.data) > MAX_DOCUMENT_BYTES:
        raise ValidationFailed(f"A document is at most {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB.",
                               f"每份材料不超过 {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB。", code="document_too_large",
                               field="documents")
    media_type = sniff_type(upload.data)
    if media_type is None or media_type not in DOCUMENT_TYPES:
        raise ValidationFailed(f"The {kind.label_en} must be a PDF, JPEG or PNG file.",
                               f"{kind.label_zh}须为 PDF、JPEG 或 PNG 文件。", code="document_type", field="documents")
    return CheckedUpload(kind, upload.data, media_type)


def check_documents(uploads: list[Upload], *, first: bool) -> list[CheckedUpload]:
    """Each upload checked (kind, size, type by its bytes); ValidationFailed for too many, a bad
    one, or (``first``: an application being sent for the first time) a required kind missing."""
    if len(uploads) > MAX_DOCUMENTS:
        raise ValidationFailed(f"Send at most {MAX_DOCUMENTS} documents.", f"最多上传 {MAX_DOCUMENTS} 份材料。",
                               code="too_many_documents", field="documents")
    checked = [_check(upload) for upload in uploads]
    if first:
        sent = {upload.kind for upload in checked}
        for kind in REQUIRED_KINDS:
            if kind not in sent:
                raise ValidationFailed(f"Please attach the {kind.label_en}.", f"请上传{kind.label_zh}。",
                                       code="missing_document", field="documents")
    return checked
