"""The dashboard's casework table (``stats.casework``) on both databases: open and overdue cases
and open alerts per region equal a count of the rows, each regulator's by its agency's scope,
regions with overdue cases first; dismissed alerts and closed cases are not counted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import and_, literal, or_, select
from sqlalchemy.orm import Session, sessionmaker

from jianguan.alerts.models import Alert, AlertStatus
from jianguan.cases.models import Case, CaseStage
from jianguan.catalogue.models import Category
from jianguan.jurisdiction import GENERAL_AGENCIES
from jianguan.storage import make_engine, reading, session_factory
from jianguan.storage.base import utcnow
from tests.live import LiveServer

COUNTY = "130111"


@pytest.fixture(scope="module")
def db(live: LiveServer) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(live.database_url)
    yield session_factory(engine)
    engine.dispose()


def casework(client: Any, region: str = "") -> dict[str, Any]:
    answer = client.get(f"/api/v1/statistics?region={region}" if region else "/api/v1/statistics")
    assert answer.status_code == 200, answer.text
    return next(table for table in answer.json()["tables"] if table["name"] == "casework")


def counted(db: sessionmaker[Session], agency: str | None) -> dict[str, int]:
    """Open cases, overdue cases and open alerts in 栾城区 that ``agency`` handles (None: all): a
    case routed to it or of a category it supervises, an alert of such a category."""
    now = utcnow()
    with reading(db) as session:
        cases = select(Case).outerjoin(Category, Category.id == Case.category_id).where(
            Case.region_code == COUNTY, Case.stage != CaseStage.CLOSED.value)
        alerts = select(Alert).outerjoin(Category, Category.id == Alert.category_id).where(
            Alert.region_code == COUNTY, Alert.status.in_([AlertStatus.OPEN.value, AlertStatus.ACKNOWLEDGED.value]))
        if agency is not None:
            cases = cases.where(or_(Case.agency == agency, Category.agency == agency))
            # An alert of no product is the general agencies' (quality supervision, market).
            general = agency in GENERAL_AGENCIES
            alerts = alerts.where(or_(Category.agency == agency, and_(Alert.category_id.is_(None), literal(general))))
        found = list(session.scalars(cases))
        return {"cases_open": len(found), "cases_overdue": sum(1 for c in found if c.due_at and c.due_at < now),
                "alerts_open": len(list(session.scalars(alerts)))}


def test_casework_equals_the_rows_within_each_scope(live: LiveServer, db: sessionmaker[Session]) -> None:
    # The demo leaves 栾城区's quality case unassigned past its deadline: overdue.
    everything = counted(db, None)
    operator = casework(live.login("operator"), COUNTY)["rows"][0]
    assert {key: operator[key] for key in everything} == everything and everything["cases_overdue"] >= 1
    for user, agency in (("luancheng.quality", "quality"), ("luancheng.agri", "agriculture")):
        own = casework(live.login(user))["rows"][0]
        expected = counted(db, agency)
        assert own["code"] == COUNTY and {key: own[key] for key in expected} == expected, user
    city = casework(live.login("sjz.quality"))["rows"]
    assert city[0]["code"] == "130100" and city[1]["code"] == COUNTY  # the county with an overdue case first
    assert city[0]["cases_overdue"] == sum(row["cases_overdue"] for row in city[1:])

