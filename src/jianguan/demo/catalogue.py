"""The demo network's catalogue of products under supervision (百种产品目录), imported by the
operator from a CSV file as a real one would be.

The entries are product kinds of the categories the seeds name (化肥、农药、种子、饲料、食品、
家用电器、人造板、电线电缆、燃气器具、劳动防护用品、电热毯、化妆品、建材、药品、日用消费品、
蔬菜): a few dozen of the hundred or so of the published list, not its real numbering. The
standard or licence column says only that a kind is made under a production licence (生产许可证)
or a drug approval, never a standard's number: the demo does not invent regulations.
"""

from __future__ import annotations

import csv
import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.audit.services import Actor
from jianguan.catalogue.models import CatalogueEntry
from jianguan.catalogue.services import import_entries

LICENCE = "生产许可证"
# (number, Chinese name, English name, category code, note)
ENTRIES = (
    ("01", "复混肥料（复合肥料）", "compound fertiliser", "fertiliser", LICENCE),
    ("02", "磷肥", "phosphate fertiliser", "fertiliser", LICENCE),
    ("03", "尿素", "urea", "fertiliser", ""),
    ("04", "有机肥料", "organic fertiliser", "fertiliser", ""),
    ("05", "杀虫剂", "insecticides", "pesticide", LICENCE),
    ("06", "杀菌剂", "fungicides", "pesticide", LICENCE),
    ("07", "除草剂", "herbicides", "pesticide", LICENCE),
    ("08", "棉花种子", "cotton seed", "seed", ""),
    ("09", "玉米种子", "maize seed", "seed", ""),
    ("10", "小麦种子", "wheat seed", "seed", ""),
    ("11", "配合饲料", "compound feed", "feed", ""),
    ("12", "浓缩饲料", "concentrate feed", "feed", ""),
    ("13", "食醋", "vinegar", "food", LICENCE),
    ("14", "酱油", "soy sauce", "food", LICENCE),
    ("15", "食用植物油", "edible vegetable oil", "food", LICENCE),
    ("16", "乳制品", "dairy products", "food", LICENCE),
    ("17", "白酒", "Chinese liquor", "food", LICENCE),
    ("18", "小麦粉", "wheat flour", "food", LICENCE),
    ("19", "家用电冰箱", "household refrigerators", "appliance", ""),
    ("20", "家用洗衣机", "household washing machines", "appliance", ""),
    ("21", "电饭锅", "rice cookers", "appliance", ""),
    ("22", "电热毯", "electric blankets", "electric_blanket", ""),
    ("23", "家用燃气灶具", "domestic gas cookers", "gas_appliance", ""),
    ("24", "燃气热水器", "gas water heaters", "gas_appliance", ""),
    ("25", "电线", "building wire", "cable", LICENCE),
    ("26", "电力电缆", "power cable", "cable", LICENCE),
    ("27", "中密度纤维板", "medium-density fibreboard", "panel", LICENCE),
    ("28", "胶合板", "plywood", "panel", LICENCE),
    ("29", "刨花板", "particleboard", "panel", LICENCE),
    ("30", "安全帽", "safety helmets", "protective", LICENCE),
    ("31", "安全带", "safety belts", "protective", LICENCE),
    ("32", "水泥", "cement", "building", LICENCE),
    ("33", "建筑涂料", "architectural coatings", "building", ""),
    ("34", "钢筋", "reinforcing steel bars", "building", LICENCE),
    ("35", "塑料管材", "plastic pipes", "building", ""),
    ("36", "护肤类化妆品", "skin-care cosmetics", "cosmetics", ""),
    ("37", "发用类化妆品", "hair-care cosmetics", "cosmetics", ""),
    ("38", "中成药", "Chinese patent medicines", "drug", "药品批准文号"),
    ("39", "儿童玩具", "children's toys", "consumer", ""),
    ("40", "日用陶瓷餐具", "ceramic tableware", "consumer", ""),
    ("41", "蔬菜", "vegetables", "produce", ""),
)


def catalogue_file() -> bytes:
    """The catalogue as a CSV: a title row, then 编号, 产品名称, 英文名称, 产品类别, 标准/许可."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["百种产品目录（演示）"])
    writer.writerow(["编号", "产品名称", "英文名称", "产品类别", "标准/许可"])
    writer.writerows(ENTRIES)
    return out.getvalue().encode("utf-8")


def demo_catalogue(session: Session, *, actor: Actor) -> dict[str, int]:
    """Import the demo catalogue; the entries' ids by number."""
    import_entries(session, actor=actor, data=catalogue_file(), file_name="百种产品目录（演示）.csv")
    return dict(session.execute(select(CatalogueEntry.number, CatalogueEntry.id)).tuples().all())
