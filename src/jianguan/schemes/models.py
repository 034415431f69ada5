"""Registrations of codes of other schemes: what they are, and the values looked up by verification.

A registration is a code batch of generation 0 (``codes.models.CodeBatch``): the serials of
generation 0 are the network's own numbering of registered codes, ``[serial_start, serial_start +
quantity)`` as for issued batches, so activation, spoilage, the query log and its counts, recalls
and the trace all hold registered codes as they hold ours. What the scheme calls each code lives
here: a GS1 range is one row of ``scheme_registrations`` (a GTIN and its first numeric serial,
the batch's ``quantity`` serials from it); lists (GS1 serials, drug codes) are one row of
``scheme_values`` a code, unique on (scheme, value), so that a look-up is one index hit.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jianguan.choices import LabelledChoice
from jianguan.storage.base import Base, utcnow


class Scheme(LabelledChoice):
    GS1 = "gs1", "GS1 商品序列号（SGTIN）", "GS1 serialised GTIN (SGTIN)"
    DRUG = "drug", "药品电子监管码", "drug supervision code"


class SchemeRegistration(Base):
    """One registration: the generation-0 batch that numbers its codes, and, for a GS1 range, the
    GTIN and first serial (the range is the batch's ``quantity`` serials from ``serial_first``)."""

    __tablename__ = "scheme_registrations"
    __table_args__ = (Index("ix_scheme_registrations_gtin_serial_first", "gtin", "serial_first"),)

    batch_id: Mapped[int] = mapped_column(ForeignKey("code_batches.id"), primary_key=True, autoincrement=False)
    scheme: Mapped[Scheme] = mapped_column(String(16))
    gtin: Mapped[str | None] = mapped_column(String(14), default=None)
    serial_first: Mapped[int | None] = mapped_column(BigInteger, default=None)  # a range; None for a list
    file_name: Mapped[str] = mapped_column(String(200), default="")
    registered_by: Mapped[str] = mapped_column(String(100))
    registered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SchemeValue(Base):
    """One code of a registered list, as its scheme writes it (a GS1 code as its GTIN followed by its
    serial; a drug code as its 20 digits), and its place in the registration's batch."""

    __tablename__ = "scheme_values"
    __table_args__ = (UniqueConstraint("scheme", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme: Mapped[Scheme] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(40))
    batch_id: Mapped[int] = mapped_column(ForeignKey("code_batches.id"), index=True)
    offset: Mapped[int] = mapped_column(BigInteger)
