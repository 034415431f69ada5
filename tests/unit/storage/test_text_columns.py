"""Every text column has its length (``String(n)``): only text the system writes itself is unbounded."""

from __future__ import annotations

from sqlalchemy import String

from jianguan.models import metadata

# The body of an outgoing text message or e-mail: made by the system (from a verdict, a notice's
# template), never typed into it.
MACHINE_TEXT = {("outbound_sms", "text"), ("outbound_emails", "body")}


def test_no_text_column_is_unbounded_but_the_systems_own() -> None:
    unbounded = {(table.name, column.name) for table in metadata.tables.values() for column in table.columns
                 if isinstance(column.type, String) and column.type.length is None}
    assert unbounded == MACHINE_TEXT
