"""What a verifying process keeps in memory of the network: every batch's range (a code's batch
is found by bisection), what answers say of a batch's product and enterprise (kept a few
seconds), and the production data of each activation (kept while it is read). The ``Verifier``
(verify/services.py) holds one of each.
"""

from __future__ import annotations

import bisect
import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select

from jianguan.codes.models import CodeBatch
from jianguan.enterprises.models import Broadcast, Enterprise, Product


@dataclass(frozen=True)
class Batch:
    id: int
    start: int
    end: int
    enterprise_id: int
    product_id: int
    packaging_level: str


class BatchIndex:
    """Every batch's range, per generation, sorted: finding a code's batch is a bisection."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._starts: dict[int, list[int]] = {}
        self._batches: dict[int, list[Batch]] = {}
        self._last_id = 0

    def refresh(self, connection: Connection) -> None:
        rows = connection.execute(select(CodeBatch.id, CodeBatch.generation, CodeBatch.serial_start, CodeBatch.quantity,
                                      CodeBatch.enterprise_id, CodeBatch.product_id, CodeBatch.packaging_level)
                               .where(CodeBatch.id > self._last_id).order_by(CodeBatch.id)).all()
        if not rows:
            return
        with self._lock:
            for row in rows:
                batch = Batch(row.id, row.serial_start, row.serial_start + row.quantity, row.enterprise_id,
                               row.product_id, row.packaging_level)
                starts = self._starts.setdefault(row.generation, [])
                batches = self._batches.setdefault(row.generation, [])
                at = bisect.bisect(starts, batch.start)
                starts.insert(at, batch.start)
                batches.insert(at, batch)
                self._last_id = max(self._last_id, row.id)

    def find(self, generation: int, serial: int) -> Batch | None:
        with self._lock:
            starts = self._starts.get(generation, [])
            at = bisect.bisect_right(starts, serial) - 1
            if at < 0:
                return None
            batch = self._batches[generation][at]
        return batch if serial < batch.end else None


_PRODUCT = select(Product.name, Product.specification, Product.gtin).where(Product.id == bindparam("id"))
_ENTERPRISE = select(Enterprise.id, Enterprise.name, Enterprise.region_code).where(Enterprise.id == bindparam("id"))
_MESSAGE = (select(Broadcast.text).where(Broadcast.enterprise_id == bindparam("id"), Broadcast.withdrawn_at.is_(None))
            .order_by(Broadcast.id.desc()).limit(1))


class Catalog:
    """What answers say of a batch's product and enterprise, and the enterprise's message, kept for
    a few seconds: they change rarely, and every verification of a product's codes names them. An
    edit shows within ``ttl``. The dicts are shared by every answer that names them: read-only."""

    def __init__(self, ttl: float = 5.0) -> None:
        self._ttl = ttl
        self._lock = threading.Lock()
        self._entries: dict[tuple[int, int, str], tuple[float, tuple[dict[str, Any], dict[str, Any], str | None]]] = {}

    def describe(self, connect: Callable[[], Connection], batch: Batch, region_name: Callable[[str], str | None]
                 ) -> tuple[dict[str, Any], dict[str, Any], str | None]:
        """The product (with the batch's packaging level), the enterprise (with its region's name)
        and its message, from memory when fresh, else read with ``connect``."""
        key = (batch.product_id, batch.enterprise_id, batch.packaging_level)
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and now - entry[0] < self._ttl:
            return entry[1]
        with connect() as connection:
            product = connection.execute(_PRODUCT, {"id": batch.product_id}).one()
            enterprise = connection.execute(_ENTERPRISE, {"id": batch.enterprise_id}).one()
            message = connection.execute(_MESSAGE, {"id": batch.enterprise_id}).scalar()
        value = ({"name": product.name, "specification": product.specification, "gtin": product.gtin,
                  "packaging_level": batch.packaging_level},
                 {"id": enterprise.id, "name": enterprise.name, "region_code": enterprise.region_code,
                  "region": region_name(enterprise.region_code)}, message)
        with self._lock:
            self._entries[key] = (now, value)
        return value


class Productions:
    """The production data answers give, one dict per activation as read (its id, lot, dates and
    inspection record): codes of one activation share it, read-only. A withdrawn activation is
    no longer read, so what is kept never goes stale; the table is cleared when it grows large."""

    def __init__(self, limit: int = 10_000) -> None:
        self._limit = limit
        self._entries: dict[tuple[Any, ...], tuple[dict[str, Any], dt.date | None]] = {}

    def describe(self, activation: tuple[Any, ...]) -> tuple[dict[str, Any], dt.date | None]:
        """``(production, expiry date)`` of ``(id, lot, production date, expiry date, inspection record)``."""
        entry = self._entries.get(activation)
        if entry is None:
            _id, lot, production_date, expiry_date, inspection_record = activation
            made, expiry = as_date(production_date), as_date(expiry_date)
            entry = ({"lot": lot, "production_date": made.isoformat() if made else None,
                      "expiry_date": expiry.isoformat() if expiry else None, "inspection_record": inspection_record},
                     expiry)
            if len(self._entries) >= self._limit:
                self._entries.clear()
            self._entries[activation] = entry
        return entry


def as_utc(value: dt.datetime | str | None) -> dt.datetime | None:
    """A stored UTC timestamp as the driver gives it (SQLite: naive text) as an aware datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def as_date(value: dt.date | str | None) -> dt.date | None:
    """A stored date as the driver gives it (SQLite: text) as a date."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)
