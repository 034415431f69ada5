"""The demo network: believable enterprises, a printer, shops and regulators on real regions.

The places and trades follow the seed documents: compound fertiliser in 栾城, pesticide in 宣化,
cotton seed in 河间, vinegar and soy sauce in 石家庄, vegetables in 北戴河 (河北), and the
Fuzhou rollout (福建). Names and credit codes are invented; the credit codes carry valid
GB 32100 check characters. The seed runs only on a network without users, and always prints the
same demo logins and keys (``login ROLE USERNAME PASSWORD``, ``apikey ROLE KEY``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from jianguan.accounts.models import ApiKey, Role, User
from jianguan.accounts.principal import Principal
from jianguan.accounts.services import create_api_key, create_user, derive_key
from jianguan.alerts.models import AlertKind, AlertSeverity, WarningRule
from jianguan.alerts.services import raise_alert
from jianguan.audit.services import Actor
from jianguan.catalogue.services import get_category_by_code
from jianguan.codes import activation as activations
from jianguan.codes import issue as issuing
from jianguan.codes import lookup
from jianguan.codes.codec import damm_digit, decode_code, encode_serial
from jianguan.codes.keyring import keyring
from jianguan.codes.models import Activation, CodeBatch, SpoiledCode
from jianguan.config import Settings
from jianguan.demo.applications import application_lines, demo_applications
from jianguan.demo.cases import _code as demo_code
from jianguan.demo.cases import case_lines, demo_cases
from jianguan.demo.catalogue import demo_catalogue
from jianguan.demo.chain import samples as chain_samples
from jianguan.demo.chain import supply_chain
from jianguan.demo.rosters import demo_rosters
from jianguan.demo.warnings import demo_warnings
from jianguan.enterprises.identifiers import credit_code_check_character
from jianguan.enterprises.models import EnrolmentStage, Enterprise, Product, QualificationKind
from jianguan.enterprises.services import (
    add_product,
    add_qualification,
    register_enterprise,
    sign_enterprise,
)
from jianguan.merchants.services import register_merchant
from jianguan.printers.services import register_printer
from jianguan.promotions import services as promotions
from jianguan.promotions.models import PromotionKind
from jianguan.schemes import services as schemes
from jianguan.schemes.models import Scheme, SchemeRegistration, SchemeValue
from jianguan.schemes.parsing import ForeignCode
from jianguan.stats.rollup import rollup
from jianguan.storage import reading, transaction
from jianguan.storage.base import utcnow
from jianguan.terminals.services import register_terminal
from jianguan.timezone import today
from jianguan.trace import services as trace
from jianguan.trace.models import Packing
from jianguan.trace.store import container_of
from jianguan.verify.models import Channel, CodeQueryState
from jianguan.verify.services import QueryContext, Verifier, query_hash_key

DEMO_PASSWORD = "jianguan-demo"  # noqa: S105 - the published demo password


def demo_credit_code(serial: int, region_code: str) -> str:
    """A well-formed unified social credit code: an enterprise (91) in ``region_code``."""
    organisation = hashlib.sha256(f"jianguan-demo-{serial}".encode()).hexdigest().upper()
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "".join(alphabet[int(organisation[i : i + 2], 16) % 31] for i in range(0, 18, 2))
    first17 = f"91{region_code}{body}"
    return first17 + credit_code_check_character(first17)


@dataclass(frozen=True)
class DemoProduct:
    name: str
    specification: str
    category: str
    gtin: str | None = None
    packaging: tuple[tuple[str, int], ...] = (("item", 1),)
    entry: str | None = None  # its number in the catalogue (百种产品目录, demo.catalogue)


@dataclass(frozen=True)
class DemoEnterprise:
    key: str
    name: str
    region: str
    category: str
    address: str
    contact: str
    phone: str
    stage: EnrolmentStage
    signed_on: dt.date | None
    qualifications: tuple[tuple[QualificationKind, str, dt.date, dt.date | None], ...] = ()
    products: tuple[DemoProduct, ...] = field(default_factory=tuple)


Q = QualificationKind
ENTERPRISES = (
    DemoEnterprise(
        "fengsui", "石家庄丰穗复合肥有限公司", "130111", "fertiliser", "栾城区裕翔街 18 号", "李建国", "0311-85012345",
        EnrolmentStage.ACTIVATED, dt.date(2007, 3, 12),
        ((Q.PROVINCIAL_BRAND, "冀名牌 2006-117", dt.date(2006, 12, 1), dt.date(2029, 11, 30)),
         (Q.PRODUCTION_LICENCE, "XK13-001-00318", dt.date(2005, 6, 1), dt.date(2030, 5, 31))),
        (DemoProduct("丰穗牌复合肥", "40 kg N-P-K 15-15-15", "fertiliser", "06901234000016",
                     (("item", 1), ("pallet", 50)), entry="01"),
         DemoProduct("丰穗牌硫酸钾型复合肥", "50 kg N-P-K 17-17-17", "fertiliser", entry="01")),
    ),
    DemoEnterprise(
        "lvdun", "宣化绿盾农药有限责任公司", "130705", "pesticide", "宣化区钟楼大街 66 号", "赵志强", "0313-3056789",
        EnrolmentStage.ACTIVATED, dt.date(2007, 4, 2),
        ((Q.CHINA_TOP_BRAND, "中国名牌 2006-0452", dt.date(2006, 9, 1), dt.date(2028, 8, 31)),
         (Q.PRODUCTION_LICENCE, "XK13-003-00021", dt.date(2004, 1, 1), dt.date(2029, 12, 31))),
        (DemoProduct("绿盾吡虫啉可湿性粉剂", "10% 100 g", "pesticide", "06901234000023",
                     (("item", 1), ("case", 60)), entry="05"),),
    ),
    DemoEnterprise(
        "guofeng", "河间国丰棉种技术服务中心", "130984", "seed", "河间市瀛州路 201 号", "孙立华", "0317-3321888",
        EnrolmentStage.CODES_ISSUED, dt.date(2007, 5, 20),
        ((Q.PROVINCIAL_BRAND, "冀名牌 2007-033", dt.date(2007, 1, 1), dt.date(2029, 12, 31)),),
        (DemoProduct("国丰 3 号抗虫棉种", "1 kg 包衣", "seed", None, (("item", 1), ("case", 20)), entry="08"),),
    ),
    DemoEnterprise(
        "zhenwei", "石家庄珍味酿造集团有限公司", "130102", "food", "长安区建设北大街 9 号", "王秀英", "0311-86043210",
        EnrolmentStage.ACTIVATED, dt.date(2007, 2, 8),
        ((Q.CHINA_TOP_BRAND, "中国名牌 2005-0311", dt.date(2005, 9, 1), dt.date(2030, 8, 31)),
         (Q.INSPECTION_EXEMPT, "免检 2006-0877", dt.date(2006, 1, 1), dt.date(2008, 12, 31)),
         (Q.PRODUCTION_LICENCE, "QS1301 0301 0045", dt.date(2006, 3, 1), dt.date(2031, 2, 28))),
        (DemoProduct("珍味陈醋", "500 mL 玻璃瓶", "food", "06901234000030", (("item", 1), ("case", 12)), entry="13"),
         DemoProduct("珍味特级酱油", "500 mL 塑料软包装", "food", "06901234000047",
                     (("item", 1), ("case", 24), ("pallet", 40)), entry="14")),
    ),
    DemoEnterprise(
        "jifa", "北戴河集鲜蔬菜专业合作社", "130304", "produce", "北戴河区戴河镇西古城村", "刘海涛", "0335-4021567",
        EnrolmentStage.CREDENTIALS_ISSUED, dt.date(2007, 8, 15),
        ((Q.GEOGRAPHICAL_INDICATION, "地标 2007-015", dt.date(2007, 6, 1), None),),
        (DemoProduct("集鲜有机黄瓜", "5 kg 箱装", "produce", entry="41"),),
    ),
    DemoEnterprise(
        "hengwen", "栾城恒温电热毯厂", "130111", "electric_blanket", "栾城区窦妪工业园 7 号", "周敏", "0311-88012233",
        EnrolmentStage.SIGNED, dt.date(2007, 10, 9),
        ((Q.PRODUCTION_LICENCE, "XK06-010-01122", dt.date(2006, 5, 1), dt.date(2028, 4, 30)),),
        (DemoProduct("恒温牌双人电热毯", "150 cm × 120 cm 220 V 60 W", "electric_blanket", entry="22"),),
    ),
    DemoEnterprise(
        "jizhong", "冀中电线电缆股份有限公司", "130528", "cable", "宁晋县电缆工业园 3 号", "吴国庆", "0319-5881234",
        EnrolmentStage.CODES_ISSUED, dt.date(2007, 6, 1),
        ((Q.PRODUCTION_LICENCE, "XK06-001-00512", dt.date(2006, 1, 1), dt.date(2030, 12, 31)),
         (Q.PROVINCIAL_BRAND, "冀名牌 2006-208", dt.date(2006, 12, 1), dt.date(2027, 11, 30))),
        (DemoProduct("BV 聚氯乙烯绝缘电线", "2.5 mm² 100 m/卷", "cable", None, (("item", 1), ("case", 10)), entry="25"),),
    ),
    DemoEnterprise(
        "huaan", "藁城华安劳保用品有限公司", "130109", "protective", "藁城区廉州东路 12 号", "郑丽", "0311-88123456",
        EnrolmentStage.REGISTERED, None,
        ((Q.PRODUCTION_LICENCE, "XK16-002-00087", dt.date(2007, 1, 1), dt.date(2027, 12, 31)),),
        (DemoProduct("华安安全帽", "ABS 一字型", "protective", entry="30"),),
    ),
    DemoEnterprise(
        "minjiang", "福州闽江燃气具有限公司", "350121", "gas_appliance", "闽侯县上街镇科技东路 5 号", "陈志明",
        "0591-22881234", EnrolmentStage.SIGNED, dt.date(2007, 9, 3),
        ((Q.PROVINCIAL_BRAND, "闽名牌 2006-045", dt.date(2006, 10, 1), dt.date(2028, 9, 30)),),
        (DemoProduct("闽江牌家用燃气灶", "JZT-2 天然气 双眼", "gas_appliance", "06901234000054", entry="23"),),
    ),
    DemoEnterprise(
        "rongcheng", "福州榕城化妆品有限公司", "350102", "cosmetics", "鼓楼区五四路 88 号", "林雅琴", "0591-87654321",
        EnrolmentStage.CREDENTIALS_ISSUED, dt.date(2007, 7, 16),
        ((Q.CITY_QUALITY_AWARD, "榕质奖 2006-09", dt.date(2006, 12, 1), None),),
        (DemoProduct("榕城润肤霜", "50 g", "cosmetics", "06901234000061", (("item", 1), ("case", 48)), entry="36"),),
    ),
    DemoEnterprise(
        "haifeng", "长乐海丰饲料有限公司", "350112", "feed", "长乐区航城街道首占工业区", "郭建华", "0591-28812345",
        EnrolmentStage.ACTIVATED, dt.date(2007, 3, 28),
        ((Q.PROVINCIAL_BRAND, "闽名牌 2005-112", dt.date(2005, 10, 1), dt.date(2027, 9, 30)),
         (Q.PRODUCTION_LICENCE, "闽饲证 (2006) 01023", dt.date(2006, 1, 1), dt.date(2030, 12, 31))),
        (DemoProduct("海丰乳猪配合饲料", "40 kg", "feed", None, (("item", 1), ("pallet", 40)), entry="11"),),
    ),
    DemoEnterprise(
        "xinda", "福州鑫达人造板有限公司", "350121", "panel", "闽侯县青口镇工业集中区", "黄国栋", "0591-22223333",
        EnrolmentStage.SIGNED, dt.date(2007, 11, 20),
        ((Q.PRODUCTION_LICENCE, "XK17-003-00210", dt.date(2006, 8, 1), dt.date(2029, 7, 31)),),
        (DemoProduct("鑫达 E1 级中密度纤维板", "2440 × 1220 × 18 mm", "panel", entry="27"),),
    ),
    DemoEnterprise(
        "kangtai", "石家庄康泰药业有限公司", "130104", "drug", "桥西区友谊南大街 120 号", "马文杰", "0311-83301234",
        EnrolmentStage.CODES_ISSUED, dt.date(2007, 5, 8),
        ((Q.PRODUCTION_LICENCE, "冀 20050123", dt.date(2005, 1, 1), dt.date(2030, 12, 31)),),
        (DemoProduct("康泰板蓝根颗粒", "10 g × 20 袋", "drug", "06901234000078", (("item", 1), ("case", 50)), entry="38"),),
    ),
)

_STAGE_ORDER = list(EnrolmentStage)


def _reached(demo: DemoEnterprise, stage: EnrolmentStage) -> bool:
    return _STAGE_ORDER.index(demo.stage) >= _STAGE_ORDER.index(stage)

REGULATORS = (
    ("hebei.quality", "河北省质量技术监督局 张处长", "130000", "quality"),
    ("sjz.quality", "石家庄市质量技术监督局 刘科长", "130100", "quality"),
    ("luancheng.quality", "栾城区质量技术监督局 何股长", "130111", "quality"),
    ("hebei.agri", "河北省农业厅 农资处 杨处长", "130000", "agriculture"),
    ("sjz.agri", "石家庄市农业局 农资科 田科长", "130100", "agriculture"),
    ("luancheng.agri", "栾城区农业局 农资站 贾站长", "130111", "agriculture"),
    ("fujian.quality", "福建省质量技术监督局 林处长", "350000", "quality"),
    ("fuzhou.quality", "福州市质量技术监督局 陈科长", "350100", "quality"),
)
MANUFACTURER_USERS = (
    ("fengsui", "fengsui", "丰穗复合肥 质量部 李工"),
    ("zhenwei", "zhenwei", "珍味酿造 信息中心 王工"),
    ("lvdun", "lvdun", "绿盾农药 销售部 赵工"),
    ("haifeng", "haifeng", "海丰饲料 生产部 郭工"),
)



def seed(sessions: sessionmaker[Session], settings: Settings) -> list[str]:
    """Create the demo network unless the database has users; return the printed lines."""
    with transaction(sessions) as session:
        created = session.scalar(select(User.id).limit(1)) is None
        if created:
            _create(session, settings)
    if created:
        _demo_queries(sessions, settings)
        with transaction(sessions) as session:  # after the demo's queries, which so draw nothing
            _promotion(session, actor=Actor.system("demo seed"))
        with transaction(sessions) as session:  # the statistics pages show the demo's days at once
            rollup(session, actor=Actor.system("demo seed"))
    with reading(sessions) as session:
        return _lines(session, settings)


def _demo_queries(sessions: sessionmaker[Session], settings: Settings) -> None:
    """Two consumers in 石家庄 have already checked one bottle of vinegar (queried before)."""
    with reading(sessions) as session:
        zhenwei = session.scalar(select(Enterprise.id).where(Enterprise.name == "石家庄珍味酿造集团有限公司"))
        bottles = session.scalars(select(CodeBatch).where(CodeBatch.enterprise_id == zhenwei)
                                  .order_by(CodeBatch.id)).first()
        assert bottles is not None
        operator = Principal(kind="system", id=0, name="demo", role=Role.OPERATOR)
        bottle = lookup.batch_codes(session, principal=operator, batch_id=bottles.id, offset=200, limit=1)[0]
    verifier = Verifier(sessions, hash_key=query_hash_key(settings.secret_key.get_secret_value()))
    for region in ("130102", "130104"):
        verifier.verify(bottle, QueryContext(Channel.WEB, region_code=region, source="demo"))
    verifier.close()


def _demo_key_seed(settings: Settings, name: str) -> bytes:
    return f"{settings.secret_key.get_secret_value()}:demo:{name}".encode()


DEMO_KEYS = (
    ("manufacturer", "丰穗复合肥 ERP 系统", "fengsui"),
    ("manufacturer", "珍味酿造 赋码线", "zhenwei"),
    ("printer", "华印票证 变码印刷系统", "huayin"),
    ("terminal", "栾城农资服务站 查询终端 1 号", "luancheng-shop"),
)


def _create(session: Session, settings: Settings) -> None:
    actor = Actor.system("demo seed")
    operator = Principal(kind="user", id=0, name="demo-seed", role=Role.OPERATOR)
    create_user(session, actor=actor, username="operator", display_name="运营中心 王工", password=DEMO_PASSWORD,
                role=Role.OPERATOR)
    catalogue_entries = demo_catalogue(session, actor=actor)
    enterprises: dict[str, int] = {}
    for serial, demo in enumerate(ENTERPRISES, start=1):
        enterprise = register_enterprise(
            session, actor=actor, credit_code=demo_credit_code(serial, demo.region), name=demo.name,
            region_code=demo.region, category_id=get_category_by_code(session, demo.category).id,
            address=demo.address, contact_name=demo.contact, contact_phone=demo.phone,
            description=f"{demo.name}（演示数据）",
        )
        enterprises[demo.key] = enterprise.id
        for kind, number, valid_from, valid_until in demo.qualifications:
            add_qualification(session, actor=actor, principal=operator, enterprise_id=enterprise.id, kind=kind,
                              number=number, valid_from=valid_from, valid_until=valid_until)
        for product in demo.products:
            add_product(session, actor=actor, principal=operator, enterprise_id=enterprise.id, name=product.name,
                        specification=product.specification,
                        category_id=get_category_by_code(session, product.category).id, gtin=product.gtin,
                        packaging=product.packaging,
                        catalogue_entry_id=catalogue_entries[product.entry] if product.entry else None)
        if demo.signed_on is not None:
            sign_enterprise(session, actor=actor, enterprise_id=enterprise.id, signed_on=demo.signed_on)

    printer = register_printer(
        session, actor=actor, credit_code=demo_credit_code(101, "130104"), name="石家庄华印票证印刷有限公司",
        region_code="130104", address="桥西区新石中路 36 号", filing_number="冀监码印备〔2007〕012 号",
        filing_valid_until=dt.date(2027, 12, 31),
    )
    distributor = register_merchant(
        session, actor=actor, credit_code=demo_credit_code(201, "130102"), name="河北农资连锁有限公司",
        kind="distributor", region_code="130102", address="长安区和平东路 211 号",
    )
    farm_shop = register_merchant(
        session, actor=actor, credit_code=demo_credit_code(202, "130111"), name="栾城农资服务站",
        kind="shop", region_code="130111", address="栾城区城关镇栾武路 3 号",
    )
    supermarket = register_merchant(
        session, actor=actor, credit_code=demo_credit_code(203, "130104"), name="北国超市 石家庄中山店",
        kind="shop", region_code="130104", address="桥西区中山西路 188 号",
    )
    for username, display_name, region, agency in REGULATORS:
        create_user(session, actor=actor, username=username, display_name=display_name, password=DEMO_PASSWORD,
                    role=Role.REGULATOR, region_code=region, agency=agency)
    for username, key, display_name in MANUFACTURER_USERS:
        create_user(session, actor=actor, username=username, display_name=display_name, password=DEMO_PASSWORD,
                    role=Role.MANUFACTURER, enterprise_id=enterprises[key])
    create_user(session, actor=actor, username="huayin", display_name="华印票证 制版车间 冯工", password=DEMO_PASSWORD,
                role=Role.PRINTER, printer_id=printer.id)
    create_user(session, actor=actor, username="nongzi", display_name="河北农资连锁 仓储部 韩经理",
                password=DEMO_PASSWORD, role=Role.MERCHANT, merchant_id=distributor.id)
    create_user(session, actor=actor, username="luancheng.shop", display_name="栾城农资服务站 店员 小高",
                password=DEMO_PASSWORD, role=Role.MERCHANT, merchant_id=farm_shop.id)
    create_user(session, actor=actor, username="beiguo.shop", display_name="北国超市 收货组 宋组长",
                password=DEMO_PASSWORD, role=Role.MERCHANT, merchant_id=supermarket.id)
    owners = {"fengsui": {"enterprise_id": enterprises["fengsui"]},
              "zhenwei": {"enterprise_id": enterprises["zhenwei"]},
              "huayin": {"printer_id": printer.id},
              "luancheng-shop": {"merchant_id": farm_shop.id}}
    for role, name, owner in DEMO_KEYS:
        if role == "terminal":  # a query terminal is registered with its shop, county and key
            register_terminal(session, actor=actor, merchant_id=owners[owner]["merchant_id"], name=name,
                              address="栾城区城关镇栾武路 3 号 收银台旁", contact_name="高建军",
                              contact_phone="0311-85412345", derive_key_from=_demo_key_seed(settings, name))
            continue
        create_api_key(session, actor=actor, name=name, role=role, derive_from=_demo_key_seed(settings, name),
                       **owners[owner])
    # Every later stage of the funnel is reached the real way: a key, a batch, an activation.
    for demo in ENTERPRISES:
        if _reached(demo, EnrolmentStage.CREDENTIALS_ISSUED) and demo.key not in owners:
            create_api_key(session, actor=actor, name=f"{demo.name} 企业系统", role=Role.MANUFACTURER,
                           enterprise_id=enterprises[demo.key])
    _batches(session, actor=actor, enterprises=enterprises, printer_id=printer.id)
    _registrations(session, actor=actor, enterprises=enterprises)
    supply_chain(session, actor=actor, enterprises=enterprises,
                 merchants={"nongzi": distributor.id, "luancheng": farm_shop.id, "beiguo": supermarket.id})
    _watch(session, settings=settings, enterprises=enterprises)


def _promotion(session: Session, *, actor: Actor) -> None:
    """珍味's running promotion (开瓶有礼) on its vinegar: a draw on first genuine queries in 长安区."""
    enterprise_id = session.scalar(select(Enterprise.id).where(Enterprise.name == "石家庄珍味酿造集团有限公司"))
    assert enterprise_id is not None
    product = session.scalar(select(Product.id).where(Product.enterprise_id == enterprise_id,
                                                      Product.name == "珍味陈醋"))
    assert product is not None
    staff = Principal(kind="user", id=0, name="demo-seed", role=Role.MANUFACTURER, enterprise_id=enterprise_id)
    promotions.create_promotion(
        session, actor=actor, principal=staff, name="珍味陈醋 开瓶有礼", kind=PromotionKind.DRAW, product_ids=[product],
        starts_on=today() - dt.timedelta(days=30), ends_on=today() + dt.timedelta(days=300), regions=["130102"],
        budget_value=500_000, tiers=[promotions.TierSpec("一等奖 现金红包", "0.01", 10_000, 10),
                                     promotions.TierSpec("二等奖 醋礼盒", "0.1", 3_000, 100)])


def _watch(session: Session, *, settings: Settings, enterprises: dict[str, int]) -> None:
    """What the regulators have to look at: the consumers' complaints and reports in several
    stages (``demo.cases``), applications to join (``demo.applications``), an industry roster to
    measure enrolment against (``demo.rosters``), a source blocked for probing codes, and the early warnings and spot checks (``demo.warnings``)."""
    demo_cases(session, settings=settings, enterprises=enterprises)
    demo_applications(session, settings=settings)
    demo_rosters(session)
    demo_warnings(session, enterprises=enterprises, cloned_code=demo_code(session, enterprises["zhenwei"], 5))
    blocked_at = utcnow()
    raise_alert(session, actor=Actor.system("abuse-guard"), kind=AlertKind.ABUSE_SOURCE_BLOCKED.value,
                severity=AlertSeverity.WARNING, subject=hashlib.sha256(b"demo probing source").hexdigest(),
                region_code="130111", rule=WarningRule.ENUMERATION,
                details={"bad_queries": 50, "blocked_seconds": 900,
                         "blocked_until": (blocked_at + dt.timedelta(seconds=900)).isoformat()})


def _batches(session: Session, *, actor: Actor, enterprises: dict[str, int], printer_id: int) -> None:
    """Batches in every state: issued, printed, with spoiled codes, activated in part and in
    full, and items packed into cases."""
    lot_day = dt.date(2026, 10, 15)

    def staff(key: str) -> Principal:
        return Principal(kind="user", id=0, name=f"demo-{key}", role=Role.MANUFACTURER,
                         enterprise_id=enterprises[key])

    def product_id(key: str, index: int = 0) -> int:
        products = session.scalars(select(Product).where(Product.enterprise_id == enterprises[key])
                                   .order_by(Product.id)).all()
        return products[index].id

    def issue(key: str, quantity: int, *, index: int = 0, level: str = "item", printer: int | None = printer_id
              ) -> CodeBatch:
        batch = issuing.request_codes(session, actor=actor, principal=staff(key), product_id=product_id(key, index),
                                    quantity=quantity, packaging_level=level, printer_id=printer).batch
        assert batch is not None  # the demo's requests are within quota
        return batch

    def printed(batch: CodeBatch, spoiled_offsets: tuple[int, ...] = ()) -> None:
        spoiled = [lookup.batch_codes(session, principal=staff_of(batch), batch_id=batch.id,
                                     offset=offset, limit=1)[0] for offset in spoiled_offsets]
        printer_principal = Principal(kind="user", id=0, name="demo-printer", role=Role.PRINTER,
                                      printer_id=batch.printer_id) if batch.printer_id else staff_of(batch)
        activations.confirm_printing(session, actor=actor, principal=printer_principal, batch_id=batch.id,
                               printed_count=batch.quantity, spoiled_codes=spoiled)

    def staff_of(batch: CodeBatch) -> Principal:
        return Principal(kind="user", id=0, name="demo", role=Role.MANUFACTURER, enterprise_id=batch.enterprise_id)

    def activated(batch: CodeBatch, lot: str, offsets: list[tuple[int, int]] | None = None, *,
                  shelf_days: int | None = 730) -> None:
        data = activations.ProductionData(lot, lot_day, lot_day + dt.timedelta(days=shelf_days) if shelf_days else None,
                                    f"出厂检验合格 {lot}")
        activations.activate(session, actor=actor, principal=staff_of(batch), batch_id=batch.id, data=data,
                       offsets=offsets)

    # 丰穗: 1,000 bags printed with three spoiled, activated but for the spoiled ones.
    bags = issue("fengsui", 1000)
    printed(bags, (997, 998, 999))
    activated(bags, "FS20261015", [(0, 997)], shelf_days=None)
    # 珍味: 240 bottles and 20 cases, all activated, the first twelve bottles packed into case 1;
    # 500 bottles of soy sauce issued but not printed yet.
    bottles = issue("zhenwei", 240)
    cases = issue("zhenwei", 20, level="case")
    for batch in (bottles, cases):
        printed(batch)
        activated(batch, "ZW-2026-1015")
    case_code = lookup.batch_codes(session, principal=staff_of(cases), batch_id=cases.id, limit=1)[0]
    bottle_codes = lookup.batch_codes(session, principal=staff_of(bottles), batch_id=bottles.id,
                                     limit=12)
    trace.pack(session, actor=actor, principal=staff_of(cases), container=case_code, contents=bottle_codes)
    issue("zhenwei", 500, index=1)
    # 绿盾: 600 packs printed, half of them activated so far.
    packs = issue("lvdun", 600)
    printed(packs)
    activated(packs, "LD-26-10-A", [(0, 300)])
    # 海丰 prints its own feed bags and has activated them all.
    feed = issue("haifeng", 200, printer=None)
    printed(feed)
    activated(feed, "HF261015")
    # The enterprises that have codes but activated none yet.
    for key in ("guofeng", "jizhong", "kangtai"):
        printed(issue(key, 100))
    # 海丰: an old lot whose shelf life has run out (expired), printed on its own line.
    old_feed = issue("haifeng", 100, printer=None)
    printed(old_feed)
    activations.activate(session, actor=actor, principal=staff_of(old_feed), batch_id=old_feed.id,
                   data=activations.ProductionData("HF240301", dt.date(2024, 3, 1), dt.date(2025, 3, 1), "出厂检验合格 HF240301"))


DEMO_GS1_RANGE = (100001, 101000)  # serials 珍味 already prints on its soy sauce (GS1 DataMatrix)
DEMO_DRUG_CODES = [f"8{6901234000078 % 10**12:012d}{n:07d}" for n in range(1, 21)]  # 康泰's existing codes


def _registrations(session: Session, *, actor: Actor, enterprises: dict[str, int]) -> None:
    """Codes of other schemes the demo enterprises already print, registered here: 珍味's GS1 serials
    of its soy sauce (activated), 康泰's drug supervision codes (activated)."""
    def staff(key: str) -> Principal:
        return Principal(kind="user", id=0, name=f"demo-{key}", role=Role.MANUFACTURER,
                         enterprise_id=enterprises[key])

    def product(key: str, name: str) -> Product:
        found = session.scalars(select(Product).where(Product.enterprise_id == enterprises[key],
                                                      Product.name == name)).one()
        return found

    sauce = product("zhenwei", "珍味特级酱油")
    schemes.register_gs1(session, actor=actor, principal=staff("zhenwei"), product_id=sauce.id,
                         gtin=sauce.gtin or "", ranges=[DEMO_GS1_RANGE],
                         production=activations.ProductionData("ZW-JY-2026-1020", dt.date(2026, 10, 20),
                                                               dt.date(2028, 4, 20), "出厂检验合格"))
    granules = product("kangtai", "康泰板蓝根颗粒")
    schemes.import_drug_codes(session, actor=actor, principal=staff("kangtai"), product_id=granules.id,
                              file_name="康泰药品电子监管码.csv",
                              data=("药品电子监管码\n" + "\n".join(DEMO_DRUG_CODES) + "\n").encode(),
                              production=activations.ProductionData("KT261008", dt.date(2026, 10, 8),
                                                                    dt.date(2028, 10, 7), "出厂检验合格"))


def _scheme_samples(session: Session, settings: Settings) -> list[str]:
    """A registered GS1 code as its Digital Link URI, and a registered drug code (``sample gs1 URI``,
    ``sample drug CODE``)."""
    lines: list[str] = []
    for registration in session.scalars(select(SchemeRegistration).order_by(SchemeRegistration.batch_id)):
        if registration.serial_first is not None and not any(line.startswith("sample gs1") for line in lines):
            code = ForeignCode(Scheme.GS1, str(registration.serial_first + 7), registration.gtin)
            lines.append(f"sample gs1 {code.digital_link(settings.public_base_url)}")
        if registration.scheme == Scheme.DRUG and not any(line.startswith("sample drug") for line in lines):
            value = session.scalars(select(SchemeValue.value).where(SchemeValue.batch_id == registration.batch_id)
                                    .order_by(SchemeValue.offset).offset(3).limit(1)).first()
            if value is not None:
                lines.append(f"sample drug {value}")
    return lines


def _samples(session: Session) -> list[str]:
    """One code of each state the demo batches are in, as ``sample STATE CODE`` lines."""
    if session.scalar(select(func.count()).select_from(CodeBatch)) == 0:
        return []
    ring = keyring(session)

    def code(generation: int, serial: int) -> str:
        return encode_serial(ring[generation], serial)

    batches = session.scalars(select(CodeBatch).where(CodeBatch.generation > 0).order_by(CodeBatch.id)).all()
    lines = []
    issued = next((b for b in batches if b.printed_at is None), None)
    if issued is not None:
        lines.append(f"sample issued {code(issued.generation, issued.serial_start)}")
    spoiled = session.scalars(select(SpoiledCode).order_by(SpoiledCode.batch_id, SpoiledCode.serial).limit(1)).first()
    if spoiled is not None:
        lines.append(f"sample spoiled {code(spoiled.generation, spoiled.serial)}")
    for batch in batches:
        ranges = session.scalars(select(Activation).where(Activation.batch_id == batch.id,
                                                          Activation.withdrawn_at.is_(None))).all()
        if batch.printed_at is not None and not ranges and not any(line.startswith("sample printed") for line in lines):
            lines.append(f"sample printed {code(batch.generation, batch.serial_start)}")
        covered = sum(row.serial_end - row.serial_start for row in ranges)
        if ranges and not any(line.startswith("sample activated ") for line in lines):
            lines.append(f"sample activated {code(batch.generation, ranges[0].serial_start)}")
        if ranges and covered < batch.quantity and not any(line.startswith("sample activated_in_part") for line in lines):
            end = max(row.serial_end for row in ranges)
            if end < batch.serial_end and session.get(SpoiledCode, (batch.generation, end)) is None:
                lines.append(f"sample activated_in_part {code(batch.generation, end)}")
    packing = session.scalars(select(Packing).order_by(Packing.container_serial, Packing.serial_start).limit(1)).first()
    if packing is not None:
        lines.append(f"sample case {code(packing.container_generation, packing.container_serial)}")
        lines.append(f"sample packed {code(packing.generation, packing.serial_start)}")
    return lines + _verdict_samples(session, ring, code, lines) + chain_samples(session, code)


def _verdict_samples(session: Session, keyring: Any, code: Any, state_lines: list[str]) -> list[str]:
    """One code for each verdict the demo network can give now (``sample VERDICT CODE``)."""
    day = today()
    lines = []
    queried = {(row.generation, row.serial): row.count for row in session.scalars(select(CodeQueryState))}
    fresh: tuple[int, int] | None = None
    expired: tuple[int, int] | None = None
    seen: tuple[int, int] | None = None
    for activation in session.scalars(select(Activation).where(Activation.withdrawn_at.is_(None))
                                      .order_by(Activation.id)):
        batch = session.get(CodeBatch, activation.batch_id)
        assert batch is not None
        if batch.generation == 0:  # registered codes of another scheme: their own samples
            continue
        out_of_date = activation.expiry_date is not None and activation.expiry_date < day
        for serial in range(activation.serial_start, min(activation.serial_end, activation.serial_start + 500)):
            key = (batch.generation, serial)
            if session.get(SpoiledCode, key) is not None:
                continue
            if out_of_date:
                expired = expired or key
            elif key in queried:
                seen = seen or key
            elif (fresh is None and serial != activation.serial_start  # not the "activated" state sample
                  and batch.packaging_level == "item" and container_of(session, *key) is None):
                fresh = key
    for verdict, sample in (("genuine", fresh), ("queried_before", seen), ("expired", expired)):
        if sample is not None:
            lines.append(f"sample {verdict} {code(*sample)}")
    not_activated = next((line.split()[2] for line in state_lines if line.startswith("sample activated_in_part")), None)
    if not_activated:
        lines.append(f"sample not_activated {not_activated}")
    if fresh is not None:
        genuine = code(*fresh)
        lines.append(f"sample malformed {genuine[:19]}{(int(genuine[19]) + 1) % 10}")
        lines.append(f"sample unknown {_never_issued(session, keyring, genuine)}")
    return lines


def _never_issued(session: Session, keyring: Any, near: str) -> str:
    """A well-formed code of the newest generation that no batch holds: what a forger might print."""
    for shift in range(1, 100):
        body = near[:10] + f"{(int(near[10:14]) + shift * 37) % 10000:04d}" + near[14:19]
        candidate = body + damm_digit(body)
        generation, serial = decode_code(keyring, candidate)
        if lookup.find_batch(session, generation, serial) is None:
            return candidate
    raise RuntimeError("no unissued code found near the sample")


def _lines(session: Session, settings: Settings) -> list[str]:
    demo_users = {"operator", "huayin", "nongzi", "luancheng.shop", "beiguo.shop",
                  *(row[0] for row in REGULATORS), *(row[0] for row in MANUFACTURER_USERS)}
    lines = []
    for user in session.scalars(select(User).where(User.username.in_(demo_users)).order_by(User.id)):
        lines.append(f"login {Role(user.role).value} {user.username} {DEMO_PASSWORD}")
    active = {row.prefix for row in session.scalars(select(ApiKey).where(ApiKey.revoked_at.is_(None)))}
    for role, name, _owner in DEMO_KEYS:
        prefix, key = derive_key(_demo_key_seed(settings, name))
        if prefix in active:
            lines.append(f"apikey {role} {key}")
    return (lines + case_lines(session, settings) + application_lines(session, settings) + _samples(session)
            + _scheme_samples(session, settings))
