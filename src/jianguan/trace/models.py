"""What happens to codes after activation: aggregation (items packed into cases), and the
supply-chain events that will move them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from jianguan.storage.base import Base, utcnow


class Packing(Base):
    """An item (or case) code packed into a container code (aggregation), while it is packed."""

    __tablename__ = "packings"
    __table_args__ = (Index("ix_packings_container", "container_generation", "container_serial"),)

    generation: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    serial: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    container_generation: Mapped[int]
    container_serial: Mapped[int] = mapped_column(BigInteger)
    packed_by: Mapped[str] = mapped_column(String(100))
    packed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
