"""The demo network's complaints and reports, in several stages of their handling.

- a report of a code nobody issued, bought at a market in 栾城区 (general business: the quality
  office), left unassigned for two days: overdue, and escalated to 石家庄;
- a report by text message of a bag of 丰穗 fertiliser queried in two villages: routed to the
  agriculture office of 栾城区, assigned and under investigation;
- a complaint about a bottle of 珍味 vinegar bought in 长安区: investigated, resolved not upheld
  (不成立: the lot meets its standard, so it counts nothing on 珍味's credit record), the
  reporter informed, closed;
- a report of a copy of 珍味 vinegar in 桥西区 bearing a cloned code: resolved, the reporter not
  yet informed, and an enforcement action it opened concluded (goods seized, cases filed, a
  penalty), fed back to 珍味.

Each case's secret is derived from the secret key, so ``jianguan demo seed`` prints the same
``case NUMBER SECRET`` lines every time it is run.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role, User
from jianguan.accounts.principal import Principal
from jianguan.audit.services import Actor
from jianguan.cases import enforcement, intake
from jianguan.cases import services as cases
from jianguan.cases.models import Case, CaseStep
from jianguan.cases.workflow import CaseStage, due_at
from jianguan.codes import lookup
from jianguan.codes.models import CodeBatch
from jianguan.config import Settings
from jianguan.storage.base import utcnow
from jianguan.verify.models import Channel

OPERATOR = Principal(kind="system", id=0, name="demo", role=Role.OPERATOR)
# (key, place): the place names each demo case, so that its number can be found again.
ENFORCEMENT_BASIS = "桥西区假冒珍味陈醋窝点查处"
PLACES = {"market": "栾城区冶河镇集市", "bag": "栾城区窦妪镇农资店", "vinegar": "长安区北国超市", "copy": "桥西区某副食店"}


def demo_secret(settings: Settings, key: str) -> str:
    digest = hashlib.sha256(f"{settings.secret_key.get_secret_value()}:demo-case:{key}".encode()).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10 ** intake.SECRET_DIGITS:0{intake.SECRET_DIGITS}d}"


def _code(session: Session, enterprise_id: int, offset: int) -> str:
    batch = session.scalars(select(CodeBatch.id).where(CodeBatch.enterprise_id == enterprise_id)
                            .order_by(CodeBatch.id).limit(1)).one()
    return lookup.batch_codes(session, principal=OPERATOR, batch_id=batch, offset=offset, limit=1)[0]


def _staff(session: Session, username: str) -> tuple[Actor, int]:
    user = session.scalars(select(User).where(User.username == username)).one()
    return Actor(f"user:{username}", "demo"), user.id


def _step(session: Session, case: Case, username: str, action: str, **fields: object) -> None:
    actor, _ = _staff(session, username)
    cases.transition(session, actor=actor, principal=OPERATOR, case_id=case.id,
                     step=cases.Step(action, **fields))  # type: ignore[arg-type]  # the fields are Step's


def demo_cases(session: Session, *, settings: Settings, enterprises: dict[str, int]) -> None:
    """Open the demo's cases and move them to their stages (see the module doc)."""
    reporter = Actor("anonymous", "demo")
    market = intake.open_case(
        session, actor=reporter, code="3109 2283 4471 5502 6618", place=PLACES["market"], region_code="130111",
        contact="13803111234", channel=Channel.WEB, description="摊贩低价出售的复合肥，包装印刷模糊。",
        verdict="unknown", secret=demo_secret(settings, "market")).case
    # Left unassigned for two days: past the one day of acceptance (its number keeps today's date).
    back = utcnow() - dt.timedelta(days=2)
    market.stage_since = back
    market.due_at = due_at(CaseStage.ACCEPTED, back, cases.deadline_days(session))
    for step in session.scalars(select(CaseStep).where(CaseStep.case_id == market.id)):
        step.at = back
    session.flush()
    cases.escalate_overdue(session, actor=Actor.system("cases escalate"))

    bag = intake.open_case(
        session, actor=reporter, code=_code(session, enterprises["fengsui"], 5), place=PLACES["bag"],
        region_code="130111", channel=Channel.SMS, reply_to="13903115678", description="同一袋码在两个村都被查询过。",
        verdict="queried_before", secret=demo_secret(settings, "bag")).case
    _, agri = _staff(session, "luancheng.agri")
    _step(session, bag, "luancheng.agri", "assign", user_id=agri)
    _step(session, bag, "luancheng.agri", "investigate")

    vinegar = intake.open_case(
        session, actor=reporter, kind="complaint", code=_code(session, enterprises["zhenwei"], 3),
        place=PLACES["vinegar"], region_code="130102", contact="13931188765", channel=Channel.WEB,
        description="陈醋开瓶后有絮状沉淀。", verdict="genuine", secret=demo_secret(settings, "vinegar")).case
    _, sjz = _staff(session, "sjz.quality")
    _step(session, vinegar, "sjz.quality", "assign", user_id=sjz)
    _step(session, vinegar, "sjz.quality", "investigate")
    _step(session, vinegar, "sjz.quality", "resolve", upheld=False, finding="经抽检，该批次陈醋符合 GB/T 18187 标准，沉淀为正常醋酸菌体。",
          measures="向消费者说明；企业改进标签上的贮存提示。")
    _step(session, vinegar, "sjz.quality", "inform")
    _step(session, vinegar, "sjz.quality", "close")

    copy = intake.open_case(
        session, actor=reporter, code=_code(session, enterprises["zhenwei"], 5), place=PLACES["copy"],
        region_code="130104", channel=Channel.WEB, description="标签与正品不同，同一个码在多地被查询过。",
        verdict="queried_before", secret=demo_secret(settings, "copy")).case
    _step(session, copy, "sjz.quality", "assign", user_id=sjz)
    _step(session, copy, "sjz.quality", "investigate")
    officer, _ = _staff(session, "sjz.quality")
    action = enforcement.open_action(session, actor=officer, principal=OPERATOR, case_id=copy.id,
                                     basis=ENFORCEMENT_BASIS)
    enforcement.record_outcome(session, actor=officer, principal=OPERATOR, action_id=action.id,
                               outcome=enforcement.Outcome("假冒珍味陈醋 120 瓶及印有克隆监管码的标签 2000 张", 3600, 1,
                                                           20000, "窝点已取缔，案件移送公安。"))
    _step(session, copy, "sjz.quality", "resolve", upheld=True, finding="查获假冒珍味陈醋 120 瓶，已立案查处。", measures="没收假冒产品，移送公安。")


def case_lines(session: Session, settings: Settings) -> list[str]:
    """``case NUMBER SECRET`` for each demo case that exists, the overdue one first."""
    lines = []
    for key, place in PLACES.items():
        case = session.scalars(select(Case).where(Case.place == place).order_by(Case.id).limit(1)).first()
        if case is not None:
            lines.append(f"case {case.number} {demo_secret(settings, key)}")
    return lines
