"""String enums stored by value, each value carrying its Chinese and English labels.

As NetBox's ChoiceSets do, a status keeps its words beside it, so a page, an SMS and the
API all name it the same way.
"""

from __future__ import annotations

from enum import StrEnum


class LabelledChoice(StrEnum):
    """A string enum whose members carry ``label_zh`` and ``label_en``."""

    label_zh: str
    label_en: str

    def __new__(cls, value: str, label_zh: str = "", label_en: str = "") -> LabelledChoice:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label_zh = label_zh or value
        member.label_en = label_en or value
        return member

    def label(self, lang: str) -> str:
        """The label in ``lang`` ("zh" or "en")."""
        return self.label_en if lang == "en" else self.label_zh
