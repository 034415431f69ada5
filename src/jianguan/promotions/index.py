"""The running promotions, in memory, for the verifier of one process.

Only a first genuine verification of a code a running promotion covers draws; every other
verification must cost next to nothing. As the recalls index does (recalls/index.py), each
process keeps the running promotions by product and, at most once every ``interval`` seconds
when a verification comes, reads one small row (the number of promotions and their newest
change, ``Promotion.changed_at``, indexed); only when it differs are the promotions read again.
So the hot path costs a clock read and a dictionary look-up.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from jianguan.promotions.models import Promotion, PromotionStatus, PromotionTier
from jianguan.regions.tree import RegionTree

DEFAULT_INTERVAL = 1.0

_STAMP = select(func.count(Promotion.id), func.max(Promotion.changed_at))
_RUNNING = select(Promotion.id, Promotion.name, Promotion.kind, Promotion.product_ids, Promotion.lots,
                  Promotion.regions, Promotion.starts_on, Promotion.ends_on, Promotion.budget_value
                  ).where(Promotion.status == PromotionStatus.RUNNING.value).order_by(Promotion.id)
_TIERS = (select(PromotionTier.promotion_id, PromotionTier.id, PromotionTier.name, PromotionTier.chance_ppm,
                 PromotionTier.value)
          .join(Promotion, Promotion.id == PromotionTier.promotion_id)
          .where(Promotion.status == PromotionStatus.RUNNING.value).order_by(PromotionTier.rank))


@dataclass(frozen=True)
class Tier:
    id: int
    name: str
    chance_ppm: int
    value: int


@dataclass(frozen=True)
class Running:
    """A running promotion as the verifier needs it: what it covers and its tiers, in rank order."""

    id: int
    name: str
    kind: str
    lots: frozenset[str]  # empty: every lot
    counties: frozenset[str] | None  # the regions and every division under them; None: everywhere
    starts_on: dt.date
    ends_on: dt.date
    has_budget_value: bool
    tiers: tuple[Tier, ...]

    def covers(self, lot: str | None, region_code: str | None, today: dt.date) -> bool:
        if not self.starts_on <= today <= self.ends_on:
            return False
        if self.lots and lot not in self.lots:
            return False
        return self.counties is None or region_code in self.counties


def _date(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


class PromotionIndex:
    """The running promotions by product (see the module doc)."""

    def __init__(self, connect: Callable[[], Connection], regions: Callable[[], RegionTree], *,
                 interval: float = DEFAULT_INTERVAL) -> None:
        self._connect = connect
        self._regions = regions
        self._interval = interval
        self._lock = threading.Lock()
        self._checked = -interval
        self._stamp: tuple[object, ...] | None = None
        self._by_product: dict[int, tuple[Running, ...]] = {}  # replaced whole: a reader takes one snapshot

    def find(self, product_id: int, lot: str | None, region_code: str | None, today: dt.date) -> Running | None:
        """The running promotion (the oldest, when several) covering a code of ``product_id`` and
        ``lot`` queried in ``region_code`` on ``today``, or None."""
        if time.monotonic() - self._checked >= self._interval:
            self._refresh()
        for running in self._by_product.get(product_id, ()):
            if running.covers(lot, region_code, today):
                return running
        return None

    def _refresh(self) -> None:
        with self._lock:
            if time.monotonic() - self._checked < self._interval:  # another thread just did
                return
            with self._connect() as connection:
                stamp = tuple(connection.execute(_STAMP).one())
                if stamp != self._stamp:
                    tiers: dict[int, list[Tier]] = {}
                    for promotion_id, tier_id, name, chance, value in connection.execute(_TIERS):
                        tiers.setdefault(promotion_id, []).append(Tier(tier_id, name, chance, value))
                    rows = connection.execute(_RUNNING).all()
                    tree = self._regions() if any(row.regions for row in rows) else None
                    by_product: dict[int, list[Running]] = {}
                    for row in rows:
                        counties = None
                        if row.regions and tree is not None:
                            counties = frozenset().union(*(tree.descendants(code) for code in row.regions))
                        running = Running(row.id, row.name, str(row.kind), frozenset(row.lots or ()), counties,
                                          _date(row.starts_on), _date(row.ends_on), row.budget_value is not None,
                                          tuple(tiers.get(row.id, ())))
                        for product_id in row.product_ids or ():
                            by_product.setdefault(int(product_id), []).append(running)
                    self._by_product = {key: tuple(value) for key, value in by_product.items()}
                    self._stamp = stamp
            self._checked = time.monotonic()
