"""Looking codes up: the batch a code is in, the batches a principal may see, and what is known of a code.

Who sees a batch is the jurisdiction rule: its enterprise, the printer it names, the regulators
whose scope holds its enterprise, and the operator. What is known of a code (batch, product,
printing, activation, packing and queries) is the operator's to read for any code, and a
regulator's or the enterprise's for the codes in their scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.codes.codec import format_grouped, issue_codes
from jianguan.codes.keyring import keyring
from jianguan.codes.models import Activation, CodeBatch, SpoiledCode
from jianguan.enterprises.models import Enterprise, Product
from jianguan.errors import NotFound
from jianguan.jurisdiction import in_scope, scope_condition
from jianguan.printers.models import Printer
from jianguan.regions.tree import region_tree
from jianguan.trace.store import container_of
from jianguan.verify.models import CodeQueryState, Query
from jianguan.verify.risk import Risk, Sighting, assess


def _batch_scope(principal: Principal) -> Any:
    """The batches ``principal`` sees (the jurisdiction rule): its enterprise's, the ones it prints,
    those of the enterprises in a regulator's scope, or every one for the operator."""
    return scope_condition(principal, enterprise=CodeBatch.enterprise_id, printer=CodeBatch.printer_id)


def get_batch(session: Session, *, principal: Principal, batch_id: int, for_update: bool = False) -> CodeBatch:
    """A batch the principal may see; NotFound otherwise. ``for_update`` locks its row until commit
    (PostgreSQL), for a change that depends on its current state."""
    query = select(CodeBatch).where(CodeBatch.id == batch_id, _batch_scope(principal))
    batch = session.scalar(query.with_for_update() if for_update else query)
    if batch is None:
        raise NotFound(f"No code batch {batch_id}.", f"监管码批次 {batch_id} 不存在。", code="unknown_batch")
    return batch


def list_batches(session: Session, *, principal: Principal) -> list[CodeBatch]:
    """Batches the principal may see, newest first."""
    return list(session.scalars(select(CodeBatch).where(_batch_scope(principal)).order_by(CodeBatch.id.desc())))




def find_batch(session: Session, generation: int, serial: int) -> CodeBatch | None:
    """The batch whose range holds the serial: the batch with the greatest start not above it."""
    batch = session.scalar(select(CodeBatch).where(CodeBatch.generation == generation,
                                                   CodeBatch.serial_start <= serial)
                           .order_by(CodeBatch.serial_start.desc()).limit(1))
    if batch is None or serial >= batch.serial_end:
        return None
    return batch


def code_status(session: Session, *, code: str) -> dict[str, Any]:
    """What the network knows of a code: issued or not, batch, enterprise, product, printing,
    activation, packing and its queries (stored counts: the last 0.05 s of queries may still be
    on their way from the servers). A registered code of another scheme is told as ours are, with
    ``scheme``. Raises MalformedCode for input that is neither."""
    from jianguan.schemes.services import REGISTERED, code_text, locate_code  # schemes build on codes

    ring = keyring(session)
    text, generation, serial = locate_code(session, ring, code)
    answer: dict[str, Any] = {"code": text, "grouped": format_grouped(text) if generation else text,
                              "generation": generation}
    if generation == REGISTERED:
        answer["scheme"] = {"registered": True, "issued": False}
    batch = find_batch(session, generation, serial)
    if batch is None:
        return {**answer, "issued": False}
    product = session.get(Product, batch.product_id)
    enterprise = session.get(Enterprise, batch.enterprise_id)
    assert product is not None and enterprise is not None
    spoiled = session.get(SpoiledCode, (generation, serial)) is not None
    active = session.scalars(select(Activation).where(
        Activation.batch_id == batch.id, Activation.serial_start <= serial, Activation.serial_end > serial,
        Activation.withdrawn_at.is_(None))).all()
    packed = container_of(session, generation, serial)
    queried = session.get(CodeQueryState, (generation, serial))
    answer.update({
        "issued": True,
        "batch": {"id": batch.id, "packaging_level": batch.packaging_level, "issued_at": batch.issued_at.isoformat(),
                  "offset": serial - batch.serial_start, "printed": batch.printed_at is not None},
        "enterprise": {"id": enterprise.id, "name": enterprise.name},
        "product": {"id": product.id, "name": product.name, "specification": product.specification},
        "spoiled": spoiled,
        "activation": None,
        "container": code_text(session.connection(), ring, *packed[:2]) if packed else None,
        "queries": {"count": queried.count if queried else 0,
                    "first_at": queried.first_at.isoformat() if queried else None,
                    "last_at": queried.last_at.isoformat() if queried else None,
                    "first_region_code": queried.first_region_code if queried else None,
                    "first_region_name": region_tree(session).name(queried.first_region_code) if queried else None},
    })
    if queried is not None and queried.count:
        answer["risk"] = code_risk(session, generation, serial, queried.count).to_json(evidence=True)
    if active:
        row = active[0]
        answer["activation"] = {"id": row.id, "lot": row.lot, "production_date": row.production_date.isoformat(),
                                "expiry_date": row.expiry_date.isoformat() if row.expiry_date else None,
                                "inspection_record": row.inspection_record}
    return answer




def batch_codes(session: Session, *, principal: Principal, batch_id: int, offset: int = 0, limit: int = 100
                ) -> list[str]:
    """Codes of a batch by offset (for pages and labels), at most 10,000 at a time."""
    batch = get_batch(session, principal=principal, batch_id=batch_id)
    limit = max(0, min(limit, 10_000, batch.quantity - offset))
    if offset < 0 or limit == 0:
        return []
    if batch.generation == 0:  # a registration of codes of another scheme: as the scheme writes them
        from jianguan.schemes.services import texts_of  # schemes build on codes

        return texts_of(session.connection(), batch.serial_start + offset, batch.serial_start + offset + limit)
    serials = np.arange(batch.serial_start + offset, batch.serial_start + offset + limit, dtype=np.uint64)
    return [value.decode() for value in issue_codes(keyring(session)[batch.generation], serials)]




@dataclass(frozen=True)
class BatchView:
    """A batch with its product, enterprise and printer, and how many of its codes were spoiled."""

    batch: CodeBatch
    product: Product
    enterprise: Enterprise
    printer: Printer | None
    spoiled: int




def _batch_view(session: Session, batch: CodeBatch, spoiled: int) -> BatchView:
    product = session.get(Product, batch.product_id)
    enterprise = session.get(Enterprise, batch.enterprise_id)
    assert product is not None and enterprise is not None
    printer = session.get(Printer, batch.printer_id) if batch.printer_id is not None else None
    return BatchView(batch, product, enterprise, printer, spoiled)


def describe_batches(session: Session, *, principal: Principal) -> list[BatchView]:
    """The batches the principal may see (see ``list_batches``), newest first, with names and spoiled counts."""
    batches = list_batches(session, principal=principal)
    spoiled = dict(session.execute(
        select(SpoiledCode.batch_id, func.count()).where(SpoiledCode.batch_id.in_([b.id for b in batches]))
        .group_by(SpoiledCode.batch_id)).tuples().all())
    return [_batch_view(session, batch, int(spoiled.get(batch.id, 0))) for batch in batches]


def describe_batch(session: Session, *, principal: Principal, batch_id: int) -> BatchView:
    """One batch the principal may see, with names and its spoiled count; NotFound otherwise."""
    batch = get_batch(session, principal=principal, batch_id=batch_id)
    spoiled = session.scalar(select(func.count()).select_from(SpoiledCode).where(SpoiledCode.batch_id == batch.id))
    return _batch_view(session, batch, int(spoiled or 0))




EVIDENCE_QUERIES = 200


def code_risk(session: Session, generation: int, serial: int, count: int) -> Risk:
    """The clone risk of a code queried ``count`` times, weighed over its logged queries (the
    latest ``EVIDENCE_QUERIES``), with its evidence: what regulators and the brand owner see."""
    rows = session.execute(select(Query.at, Query.region_code, Query.channel)
                           .where(Query.generation == generation, Query.serial == serial)
                           .order_by(Query.id.desc()).limit(EVIDENCE_QUERIES)).all()
    sightings = [Sighting(at, region, str(channel)) for at, region, channel in rows]
    return assess(count - 1, sightings, region_tree(session))


def code_status_for(session: Session, *, principal: Principal, code: str) -> dict[str, Any]:
    """``code_status`` as the principal may see it (the jurisdiction rule): the operator any code, a
    regulator the codes of the enterprises in its scope, a manufacturer its own. Any other code,
    issued or not, is NotFound; only the operator learns that a code was never issued."""
    status = code_status(session, code=code)
    if principal.role is Role.OPERATOR:
        return status
    if not status["issued"] or not in_scope(session, principal, enterprise=status["enterprise"]["id"]):
        raise NotFound(f"No code {status['code']} is known in your scope.",
                       f"您的范围内没有监管码 {status['code']}。", code="unknown_code")
    return status


