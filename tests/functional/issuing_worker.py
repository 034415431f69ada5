"""A separate process that issues code batches, for the concurrency test (imported by spawn)."""

from __future__ import annotations

from typing import Any


def issue_many(database_url: str, product_id: int, quantities: list[int], barrier: Any) -> list[int]:
    """Wait for every worker, then request (and so issue) one batch per quantity; return batch ids."""
    from sqlalchemy import select

    from jianguan.accounts.models import Role
    from jianguan.accounts.principal import Principal
    from jianguan.audit.services import Actor
    from jianguan.codes.models import CodeBatch
    from jianguan.codes.services import request_codes
    from jianguan.config import Settings
    from jianguan.storage import make_engine, session_factory, transaction

    engine = make_engine(database_url)
    sessions = session_factory(engine)
    master = Settings().master_key_bytes()
    operator = Principal(kind="system", id=0, name="worker", role=Role.OPERATOR)
    batch_ids = []
    barrier.wait()
    for quantity in quantities:
        with transaction(sessions) as session:
            request = request_codes(session, actor=Actor.system("worker"), principal=operator, product_id=product_id,
                                    quantity=quantity, master=master)
            batch_ids.append(session.scalar(select(CodeBatch.id).where(CodeBatch.request_id == request.id)))
    engine.dispose()
    return batch_ids
