"""Delivering codes to be printed: the signed code file for the printer, and label sheets.

A code file is a ZIP streamed in chunks (``codes.files``), never held whole; each download is
counted against the batch's limit and audited. A label sheet discloses codes just as the file
does, so it is audited too, but not counted: a large batch is printed in many runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.codes.codec import Key
from jianguan.codes.keyring import Signer, key_service, keyring
from jianguan.codes.lookup import batch_codes, get_batch
from jianguan.codes.models import CodeBatch, CodeDownload
from jianguan.enterprises.models import Enterprise, Product
from jianguan.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


@dataclass(frozen=True)
class CodeFilePlan:
    """Everything needed to stream a batch's code file after the download was recorded."""

    key: Key
    serial_start: int
    quantity: int
    gtin: str | None
    manifest: dict[str, Any]
    signer: Signer
    filename: str


def start_download(session: Session, *, actor: Actor, principal: Principal, batch_id: int, limit: int
                   ) -> CodeFilePlan:
    """Record one download of a batch's code file and return what streaming it needs.

    Only the named printer (or, for a batch the enterprise prints itself, the enterprise) and
    the enterprise may download; each batch may be downloaded ``limit`` times in all. The count
    is checked and raised by one statement, so sixteen downloads at once cannot pass the limit.
    """
    batch = get_batch(session, principal=principal, batch_id=batch_id)
    if principal.role not in (Role.MANUFACTURER, Role.PRINTER):
        raise PermissionDenied("Only the enterprise and its printer download code files.",
                               "只有生产企业及其承印企业可以下载监管码文件。")
    download = session.execute(
        update(CodeBatch).where(CodeBatch.id == batch.id, CodeBatch.downloads < limit)
        .values(downloads=CodeBatch.downloads + 1).returning(CodeBatch.downloads)
        .execution_options(synchronize_session=False)
    ).scalar()
    if download is None:
        raise Conflict(f"This batch's code file was downloaded {limit} times, the most allowed.",
                       f"该批次监管码文件已下载 {limit} 次，达到上限。", code="download_limit")
    session.add(CodeDownload(batch_id=batch.id, downloaded_by=actor.name, source_address=actor.source_address))
    record(session, actor=actor, action=AuditAction.CODE_FILE_DOWNLOADED, target_type="code_batch",
           target_id=batch.id, after={"download": download})
    return plan_code_file(session, batch=batch)


def export_code_file(session: Session, *, actor: Actor, batch_id: int) -> CodeFilePlan:
    """The operator's export of a batch's code file on the server itself (``jianguan codes export``);
    audited, and not counted against the printer's download limit."""
    batch = session.get(CodeBatch, batch_id)
    if batch is None:
        raise NotFound(f"No code batch {batch_id}.", f"监管码批次 {batch_id} 不存在。", code="unknown_batch")
    record(session, actor=actor, action=AuditAction.CODE_FILE_EXPORTED, target_type="code_batch",
           target_id=batch.id)
    return plan_code_file(session, batch=batch)


def plan_code_file(session: Session, *, batch: CodeBatch) -> CodeFilePlan:
    """What streaming the batch's code file needs: its key, range, manifest fields and signer. A
    registration of codes of another scheme (generation 0) has no file: the enterprise has its codes."""
    if batch.generation == 0:
        raise ValidationFailed("Registered codes of another scheme have no code file.",
                               "注册的其他编码体系的码没有监管码文件。", code="registered_batch")
    product = session.get(Product, batch.product_id)
    enterprise = session.get(Enterprise, batch.enterprise_id)
    assert product is not None and enterprise is not None
    manifest = {
        "batch_id": batch.id,
        "enterprise": {"id": enterprise.id, "name": enterprise.name, "credit_code": enterprise.credit_code},
        "product": {"id": product.id, "name": product.name, "specification": product.specification,
                    "gtin": product.gtin},
        "packaging_level": batch.packaging_level,
        "printer_id": batch.printer_id,
        "issued_at": batch.issued_at.isoformat(),
    }
    return CodeFilePlan(key=keyring(session)[batch.generation], serial_start=batch.serial_start, quantity=batch.quantity,
                        gtin=product.gtin, manifest=manifest, signer=key_service(session).signer(session),
                        filename=f"jianguan-batch-{batch.id}.zip")


def stream_code_file(plan: CodeFilePlan, *, base_url: str) -> Iterator[bytes]:
    """The ZIP bytes of a planned code file (see codes.files)."""
    from jianguan.codes.files import iter_code_file

    return iter_code_file(key=plan.key, serial_start=plan.serial_start, quantity=plan.quantity, base_url=base_url,
                          gtin=plan.gtin, manifest=plan.manifest, signer=plan.signer.sign,
                          public_key_id=plan.signer.key_id)




MAX_LABELS = 10_000  # labels on one PDF sheet: about 420 A4 pages, and the renderer's memory bound


@dataclass(frozen=True)
class LabelRun:
    """Codes of a batch to print as labels, with what each label shows beside the code."""

    codes: list[str]
    product_name: str
    specification: str
    enterprise_name: str
    title: str


def label_run(session: Session, *, actor: Actor, principal: Principal, batch_id: int, offset: int,
              count: int) -> LabelRun:
    """``count`` codes of a batch from ``offset`` for a label sheet (the batch's printer, or the
    enterprise); at most ``MAX_LABELS`` at a time, all within the batch.

    A label sheet discloses codes just as the code file does, so each one is audited with its
    range. It does not count against the code file's download limit: a large batch is printed
    as labels in many runs of at most ``MAX_LABELS``.
    """
    batch = get_batch(session, principal=principal, batch_id=batch_id)
    if principal.role not in (Role.MANUFACTURER, Role.PRINTER):
        raise PermissionDenied("Only the enterprise and its printer print labels.", "只有生产企业及其承印企业可以打印标签。")
    if not 1 <= count <= MAX_LABELS:
        raise ValidationFailed(f"Print 1 to {MAX_LABELS:,} labels at a time; got {count}.",
                               f"每次可打印 1 至 {MAX_LABELS:,} 张标签，收到 {count}。", code="bad_quantity")
    if not 0 <= offset < batch.quantity:
        raise ValidationFailed(f"The offset {offset} is not within the batch's 0..{batch.quantity - 1}.",
                               f"起始位置 {offset} 超出本批次范围 0..{batch.quantity - 1}。", code="range_outside_batch")
    codes = batch_codes(session, principal=principal, batch_id=batch.id, offset=offset, limit=count)
    record(session, actor=actor, action=AuditAction.CODE_LABELS_DOWNLOADED, target_type="code_batch",
           target_id=batch.id, after={"offset": offset, "count": len(codes)})
    product = session.get(Product, batch.product_id)
    enterprise = session.get(Enterprise, batch.enterprise_id)
    assert product is not None and enterprise is not None
    title = (f"{enterprise.name} · {product.name} · 批次 {batch.id} · "
             f"第 {offset + 1}–{offset + len(codes)} 码 / codes {offset + 1}–{offset + len(codes)}")
    return LabelRun(codes, product.name, product.specification, enterprise.name, title)
