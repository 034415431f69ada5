"""The demo network's industry roster: the compound-fertiliser makers of 栾城区 (复混肥料生产企业),
as the province's production-licence register lists them, imported by the agriculture office.

Of its 24 makers, 丰穗 is in the registry (signed, coding and activating, with a provincial
brand), 鑫农 has applied online and is not in the registry yet, and the rest are invented names
with well-formed credit codes; the page shows 1 of 24 signed.
"""

from __future__ import annotations

import csv
import io

from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.audit.services import Actor
from jianguan.catalogue.services import get_category_by_code
from jianguan.rosters.services import import_roster

INDUSTRY = "复混肥料生产企业"
SOURCE = "河北省复混肥料生产许可证获证企业名录（栾城区）"
COUNTY = "130111"
# Invented makers: (name, qualifications besides the production licence all of them hold).
OTHERS = ("栾城金丰化肥厂", "栾城沃土复合肥有限公司", "石家庄农佳肥业有限公司", "栾城绿源复混肥厂",
          "栾城丰收化工有限公司", "河北冀农肥业股份有限公司", "栾城恒丰肥料有限公司", "栾城德源复合肥厂",
          "石家庄嘉禾肥业有限公司", "栾城三农复混肥有限公司", "栾城润田化肥有限公司", "栾城华丰复合肥厂",
          "栾城绿野肥料有限公司", "石家庄金穗肥业有限公司", "栾城沃丰化工厂", "栾城新农复混肥料有限公司",
          "栾城富农复合肥有限公司", "栾城益农肥业有限公司", "栾城众和化肥厂", "栾城田园复混肥有限公司",
          "栾城稼禾肥料有限公司", "栾城厚德复合肥厂")
PROVINCIAL_BRANDS = {"河北冀农肥业股份有限公司", "石家庄金穗肥业有限公司"}


def roster_file() -> bytes:
    """The roster as the register's CSV: 序号, 企业名称, 统一社会信用代码, 区划代码, 许可证编号, 资质."""
    from jianguan.demo.applications import APPLICANTS
    from jianguan.demo.seed import demo_credit_code

    makers = [("石家庄丰穗复合肥有限公司", demo_credit_code(1, COUNTY), "生产许可证、省名牌"),
              (APPLICANTS["xinnong"][1], demo_credit_code(APPLICANTS["xinnong"][0], COUNTY), "生产许可证")]
    for serial, name in enumerate(OTHERS, start=301):
        makers.append((name, demo_credit_code(serial, COUNTY),
                       "生产许可证、省名牌" if name in PROVINCIAL_BRANDS else "生产许可证"))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["序号", "企业名称", "统一社会信用代码", "区划代码", "许可证编号", "资质"])
    for number, (name, code, kinds) in enumerate(makers, start=1):
        writer.writerow([number, name, code, COUNTY, f"XK13-001-{number + 300:05d}", kinds])
    return out.getvalue().encode()


def demo_rosters(session: Session) -> None:
    """Import the demo's roster (see the module doc) as 栾城区's agriculture office."""
    operator = Principal(kind="system", id=0, name="demo", role=Role.OPERATOR)
    import_roster(session, actor=Actor("user:luancheng.agri", "demo"), principal=operator, region_code=COUNTY,
                  category_id=get_category_by_code(session, "fertiliser").id, industry=INDUSTRY, source=SOURCE,
                  file_name="栾城区复混肥料生产企业名录.csv", data=roster_file())
