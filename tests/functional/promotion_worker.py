"""Separate processes that verify codes at once, for the promotions' concurrency tests (imported by spawn)."""

from __future__ import annotations

from typing import Any

from jianguan.codes.keyring import KeyService
from jianguan.config import Settings
from jianguan.storage import make_engine, session_factory
from jianguan.verify.models import Channel
from jianguan.verify.services import QueryContext, Verifier


def verify_once(database_url: str, code: str, barrier: Any) -> dict[str, Any] | None:
    """Wait for every worker, verify ``code`` once (a web query in 栾城区); return the promotion's part."""
    engine = make_engine(database_url)
    try:
        sessions = session_factory(engine, keys=KeyService(Settings().master_key_bytes()))
        verifier = Verifier(sessions, hash_key=b"k" * 32)
        verifier.verify("0", QueryContext(Channel.SMS))  # warm (keys, batches, promotions): a malformed input
        barrier.wait()
        answer = verifier.verify(code, QueryContext(Channel.WEB, region_code="130111"))
        verifier.close()
        return answer.promotion
    finally:
        engine.dispose()
