"""The casework of a region as it stands: alerts not yet handled and complaint cases not yet closed,
with the overdue ones, per region under it (rolled up through the region tree), for the dashboard.

Counted from the alerts and cases themselves (a region has hundreds, not the millions of the
query log), with the scope rule of their own lists, so the numbers agree with /manage/alerts and
/manage/cases. Regions with overdue cases come first, as the case list puts overdue cases first.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from jianguan.accounts.principal import Principal
from jianguan.alerts.models import Alert, AlertStatus
from jianguan.cases.models import Case, CaseStage
from jianguan.jurisdiction import scope_condition
from jianguan.regions.tree import RegionTree
from jianguan.stats.figures import Column, Place, Table, region_rows
from jianguan.storage.base import utcnow

OPEN_ALERTS = (AlertStatus.OPEN.value, AlertStatus.ACKNOWLEDGED.value)


def casework_table(session: Session, principal: Principal, tree: RegionTree, place: Place,
                   now: dt.datetime | None = None) -> Table:
    """Open alerts (not dismissed nor turned into a case), open cases and overdue cases (open past
    their stage's deadline) in ``place`` and each region under it, the regions with the most
    overdue cases first."""
    now = now or utcnow()
    alerts: Counter[str] = Counter()
    for region, count in session.execute(
            select(Alert.region_code, func.count())
            .where(Alert.status.in_(OPEN_ALERTS), Alert.region_code.is_not(None),
                   scope_condition(principal, region=Alert.region_code, category=Alert.category_id,
                                   enterprise=Alert.enterprise_id))
            .group_by(Alert.region_code)):
        alerts[str(region)] += int(count)
    opened: Counter[str] = Counter()
    overdue: Counter[str] = Counter()
    for region, count, late in session.execute(
            select(Case.region_code, func.count(),
                   func.sum(case((and_(Case.due_at.is_not(None), Case.due_at < now), 1), else_=0)))
            .where(Case.stage != CaseStage.CLOSED.value, Case.region_code.is_not(None),
                   scope_condition(principal, region=Case.region_code, category=Case.category_id,
                                   agency=Case.agency, enterprise=Case.enterprise_id))
            .group_by(Case.region_code)):
        opened[str(region)] += int(count)
        overdue[str(region)] += int(late or 0)
    figures = {"cases_overdue": tree.roll_up(overdue), "cases_open": tree.roll_up(opened),
               "alerts_open": tree.roll_up(alerts)}
    total, *under = region_rows(place, figures, list(figures))
    under.sort(key=lambda row: tuple(-figures[key][str(row["code"])] for key in figures))
    return Table("casework", "待处理的预警与投诉举报（当前，超期在前）", "Open alerts and cases now, overdue first",
                 [Column("region", "区域", "Region", numeric=False),
                  Column("cases_overdue", "超期案件", "Cases overdue"), Column("cases_open", "未办结案件", "Cases open"),
                  Column("alerts_open", "待处理预警", "Alerts open")],
                 [total, *under], drill=True)
