"""The audit actions: one enum, every value shaped ``area:subject:action``, every one labelled."""

from __future__ import annotations

import re
from typing import Any

import pytest

from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record

SHAPE = re.compile(r"[a-z]+(_[a-z]+)*:[a-z]+(_[a-z]+)*:[a-z]+(_[a-z]+)*")


@pytest.mark.parametrize("action", list(AuditAction), ids=str)
def test_every_action_is_shaped_and_labelled(action: AuditAction) -> None:
    assert SHAPE.fullmatch(action.value)
    assert action.name == action.value.replace(":", "_").upper()
    assert action.label_zh != action.value and action.label_en != action.value
    assert action.label("zh") == action.label_zh and action.label("en") == action.label_en


def test_known_finds_members_only() -> None:
    assert AuditAction.known("code:batch:issued") is AuditAction.CODE_BATCH_ISSUED
    assert AuditAction.known("code:packing:packed") is None  # renamed: old records keep their text


@pytest.mark.parametrize("action", ["code:batch:issued", "code:batch", "", None])
def test_record_refuses_anything_but_a_member(action: Any) -> None:
    no_session: Any = None  # refused before the session is touched, so no database is needed
    with pytest.raises(TypeError, match="not an AuditAction"):
        record(no_session, actor=Actor("user:someone"), action=action, target_type="t", target_id=1)
