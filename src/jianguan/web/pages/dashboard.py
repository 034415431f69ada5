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
    reports = Destination("/manage/reports", "投诉举报", "Complaints and reports",
                          "消费者的假冒举报：码、地点与联系方式。", "Consumers' reports of suspected fakes.")
    alerts = Destination("/manage/alerts", "预警信息", "Alerts",
                         "被封禁的恶意查询来源等预警。", "Alerts such as sources blocked for probing codes.")
    lookup = Destination("/manage/codes", "监管码查询", "Code look-up",
                         "一个码的批次、激活、包装与查询记录。", "A code's batch, activation, packing and queries.")
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
            reports,
            terminals,
            alerts,
            lookup,
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
                reports, lookup, terminals, alerts]
    if principal.role is Role.MANUFACTURER:
        return [Destination(f"/manage/enterprises/{principal.enterprise_id}", "本企业", "Your enterprise",
                            "企业资料、资质与产品。", "Your record, qualifications and products.", organisation),
                Destination("/codes", "监管码", "Supervision codes", "申请监管码，下载码文件与标签，激活与包装关联。",
                            "Request codes, download files and labels, activate and pack."),
                keys]
    if principal.role is Role.PRINTER:
        return [Destination(f"/manage/printers/{principal.printer_id}", "本印刷企业", "Your printing company",
                            "印刷备案与资料。", "Your filing and record.", organisation),
                Destination("/printing", "印刷任务", "Files to print", "下载码文件，确认印刷数量与作废码。",
                            "Download code files, confirm printing and spoiled codes."),
                keys]
    if principal.role is Role.MERCHANT:
        return [Destination(f"/manage/merchants/{principal.merchant_id}", "本单位", "Your shop or distributor",
                            "单位资料。", "Your record.", organisation), terminals, keys]
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
