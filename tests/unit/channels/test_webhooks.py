"""The webhook signature: HMAC-SHA256 over "{timestamp}.{body}", fresh within 300 seconds."""

from __future__ import annotations

import pytest

from jianguan.channels.webhooks import SignatureRefused, check_signature, sign

SECRET = b"a shared secret"
BODY = b'{"sender": "13805710000", "text": "hello"}'
NOW = 1_800_000_000.0


def test_a_good_signature_passes() -> None:
    stamp = str(int(NOW))
    assert check_signature(SECRET, timestamp=stamp, signature=sign(SECRET, stamp, BODY), body=BODY, now=NOW) == NOW


def test_upper_case_hex_passes() -> None:
    stamp = str(int(NOW) - 299)
    signature = sign(SECRET, stamp, BODY).upper()
    assert check_signature(SECRET, timestamp=stamp, signature=signature, body=BODY, now=NOW) == int(stamp)


@pytest.mark.parametrize(("timestamp", "signature", "code"), [
    (None, "x", "missing_signature"),
    ("1800000000", None, "missing_signature"),
    ("1800000000", "", "missing_signature"),
    ("soon", "0" * 64, "bad_timestamp"),
    ("-1800000000", "0" * 64, "bad_timestamp"),
    ("1800000000", "0" * 64, "bad_signature"),
    ("1800000000", "签名" * 32, "bad_signature"),
])
def test_missing_or_wrong_is_refused(timestamp: str | None, signature: str | None, code: str) -> None:
    with pytest.raises(SignatureRefused) as refused:
        check_signature(SECRET, timestamp=timestamp, signature=signature, body=BODY, now=NOW)
    assert refused.value.code == code and refused.value.status_code == 401


def test_a_tampered_body_or_timestamp_is_refused() -> None:
    stamp = str(int(NOW))
    signature = sign(SECRET, stamp, BODY)
    with pytest.raises(SignatureRefused):
        check_signature(SECRET, timestamp=stamp, signature=signature, body=BODY + b" ", now=NOW)
    with pytest.raises(SignatureRefused):
        check_signature(SECRET, timestamp=str(int(NOW) - 1), signature=signature, body=BODY, now=NOW)
    with pytest.raises(SignatureRefused):
        check_signature(b"another secret", timestamp=stamp, signature=signature, body=BODY, now=NOW)


@pytest.mark.parametrize("offset", [301, -301, 86400])
def test_an_old_or_future_timestamp_is_refused(offset: int) -> None:
    stamp = str(int(NOW) - offset)
    with pytest.raises(SignatureRefused) as refused:
        check_signature(SECRET, timestamp=stamp, signature=sign(SECRET, stamp, BODY), body=BODY, now=NOW)
    assert refused.value.code == "stale_timestamp"
