"""Counting what a client does, across every worker process and host: the public rate limit and
the abuse guard's bad-query counts and blocks.

Two stores answer the same questions. ``LocalCounters`` keeps them in this process's memory: the
embedded default, exact for one process; with several worker processes each counts on its own,
so a client spreading its requests over them gets up to workers × a limit. ``RedisCounters``
keeps them in Redis (``JIANGUAN_REDIS_URL``), shared by every process of every host, so a limit
holds for the whole service: one round trip a question (the increments and their expiry are
pipelined; a verification's rate limit and abuse standing are asked together, in one), and a
block is started by exactly one process (``SET NX``), which alone writes its alert.

Both keep memory bounded: a fixed window is one counter a client; a sliding window is kept as
``SLIDING_BUCKETS`` sub-window counters, so a client costs the same whether it sent five bad
queries or fifty thousand (the sliding count is exact to one sub-window: a query leaves the
count between ``window`` and ``window * (1 + 1/SLIDING_BUCKETS)`` seconds after it was made).
``LocalCounters`` also forgets clients not seen for a window, and holds at most ``max_keys``.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from typing import Any, Protocol

SLIDING_BUCKETS = 10
MAX_LOCAL_KEYS = 200_000


class Counters(Protocol):
    """The questions the rate limit and the abuse guard ask (``now`` is a clock time in seconds:
    wall-clock time, so that processes sharing Redis name the same windows; the local store
    only compares the times it was given)."""

    shared: bool  # whether other processes see these counts (Redis) or not (this process's memory)

    def hit(self, key: str, *, window: float, now: float) -> tuple[int, float]:
        """Count one event of ``key`` in its fixed window; the count so far and the seconds left."""
        ...

    def add(self, key: str, *, window: float, now: float, unless_blocked: bool = False) -> int:
        """Count one event of ``key`` in its sliding window; the count over the window. With
        ``unless_blocked``, a blocked key counts nothing (and 0 is answered)."""
        ...

    def standing(self, key: str, *, window: float, now: float) -> tuple[float, int]:
        """The seconds ``key`` stays blocked (0 when it is not) and its events in its sliding window."""
        ...

    def hit_and_standing(self, key: str, *, window: float, standing_key: str, standing_window: float,
                         now: float) -> tuple[int, float, float, int]:
        """``hit`` of ``key`` and ``standing`` of ``standing_key`` asked together (one round trip to
        Redis): the count so far, the seconds left in its window, the seconds ``standing_key``
        stays blocked and its events in its sliding window."""
        ...

    def start_block(self, key: str, *, seconds: float, now: float) -> bool:
        """Block ``key`` for ``seconds`` unless it is blocked; whether this call started the block."""
        ...

    def forget(self, key: str, *, window: float, now: float) -> None:
        """Drop the sliding count of ``key`` (after a block it starts afresh)."""
        ...


def _bucket(window: float, now: float) -> int:
    return math.floor(now / (window / SLIDING_BUCKETS))


class LocalCounters:
    """The counters in this process's memory (see the module doc)."""

    shared = False

    def __init__(self, max_keys: int = MAX_LOCAL_KEYS) -> None:
        self._lock = threading.Lock()
        self._max_keys = max_keys
        self._fixed: OrderedDict[str, tuple[int, int]] = OrderedDict()  # key -> (window number, count)
        self._sliding: OrderedDict[str, dict[int, int]] = OrderedDict()  # key -> bucket -> count
        self._blocks: dict[str, float] = {}  # key -> blocked until
        self._fixed_swept = -1  # the window number the fixed counters were last swept in
        self._sliding_swept = -1  # the bucket the sliding counters were last swept in

    def _bounded(self, table: OrderedDict[str, Any], key: str) -> None:
        table.move_to_end(key)
        while len(table) > self._max_keys:
            table.popitem(last=False)

    def hit(self, key: str, *, window: float, now: float) -> tuple[int, float]:
        number = math.floor(now / window)
        with self._lock:
            if number != self._fixed_swept:  # once a window, forget the keys of earlier windows
                self._fixed = OrderedDict((k, v) for k, v in self._fixed.items() if v[0] == number)
                self._fixed_swept = number
            seen, count = self._fixed.get(key, (number, 0))
            count = count + 1 if seen == number else 1
            self._fixed[key] = (number, count)
            self._bounded(self._fixed, key)
        return count, (number + 1) * window - now

    def _live(self, key: str, window: float, now: float) -> dict[int, int]:
        oldest = _bucket(window, now) - SLIDING_BUCKETS + 1
        buckets = {b: n for b, n in self._sliding.get(key, {}).items() if b >= oldest}
        self._sliding[key] = buckets
        return buckets

    def _sweep(self, window: float, now: float) -> None:
        """Once a window, forget the keys with nothing left in their window."""
        bucket = _bucket(window, now)
        if bucket < self._sliding_swept + SLIDING_BUCKETS:
            return
        self._sliding_swept = bucket
        for key in list(self._sliding):
            if not self._live(key, window, now):
                del self._sliding[key]

    def add(self, key: str, *, window: float, now: float, unless_blocked: bool = False) -> int:
        with self._lock:
            self._sweep(window, now)
            if unless_blocked and self._blocks.get(key, 0.0) > now:
                return 0
            buckets = self._live(key, window, now)
            bucket = _bucket(window, now)
            buckets[bucket] = buckets.get(bucket, 0) + 1
            self._bounded(self._sliding, key)
            return sum(buckets.values())

    def standing(self, key: str, *, window: float, now: float) -> tuple[float, int]:
        with self._lock:
            until = self._blocks.get(key)
            blocked = max(0.0, until - now) if until is not None else 0.0
            if key not in self._sliding:
                return blocked, 0
            buckets = self._live(key, window, now)
            if not buckets:
                del self._sliding[key]
            return blocked, sum(buckets.values())

    def hit_and_standing(self, key: str, *, window: float, standing_key: str, standing_window: float,
                         now: float) -> tuple[int, float, float, int]:
        return (*self.hit(key, window=window, now=now), *self.standing(standing_key, window=standing_window, now=now))

    def start_block(self, key: str, *, seconds: float, now: float) -> bool:
        with self._lock:
            if self._blocks.get(key, 0.0) > now:
                return False
            self._blocks = {k: until for k, until in self._blocks.items() if until > now}  # forget ended ones
            self._blocks[key] = now + seconds
            return True

    def forget(self, key: str, *, window: float, now: float) -> None:
        with self._lock:
            self._sliding.pop(key, None)

    def keys(self) -> set[str]:
        """The keys held now: what memory is spent on."""
        with self._lock:
            return set(self._fixed) | set(self._sliding) | set(self._blocks)


class RedisCounters:
    """The counters in Redis, shared by every process and host (see the module doc). ``now`` is
    used only to name windows and buckets, so every process must use a comparable clock: the
    caller passes wall-clock time (``time.time()``) for this store."""

    def __init__(self, url: str, *, prefix: str = "jg") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._prefix = prefix

    shared = True

    def _key(self, *parts: object) -> str:
        return ":".join([self._prefix, *map(str, parts)])

    def ping(self) -> None:
        """Raise if Redis cannot be reached."""
        self._redis.ping()

    def _hit(self, pipe: Any, key: str, window: float, now: float) -> int:
        """Queue ``hit``'s commands on ``pipe``; its window's number."""
        number = math.floor(now / window)
        name = self._key("fixed", key, number)
        pipe.incr(name)
        pipe.expire(name, math.ceil(window) + 1)
        return number

    def _standing(self, pipe: Any, key: str, window: float, now: float) -> None:
        """Queue ``standing``'s commands on ``pipe``."""
        pipe.pttl(self._key("block", key))
        pipe.mget(self._names(key, window, now))

    @staticmethod
    def _stood(left: int | None, values: list[Any]) -> tuple[float, int]:
        return (left / 1000 if left and left > 0 else 0.0), sum(int(value) for value in values if value is not None)

    def hit(self, key: str, *, window: float, now: float) -> tuple[int, float]:
        pipe = self._redis.pipeline(transaction=False)
        number = self._hit(pipe, key, window, now)
        count, _ = pipe.execute()
        return int(count), (number + 1) * window - now

    def _names(self, key: str, window: float, now: float) -> list[str]:
        last = _bucket(window, now)
        return [self._key("sliding", key, bucket) for bucket in range(last - SLIDING_BUCKETS + 1, last + 1)]

    def add(self, key: str, *, window: float, now: float, unless_blocked: bool = False) -> int:
        if unless_blocked and self._redis.exists(self._key("block", key)):
            return 0
        names = self._names(key, window, now)
        pipe = self._redis.pipeline(transaction=False)
        pipe.incr(names[-1])
        pipe.expire(names[-1], math.ceil(window * (1 + 1 / SLIDING_BUCKETS)) + 1)
        pipe.mget(names[:-1])
        current, _, earlier = pipe.execute()
        return int(current) + sum(int(value) for value in earlier if value is not None)

    def standing(self, key: str, *, window: float, now: float) -> tuple[float, int]:
        pipe = self._redis.pipeline(transaction=False)
        self._standing(pipe, key, window, now)
        return self._stood(*pipe.execute())

    def hit_and_standing(self, key: str, *, window: float, standing_key: str, standing_window: float,
                         now: float) -> tuple[int, float, float, int]:
        pipe = self._redis.pipeline(transaction=False)
        number = self._hit(pipe, key, window, now)
        self._standing(pipe, standing_key, standing_window, now)
        count, _, left, values = pipe.execute()
        return (int(count), (number + 1) * window - now, *self._stood(left, values))

    def start_block(self, key: str, *, seconds: float, now: float) -> bool:
        return bool(self._redis.set(self._key("block", key), 1, nx=True, px=max(1, round(seconds * 1000))))

    def forget(self, key: str, *, window: float, now: float) -> None:
        self._redis.delete(*self._names(key, window, now))


def counters_from_url(url: str | None, *, prefix: str = "jg") -> Counters:
    """The store the settings choose: Redis at ``url``, or this process's memory without one."""
    return RedisCounters(url, prefix=prefix) if url else LocalCounters()
