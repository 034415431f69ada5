"""Separate processes that race for the network's limits, for the concurrency tests (imported by spawn).

Each worker makes its own engine and session factory, as a server process does, waits at the
barrier with the others, and then calls the service once or a few times.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.services import Actor
from jianguan.codes.delivery import start_download
from jianguan.codes.issue import request_codes
from jianguan.codes.keyring import KeyService
from jianguan.config import Settings
from jianguan.errors import DomainError
from jianguan.storage import make_engine, session_factory, transaction

ACTOR = Actor.system("worker")


@contextmanager
def _sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    try:
        yield session_factory(engine, keys=KeyService(Settings().master_key_bytes()))
    finally:
        engine.dispose()


def issue_many(database_url: str, product_id: int, quantities: list[int], barrier: Any) -> list[int]:
    """Wait for every worker, then request (and so issue) one batch per quantity; return batch ids."""
    operator = Principal(kind="system", id=0, name="worker", role=Role.OPERATOR)
    batch_ids = []
    with _sessions(database_url) as sessions:
        barrier.wait()
        for quantity in quantities:
            with transaction(sessions) as session:
                made = request_codes(session, actor=ACTOR, principal=operator, product_id=product_id,
                                     quantity=quantity)
                assert made.batch is not None
                batch_ids.append(made.batch.id)
    return batch_ids


def request_once(database_url: str, enterprise_id: int, product_id: int, quantity: int, barrier: Any) -> str:
    """Wait for every worker, then request ``quantity`` codes as the enterprise; return the status."""
    staff = Principal(kind="system", id=0, name="worker", role=Role.MANUFACTURER, enterprise_id=enterprise_id)
    with _sessions(database_url) as sessions:
        barrier.wait()
        with transaction(sessions) as session:
            made = request_codes(session, actor=ACTOR, principal=staff, product_id=product_id, quantity=quantity)
            return str(made.request.status)


def download_once(database_url: str, batch_id: int, printer_id: int, limit: int, barrier: Any) -> str:
    """Wait for every worker, then download the batch's code file as its printer: "ok" or the refusal."""
    printer = Principal(kind="system", id=0, name="worker", role=Role.PRINTER, printer_id=printer_id)
    with _sessions(database_url) as sessions:
        barrier.wait()
        try:
            with transaction(sessions) as session:
                start_download(session, actor=ACTOR, principal=printer, batch_id=batch_id, limit=limit)
        except DomainError as error:
            return error.code
    return "ok"


def register_once(database_url: str, enterprise_id: int, product_id: int, gtin: str, ranges: list[tuple[int, int]],
                  serials: list[str], barrier: Any) -> str:
    """Wait for every worker, then register GS1 serial ranges and listed serials of the product as its
    enterprise: "ok", the refusal's code, or the name of any other exception."""
    from jianguan.schemes.services import register_gs1  # schemes build on codes

    staff = Principal(kind="system", id=0, name="worker", role=Role.MANUFACTURER, enterprise_id=enterprise_id)
    with _sessions(database_url) as sessions:
        barrier.wait()
        try:
            with transaction(sessions) as session:
                register_gs1(session, actor=ACTOR, principal=staff, product_id=product_id, gtin=gtin,
                             ranges=ranges, serials=serials)
        except DomainError as error:
            return error.code
        except Exception as error:
            return type(error).__name__
    return "ok"


def import_once(database_url: str, enterprise_id: int, product_id: int, file: str, barrier: Any) -> str:
    """Wait for every worker, then import a file of drug codes for the product as its enterprise:
    "ok", the refusal's code, or the name of any other exception."""
    from jianguan.schemes.services import import_drug_codes  # schemes build on codes

    staff = Principal(kind="system", id=0, name="worker", role=Role.MANUFACTURER, enterprise_id=enterprise_id)
    with _sessions(database_url) as sessions:
        barrier.wait()
        try:
            with transaction(sessions) as session:
                import_drug_codes(session, actor=ACTOR, principal=staff, product_id=product_id,
                                  file_name="codes.csv", data=file.encode())
        except DomainError as error:
            return error.code
        except Exception as error:
            return type(error).__name__
    return "ok"
