"""A shop's receiving check run in a separate process, for the concurrency test (imported by spawn)."""

from __future__ import annotations

from typing import Any

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.services import Actor
from jianguan.codes.keyring import KeyService
from jianguan.config import Settings
from jianguan.receipts.services import receive
from jianguan.storage import make_engine, session_factory, transaction


def receive_once(database_url: str, merchant_id: int, codes: list[str], barrier: Any) -> int:
    """Wait for every worker, then check the delivery in as the shop; return how many it accepted."""
    engine = make_engine(database_url)
    sessions = session_factory(engine, keys=KeyService(Settings().master_key_bytes()))
    shop = Principal(kind="system", id=0, name="till", role=Role.MERCHANT, merchant_id=merchant_id)
    try:
        barrier.wait()
        with transaction(sessions) as session:
            return receive(session, actor=Actor.system("till"), principal=shop, codes=codes).accepted
    finally:
        engine.dispose()
