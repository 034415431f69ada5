"""Photos by their bytes, and the case texts of the SMS channel: pure, no I/O."""

from __future__ import annotations

from pathlib import Path

import pytest

from jianguan.cases import notices
from jianguan.cases.photos import (
    MAX_PHOTO_BYTES,
    MAX_PHOTOS,
    check_photos,
    photo_path,
    photo_type,
    store_photo,
)
from jianguan.cases.workflow import CaseStage
from jianguan.channels.sms_cases import keyword_kind, lookup_request
from jianguan.errors import ValidationFailed

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20


def test_a_photo_is_typed_by_its_first_bytes() -> None:
    assert photo_type(PNG) == "image/png" and photo_type(JPEG) == "image/jpeg" and photo_type(WEBP) == "image/webp"


@pytest.mark.parametrize(("data", "code"), [
    (b"", "empty_photo"),
    (b"<html><script>alert(1)</script>", "photo_type"),  # a page named photo.jpg
    (b"GIF89a" + b"\x00" * 10, "photo_type"),
    (b"%PDF-1.7", "photo_type"),
    (b"RIFF\x00\x00\x00\x00WAVE", "photo_type"),  # RIFF, but a sound
    (b"\xff\xd8\xff" + b"\x00" * MAX_PHOTO_BYTES, "photo_too_large"),
])
def test_a_wrong_empty_disguised_or_large_photo_is_refused(data: bytes, code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        photo_type(data)
    assert refused.value.code == code and refused.value.message_zh and refused.value.message


def test_too_many_photos_are_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        check_photos([PNG] * (MAX_PHOTOS + 1))
    assert refused.value.code == "too_many_photos"
    assert check_photos([PNG, JPEG]) == ["image/png", "image/jpeg"]


def test_a_photo_is_stored_once_under_its_digest(tmp_path: Path) -> None:
    digest = store_photo(tmp_path, PNG, "image/png")
    assert store_photo(tmp_path, PNG, "image/png") == digest
    path = photo_path(tmp_path, digest, "image/png")
    assert path.read_bytes() == PNG and len(list(tmp_path.rglob("*.png"))) == 1


def test_the_keywords_of_a_report_and_a_complaint() -> None:
    assert keyword_kind(" 举报 1234 5678 9012 3456 7890 某超市") == "report"
    assert keyword_kind("投诉 12345678901234567890") == "complaint"
    assert keyword_kind("查询 12345678901234567890") is None


def test_a_look_up_names_a_number_and_a_secret() -> None:
    assert lookup_request("JB20261201000042 123456") == ("JB20261201000042", "123456")
    assert lookup_request("查询 jb20261201000042，123456 谢谢") == ("JB20261201000042", "123456")
    assert lookup_request("JB20261201000042") is None
    assert lookup_request("12345678901234567890") is None


def test_the_manufacturer_is_never_told_who_reported() -> None:
    text = notices.case_to_manufacturer(kind_zh="举报", number="JB20261201000001", code_tail="6618", place="某超市",
                                        agency="agriculture")
    assert "JB20261201000001" in text and "农业" in text and "6618" in text
    told = notices.outcome_to_manufacturer(kind_zh="举报", number="N", finding="查获假冒。", measures="没收。")
    assert told.endswith("查获假冒；没收。")


def test_the_status_reply_gives_the_outcome_once_the_reporter_is_told() -> None:
    assert "查获" not in notices.status_reply(number="N", stage=CaseStage.RESOLVED, finding="查获假冒。")
    assert "查获" in notices.status_reply(number="N", stage=CaseStage.INFORMED, finding="查获假冒。")
