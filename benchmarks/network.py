"""A benchmark network: one signed enterprise with a product and a designated printer, and
batches issued the real way (requests, approval above quota)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session, sessionmaker

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.services import Actor
from jianguan.catalogue.services import get_category_by_code
from jianguan.codes.activation import ProductionData, activate
from jianguan.codes.issue import request_codes
from jianguan.codes.keyring import KeyService
from jianguan.codes.models import CodeBatch
from jianguan.config import Settings
from jianguan.enterprises import services as enterprises
from jianguan.enterprises.identifiers import credit_code_check_character
from jianguan.enterprises.models import Enterprise
from jianguan.storage import session_factory, transaction

ACTOR = Actor.system("benchmark")
OPERATOR = Principal(kind="system", id=0, name="benchmark", role=Role.OPERATOR)


@dataclass(frozen=True)
class BenchNetwork:
    enterprise_id: int
    product_id: int
    staff: Principal


def build(sessions: sessionmaker[Session]) -> BenchNetwork:
    with transaction(sessions) as session:
        body = "91130111MA0BENCH0"
        enterprise = enterprises.register_enterprise(
            session, actor=ACTOR, credit_code=body + credit_code_check_character(body), name="基准测试企业",
            region_code="130111", category_id=get_category_by_code(session, "food").id, address="测试路 1 号",
            contact_name="测试", contact_phone="0311-00000000")
        enterprises.sign_enterprise(session, actor=ACTOR, enterprise_id=enterprise.id)
        product = enterprises.add_product(session, actor=ACTOR, principal=OPERATOR, enterprise_id=enterprise.id,
                                          name="基准产品", specification="1 kg",
                                          category_id=get_category_by_code(session, "food").id)
        session.execute(update(Enterprise).where(Enterprise.id == enterprise.id)
                        .values(monthly_code_quota=10**15))
        staff = Principal(kind="system", id=0, name="bench-staff", role=Role.MANUFACTURER,
                          enterprise_id=enterprise.id)
        return BenchNetwork(enterprise.id, product.id, staff)


def bench_sessions(engine: Engine) -> sessionmaker[Session]:
    """The session factory a benchmark uses: the service's, with the key service of the settings."""
    return session_factory(engine, keys=KeyService(Settings().master_key_bytes()))


def issue(sessions: sessionmaker[Session], network: BenchNetwork, quantity: int) -> CodeBatch:
    with transaction(sessions) as session:
        batch = request_codes(session, actor=ACTOR, principal=network.staff, product_id=network.product_id,
                              quantity=quantity).batch
        assert batch is not None  # the network's quota is unbounded
        return batch


def activate_all(sessions: sessionmaker[Session], network: BenchNetwork, batch: CodeBatch) -> None:
    with transaction(sessions) as session:
        activate(session, actor=ACTOR, principal=network.staff, batch_id=batch.id,
                 data=ProductionData("BENCH", dt.date(2026, 10, 1), dt.date(2099, 1, 1)))
