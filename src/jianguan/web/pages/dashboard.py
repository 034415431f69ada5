"""The landing page after login: who you are, your scope, and the pages of your role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Router, get
from litestar.response import Template

from jianguan.accounts import services as accounts
from jianguan.accounts.models import USER_ROLES, Role
from jianguan.accounts.principal import Principal
from jianguan.regions.models import RegionLevel
from jianguan.storage import reading
from jianguan.web.access import require_principal, roles


@dataclass(frozen=True)
class Destination:
    """A page a role works on, with its name and what it is for, in both languages."""

    href: str
    name_zh: str
    name_en: str
    about_zh: str
    about_en: str
    subject: str = ""  # the organisation the page is about, for a user's own record


UPLOAD = Destination("/epcis/upload", "上报流向事件", "Upload supply-chain events",
                     "以 CSV 表格上报发货、收货、销售等事件，按行查看错误。",
                     "Upload shipments, receipts, sales and more as CSV; errors shown by row.")


def destinations(principal: Principal, organisation: str = "") -> list[Destination]:
    """The pages of ``principal``'s role, in the order the dashboard lists them; ``organisation``
    names the enterprise, printer or merchant whose record the first page is."""
    keys = Destination("/manage/apikeys", "密钥", "API keys",
                       "为企业系统、印刷企业和查询终端签发、吊销密钥。" if principal.role is Role.OPERATOR
                       else "本单位的接口密钥：签发与吊销。",
                       "Issue and revoke keys for enterprise systems, printers and terminals."
                       if principal.role is Role.OPERATOR else "Your organisation's API keys.")
    terminals = Destination("/manage/terminals", "查询终端", "Query terminals",
                            "商店查询终端的登记与在线状态。", "Shops' query terminals and whether they are online.")
    reports = Destination("/manage/cases", "投诉举报", "Complaints and reports",
                          "投诉举报案件：受理、转办、调查、处理、反馈，超期的在前。",
                          "Cases from accepted to closed, the overdue first.")
    joining = Destination("/manage/applications", "入网申请", "Applications to join",
                          "企业网上入网申请：审核、要求补正、批准签约或不予通过。",
                          "Enterprises' online applications: review, ask for corrections, sign or refuse.")
    alerts = Destination("/manage/alerts", "质量预警", "Early warning",
                         "克隆码、无效码集中、试码、串货、投诉集中、抽查不合格与召回的预警。",
                         "Cloned codes, unknown codes clustered, probing, diversion, complaints, failed checks, recalls.")
    spot = Destination("/manage/spot-checks", "监督抽查", "Spot checks",
                       "按产品和批次登记抽查结果；不合格即预警。", "Results by product and lot; a failure raises an alert.")
    receipts = Destination("/receipts", "进货验收记录", "Receiving records",
                           "经销商和商店到货时的逐码核验结果。", "Distributors' and shops' code-by-code checks of deliveries.")
    tracing = Destination("/trace", "追溯", "Trace", "单码全程追溯与批次流向（按地区汇总）。",
                          "A code's journey, and where a lot's codes are now by region.")
    lookup = Destination("/manage/codes", "监管码查询", "Code look-up",
                         "一个码的批次、激活、包装、查询记录与克隆风险。",
                         "A code's batch, activation, packing, queries and clone risk.")
    recalls = Destination("/recalls", "产品召回", "Recalls",
                          "发起召回，跟踪退回与销毁进度。" if principal.role is not Role.MERCHANT
                          else "本单位持有产品的召回通知与进度。",
                          "Open recalls and follow returns and destructions." if principal.role is not Role.MERCHANT
                          else "Recalls of goods you hold, and their progress.")
    destroyed = Destination("/destructions", "监督销毁", "Supervised destruction",
                            "召回、过期或退回产品的监督销毁记录。", "Recalled, expired or returned goods destroyed.")
    diverted = Destination("/diversions", "串货信号", "Diversion signals",
                           "在发往地区以外收货、销售或查询的产品。", "Goods received, sold or queried outside where they went.")
    statistics = Destination("/manage/statistics", "统计分析", "Statistics",
                             "入网、查询、赋码与终端的统计，逐级下钻，可下载 CSV；考核目标与完成情况。",
                             "Enrolment, verifications, codes and terminals by region, with CSV; targets and progress.")
    if principal.role is Role.OPERATOR:
        return [
            Destination("/manage/enterprises", "入网企业", "Enterprises",
                        "企业登记、资质、产品和入网进度。", "Registry, qualifications, products and enrolment."),
            Destination("/manage/catalogue", "产品目录", "Catalogue",
                        "产品类别及其监管部门。", "Product categories and their supervising agencies."),
            Destination("/manage/printers", "定点印刷企业", "Designated printers",
                        "印刷备案及其有效期。", "Printing filings and their validity."),
            Destination("/manage/merchants", "经销商与商店", "Distributors and shops",
                        "收货、核验并转运商品的单位。", "Those who receive, check and ship goods on."),
            joining,
            statistics,
            reports,
            terminals,
            alerts,
            spot,
            lookup,
            tracing,
            receipts,
            recalls,
            destroyed,
            diverted,
            Destination("/manage/code-requests", "监管码审批", "Code request approvals",
                        "审批超出月度配额的监管码申请。", "Approve or reject requests above the monthly quota."),
            Destination("/manage/users", "用户", "Users",
                        "新建用户、分配角色与管辖范围、停用账户。", "Create users, bind their scope, disable them."),
            keys,
            Destination("/manage/audit", "审计日志", "Audit log",
                        "每一次状态变更：谁、何时、改了什么。", "Every state change: who, when, what."),
        ]
    if principal.role is Role.REGULATOR:
        return [Destination("/manage/enterprises", "辖区企业", "Enterprises in your region",
                            "辖区内企业的入网进度与企业名录。", "Enrolment progress and the enterprises in scope."),
                joining, statistics, reports, lookup, tracing, receipts, terminals, alerts, spot, recalls, destroyed, diverted]
    if principal.role is Role.MANUFACTURER:
        return [Destination(f"/manage/enterprises/{principal.enterprise_id}", "本企业", "Your enterprise",
                            "企业资料、资质与产品。", "Your record, qualifications and products.", organisation),
                Destination("/codes", "监管码", "Supervision codes", "申请监管码，下载码文件与标签，激活与包装关联。",
                            "Request codes, download files and labels, activate and pack."),
                Destination("/schemes", "其他编码体系", "Codes of other schemes",
                            "注册已印制的 GS1 序列号与药品电子监管码，使其在各渠道同样可查。",
                            "Register the GS1 serials and drug codes you already print, to verify them on every channel."),
                Destination("/manage/cases", "涉及本企业的投诉举报", "Cases about your products",
                            "涉及本企业产品的投诉举报及处理结果（不含举报人信息）。",
                            "Complaints and reports about your products and their outcome (not who reported)."),
                Destination("/brand", "品牌保护", "Brand protection",
                            "本企业监管码在各地的查询、克隆码预警、投诉举报与执法打假结果。",
                            "Where your codes are checked, clone warnings, cases and enforcement outcomes."),
                Destination("/promotions", "促销活动", "Promotions",
                            "首次正品查询抽奖或送积分：奖项、预算、地区，各地抽奖、中奖与兑奖。",
                            "Draws or points on first genuine checks: tiers, budget, regions; draws, wins and claims by region."),
                UPLOAD, lookup, tracing, alerts, spot, recalls, destroyed, diverted, keys]
    if principal.role is Role.PRINTER:
        return [Destination(f"/manage/printers/{principal.printer_id}", "本印刷企业", "Your printing company",
                            "印刷备案与资料。", "Your filing and record.", organisation),
                Destination("/printing", "印刷任务", "Files to print", "下载码文件，确认印刷数量与作废码。",
                            "Download code files, confirm printing and spoiled codes."),
                keys]
    if principal.role is Role.MERCHANT:
        return [Destination(f"/manage/merchants/{principal.merchant_id}", "本单位", "Your shop or distributor",
                            "单位资料。", "Your record.", organisation),
                Destination("/scan", "扫码", "Scan", "用扫码枪逐件进货验收或登记销售。",
                            "Check deliveries in and record sales with a barcode scanner."),
                Destination("/deliveries", "待收货", "Deliveries", "已发往本单位、尚未收货的货物。",
                            "Goods shipped to you and not received yet."),
                Destination("/stock", "库存", "Stock", "本单位现有货物，按产品统计。", "What you hold now, by product."),
                Destination("/receipts", "进货验收记录", "Receiving records", "每次到货的逐码核验结果。",
                            "Each delivery you checked, code by code."),
                UPLOAD, terminals, recalls, destroyed, keys]
    return []


@get("/dashboard", opt=roles(*USER_ROLES), include_in_schema=False, sync_to_thread=True)
def dashboard(request: Request[Any, Any, Any]) -> Template:
    """Who the user is, the scope they are bound to, and links to the pages of their role."""
    principal = require_principal(request)
    with reading(request.app.state.sessions) as session:
        scope = accounts.describe_scope(session, principal)
        organisation = scope.enterprise or scope.printer or scope.merchant
    context = {
        "me": principal,
        "scope": scope,
        "region_level": RegionLevel(scope.region.level) if scope.region else None,
        "destinations": destinations(principal, organisation.name if organisation else ""),
    }
    return Template("dashboard.html", context=context)


router = Router(path="/", route_handlers=[dashboard])
