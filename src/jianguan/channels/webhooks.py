"""Checking a webhook's signature: pure, no I/O (the replay guard is ``messaging.services``).

The sender signs ``"{timestamp}.{raw body}"`` with HMAC-SHA256 under the shared secret and sends
the timestamp (unix seconds) and the hex digest in ``X-Jianguan-Timestamp`` and
``X-Jianguan-Signature``. Binding the timestamp into the signature means an old request cannot
be replayed with a fresh timestamp; the window bounds how long the replay guard must remember.
"""

from __future__ import annotations

import hashlib
import hmac

from jianguan.errors import DomainError

TIMESTAMP_HEADER = "x-jianguan-timestamp"
SIGNATURE_HEADER = "x-jianguan-signature"
WINDOW_SECONDS = 300


class SignatureRefused(DomainError):
    """A webhook request without a valid, fresh signature (HTTP 401)."""

    status_code = 401
    code = "bad_signature"


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"{timestamp}.{body}"``: what the sender puts in the header."""
    return hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def check_signature(secret: bytes, *, timestamp: str | None, signature: str | None, body: bytes, now: float,
                    window_seconds: int = WINDOW_SECONDS) -> int:
    """The signed timestamp if the signature is valid and fresh; SignatureRefused if not."""
    if not timestamp or not signature:
        raise SignatureRefused("The request is not signed.", "请求未签名。", code="missing_signature")
    timestamp, signature = timestamp.strip(), signature.strip().lower()
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise SignatureRefused("The timestamp is not unix seconds.", "时间戳格式有误。", code="bad_timestamp")
    if not (signature.isascii() and len(signature) == 64):
        raise SignatureRefused("The signature is not valid.", "签名无效。")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature):
        raise SignatureRefused("The signature is not valid.", "签名无效。")
    signed_at = int(timestamp)
    if abs(now - signed_at) > window_seconds:
        raise SignatureRefused(f"The timestamp is more than {window_seconds} seconds off.",
                               f"时间戳与当前时间相差超过 {window_seconds} 秒。", code="stale_timestamp")
    return signed_at
