"""The demo's early warnings (质量预警) and spot checks (监督抽查): a passed and a failed check of
珍味 vinegar in 长安区 (the failure raises its alert), a cloned 珍味 code queried in three
counties, unknown codes clustered in 栾城区, the supply chain's diversion of 丰穗 bags and the
绿盾 recall (raised when it was opened)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.alerts import rules
from jianguan.alerts.models import AlertSeverity, WarningRule
from jianguan.alerts.services import raise_once
from jianguan.alerts.spot_checks import SpotCheckInput, record_spot_check
from jianguan.audit.services import Actor
from jianguan.catalogue.models import Agency
from jianguan.enterprises.models import Product
from jianguan.storage.base import utcnow

FAILED_REPORT = "SJZ-CC-2026-0417"
PASSED_REPORT = "SJZ-CC-2026-0388"


def demo_warnings(session: Session, *, enterprises: dict[str, int], cloned_code: str) -> None:
    """Record the spot checks and raise the alerts (see the module doc)."""
    sjz = Principal(kind="user", id=0, name="sjz.quality", role=Role.REGULATOR, agency=Agency.QUALITY,
                    region_codes=frozenset({"130100", "130102", "130104", "130111"}))
    officer = Actor("user:sjz.quality", "demo")
    vinegar = session.scalars(select(Product).where(Product.enterprise_id == enterprises["zhenwei"])
                              .order_by(Product.id)).first()
    assert vinegar is not None
    today = utcnow().date()
    for number, passed, days, items in ((PASSED_REPORT, True, 20, "总酸、不挥发酸、可溶性无盐固形物"),
                                        (FAILED_REPORT, False, 6, "总酸、菌落总数、苯甲酸")):
        record_spot_check(session, actor=officer, principal=sjz, given=SpotCheckInput(
            product_id=vinegar.id, lot="ZW-2026-1015", region_code="130102", place="长安区北国超市",
            sampled_on=today - dt.timedelta(days=days), items=items, passed=passed, report_number=number))
    now = utcnow()
    found = rules.settings(session)
    clone = found[WarningRule.CLONED_CODE]
    raise_once(session, actor=rules.ACTOR, rule=WarningRule.CLONED_CODE,
               dedup_key=f"cloned_code:demo:{cloned_code}", severity=AlertSeverity.CRITICAL, subject=cloned_code,
               region_code="130104", category_id=vinegar.category_id, enterprise_id=enterprises["zhenwei"],
               details={"code": cloned_code, "queries": 7, "counties": 3, "regions": ["130104", "130102", "130111"],
                        "product_id": vinegar.id, "lot": "ZW-2026-1015", "threshold": clone.threshold,
                        "max_queries": clone.max_queries, "place": "桥西区某副食店"})
    unknown = found[WarningRule.UNKNOWN_CLUSTER]
    raise_once(session, actor=rules.ACTOR, rule=WarningRule.UNKNOWN_CLUSTER,
               dedup_key=f"unknown_cluster:demo:130111:{unknown.window_key(now)}", subject="130111",
               region_code="130111", details={"queries": 26, "sources": 9, "threshold": unknown.threshold,
                                              "samples": ["3109 2283 4471 5502 6618"], "place": "栾城区冶河镇集市"})
    # The supply chain's diversion happened days ago: looked for over the longest window.
    rules.diversions(session, replace(found[WarningRule.DIVERSION], window_minutes=rules.MAX_WINDOW_MINUTES), now)
