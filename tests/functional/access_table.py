"""The access matrix: every route of the app, and who of the demo network's callers reaches what.

One table the whole project shares: a new area adds a row for each of its routes (the test
fails on a route that has none), and the test runs every row for every caller on both
databases. A row says, for a route that shows or changes one object, which callers reach that
object (everyone else that the route's roles admit is answered 404, never 403 and never a
glimpse of it); for a route that lists, which callers see each of a few marked objects; and
for a route whose answer does not depend on scope, why not.

The callers and objects are the demo network's (``jianguan demo seed``): 珍味酿造 (food, supervised
by quality, in 长安区 of 石家庄), 丰穗复合肥 (fertiliser, agriculture, in 栾城区), the printer 华印,
the distributor 河北农资连锁 (长安区) and the shop 栾城农资服务站 with its query terminal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from jianguan.accounts.models import Role
from jianguan.timezone import today

# Who calls: a demo login ("user") or one of the demo's API keys ("key", by its position in the
# seed's output for the role).
CALLERS: dict[str, tuple[str, str, Role]] = {
    "operator": ("user", "operator", Role.OPERATOR),
    "hebei.quality": ("user", "hebei.quality", Role.REGULATOR),
    "sjz.quality": ("user", "sjz.quality", Role.REGULATOR),
    "luancheng.quality": ("user", "luancheng.quality", Role.REGULATOR),
    "hebei.agri": ("user", "hebei.agri", Role.REGULATOR),
    "luancheng.agri": ("user", "luancheng.agri", Role.REGULATOR),
    "fuzhou.quality": ("user", "fuzhou.quality", Role.REGULATOR),
    "zhenwei": ("user", "zhenwei", Role.MANUFACTURER),
    "zhenwei-key": ("key", "manufacturer:1", Role.MANUFACTURER),
    "fengsui": ("user", "fengsui", Role.MANUFACTURER),
    "fengsui-key": ("key", "manufacturer:0", Role.MANUFACTURER),
    "huayin": ("user", "huayin", Role.PRINTER),
    "huayin-key": ("key", "printer:0", Role.PRINTER),
    "nongzi": ("user", "nongzi", Role.MERCHANT),
    "luancheng.shop": ("user", "luancheng.shop", Role.MERCHANT),
    "terminal-key": ("key", "terminal:0", Role.TERMINAL),
}

# Who may see what, by the jurisdiction rule.
ZHENWEI = frozenset({"operator", "hebei.quality", "sjz.quality", "zhenwei", "zhenwei-key"})
FENGSUI = frozenset({"operator", "hebei.agri", "luancheng.agri", "fengsui", "fengsui-key"})
ZHENWEI_OWN = frozenset({"operator", "zhenwei", "zhenwei-key"})  # what only the enterprise (and the operator) does
PRINTED_BY_HUAYIN = frozenset({"huayin", "huayin-key"})
# General business (shops, terminals, alerts and reports of no product) is the quality and market
# regulators'; agriculture and food-and-drug regulators see only what concerns their categories.
IN_CHANGAN = frozenset({"operator", "hebei.quality", "sjz.quality"})  # 长安区, general business
IN_LUANCHENG = frozenset({"operator", "hebei.quality", "sjz.quality", "luancheng.quality"})  # 栾城区, general
# The demo's recall of 绿盾's lot (pesticide: agriculture; 宣化区 of 张家口), held by the distributor
# and the shop when it was opened; and the shop's supervised destruction of two of its packs.
LVDUN_RECALL = frozenset({"operator", "hebei.agri", "nongzi", "luancheng.shop"})
LVDUN_OWN_RECALL = frozenset({"operator", "hebei.agri"})  # who may end it (an enterprise its own; no 绿盾 caller here)
LUANCHENG_DESTRUCTION = frozenset({"operator", "hebei.agri", "luancheng.agri", "luancheng.shop"})
XINNONG_APPLICATION = frozenset({"operator", "hebei.agri", "luancheng.agri"})  # 栾城区, fertiliser
ZHENWEI_NAME, FENGSUI_NAME = "石家庄珍味酿造集团有限公司", "石家庄丰穗复合肥有限公司"


@dataclass(frozen=True)
class Scoped:
    """A route that shows or changes one object (``target``, an id the test finds in the demo). The
    callers in ``reach`` get it (200 and ``marker`` in the answer, for a route that only reads);
    every other caller the route's roles admit gets 404. A route that ``acts`` (changes state, or
    records a disclosure such as a download) is called only by those outside ``reach``."""

    target: str
    reach: frozenset[str]
    marker: str = ""
    acts: bool = False
    query: str = ""


@dataclass(frozen=True)
class Listing:
    """A route that lists: each marker (a name or a reference the answer shows) and who sees it."""

    rows: dict[str, frozenset[str]] = field(default_factory=dict)
    query: str = ""


@dataclass(frozen=True)
class Unscoped:
    """A route whose answer does not depend on the caller's scope, and why."""

    why: str


Rule = Scoped | Listing | Unscoped

OPERATOR_ONLY = Unscoped("the operator's alone: the whole network, no scope to narrow")
OWN = Unscoped("the caller's own account, session or organisation only")
TERMINAL_OWN = Unscoped("a terminal's own calls, made with its key")

ENTERPRISE_LIST = Listing({ZHENWEI_NAME: ZHENWEI, FENGSUI_NAME: FENGSUI, "栾城恒温电热毯厂": frozenset(
    {"operator", "hebei.quality", "sjz.quality", "luancheng.quality"})})
BATCH_LIST = Listing({"珍味陈醋": ZHENWEI | PRINTED_BY_HUAYIN, "丰穗牌复合肥": FENGSUI | PRINTED_BY_HUAYIN})
REQUEST_LIST = Listing({"珍味陈醋": ZHENWEI, "丰穗牌复合肥": FENGSUI})
KEY_LIST = Listing({"珍味酿造 赋码线": ZHENWEI_OWN, "华印票证 变码印刷系统": frozenset({"operator", "huayin", "huayin-key"})})
MERCHANT_LIST = Listing({"河北农资连锁有限公司": IN_CHANGAN | {"nongzi"},
                         "栾城农资服务站": IN_LUANCHENG | {"luancheng.shop"}})
TERMINAL_LIST = Listing({"栾城农资服务站 查询终端 1 号": IN_LUANCHENG | {"luancheng.shop"}})
# Alerts: the blocked source (general business of 栾城区), 珍味 vinegar's failed spot check in 长安区
# and 珍味's cloned code in 桥西区 (quality, and the maker), 丰穗's diverted bags (agriculture, the maker).
ALERT_LIST = Listing({"{alert}": IN_LUANCHENG, "SJZ-CC-2026-0417": ZHENWEI})
SPOT_CHECK_LIST = Listing({"SJZ-CC-2026-0417": ZHENWEI, "SJZ-CC-2026-0388": ZHENWEI})
ZHENWEI_REGULATORS = frozenset({"operator", "hebei.quality", "sjz.quality"})
RULES = Unscoped("the network's warning rules: the same for every caller")
# Cases: by region and category (a code nobody issued is general business), by the agency routed
# to, and a manufacturer's own products (without the reporter).
CASE_LIST = Listing({"栾城区冶河镇集市": IN_LUANCHENG,
                     "栾城区窦妪镇农资店": FENGSUI,  # fengsui fertiliser: agriculture, and the maker
                     "长安区北国超市": ZHENWEI,  # zhenwei vinegar: quality, and the maker
                     "桥西区某副食店": ZHENWEI})  # a cloned zhenwei code in 桥西区
# The supply chain: captures by their party's name; events by the place (SGLN) where 珍味 and 丰穗
# shipped, which only their own, their regulators and the distributor they shipped to see; places
# by name (the place's own party, and the general regulators of its county).
CAPTURE_LIST = Listing({ZHENWEI_NAME: ZHENWEI, FENGSUI_NAME: FENGSUI, "河北农资连锁有限公司": IN_CHANGAN | {"nongzi"},
                        "栾城农资服务站": IN_LUANCHENG | {"luancheng.shop"}})
EVENT_LIST = Listing({"urn:epc:id:sgln:6901234.00001.0": ZHENWEI | {"nongzi"},
                      "urn:epc:id:sgln:6901234.00002.0": FENGSUI | {"nongzi"}})
PLACE_LIST = Listing({"珍味酿造 成品库": ZHENWEI, "河北农资连锁 长安仓": IN_CHANGAN | {"nongzi"},
                      "栾城农资服务站 门店": IN_LUANCHENG | {"luancheng.shop"},
                      "丰穗复合肥 成品库": IN_LUANCHENG | {"fengsui", "fengsui-key"}})
# 栾城农资服务站's receiving check of 丰穗 fertiliser: the shop's, general business of 栾城区, and
# the agriculture regulators' over it (the codes on it are fertiliser).
RECEIPT_SEERS = IN_LUANCHENG | {"luancheng.shop", "hebei.agri", "luancheng.agri"}
RECEIPT_LIST = Listing({"栾城农资服务站": RECEIPT_SEERS})
OWN_PARTY = Unscoped("the caller's own distributor or shop only: checks, receipts, sales, deliveries and stock "
                     "(tested in test_receipts)")

# The last month that has ended (Beijing): the one the monthly report rows ask for.
LAST_MONTH = (today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
# The demo's roster of 栾城区's compound-fertiliser makers: fertiliser is agriculture's.
ROSTER_SEERS = frozenset({"operator", "hebei.agri", "luancheng.agri"})
ROSTER_LIST = Listing({"复混肥料生产企业": ROSTER_SEERS})

IN_CHANGAN_REGION = Scoped("", IN_CHANGAN | {"hebei.agri"}, marker="长安区", query="region=130102")

MATRIX: dict[str, Rule] = {
    # accounts
    "GET /api/v1/me": OWN,
    "GET /api/v1/users": OPERATOR_ONLY,
    "POST /api/v1/users": OPERATOR_ONLY,
    "POST /api/v1/users/{user_id:int}/disable": OPERATOR_ONLY,
    "POST /api/v1/users/{user_id:int}/enable": OPERATOR_ONLY,
    "POST /api/v1/apikeys": Unscoped("a manufacturer issues keys for its own enterprise only (tested in accounts)"),
    "GET /api/v1/apikeys": KEY_LIST,
    "POST /api/v1/apikeys/{api_key_id:int}/revoke": Scoped("api_key_id", ZHENWEI_OWN, acts=True),
    "POST /logout": OWN,
    "GET /dashboard": OWN,
    "GET /manage/users": OPERATOR_ONLY,
    "POST /manage/users": OPERATOR_ONLY,
    "POST /manage/users/{user_id:int}/disable": OPERATOR_ONLY,
    "POST /manage/users/{user_id:int}/enable": OPERATOR_ONLY,
    "GET /manage/apikeys": KEY_LIST,
    "POST /manage/apikeys": Unscoped("a manufacturer issues keys for its own enterprise only (tested in accounts)"),
    "POST /manage/apikeys/{api_key_id:int}/revoke": Scoped("api_key_id", ZHENWEI_OWN, acts=True),
    "GET /manage/audit": OPERATOR_ONLY,
    # catalogue and registries
    "POST /api/v1/categories": OPERATOR_ONLY,
    "PATCH /api/v1/categories/{category_id:int}": OPERATOR_ONLY,
    "GET /manage/catalogue": OPERATOR_ONLY,
    "POST /manage/catalogue": OPERATOR_ONLY,
    "POST /manage/catalogue/{category_id:int}": OPERATOR_ONLY,
    "POST /api/v1/catalogue/entries": OPERATOR_ONLY,
    "PATCH /api/v1/catalogue/entries/{entry_id:int}": OPERATOR_ONLY,
    "POST /api/v1/catalogue/entries/import": OPERATOR_ONLY,
    "POST /manage/catalogue/entries": OPERATOR_ONLY,
    "POST /manage/catalogue/entries/import": OPERATOR_ONLY,
    "POST /manage/catalogue/entries/{entry_id:int}": OPERATOR_ONLY,
    "POST /api/v1/printers": OPERATOR_ONLY,
    "GET /manage/printers": OPERATOR_ONLY,
    "POST /manage/printers": OPERATOR_ONLY,
    "POST /api/v1/printers/{printer_id:int}/filing": OPERATOR_ONLY,
    "POST /api/v1/printers/{printer_id:int}/filing/revoke": OPERATOR_ONLY,
    "POST /manage/printers/{printer_id:int}/filing": OPERATOR_ONLY,
    "POST /manage/printers/{printer_id:int}/filing/revoke": OPERATOR_ONLY,
    "GET /manage/printers/{printer_id:int}": Scoped("printer_id", frozenset({"operator", "huayin", "huayin-key"}),
                                                    marker="石家庄华印票证印刷有限公司"),
    "GET /api/v1/merchants": MERCHANT_LIST,
    "POST /api/v1/merchants": OPERATOR_ONLY,
    "GET /manage/merchants": OPERATOR_ONLY,
    "POST /manage/merchants": OPERATOR_ONLY,
    "GET /manage/merchants/{merchant_id:int}": Scoped("merchant_id", IN_CHANGAN | {"nongzi"}, marker="河北农资连锁有限公司"),
    # enterprises
    "POST /api/v1/enterprises": OPERATOR_ONLY,
    "PATCH /api/v1/enterprises/{enterprise_id:int}": Scoped("enterprise_id", ZHENWEI_OWN, acts=True),
    "POST /api/v1/enterprises/{enterprise_id:int}/sign": OPERATOR_ONLY,
    "POST /api/v1/enterprises/{enterprise_id:int}/quota": OPERATOR_ONLY,
    "GET /api/v1/manage/enterprises": ENTERPRISE_LIST,
    "GET /api/v1/manage/enterprises/{enterprise_id:int}": Scoped("enterprise_id", ZHENWEI, marker=ZHENWEI_NAME),
    "POST /api/v1/enterprises/{enterprise_id:int}/qualifications": Scoped("enterprise_id", ZHENWEI_OWN, acts=True),
    "DELETE /api/v1/qualifications/{qualification_id:int}": Scoped("qualification_id", ZHENWEI_OWN, acts=True),
    "GET /api/v1/enterprises/{enterprise_id:int}/products": Scoped("enterprise_id", ZHENWEI, marker="珍味陈醋"),
    # the credit record: the enterprise's regulators in scope, the operator and the enterprise itself
    "GET /api/v1/enterprises/{enterprise_id:int}/credit": Scoped("enterprise_id", ZHENWEI, marker="SJZ-CC-2026-0417"),
    # the brand owner's view (保名优): the enterprise itself; the operator names it (enterprise_id)
    "GET /api/v1/brand": Scoped("", ZHENWEI_OWN, marker=ZHENWEI_NAME, query="enterprise_id={enterprise_id}"),
    "GET /brand": Scoped("", ZHENWEI_OWN, marker=ZHENWEI_NAME, query="enterprise_id={enterprise_id}"),
    "POST /api/v1/enterprises/{enterprise_id:int}/products": Scoped("enterprise_id", ZHENWEI_OWN, acts=True),
    "PATCH /api/v1/products/{product_id:int}": Scoped("product_id", ZHENWEI_OWN, acts=True),
    "GET /api/v1/enrolment": Scoped("", IN_CHANGAN | {"hebei.agri"}, marker="长安区", query="region=130102"),
    "POST /api/v1/enterprises/{enterprise_id:int}/broadcast": Scoped("enterprise_id", ZHENWEI_OWN, acts=True),
    "DELETE /api/v1/enterprises/{enterprise_id:int}/broadcast": Scoped("enterprise_id", ZHENWEI_OWN, acts=True),
    "GET /manage/enterprises": ENTERPRISE_LIST,
    "POST /manage/enterprises": OPERATOR_ONLY,
    "GET /manage/enterprises/{enterprise_id:int}": Scoped("enterprise_id", ZHENWEI, marker=ZHENWEI_NAME),
    "POST /manage/enterprises/{enterprise_id:int}/sign": OPERATOR_ONLY,
    "POST /manage/enterprises/{enterprise_id:int}/quota": OPERATOR_ONLY,
    "POST /manage/enterprises/{enterprise_id:int}/qualifications": Scoped("enterprise_id", ZHENWEI_OWN, acts=True),
    "POST /manage/enterprises/{enterprise_id:int}/qualifications/{qualification_id:int}/remove": Scoped(
        "qualification_id", ZHENWEI_OWN, acts=True),
    "POST /manage/enterprises/{enterprise_id:int}/products": Scoped("enterprise_id", ZHENWEI_OWN, acts=True),
    "POST /manage/enterprises/{enterprise_id:int}/products/{product_id:int}": Scoped("product_id", ZHENWEI_OWN,
                                                                                      acts=True),
    "POST /manage/enterprises/{enterprise_id:int}/broadcast": Scoped("enterprise_id", ZHENWEI_OWN, acts=True),
    "POST /manage/enterprises/{enterprise_id:int}/broadcast/withdraw": Scoped("enterprise_id", ZHENWEI_OWN,
                                                                               acts=True),
    # codes
    "POST /api/v1/code-requests": Scoped("", ZHENWEI_OWN, acts=True),
    "GET /api/v1/code-requests": REQUEST_LIST,
    "GET /api/v1/code-requests/{request_id:int}": Scoped("request_id", ZHENWEI, marker="珍味陈醋"),
    "POST /api/v1/code-requests/{request_id:int}/decision": OPERATOR_ONLY,
    "GET /api/v1/batches": BATCH_LIST,
    "GET /api/v1/batches/{batch_id:int}": Scoped("batch_id", ZHENWEI | PRINTED_BY_HUAYIN, marker="珍味陈醋"),
    "GET /api/v1/batches/{batch_id:int}/file": Scoped("batch_id", ZHENWEI_OWN | PRINTED_BY_HUAYIN, acts=True),
    "GET /api/v1/batches/{batch_id:int}/labels.pdf": Scoped("batch_id", ZHENWEI_OWN | PRINTED_BY_HUAYIN, acts=True),
    "POST /api/v1/batches/{batch_id:int}/printing": Scoped("batch_id", ZHENWEI_OWN | PRINTED_BY_HUAYIN, acts=True),
    "POST /api/v1/batches/{batch_id:int}/activations": Scoped("batch_id", ZHENWEI_OWN, acts=True),
    "POST /api/v1/activations/{activation_id:int}/withdraw": Scoped("activation_id", ZHENWEI_OWN, acts=True),
    "POST /api/v1/packings": Scoped("", ZHENWEI_OWN, acts=True),
    "POST /api/v1/packings/unpack": Scoped("", ZHENWEI_OWN, acts=True),
    "GET /api/v1/codes/{code:str}/status": Scoped("code", ZHENWEI, marker=ZHENWEI_NAME),
    "GET /codes": Listing({"珍味陈醋": frozenset({"zhenwei", "zhenwei-key"}),
                           "丰穗牌复合肥": frozenset({"fengsui", "fengsui-key"})}),
    "POST /codes/requests": Scoped("", ZHENWEI_OWN, acts=True),
    "GET /codes/batches/{batch_id:int}": Scoped("batch_id", ZHENWEI | PRINTED_BY_HUAYIN, marker="珍味陈醋"),
    "POST /codes/batches/{batch_id:int}/file": Scoped("batch_id", ZHENWEI_OWN | PRINTED_BY_HUAYIN, acts=True),
    "GET /codes/batches/{batch_id:int}/labels.pdf": Scoped("batch_id", ZHENWEI_OWN | PRINTED_BY_HUAYIN, acts=True),
    "POST /codes/batches/{batch_id:int}/printing": Scoped("batch_id", ZHENWEI_OWN | PRINTED_BY_HUAYIN, acts=True),
    "POST /codes/batches/{batch_id:int}/activations": Scoped("batch_id", ZHENWEI_OWN, acts=True),
    "POST /codes/batches/{batch_id:int}/activations/{activation_id:int}/withdraw": Scoped(
        "batch_id", ZHENWEI_OWN, acts=True),
    "POST /codes/batches/{batch_id:int}/packings": Scoped("batch_id", ZHENWEI_OWN, acts=True),
    "GET /printing": Listing({"珍味陈醋": PRINTED_BY_HUAYIN}),
    "GET /manage/code-requests": OPERATOR_ONLY,
    "POST /manage/code-requests/{request_id:int}/decision": OPERATOR_ONLY,
    "GET /manage/codes": Scoped("", ZHENWEI, marker=ZHENWEI_NAME, query="code={code}"),
    # terminals, alerts, cases
    "POST /api/v1/terminals": OPERATOR_ONLY,
    "GET /api/v1/terminals": TERMINAL_LIST,
    "POST /api/v1/terminals/{terminal_id:int}/retire": OPERATOR_ONLY,
    "POST /api/v1/terminal/heartbeat": TERMINAL_OWN,
    "GET /api/v1/terminal/verify/{code:path}": TERMINAL_OWN,
    "POST /manage/terminals": OPERATOR_ONLY,
    "GET /manage/terminals": TERMINAL_LIST,
    "POST /manage/terminals/{terminal_id:int}/retire": OPERATOR_ONLY,
    "GET /api/v1/alerts": ALERT_LIST,
    "GET /manage/alerts": ALERT_LIST,
    "GET /api/v1/alerts/{alert_id:int}": Scoped("alert_id", ZHENWEI, marker="SJZ-CC-2026-0417"),
    "GET /manage/alerts/{alert_id:int}": Scoped("alert_id", ZHENWEI, marker="SJZ-CC-2026-0417"),
    "POST /api/v1/alerts/{alert_id:int}/acknowledge": Scoped("alert_id", ZHENWEI_REGULATORS, acts=True),
    "POST /api/v1/alerts/{alert_id:int}/dismiss": Scoped("alert_id", ZHENWEI_REGULATORS, acts=True),
    "POST /api/v1/alerts/{alert_id:int}/case": Scoped("alert_id", ZHENWEI_REGULATORS, acts=True),
    "POST /manage/alerts/{alert_id:int}/acknowledge": Scoped("alert_id", ZHENWEI_REGULATORS, acts=True),
    "POST /manage/alerts/{alert_id:int}/dismiss": Scoped("alert_id", ZHENWEI_REGULATORS, acts=True),
    "POST /manage/alerts/{alert_id:int}/case": Scoped("alert_id", ZHENWEI_REGULATORS, acts=True),
    "POST /manage/alerts/{alert_id:int}/enforcement": Scoped("alert_id", ZHENWEI_REGULATORS, acts=True),
    "GET /api/v1/alert-rules": RULES,
    "GET /manage/alert-rules": RULES,
    "PUT /api/v1/alert-rules/{rule:str}": OPERATOR_ONLY,
    "POST /manage/alert-rules/{rule:str}": OPERATOR_ONLY,
    "GET /api/v1/spot-checks": SPOT_CHECK_LIST,
    "GET /manage/spot-checks": SPOT_CHECK_LIST,
    "GET /api/v1/spot-checks/{check_id:int}": Scoped("check_id", ZHENWEI, marker="SJZ-CC-2026-0417"),
    "POST /api/v1/spot-checks": Scoped("", ZHENWEI_REGULATORS, acts=True),
    "POST /manage/spot-checks": Scoped("", ZHENWEI_REGULATORS, acts=True),
    "GET /api/v1/cases": CASE_LIST,
    "GET /api/v1/cases/{case_id:int}": Scoped("case_id", ZHENWEI, marker="长安区北国超市"),
    "POST /api/v1/cases/{case_id:int}/transitions": Scoped("case_id", ZHENWEI - {"zhenwei", "zhenwei-key"},
                                                           acts=True),
    "GET /api/v1/case-deadlines": OPERATOR_ONLY,
    "PUT /api/v1/case-deadlines": OPERATOR_ONLY,
    "GET /manage/cases": CASE_LIST,
    "GET /manage/cases/{case_id:int}": Scoped("case_id", ZHENWEI, marker="长安区北国超市"),
    "POST /manage/cases/{case_id:int}/transitions": Scoped("case_id", ZHENWEI - {"zhenwei", "zhenwei-key"},
                                                            acts=True),
    # The demo's cases have no photos: those in reach are not called here (tests/functional/test_cases.py).
    "GET /manage/cases/{case_id:int}/photos/{photo_id:int}": Scoped("case_id", ZHENWEI - {"zhenwei", "zhenwei-key"},
                                                                    acts=True),
    "POST /manage/case-deadlines": OPERATOR_ONLY,
    "POST /manage/cases/{case_id:int}/enforcement": Scoped("case_id", ZHENWEI - {"zhenwei", "zhenwei-key"},
                                                           acts=True),
    "POST /manage/enforcement-actions/{action_id:int}/outcome": Scoped(
        "action_id", ZHENWEI - {"zhenwei", "zhenwei-key"}, acts=True),
    # enforcement linkage: the action 珍味's cloned code opened, fed back to 珍味
    "GET /api/v1/enforcement-actions": Listing({"桥西区假冒珍味陈醋窝点查处": ZHENWEI}),
    "GET /api/v1/enforcement-actions/{action_id:int}": Scoped("action_id", ZHENWEI, marker="桥西区假冒珍味陈醋窝点查处"),
    "POST /api/v1/enforcement-actions": Scoped("", ZHENWEI - {"zhenwei", "zhenwei-key"}, acts=True),
    "POST /api/v1/enforcement-actions/{action_id:int}/outcome": Scoped(
        "action_id", ZHENWEI - {"zhenwei", "zhenwei-key"}, acts=True),
    "GET /manage/outbox": OPERATOR_ONLY,
    # supply chain (EPCIS): the demo's chain, 珍味 -> 河北农资连锁 -> 北国超市, 丰穗 -> 河北农资连锁 -> 栾城
    "POST /api/v1/epcis/capture": Unscoped("a party captures for its own codes and places only; a refusal is kept "
                                           "as its own capture (tested in test_epcis_api)"),
    "GET /api/v1/epcis/capture": CAPTURE_LIST,
    "GET /api/v1/epcis/capture/{capture_id:int}": Scoped("capture_id", ZHENWEI, marker=ZHENWEI_NAME),
    "GET /api/v1/epcis/events": EVENT_LIST,
    "GET /api/v1/epcis/epcs/{code:str}/events": Scoped("code", ZHENWEI | {"nongzi"}, marker="EPCISQueryDocument"),
    "GET /api/v1/epcis/events/{event_id:path}": Scoped("event_id", ZHENWEI | {"nongzi"}, marker="shipping"),
    "GET /api/v1/places": PLACE_LIST,
    "GET /epcis/upload": Unscoped("the caller's own party's uploads only (another's capture, asked for, is 404; "
                                 "tested in test_epcis_api)"),
    "POST /epcis/upload": Unscoped("a party uploads events of its own codes and places only (tested in "
                                   "test_epcis_api)"),
    "POST /api/v1/places": Unscoped("a party registers places of its own; the operator names the party "
                                    "(tested in test_epcis_api)"),
    # receiving checks, the merchant's pages, tracing
    "POST /api/v1/receipts/check": OWN_PARTY,
    "POST /api/v1/receipts": OWN_PARTY,
    "GET /api/v1/receipts": RECEIPT_LIST,
    "GET /api/v1/receipts/{receipt_id:int}": Scoped("receipt_id", RECEIPT_SEERS, marker="栾城农资服务站"),
    "POST /api/v1/sales": OWN_PARTY,
    "GET /api/v1/deliveries": OWN_PARTY,
    "GET /api/v1/stock": OWN_PARTY,
    "GET /scan": OWN_PARTY,
    "GET /deliveries": OWN_PARTY,
    "GET /stock": OWN_PARTY,
    "GET /receipts": RECEIPT_LIST,
    "GET /receipts/{receipt_id:int}": Scoped("receipt_id", RECEIPT_SEERS, marker="栾城农资服务站"),
    "GET /api/v1/trace/codes/{code:str}": Scoped("code", ZHENWEI, marker=ZHENWEI_NAME),
    "GET /api/v1/trace/products/{product_id:int}/lots/{lot:str}": Scoped("product_id", ZHENWEI, marker="珍味陈醋"),
    "GET /trace": Scoped("", ZHENWEI, marker=ZHENWEI_NAME, query="code={code}"),
    "GET /trace/lots": Scoped("", ZHENWEI, marker="珍味陈醋", query="product_id={product_id}&lot=ZW-2026-1015"),
    # promotions: a manufacturer's own (珍味's 开瓶有礼); claims are public (below)
    "GET /api/v1/promotions": Listing({"珍味陈醋 开瓶有礼": ZHENWEI_OWN}),
    "POST /api/v1/promotions": Unscoped("a manufacturer starts promotions on its own products only (tested in "
                                        "test_promotions)"),
    "GET /api/v1/promotions/{promotion_id:int}": Scoped("promotion_id", ZHENWEI_OWN, marker="开瓶有礼"),
    "POST /api/v1/promotions/{promotion_id:int}/end": Scoped("promotion_id", frozenset({"zhenwei", "zhenwei-key"}),
                                                             acts=True),
    "GET /promotions": Listing({"珍味陈醋 开瓶有礼": ZHENWEI_OWN}),
    "POST /promotions": Unscoped("a manufacturer starts promotions on its own products only (tested in "
                                 "test_promotions_web)"),
    "GET /promotions/{promotion_id:int}": Scoped("promotion_id", ZHENWEI_OWN, marker="开瓶有礼"),
    "POST /promotions/{promotion_id:int}/end": Scoped("promotion_id", frozenset({"zhenwei", "zhenwei-key"}),
                                                      acts=True),
    # recalls, destructions, diversions
    "GET /api/v1/recalls": Listing({"绿盾吡虫啉可湿性粉剂": LVDUN_RECALL}),
    "POST /api/v1/recalls": Scoped("", frozenset({"operator", "hebei.agri"}), acts=True),
    "GET /api/v1/recalls/{recall_id:int}": Scoped("recall_id", LVDUN_RECALL, marker="LD-26-10-A"),
    "POST /api/v1/recalls/{recall_id:int}/close": Scoped("recall_id", LVDUN_OWN_RECALL, acts=True),
    "POST /api/v1/recalls/{recall_id:int}/withdraw": Scoped("recall_id", LVDUN_OWN_RECALL, acts=True),
    "GET /api/v1/destructions": Listing({"栾城农资服务站 后院销毁点": LUANCHENG_DESTRUCTION}),
    "POST /api/v1/destructions": Unscoped("a holder destroys only codes it holds: the capture's rules, tested in "
                                          "test_recalls"),
    "GET /api/v1/diversions": Listing({"栾城农资服务站": FENGSUI}),  # bags meant for it, received elsewhere
    "GET /recalls": Listing({"绿盾吡虫啉可湿性粉剂": LVDUN_RECALL}),
    "POST /recalls": Scoped("", frozenset({"operator", "hebei.agri"}), acts=True),
    "GET /recalls/{recall_id:int}": Scoped("recall_id", LVDUN_RECALL, marker="LD-26-10-A"),
    "POST /recalls/{recall_id:int}/close": Scoped("recall_id", LVDUN_OWN_RECALL, acts=True),
    "POST /recalls/{recall_id:int}/withdraw": Scoped("recall_id", LVDUN_OWN_RECALL, acts=True),
    "GET /destructions": Listing({"栾城农资服务站 后院销毁点": LUANCHENG_DESTRUCTION}),
    "POST /destructions": Unscoped("a holder destroys only codes it holds: the capture's rules, tested in "
                                   "test_recalls"),
    "GET /diversions": Listing({"栾城农资服务站": FENGSUI}),
    # joining online: 福味 (food, 长安区: the quality office's) asked for corrections; 鑫农 (fertiliser,
    # 栾城区: the agriculture office's) waiting. The application is reached by the agencies it was routed to.
    "GET /api/v1/applications": Listing({"石家庄福味食品有限公司": IN_CHANGAN, "栾城鑫农生物肥料有限公司": XINNONG_APPLICATION}),
    "GET /api/v1/applications/{application_id:int}/review": Scoped("application_id", IN_CHANGAN,
                                                                   marker="石家庄福味食品有限公司"),
    "POST /api/v1/applications/{application_id:int}/decision": Scoped("application_id", IN_CHANGAN, acts=True),
    "GET /manage/applications": Listing({"石家庄福味食品有限公司": IN_CHANGAN, "栾城鑫农生物肥料有限公司": XINNONG_APPLICATION}),
    "GET /manage/applications/{application_id:int}": Scoped("application_id", IN_CHANGAN, marker="石家庄福味食品有限公司"),
    "POST /manage/applications/{application_id:int}/decision": Scoped("application_id", IN_CHANGAN, acts=True),
    "GET /manage/applications/{application_id:int}/documents/{document_id:int}": Scoped("application_id", IN_CHANGAN,
                                                                                        marker="%PDF-"),
    # statistics and targets: a region in the caller's region scope (its agency narrows the figures, not the region)
    "GET /api/v1/statistics": IN_CHANGAN_REGION,
    "GET /api/v1/statistics.csv": Scoped("", IN_CHANGAN | {"hebei.agri"}, marker="长安区", query="region=130102&table=enrolment"),
    "GET /api/v1/targets": IN_CHANGAN_REGION,
    "GET /api/v1/targets.csv": IN_CHANGAN_REGION,
    "POST /api/v1/targets": Scoped("", IN_CHANGAN | {"hebei.agri"}, acts=True),
    "GET /manage/statistics": IN_CHANGAN_REGION,
    "GET /manage/targets": IN_CHANGAN_REGION,
    "POST /manage/targets": Scoped("", IN_CHANGAN | {"hebei.agri"}, acts=True),
    # the monthly report: a region in the caller's region scope, as the statistics
    "GET /api/v1/reports/monthly": Scoped("", IN_CHANGAN | {"hebei.agri"}, marker="长安区",
                                          query=f"region=130102&month={LAST_MONTH}"),
    "GET /manage/reports/monthly": IN_CHANGAN_REGION,
    "GET /api/v1/report-recipients": IN_CHANGAN_REGION,
    "POST /api/v1/report-recipients": Scoped("", IN_CHANGAN | {"hebei.agri"}, acts=True),
    "POST /manage/reports/recipients": Scoped("", IN_CHANGAN | {"hebei.agri"}, acts=True),
    # industry rosters: the demo's compound-fertiliser makers of 栾城区 (fertiliser: agriculture)
    # codes of other schemes: 珍味's GS1 serials of its soy sauce (康泰's drug codes are listed too, unchecked)
    "GET /api/v1/schemes/registrations": Listing({"珍味特级酱油": ZHENWEI}),
    "POST /api/v1/products/{product_id:int}/schemes/gs1": Scoped("product_id", ZHENWEI_OWN, acts=True),
    "POST /api/v1/products/{product_id:int}/schemes/drug-codes": Scoped("product_id", ZHENWEI_OWN, acts=True),
    "GET /schemes": Listing({"珍味特级酱油": frozenset({"zhenwei", "zhenwei-key"})}),
    "POST /schemes/gs1": Scoped("", ZHENWEI_OWN, acts=True),
    "POST /schemes/drug-codes": Scoped("", ZHENWEI_OWN, acts=True),
    "GET /api/v1/rosters": ROSTER_LIST,
    "POST /api/v1/rosters": Unscoped("a regulator imports only for its region and agency (a region or category "
                                     "outside it is 404, tested in test_rosters)"),
    "GET /api/v1/rosters/{roster_id:int}": Scoped("roster_id", ROSTER_SEERS, marker="复混肥料生产企业"),
    "GET /api/v1/rosters/{roster_id:int}/rates.csv": Scoped("roster_id", ROSTER_SEERS, marker="名录企业数"),
    "DELETE /api/v1/rosters/{roster_id:int}": Scoped("roster_id", ROSTER_SEERS, acts=True),
    "GET /manage/rosters": ROSTER_LIST,
    "POST /manage/rosters": Unscoped("a regulator imports only for its region and agency (a region or category "
                                     "outside it is 404, tested in test_rosters)"),
    "GET /manage/rosters/{roster_id:int}": Scoped("roster_id", ROSTER_SEERS, marker="复混肥料生产企业"),
    "POST /manage/rosters/{roster_id:int}/delete": Scoped("roster_id", ROSTER_SEERS, acts=True),
}

# Public routes: anyone, with or without a login, gets the same answer.
PUBLIC = frozenset({
    "GET /api/v1/health", "GET /api/v1/ping", "GET /api/v1/regions", "GET /api/v1/regions/{code:str}",
    "GET /api/v1/categories", "GET /api/v1/catalogue/entries", "GET /api/v1/enterprises", "GET /api/v1/enterprises/{enterprise_id:int}",
    "GET /api/v1/printers", "GET /api/v1/keys/signing", "GET /api/v1/verify/{code:str}", "POST /api/v1/reports",
    "POST /api/v1/cases", "GET /api/v1/cases/lookup", "GET /cases/lookup",
    "GET /api/v1/epcis/context",
    "POST /api/v1/applications", "GET /api/v1/applications/{number:str}", "PUT /api/v1/applications/{number:str}",
    "GET /apply", "POST /apply", "GET /apply/status", "POST /apply/status",
    "GET /", "GET /login", "POST /login", "GET /enterprises", "GET /enterprises/{enterprise_id:int}", "GET /v",
    "GET /v/{path:path}", "POST /v/{path:path}", "GET /01/{gtin:str}/21/{serial:str}", "GET /kiosk",
    "GET /place", "POST /place", "POST /place/locate",
    "GET /maps/{name:str}",  # the outlines of the country's divisions (regions/maps.py)
    "POST /channels/sms/inbound", "GET /channels/ivr/start.vxml", "GET /channels/ivr/confirm.vxml",
    "GET /channels/ivr/verdict.vxml", "GET /channels/ivr/report.vxml",
    "POST /api/v1/promotions/claim", "GET /claim", "POST /claim",  # a claim code names its prize, whoever holds it
})
