"""Registering codes of other schemes, listing registrations, and finding a registered code.

An enterprise registers the codes it already prints under another scheme for one of its
products: GS1 serials of the product's GTIN (numeric ranges and lists) and drug supervision codes
(药品电子监管码, from a CSV or XLSX file). Each registration is a code batch of generation 0
(see ``schemes.models``), numbered from the end of the last one, with no request: it takes
nothing of the enterprise's quota and counts in no "codes issued" figure. Registered codes are
activated as ours are (the batch's activations, whole or by offsets), or at registration when
production data is given.

Refused, with nothing registered: a serial or code registered already (409, ``overlap``), a
value that is one of this network's issued codes (400), a malformed or repeated row of a file
(400, the rows listed), and a product of another enterprise (404, as if there were none).

``find`` is verification's look-up: one index hit in ``scheme_registrations`` (a GS1 range) or
``scheme_values`` (a listed code).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.codes.activation import ProductionData, activate
from jianguan.codes.codec import Keyring, MalformedCode, decode_parsed, encode_serial, parse_code
from jianguan.codes.keyring import keyring
from jianguan.codes.models import CodeBatch
from jianguan.enterprises.models import Enterprise, Product
from jianguan.errors import Conflict, NotFound, ValidationFailed
from jianguan.jurisdiction import scope_condition
from jianguan.rosters.files import FileRefused, RosterRefused, RowFault, table_rows
from jianguan.schemes.models import Scheme, SchemeRegistration, SchemeValue
from jianguan.schemes.parsing import (
    MAX_RANGE_SERIAL_DIGITS,
    ForeignCode,
    drug_code,
    foreign_code,
    gs1_code,
    gtin14,
)
from jianguan.storage.base import utcnow

REGISTERED = 0  # the generation of registered codes
MAX_RANGES = 100  # ranges in one registration request
MAX_RANGE_QUANTITY = 100_000_000
MAX_LISTED = 100_000  # serials or codes of one list or file
MAX_FILE_BYTES = 5 * 1024 * 1024  # a file of drug codes (MAX_LISTED rows of 20 digits take about 2 MB)
_CHUNK = 500  # values looked up in one statement
_ADVISORY_LOCK_KEY = 0x4A47_5247  # "JGRG": registrations, one at a time
MAX_RANGE_SERIAL = 10**MAX_RANGE_SERIAL_DIGITS - 1


class DrugCodesRefused(FileRefused):
    """A file of drug codes with rows at fault."""

    WHAT, WHAT_ZH, CODE = "file of drug codes", "药品电子监管码文件", "drug_codes_refused"


@dataclass(frozen=True)
class Registered:
    """What one registration request made: the registrations (one batch each) and the codes they hold."""

    registrations: list[SchemeRegistration]
    quantity: int


def _owned_product(session: Session, principal: Principal, product_id: int) -> Product:
    """The product, locked (registrations of one product are made one at a time), if the caller
    speaks for its enterprise (or is the operator); NotFound otherwise."""
    product = session.scalar(select(Product).where(Product.id == product_id).with_for_update())
    if product is None or not (principal.role is Role.OPERATOR or principal.owns_enterprise(product.enterprise_id)):
        raise NotFound(f"No product {product_id}.", f"产品 {product_id} 不存在。", code="unknown_product")
    return product


def _one_at_a_time(session: Session) -> None:
    """Registrations take turns (PostgreSQL: a transaction-scoped advisory lock; SQLite's writers
    take turns anyway), whatever their product: what is registered already is read, checked
    against and written to as one step, so two requests at once never both register a code, and
    the one that comes second is told ``overlap``. The product's row lock orders the registrations
    of one product (and so of one GTIN) only; two enterprises importing the same drug code at once
    met the unique index instead (a failed insert), and any two registrations at once picked the
    same start in generation 0 (numbered as one sequence), one of them refused as ``busy``."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})


def _new_batch(session: Session, product: Product, quantity: int) -> CodeBatch:
    """A generation-0 batch of ``quantity`` serials after the last registered one. Registrations take
    turns (``_one_at_a_time``); were two at once to pick the same start, the unique index on
    (generation, serial_start) would refuse one."""
    start = session.scalar(select(func.coalesce(func.max(CodeBatch.serial_start + CodeBatch.quantity), 0))
                           .where(CodeBatch.generation == REGISTERED)) or 0
    batch = CodeBatch(request_id=None, enterprise_id=product.enterprise_id, product_id=product.id,
                      packaging_level="item", generation=REGISTERED, serial_start=int(start), quantity=quantity,
                      printer_id=None, issued_at=utcnow())
    session.add(batch)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("Another registration was being made at the same moment; try again.",
                       "同时有另一项注册正在进行，请重试。", code="busy") from None
    return batch


def _our_codes(session: Session, values: Iterable[tuple[int, str]]) -> list[RowFault]:
    """The rows whose value is a code this network issued (a well-formed code of a batch)."""
    try:
        ring = keyring(session)
    except NotFound:  # nothing issued yet
        return []
    candidates = []
    for row, value in values:
        try:
            generation, serial = decode_parsed(ring, parse_code(value, ring))
        except MalformedCode:
            continue
        candidates.append((row, value, generation, serial))
    if not candidates:
        return []
    ranges: dict[int, list[tuple[int, int]]] = {}
    for generation, start, quantity in session.execute(
            select(CodeBatch.generation, CodeBatch.serial_start, CodeBatch.quantity)
            .where(CodeBatch.generation > REGISTERED)):
        ranges.setdefault(generation, []).append((start, start + quantity))
    for runs in ranges.values():
        runs.sort()
    faults = []
    for row, value, generation, serial in candidates:
        runs = ranges.get(generation, [])
        at = bisect.bisect_right(runs, (serial, float("inf"))) - 1
        if at >= 0 and serial < runs[at][1]:
            faults.append(RowFault(row, "code", f"{value} is a supervision code issued by this network.",
                                   f"{value} 是本网签发的监管码。"))
    return faults


def _registered_already(session: Session, scheme: Scheme, keys: Sequence[str]) -> list[str]:
    """Those of ``keys`` registered already in ``scheme``."""
    found: list[str] = []
    for start in range(0, len(keys), _CHUNK):
        found += session.scalars(select(SchemeValue.value).where(
            SchemeValue.scheme == scheme, SchemeValue.value.in_(keys[start:start + _CHUNK])))
    return found


def _gs1_ranges(session: Session, gtin: str) -> list[tuple[int, int]]:
    """The registered ranges of a GTIN, ``[first, end)``."""
    return [(int(first or 0), int(first or 0) + quantity) for first, quantity in session.execute(
        select(SchemeRegistration.serial_first, CodeBatch.quantity)
        .join(CodeBatch, CodeBatch.id == SchemeRegistration.batch_id)
        .where(SchemeRegistration.gtin == gtin, SchemeRegistration.serial_first.is_not(None)))]


def _overlap(what: str, what_zh: str, **details: Any) -> Conflict:
    return Conflict(f"{what} is registered already.", f"{what_zh}已注册。", code="overlap", **details)


def _registration(session: Session, *, actor: Actor, batch: CodeBatch, scheme: Scheme, gtin: str | None,
                  serial_first: int | None, file_name: str = "") -> SchemeRegistration:
    registration = SchemeRegistration(batch_id=batch.id, scheme=scheme, gtin=gtin, serial_first=serial_first,
                                      file_name=file_name, registered_by=actor.name)
    session.add(registration)
    session.flush()
    return registration


def _finish(session: Session, *, actor: Actor, principal: Principal, registration: SchemeRegistration,
            batch: CodeBatch, production: ProductionData | None, action: AuditAction,
            after: dict[str, Any]) -> None:
    """Audit a registration and, with production data, activate its codes (audited as activations are)."""
    record(session, actor=actor, action=action, target_type="code_batch", target_id=batch.id,
           after={"scheme": str(registration.scheme), "product_id": batch.product_id, "quantity": batch.quantity,
                  **after})
    if production is not None:
        activate(session, actor=actor, principal=principal, batch_id=batch.id, data=production)


def register_gs1(
    session: Session,
    *,
    actor: Actor,
    principal: Principal,
    product_id: int,
    gtin: str,
    ranges: Sequence[tuple[int, int]] = (),
    serials: Sequence[str] = (),
    production: ProductionData | None = None,
) -> Registered:
    """Register GS1 serials of the product's GTIN: each range ``[first, last]`` of numeric serials
    (no leading zeros) as one registration, and the listed serials as one more. All or nothing."""
    product = _owned_product(session, principal, product_id)
    found = gtin14(gtin) if isinstance(gtin, str) else None
    if found is None:
        raise ValidationFailed("The GTIN is not valid (8, 12, 13 or 14 digits with a right check digit).",
                               "GTIN 无效（应为 8、12、13 或 14 位数字，校验位正确）。", code="bad_gtin", field="gtin")
    if product.gtin is None or gtin14(product.gtin) != found:
        raise ValidationFailed(f"The product's GTIN is {product.gtin or 'not recorded'}; register serials of it.",
                               f"该产品的 GTIN 为 {product.gtin or '未登记'}，只能注册该 GTIN 的序列号。",
                               code="wrong_gtin", field="gtin")
    if not ranges and not serials:
        raise ValidationFailed("Give serial ranges or a list of serials.", "请提交序列号号段或序列号列表。",
                               code="missing_field")
    if len(ranges) > MAX_RANGES or len(serials) > MAX_LISTED:
        raise ValidationFailed(f"At most {MAX_RANGES} ranges and {MAX_LISTED:,} serials at once.",
                               f"一次最多 {MAX_RANGES} 个号段、{MAX_LISTED:,} 个序列号。", code="too_many_codes")
    wanted: list[tuple[int, int]] = []
    for first, last in ranges:
        if not (isinstance(first, int) and isinstance(last, int) and 0 <= first <= last <= MAX_RANGE_SERIAL
                and last - first < MAX_RANGE_QUANTITY):
            raise ValidationFailed(
                f"The range {first}-{last} is not a range of numeric serials (0 to {MAX_RANGE_SERIAL}, "
                f"first ≤ last, at most {MAX_RANGE_QUANTITY:,} serials).",
                f"号段 {first}-{last} 无效（应为 0 至 {MAX_RANGE_SERIAL} 的数字序列号，起号不大于止号，"
                f"最多 {MAX_RANGE_QUANTITY:,} 个）。", code="bad_range", field="ranges")
        wanted.append((first, last + 1))
    wanted.sort()
    for (_, end), (first, _) in itertools.pairwise(wanted):
        if first < end:
            raise ValidationFailed("Two of the ranges overlap.", "提交的号段相互重叠。", code="bad_range",
                                   field="ranges")
    faults, codes, seen = [], [], set()
    for row, serial in enumerate(serials, start=1):
        code = gs1_code(found, serial) if isinstance(serial, str) else None
        if code is None:
            faults.append(RowFault(row, "serial", f"{serial!r} is not a GS1 serial (1 to 20 characters).",
                                   f"“{serial}”不是 GS1 序列号（1 至 20 个字符）。"))
        elif code.value in seen:
            faults.append(RowFault(row, "serial", f"{serial} is listed twice.", f"{serial} 重复。"))
        else:
            seen.add(code.value)
            codes.append(code)
    faults += _our_codes(session, ((row, code.value) for row, code in enumerate(codes, start=1)))
    if faults:
        raise _refused(faults, "serials", "序列号")
    _one_at_a_time(session)
    existing = _gs1_ranges(session, found)
    for first, end in wanted:
        for other_first, other_end in existing:
            if first < other_end and other_first < end:
                raise _overlap(f"Part of the range {first}-{end - 1}", f"号段 {first}-{end - 1} 的部分序列号",
                               gtin=found, registered=f"{other_first}-{other_end - 1}")
    listed_numbers = {code.numeric_serial: code.value for code in codes if code.numeric_serial is not None}
    for number, serial in listed_numbers.items():
        if any(first <= number < end for first, end in [*existing, *wanted]):
            raise _overlap(f"The serial {serial}", f"序列号 {serial} ", gtin=found)
    for value in session.scalars(select(SchemeValue.value).where(
            SchemeValue.scheme == Scheme.GS1, SchemeValue.value.like(f"{found}%"))):
        code = ForeignCode(Scheme.GS1, value[14:], found)
        listed = code.numeric_serial
        if listed is not None and any(first <= listed < end for first, end in wanted):
            raise _overlap(f"The serial {code.value}", f"序列号 {code.value} ", gtin=found)
    if taken := _registered_already(session, Scheme.GS1, [code.key for code in codes]):
        raise _overlap(f"The serial {taken[0][14:]}", f"序列号 {taken[0][14:]} ", gtin=found,
                       serials=[value[14:] for value in taken[:100]])

    production = production.checked() if production is not None else None
    made, total = [], 0
    for first, end in wanted:
        batch = _new_batch(session, product, end - first)
        registration = _registration(session, actor=actor, batch=batch, scheme=Scheme.GS1, gtin=found,
                                     serial_first=first)
        _finish(session, actor=actor, principal=principal, registration=registration, batch=batch,
                production=production, action=AuditAction.SCHEMES_SERIALS_REGISTERED,
                after={"gtin": found, "serial_first": first, "serial_last": end - 1})
        made.append(registration)
        total += end - first
    if codes:
        batch = _new_batch(session, product, len(codes))
        registration = _registration(session, actor=actor, batch=batch, scheme=Scheme.GS1, gtin=found,
                                     serial_first=None)
        _insert_values(session, Scheme.GS1, batch, [code.key for code in codes])
        _finish(session, actor=actor, principal=principal, registration=registration, batch=batch,
                production=production, action=AuditAction.SCHEMES_SERIALS_REGISTERED,
                after={"gtin": found, "serials": len(codes)})
        made.append(registration)
        total += len(codes)
    return Registered(made, total)


def _refused(faults: list[RowFault], what: str, what_zh: str) -> ValidationFailed:
    rows = sorted({fault.row for fault in faults})
    return ValidationFailed(f"Nothing was registered: {len(rows)} {what} at fault. {faults[0].message}",
                            f"未注册：{len(rows)} 个{what_zh}有误。{faults[0].message_zh}", code="codes_refused",
                            faults=[fault.as_json() for fault in faults[:200]], more=max(0, len(faults) - 200))


def _insert_values(session: Session, scheme: Scheme, batch: CodeBatch, keys: Sequence[str]) -> None:
    for start in range(0, len(keys), _CHUNK * 4):
        session.execute(insert(SchemeValue), [
            {"scheme": scheme, "value": key, "batch_id": batch.id, "offset": start + i}
            for i, key in enumerate(keys[start:start + _CHUNK * 4])])


def read_drug_codes(data: bytes) -> list[ForeignCode]:
    """The drug codes of a CSV or XLSX file: one a row, in its first column, under an optional
    heading row; empty rows are skipped. DrugCodesRefused, listing each row at fault, for a row
    that is not 20 digits or repeats an earlier one, and for a file over ``MAX_FILE_BYTES``."""
    if len(data) > MAX_FILE_BYTES:
        megabytes = MAX_FILE_BYTES // (1024 * 1024)
        raise DrugCodesRefused([RowFault(
            0, None, f"A file of drug codes is at most {megabytes} MB ({MAX_LISTED:,} codes); this one is larger. "
                     "Split it and import the parts one by one.",
            f"药品电子监管码文件最大 {megabytes} MB（{MAX_LISTED:,} 个码），此文件超出。请拆分为几个文件分别导入。")])
    try:
        rows = list(table_rows(data))
    except RosterRefused as error:  # a file that is no table at all: the same words, for this file
        raise DrugCodesRefused(error.faults) from None
    codes: list[ForeignCode] = []
    faults: list[RowFault] = []
    first_row: dict[str, int] = {}
    for number, cells in rows:
        cell = cells[0] if cells else ""
        if not cell.strip() and not any(c.strip() for c in cells):
            continue
        code = drug_code(cell)
        if code is None:
            if number == 1 and not any(ch.isdigit() for ch in cell):
                continue  # a heading
            faults.append(RowFault(number, "code", f"{cell[:40]!r} is not a drug code (20 digits).",
                                   f"“{cell[:40]}”不是药品电子监管码（20 位数字）。"))
        elif code.value in first_row:
            faults.append(RowFault(number, "code", f"{code.value} repeats row {first_row[code.value]}.",
                                   f"{code.value} 与第 {first_row[code.value]} 行重复。"))
        else:
            first_row[code.value] = number
            codes.append(code)
        if len(codes) > MAX_LISTED:
            raise DrugCodesRefused([RowFault(0, None, f"A file holds at most {MAX_LISTED:,} codes.",
                                             f"一个文件最多 {MAX_LISTED:,} 个码。")])
    if faults:
        raise DrugCodesRefused(faults)
    if not codes:
        raise DrugCodesRefused([RowFault(0, None, "The file holds no drug code.", "文件中没有药品电子监管码。")])
    return codes


def import_drug_codes(
    session: Session,
    *,
    actor: Actor,
    principal: Principal,
    product_id: int,
    file_name: str | None,
    data: bytes,
    production: ProductionData | None = None,
) -> Registered:
    """Register the drug codes of a file (``read_drug_codes``) for a product, as one registration.
    A code of this network's, or one registered already, refuses the file whole."""
    product = _owned_product(session, principal, product_id)
    codes = read_drug_codes(data)
    rows = {code.value: row for row, code in enumerate(codes, start=1)}
    if faults := _our_codes(session, ((rows[code.value], code.value) for code in codes)):
        raise DrugCodesRefused(faults)
    _one_at_a_time(session)
    if taken := _registered_already(session, Scheme.DRUG, [code.value for code in codes]):
        raise _overlap(f"The drug code {taken[0]}", f"药品电子监管码 {taken[0]} ", codes=taken[:100])
    production = production.checked() if production is not None else None
    batch = _new_batch(session, product, len(codes))
    name = (file_name or "")[:200]
    registration = _registration(session, actor=actor, batch=batch, scheme=Scheme.DRUG, gtin=None,
                                 serial_first=None, file_name=name)
    _insert_values(session, Scheme.DRUG, batch, [code.value for code in codes])
    _finish(session, actor=actor, principal=principal, registration=registration, batch=batch,
            production=production, action=AuditAction.SCHEMES_DRUG_CODES_IMPORTED,
            after={"file_name": name})
    return Registered([registration], len(codes))


def list_registrations(session: Session, *, principal: Principal) -> list[dict[str, Any]]:
    """The registrations the caller sees (the scope rule on the enterprise, its region and the
    product's category), newest first."""
    rows = session.execute(
        select(SchemeRegistration, CodeBatch, Product.name, Enterprise.name)
        .join(CodeBatch, CodeBatch.id == SchemeRegistration.batch_id)
        .join(Product, Product.id == CodeBatch.product_id)
        .join(Enterprise, Enterprise.id == CodeBatch.enterprise_id)
        .where(scope_condition(principal, region=Enterprise.region_code, category=Product.category_id,
                               enterprise=Enterprise.id))
        .order_by(SchemeRegistration.batch_id.desc())).all()
    return [describe(registration, batch, product, enterprise) for registration, batch, product, enterprise in rows]


def scheme_of_batch(session: Session, batch_id: int) -> Scheme | None:
    """The scheme of the codes a generation-0 batch registered, or None for a batch of ours (the
    caller has checked the batch is in scope)."""
    found = session.scalar(select(SchemeRegistration.scheme).where(SchemeRegistration.batch_id == batch_id))
    return Scheme(found) if found is not None else None


def registrable_products(session: Session, *, principal: Principal) -> list[Product]:
    """The products a manufacturer may register codes for: its own, by name."""
    if principal.role is not Role.MANUFACTURER or principal.enterprise_id is None:
        return []
    return list(session.scalars(select(Product).where(Product.enterprise_id == principal.enterprise_id)
                                .order_by(Product.name)))


def describe(registration: SchemeRegistration, batch: CodeBatch, product_name: str, enterprise_name: str
             ) -> dict[str, Any]:
    """A registration as answers show it."""
    first, scheme = registration.serial_first, Scheme(registration.scheme)
    return {
        "batch_id": batch.id, "scheme": scheme.value, "scheme_label": {"zh": scheme.label_zh, "en": scheme.label_en},
        "gtin": registration.gtin,
        "serial_first": str(first) if first is not None else None,
        "serial_last": str(first + batch.quantity - 1) if first is not None else None,
        "quantity": batch.quantity, "file_name": registration.file_name,
        "product": {"id": batch.product_id, "name": product_name},
        "enterprise": {"id": batch.enterprise_id, "name": enterprise_name},
        "registered_by": registration.registered_by, "registered_at": registration.registered_at.isoformat(),
    }


def find(connection: Connection, code: ForeignCode) -> tuple[int, int] | None:
    """The generation-0 serial of a registered code and its batch, ``(serial, batch id)``, or None: a
    listed code is one index hit in ``scheme_values``; a GS1 serial not listed is looked for in
    the ranges of its GTIN (the range starting last at or before it)."""
    listed = connection.execute(
        select(CodeBatch.serial_start + SchemeValue.offset, SchemeValue.batch_id)
        .join(CodeBatch, CodeBatch.id == SchemeValue.batch_id)
        .where(SchemeValue.scheme == code.scheme, SchemeValue.value == code.key)).first()
    if listed is not None:
        return int(listed[0]), int(listed[1])
    number = code.numeric_serial
    if number is None:
        return None
    row = connection.execute(
        select(SchemeRegistration.batch_id, SchemeRegistration.serial_first, CodeBatch.serial_start,
               CodeBatch.quantity)
        .join(CodeBatch, CodeBatch.id == SchemeRegistration.batch_id)
        .where(and_(SchemeRegistration.gtin == code.gtin, SchemeRegistration.serial_first <= number))
        .order_by(SchemeRegistration.serial_first.desc()).limit(1)).first()
    if row is None or row.serial_first is None or number >= row.serial_first + row.quantity:
        return None
    return int(row.serial_start) + number - int(row.serial_first), int(row.batch_id)


def find_many(connection: Connection, codes: Iterable[ForeignCode]) -> dict[ForeignCode, tuple[int, int]]:
    """``find`` for many codes at once (an EPCIS document's): the registered ones, each mapped to
    ``(serial, batch id)``, in a few statements whatever their number — the listed values in
    chunks of ``_CHUNK`` per scheme, then the ranges of the GTINs of the GS1 serials not listed,
    in chunks of ``_CHUNK`` GTINs, each serial placed in its GTIN's range starting last at or
    before it (ranges of one GTIN never overlap: registration refuses it)."""
    wanted = list(dict.fromkeys(codes))
    found: dict[ForeignCode, tuple[int, int]] = {}
    for scheme in Scheme:
        by_key = {code.key: code for code in wanted if code.scheme is scheme}
        keys = list(by_key)
        for at in range(0, len(keys), _CHUNK):
            for value, serial, batch_id in connection.execute(
                    select(SchemeValue.value, CodeBatch.serial_start + SchemeValue.offset, SchemeValue.batch_id)
                    .join(CodeBatch, CodeBatch.id == SchemeValue.batch_id)
                    .where(SchemeValue.scheme == scheme, SchemeValue.value.in_(keys[at:at + _CHUNK]))):
                found[by_key[value]] = int(serial), int(batch_id)
    numbered = [(code, number) for code in wanted
                if code not in found and code.gtin is not None and (number := code.numeric_serial) is not None]
    gtins = sorted({code.gtin for code, _number in numbered if code.gtin is not None})
    ranges: dict[str, list[tuple[int, int, int, int]]] = {}  # GTIN: (first serial, quantity, start, batch id)
    for at in range(0, len(gtins), _CHUNK):
        for row in connection.execute(
                select(SchemeRegistration.gtin, SchemeRegistration.serial_first, CodeBatch.quantity,
                       CodeBatch.serial_start, SchemeRegistration.batch_id)
                .join(CodeBatch, CodeBatch.id == SchemeRegistration.batch_id)
                .where(SchemeRegistration.gtin.in_(gtins[at:at + _CHUNK]),
                       SchemeRegistration.serial_first.is_not(None))):
            ranges.setdefault(row.gtin, []).append(
                (int(row.serial_first), int(row.quantity), int(row.serial_start), int(row.batch_id)))
    for held in ranges.values():
        held.sort()
    firsts = {gtin: [first for first, *_rest in held] for gtin, held in ranges.items()}
    for code, number in numbered:
        gtin = code.gtin or ""
        at = bisect.bisect_right(firsts.get(gtin, []), number) - 1
        if at >= 0:
            first, quantity, start, batch_id = ranges[gtin][at]
            if number < first + quantity:
                found[code] = start + number - first, batch_id
    return found


def code_of(connection: Connection, serial: int) -> ForeignCode | None:
    """The registered code numbered ``serial`` in generation 0 (for pages and events that name a
    code by its number), or None."""
    batch = connection.execute(
        select(CodeBatch.id, CodeBatch.serial_start, SchemeRegistration.scheme, SchemeRegistration.gtin,
               SchemeRegistration.serial_first)
        .join(SchemeRegistration, SchemeRegistration.batch_id == CodeBatch.id)
        .where(CodeBatch.generation == REGISTERED, CodeBatch.serial_start <= serial,
               CodeBatch.serial_start + CodeBatch.quantity > serial)
        .order_by(CodeBatch.serial_start.desc()).limit(1)).first()
    if batch is None:
        return None
    offset = serial - int(batch.serial_start)
    if batch.serial_first is not None:
        return ForeignCode(Scheme.GS1, str(int(batch.serial_first) + offset), batch.gtin)
    value = connection.execute(select(SchemeValue.value).where(
        SchemeValue.batch_id == batch.id, SchemeValue.offset == offset)).scalar()
    if value is None:
        return None
    scheme = Scheme(batch.scheme)
    return ForeignCode(scheme, value[14:], value[:14]) if scheme is Scheme.GS1 else ForeignCode(scheme, value)


def _batch_holds(connection: Connection, generation: int, serial: int) -> bool:
    start = connection.execute(select(CodeBatch.serial_start + CodeBatch.quantity).where(
        CodeBatch.generation == generation, CodeBatch.serial_start <= serial)
        .order_by(CodeBatch.serial_start.desc()).limit(1)).scalar()
    return start is not None and serial < start


def locate_code(session: Session, ring: Keyring | None, raw: str) -> tuple[str, int, int]:
    """``(code as written, generation, serial)`` of what was typed or scanned: one of our codes, or
    else a registered code of another scheme (generation 0). Our reading comes first; a registered
    code is looked for only when the text is no code of ours (as verification does). MalformedCode,
    as our reading says, for text that is neither; a well-formed code of ours that no batch holds
    and no registration names is answered as ours (the caller finds no batch)."""
    connection = session.connection()
    try:
        parsed = parse_code(raw, ring)
        generation, serial = decode_parsed(ring, parsed) if ring is not None else (parsed.generation, -1)
    except MalformedCode:
        registered = _registered(connection, raw)
        if registered is None:
            raise
        return registered
    if serial < 0 or not _batch_holds(connection, generation, serial):
        registered = _registered(connection, raw)
        if registered is not None:
            return registered
    return parsed.code, generation, serial


def _registered(connection: Connection, raw: str) -> tuple[str, int, int] | None:
    code = foreign_code(raw)
    found = find(connection, code) if code is not None else None
    return (code.text, REGISTERED, found[0]) if code is not None and found is not None else None


def code_text(connection: Connection, ring: Keyring, generation: int, serial: int) -> str:
    """A code as written: ours as its 20 digits, a registered one as its scheme writes it."""
    if generation == REGISTERED:
        registered = code_of(connection, serial)
        return registered.text if registered is not None else f"{generation}:{serial}"
    return encode_serial(ring[generation], serial)


def texts_of(connection: Connection, start: int, end: int) -> list[str]:
    """The registered codes numbered ``[start, end)`` in generation 0, as their schemes write them:
    a statement or two a registration the run crosses, whatever its length."""
    texts: list[str] = []
    serial = start
    while serial < end:
        batch = connection.execute(
            select(CodeBatch.id, CodeBatch.serial_start, CodeBatch.quantity, SchemeRegistration.scheme,
                   SchemeRegistration.gtin, SchemeRegistration.serial_first)
            .join(SchemeRegistration, SchemeRegistration.batch_id == CodeBatch.id)
            .where(CodeBatch.generation == REGISTERED, CodeBatch.serial_start <= serial)
            .order_by(CodeBatch.serial_start.desc()).limit(1)).first()
        if batch is None or serial >= batch.serial_start + batch.quantity:
            texts += [f"{REGISTERED}:{number}" for number in range(serial, end)]
            break
        stop = min(end, int(batch.serial_start) + int(batch.quantity))
        low, high = serial - int(batch.serial_start), stop - int(batch.serial_start)
        if batch.serial_first is not None:
            texts += [ForeignCode(Scheme.GS1, str(int(batch.serial_first) + offset), batch.gtin).text
                      for offset in range(low, high)]
        else:
            values = dict(connection.execute(select(SchemeValue.offset, SchemeValue.value).where(
                SchemeValue.batch_id == batch.id, SchemeValue.offset >= low, SchemeValue.offset < high)).tuples())
            gs1 = Scheme(batch.scheme) is Scheme.GS1
            for offset in range(low, high):
                value = values.get(offset, f"{REGISTERED}:{int(batch.serial_start) + offset}")
                texts.append(ForeignCode(Scheme.GS1, value[14:], value[:14]).text if gs1 and offset in values
                             else value)
        serial = stop
    return texts
