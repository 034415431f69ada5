"""Importing, listing, reading and deleting industry rosters, and the rates measured against them.

A roster is seen by the scope rule on its region and category: the operator, and the regulators
whose region holds the roster's and whose agency supervises its category; anyone else is
answered NotFound. A regulator imports rosters only where it would see them.

The rates match members to the registry by credit code, among the enterprises the caller sees
(the same rule as every enterprise list), as the registry stands now:

- enrolment: members registered, signed, with credentials, coding and activating, each of the
  members (the headline is the signed: 142 of 290, 48.6 %);
- signing among qualification holders, by kind: members holding a kind (as the file says, or as
  the registry holds one in force today) and how many of them have signed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from jianguan.accounts.principal import Principal
from jianguan.audit.actions import AuditAction
from jianguan.audit.services import Actor, record
from jianguan.catalogue.models import Category
from jianguan.catalogue.services import get_category
from jianguan.enterprises.models import EnrolmentStage, Enterprise, Qualification, QualificationKind
from jianguan.errors import NotFound, ValidationFailed
from jianguan.fields import clean_text
from jianguan.jurisdiction import in_scope, scope_condition
from jianguan.regions.tree import region_tree
from jianguan.rosters.files import parse_roster
from jianguan.rosters.models import Roster, RosterMember
from jianguan.stats.figures import Column, Table
from jianguan.storage.base import utcnow
from jianguan.timezone import today

STAGES = (EnrolmentStage.REGISTERED, EnrolmentStage.SIGNED, EnrolmentStage.CREDENTIALS_ISSUED,
          EnrolmentStage.CODES_ISSUED, EnrolmentStage.ACTIVATED)
_ORDER = {stage: position for position, stage in enumerate(STAGES)}
TABLE_NAMES = ("enrolment", "signing", "members")
MAX_MEMBERS_SHOWN = 1000


@dataclass(frozen=True)
class Imported:
    """What an import did: the roster, whether it replaced an earlier one, the columns ignored."""

    roster: Roster
    replaced: bool
    ignored_columns: list[str]


def _not_found(roster_id: object) -> NotFound:
    return NotFound(f"No roster {roster_id}.", f"名录 {roster_id} 不存在。", code="unknown_roster")


def _facts(roster: Roster) -> dict[str, Any]:
    return {"region_code": roster.region_code, "category_id": roster.category_id, "industry": roster.industry,
            "source": roster.source, "file_name": roster.file_name, "file_sha256": roster.file_sha256,
            "member_count": roster.member_count}


def import_roster(session: Session, *, actor: Actor, principal: Principal, region_code: str, category_id: int,
                  industry: str, data: bytes, source: str = "", file_name: str = "") -> Imported:
    """Import the roster of ``industry`` (of a catalogue category) in a region from a CSV or XLSX
    file, replacing the members of an earlier roster of the same industry, category and region.
    NotFound for a region or category outside the caller's scope; RosterRefused (listing the rows
    at fault) for a bad file, and then nothing is stored."""
    tree = region_tree(session)
    region = tree.require(region_code)
    category = get_category(session, category_id)
    if not in_scope(session, principal, region=region.code, category=category.id):
        raise NotFound(f"No region {region.code} with category {category.code} in your area.",
                       f"您的管辖范围内没有区划 {region.code} 的“{category.name_zh}”类别。", code="unknown_region")
    industry = clean_text(industry, Roster.industry, english="industry", chinese="行业名称", required=True)
    source = clean_text(source, Roster.source, english="source", chinese="名录来源")
    file_name = (file_name or "").strip()[:200]
    parsed = parse_roster(data, regions=tree.descendants(region.code))
    key = (Roster.region_code == region.code, Roster.category_id == category.id, Roster.industry == industry)
    earlier = session.scalars(select(Roster).where(*key).with_for_update()).first()
    before = _facts(earlier) if earlier is not None else None
    row = {"region_code": region.code, "category_id": category.id, "industry": industry, "source": source,
           "file_name": file_name, "file_sha256": hashlib.sha256(data).hexdigest(),
           "member_count": len(parsed.members), "imported_by": actor.name, "imported_at": utcnow()}
    # An upsert on the roster's key: two imports of one roster at once queue on its row, and the
    # later one's members replace the earlier's whole.
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Roster).values(**row)
    statement = statement.on_conflict_do_update(
        index_elements=[Roster.region_code, Roster.category_id, Roster.industry],
        set_={name: statement.excluded[name] for name in row if name not in ("region_code", "category_id", "industry")})
    roster_id = session.execute(statement.returning(Roster.id)).scalar_one()
    session.execute(delete(RosterMember).where(RosterMember.roster_id == roster_id))
    session.execute(insert(RosterMember), [
        {"roster_id": roster_id, "row": member.row, "credit_code": member.credit_code, "name": member.name,
         "region_code": member.region_code, "licence_number": member.licence_number,
         "qualifications": list(member.qualifications)} for member in parsed.members])
    session.expire_all()
    roster = session.get(Roster, roster_id)
    assert roster is not None
    record(session, actor=actor, action=AuditAction.ROSTERS_ROSTER_IMPORTED, target_type="roster",
           target_id=roster.id, before=before, after=_facts(roster))
    return Imported(roster, earlier is not None, parsed.ignored_columns)


def get_roster(session: Session, *, principal: Principal, roster_id: int) -> Roster:
    """The roster with ``roster_id``; NotFound if there is none or the caller may not see it."""
    roster = session.get(Roster, roster_id)
    if roster is None or not in_scope(session, principal, region=roster.region_code, category=roster.category_id):
        raise _not_found(roster_id)
    return roster


def delete_roster(session: Session, *, actor: Actor, principal: Principal, roster_id: int) -> None:
    """Delete a roster and its members (NotFound outside the caller's scope)."""
    roster = get_roster(session, principal=principal, roster_id=roster_id)
    before = _facts(roster)
    session.execute(delete(RosterMember).where(RosterMember.roster_id == roster.id))
    session.delete(roster)
    session.flush()
    record(session, actor=actor, action=AuditAction.ROSTERS_ROSTER_DELETED, target_type="roster",
           target_id=roster_id, before=before, after=None)


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _signed_counts(session: Session, principal: Principal, roster_ids: list[int]) -> dict[int, int]:
    statement = (select(RosterMember.roster_id, func.count())
                 .join(Enterprise, Enterprise.credit_code == RosterMember.credit_code)
                 .where(RosterMember.roster_id.in_(roster_ids), Enterprise.signed_on.is_not(None),
                        scope_condition(principal, enterprise=Enterprise.id))
                 .group_by(RosterMember.roster_id))
    return {roster_id: int(count) for roster_id, count in session.execute(statement)}


def roster_json(roster: Roster, category: Category, region_name: str, region_path: str) -> dict[str, Any]:
    return {"id": roster.id, "industry": roster.industry, "source": roster.source, "file_name": roster.file_name,
            "region": {"code": roster.region_code, "name": region_name, "path": region_path},
            "category": {"id": category.id, "code": category.code, "name_zh": category.name_zh,
                         "name_en": category.name_en},
            "members": roster.member_count, "imported_by": roster.imported_by, "imported_at": roster.imported_at}


def list_rosters(session: Session, *, principal: Principal, region_code: str | None = None) -> list[dict[str, Any]]:
    """The rosters the caller sees (of ``region_code`` and the regions under it, if given), each
    with its members and how many of them have signed, by region and industry."""
    tree = region_tree(session)
    statement = (select(Roster, Category).join(Category, Category.id == Roster.category_id)
                 .where(scope_condition(principal, region=Roster.region_code, category=Roster.category_id)))
    if region_code:
        region = tree.require(region_code)
        statement = statement.where(Roster.region_code.in_(sorted(tree.descendants(region.code))))
    found = list(session.execute(statement.order_by(Roster.region_code, Roster.industry, Roster.id)))
    signed = _signed_counts(session, principal, [roster.id for roster, _category in found])
    rows = []
    for roster, category in found:
        entry = roster_json(roster, category, tree.name(roster.region_code) or "", tree.path_name(roster.region_code))
        count = signed.get(roster.id, 0)
        entry["signed"] = {"count": count, "rate": _percent(count, roster.member_count)}
        rows.append(entry)
    return rows


def _stage(enterprise: Any) -> EnrolmentStage:
    for stage, reached in ((EnrolmentStage.ACTIVATED, enterprise.activated_on),
                           (EnrolmentStage.CODES_ISSUED, enterprise.codes_issued_on),
                           (EnrolmentStage.CREDENTIALS_ISSUED, enterprise.credentials_issued_on),
                           (EnrolmentStage.SIGNED, enterprise.signed_on)):
        if reached is not None:
            return stage
    return EnrolmentStage.REGISTERED


def _matches(session: Session, principal: Principal, roster_id: int, day: dt.date) -> tuple[dict[str, Any],
                                                                                           dict[int, set[str]]]:
    """The enterprises in the caller's scope whose credit codes the roster lists (by credit code),
    and the kinds of qualification each holds in force on ``day`` (by enterprise id)."""
    codes = select(RosterMember.credit_code).where(RosterMember.roster_id == roster_id)
    enterprises = {row.credit_code: row for row in session.execute(
        select(Enterprise.id, Enterprise.credit_code, Enterprise.name, Enterprise.signed_on,
               Enterprise.credentials_issued_on, Enterprise.codes_issued_on, Enterprise.activated_on)
        .where(Enterprise.credit_code.in_(codes), scope_condition(principal, enterprise=Enterprise.id)))}
    held: dict[int, set[str]] = {}
    ids = [row.id for row in enterprises.values()]
    if ids:
        in_force = and_(Qualification.valid_from <= day,
                        or_(Qualification.valid_until.is_(None), Qualification.valid_until >= day))
        for enterprise_id, kind in session.execute(select(Qualification.enterprise_id, Qualification.kind)
                                                   .where(Qualification.enterprise_id.in_(ids), in_force)):
            held.setdefault(enterprise_id, set()).add(str(kind))
    return enterprises, held


def tally(members: list[tuple[str, set[str]]], stages: dict[str, EnrolmentStage]
          ) -> tuple[dict[EnrolmentStage, int], dict[str, list[int]]]:
    """The rates' counts (pure): of ``members`` (credit code, kinds of qualification held), how many
    reached each stage (``stages``: the stage of each member the registry holds; a member at a
    later stage has passed every earlier one), and per kind, the holders and those of them signed."""
    reached = dict.fromkeys(STAGES, 0)
    holders = {kind.value: [0, 0] for kind in QualificationKind}
    for credit_code, kinds in members:
        stage = stages.get(credit_code)
        if stage is not None:
            for each in STAGES[:_ORDER[stage] + 1]:
                reached[each] += 1
        for kind in kinds:
            pair = holders.setdefault(kind, [0, 0])
            pair[0] += 1
            pair[1] += int(stage is not None and stage is not EnrolmentStage.REGISTERED)
    return reached, holders


def roster_rates(session: Session, *, principal: Principal, roster_id: int, limit: int = 100,
                 offset: int = 0) -> dict[str, Any]:
    """A roster with its rates (see the module doc) as of today, and a page of its members (``limit`` from ``offset``, in file order) with what the registry
    says of each: the enterprise matched, its stage, the qualifications it holds."""
    roster = get_roster(session, principal=principal, roster_id=roster_id)
    tree = region_tree(session)
    category = session.get(Category, roster.category_id)
    assert category is not None
    day = today()
    enterprises, held = _matches(session, principal, roster.id, day)
    members = list(session.scalars(select(RosterMember).where(RosterMember.roster_id == roster.id)
                                   .order_by(RosterMember.row)))
    stages: dict[str, EnrolmentStage] = {}
    kinds_held: dict[str, set[str]] = {}
    listed = []
    for position, member in enumerate(members):
        enterprise = enterprises.get(member.credit_code)
        kinds = set(member.qualifications or []) | (held.get(enterprise.id, set()) if enterprise is not None else set())
        kinds_held[member.credit_code] = kinds
        if enterprise is not None:
            stages[member.credit_code] = _stage(enterprise)
        if offset <= position < offset + limit:
            stage = stages.get(member.credit_code)
            listed.append({"row": member.row, "credit_code": member.credit_code, "name": member.name,
                           "region_code": member.region_code, "licence_number": member.licence_number,
                           "qualifications": sorted(kinds), "stage": stage.value if stage else None,
                           "enterprise": ({"id": enterprise.id, "name": enterprise.name}
                                          if enterprise is not None else None)})
    reached, holders = tally([(m.credit_code, kinds_held[m.credit_code]) for m in members], stages)
    total = len(members)
    enrolment = [{"stage": stage.value, "label_zh": stage.label_zh, "label_en": stage.label_en,
                  "count": reached[stage], "rate": _percent(reached[stage], total)} for stage in STAGES]
    signing = [{"kind": kind.value, "label_zh": kind.label_zh, "label_en": kind.label_en,
                "holders": holders[kind.value][0], "signed": holders[kind.value][1],
                "rate": _percent(holders[kind.value][1], holders[kind.value][0])} for kind in QualificationKind]
    found = roster_json(roster, category, tree.name(roster.region_code) or "", tree.path_name(roster.region_code))
    signed = reached[EnrolmentStage.SIGNED]
    found.update({"as_of": day, "signed": {"count": signed, "rate": _percent(signed, total)},
                  "enrolment": enrolment, "signing": signing,
                  "member_page": {"total": total, "limit": limit, "offset": offset, "items": listed}})
    return found


def _spreadsheet_text(text: str) -> str:
    """A name from an uploaded file as a CSV cell: one a spreadsheet would take for a formula
    (=, +, -, @) is quoted so that it stays text."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _rate_text(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1f}"


def rate_table(session: Session, *, principal: Principal, roster_id: int, name: str) -> tuple[Roster, Table]:
    """One table of a roster's rates, for CSV: ``enrolment`` (members by stage), ``signing``
    (qualification holders by kind) or ``members`` (every member and its stage)."""
    if name not in TABLE_NAMES:
        choices = ", ".join(TABLE_NAMES)
        raise ValidationFailed(f"Unknown table {name!r}; one of {choices}.", f"未知的表 {name!r}，可选：{choices}。",
                               code="unknown_table", field="table")
    roster = get_roster(session, principal=principal, roster_id=roster_id)
    found = roster_rates(session, principal=principal, roster_id=roster_id, limit=roster.member_count or 1)
    if name == "enrolment":
        table = Table("enrolment", "名录企业入网情况", "Roster enrolment",
                      [Column("stage", "阶段", "Stage", numeric=False), Column("count", "企业数", "Enterprises"),
                       Column("members", "名录企业数", "Roster members"), Column("rate", "比例（%）", "Rate (%)")])
        for row in found["enrolment"]:
            table.rows.append({"stage": (row["label_zh"], row["label_en"]), "count": row["count"],
                               "members": found["members"], "rate": _rate_text(row["rate"])})
    elif name == "signing":
        table = Table("signing", "资质企业签约率", "Signing among qualification holders",
                      [Column("kind", "资质", "Qualification", numeric=False), Column("holders", "持有企业", "Holders"),
                       Column("signed", "已签约", "Signed"), Column("rate", "签约率（%）", "Signing rate (%)")])
        for row in found["signing"]:
            table.rows.append({"kind": (row["label_zh"], row["label_en"]), "holders": row["holders"],
                               "signed": row["signed"], "rate": _rate_text(row["rate"])})
    else:
        stages = {stage.value: (stage.label_zh, stage.label_en) for stage in STAGES}
        kinds = {kind.value: (kind.label_zh, kind.label_en) for kind in QualificationKind}
        table = Table("members", "名录企业", "Roster members",
                      [Column("row", "行号", "Row"), Column("credit_code", "统一社会信用代码", "Credit code", numeric=False),
                       Column("name", "企业名称", "Name", numeric=False), Column("stage", "入网阶段", "Stage", numeric=False),
                       Column("qualifications", "资质", "Qualifications", numeric=False)])
        for item in found["member_page"]["items"]:
            table.rows.append({"row": item["row"], "credit_code": item["credit_code"],
                               "name": _spreadsheet_text(item["name"]),
                               "stage": stages[item["stage"]] if item["stage"] else ("未入库", "not registered"),
                               "qualifications": ("、".join(kinds[k][0] for k in item["qualifications"]),
                                                  "; ".join(kinds[k][1] for k in item["qualifications"]))})
    return roster, table
