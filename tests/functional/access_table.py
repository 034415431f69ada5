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

from jianguan.accounts.models import Role

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
ALERT_LIST = Listing({"{alert}": IN_LUANCHENG})
COMPLAINT_LIST = Listing({"栾城区冶河镇集市": IN_LUANCHENG,  # a code nobody issued: general business
                          "栾城区窦妪镇农资店": frozenset({"operator", "hebei.agri", "luancheng.agri"})})  # fertiliser

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
    "GET /manage/codes": Scoped("", ZHENWEI - {"zhenwei", "zhenwei-key"}, marker=ZHENWEI_NAME, query="code={code}"),
    # terminals, alerts, complaints
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
    "GET /manage/reports": COMPLAINT_LIST,
    "GET /manage/outbox": OPERATOR_ONLY,
}

# Public routes: anyone, with or without a login, gets the same answer.
PUBLIC = frozenset({
    "GET /api/v1/health", "GET /api/v1/ping", "GET /api/v1/regions", "GET /api/v1/regions/{code:str}",
    "GET /api/v1/categories", "GET /api/v1/enterprises", "GET /api/v1/enterprises/{enterprise_id:int}",
    "GET /api/v1/printers", "GET /api/v1/keys/signing", "GET /api/v1/verify/{code:str}", "POST /api/v1/reports",
    "GET /", "GET /login", "POST /login", "GET /enterprises", "GET /enterprises/{enterprise_id:int}", "GET /v",
    "GET /v/{path:path}", "POST /v/{path:path}", "GET /01/{gtin:str}/21/{serial:str}", "GET /kiosk",
    "POST /channels/sms/inbound", "GET /channels/ivr/start.vxml", "GET /channels/ivr/confirm.vxml",
    "GET /channels/ivr/verdict.vxml", "GET /channels/ivr/report.vxml",
})
