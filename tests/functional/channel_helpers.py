"""Helpers of the channel tests: signing webhook requests and reading the query log of a live server."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from jianguan.config import DEVELOPMENT_SECRET, DEVELOPMENT_SMS_SECRET
from jianguan.storage import normalise_url
from jianguan.verify.services import query_hash_key
from tests.live import LiveServer

SMS_SECRET = DEVELOPMENT_SMS_SECRET.encode()


_NUMBERS = itertools.count(secrets.randbelow(5_000))


def hangzhou_number() -> str:
    """A Hangzhou mobile number (prefix 1380571) no other test of this run uses, so a test finds its own
    rows (the live server lives for the whole run)."""
    return f"1380571{next(_NUMBERS) % 10_000:04d}"


def signed_headers(body: bytes, *, timestamp: int | None = None, secret: bytes = SMS_SECRET,
                   content_type: str = "application/json") -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = hmac.new(secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Jianguan-Timestamp": stamp, "X-Jianguan-Signature": signature, "Content-Type": content_type}


def post_sms(client: httpx.Client, sender: str, text_: str, **kwargs: Any) -> httpx.Response:
    body = json.dumps({"sender": sender, "text": text_}, ensure_ascii=False).encode()
    return client.post("/channels/sms/inbound", content=body, headers=signed_headers(body, **kwargs))


def caller_hash(number: str) -> str:
    return hmac.new(query_hash_key(DEVELOPMENT_SECRET), number.encode(), hashlib.sha256).hexdigest()


def rows(live: LiveServer, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(normalise_url(live.database_url))
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql), params))
    finally:
        engine.dispose()


def queries_of(live: LiveServer, number: str, *, expect: int, timeout: float = 5) -> list[Any]:
    """The query log rows of a caller, waiting for the batched writer to flush ``expect`` of them."""
    deadline = time.monotonic() + timeout
    while True:
        found = rows(live, "SELECT * FROM queries WHERE caller_hash = :hash ORDER BY id", hash=caller_hash(number))
        if len(found) >= expect or time.monotonic() > deadline:
            return found
        time.sleep(0.1)
