"""Every action the audit log records, one string enum shaped ``area:subject:action``.

As Warehouse names its event tags, each action is a member here, and a service passes the
member to ``audit.services.record``, never a string: a misspelt action then fails at import or
type check instead of writing a name nobody searches for. The value is what the log stores
(and hashes), so a member's value never changes once records carry it; a renamed action is a
new member, and the records written before keep their old text. ``docs/audit.md`` lists every
member, with the service that records it (a test checks the table against this enum).
"""

from __future__ import annotations

from jianguan.choices import LabelledChoice


class AuditAction(LabelledChoice):
    """What happened, shaped ``area:subject:action``, with a short label in Chinese and English."""

    ACCOUNT_USER_CREATED = "account:user:created", "创建用户", "user created"
    ACCOUNT_USER_ENABLED = "account:user:enabled", "启用用户", "user enabled"
    ACCOUNT_USER_DISABLED = "account:user:disabled", "停用用户", "user disabled"
    ACCOUNT_SESSION_OPENED = "account:session:opened", "登录", "logged in"
    ACCOUNT_SESSION_CLOSED = "account:session:closed", "退出登录", "logged out"
    ACCOUNT_APIKEY_CREATED = "account:apikey:created", "签发 API 密钥", "API key issued"
    ACCOUNT_APIKEY_REVOKED = "account:apikey:revoked", "吊销 API 密钥", "API key revoked"

    ALERT_ALERT_RAISED = "alert:alert:raised", "发出警报", "alert raised"

    CATALOGUE_CATEGORY_CREATED = "catalogue:category:created", "新增产品类别", "category added"
    CATALOGUE_CATEGORY_UPDATED = "catalogue:category:updated", "修改产品类别", "category changed"

    CODE_KEY_CREATED = "code:key:created", "生成新一代监管码密钥", "code key generation added"
    CODE_SIGNING_KEY_CREATED = "code:signing_key:created", "生成码文件签名密钥", "file signing key made"
    CODE_REQUEST_CREATED = "code:request:created", "提交监管码申请", "codes requested"
    CODE_REQUEST_GRANTED = "code:request:granted", "批准监管码申请", "code request granted"
    CODE_REQUEST_REJECTED = "code:request:rejected", "驳回监管码申请", "code request rejected"
    CODE_BATCH_ISSUED = "code:batch:issued", "签发监管码批次", "code batch issued"
    CODE_FILE_DOWNLOADED = "code:file:downloaded", "下载码文件", "code file downloaded"
    CODE_FILE_EXPORTED = "code:file:exported", "在服务器上导出码文件", "code file exported on the server"
    CODE_LABELS_DOWNLOADED = "code:labels:downloaded", "下载标签", "label sheet downloaded"
    CODE_BATCH_PRINTED = "code:batch:printed", "确认印刷", "printing confirmed"
    CODE_ACTIVATION_CREATED = "code:activation:created", "激活监管码", "codes activated"
    CODE_ACTIVATION_WITHDRAWN = "code:activation:withdrawn", "撤销激活", "activation withdrawn"

    COMPLAINT_REPORT_SUBMITTED = "complaint:report:submitted", "提交举报", "report of a fake sent"

    ENTERPRISE_ENTERPRISE_REGISTERED = "enterprise:enterprise:registered", "登记企业", "enterprise registered"
    ENTERPRISE_ENTERPRISE_UPDATED = "enterprise:enterprise:updated", "修改企业信息", "enterprise details changed"
    ENTERPRISE_STAGE_REACHED = "enterprise:stage:reached", "入网进度推进", "enrolment stage reached"
    ENTERPRISE_QUOTA_CHANGED = "enterprise:quota:changed", "修改月度配额", "monthly quota changed"
    ENTERPRISE_QUALIFICATION_ADDED = "enterprise:qualification:added", "新增资质", "qualification added"
    ENTERPRISE_QUALIFICATION_REMOVED = "enterprise:qualification:removed", "删除资质", "qualification removed"
    ENTERPRISE_PRODUCT_CREATED = "enterprise:product:created", "新增产品", "product added"
    ENTERPRISE_PRODUCT_UPDATED = "enterprise:product:updated", "修改产品", "product changed"
    ENTERPRISE_BROADCAST_POSTED = "enterprise:broadcast:posted", "发布信息播报", "message posted"
    ENTERPRISE_BROADCAST_WITHDRAWN = "enterprise:broadcast:withdrawn", "撤回信息播报", "message withdrawn"

    MERCHANT_MERCHANT_REGISTERED = "merchant:merchant:registered", "登记经销商或门店", "merchant registered"

    PRINTER_PRINTER_REGISTERED = "printer:printer:registered", "登记印刷企业", "printer registered"
    PRINTER_FILING_RENEWED = "printer:filing:renewed", "印刷备案续期", "printing filing renewed"
    PRINTER_FILING_REVOKED = "printer:filing:revoked", "撤销印刷备案", "printing filing revoked"

    TERMINAL_TERMINAL_REGISTERED = "terminal:terminal:registered", "登记查询终端", "terminal registered"
    TERMINAL_TERMINAL_RETIRED = "terminal:terminal:retired", "停用查询终端", "terminal retired"
    TERMINAL_SOFTWARE_REPORTED = "terminal:software:reported", "终端软件版本变更", "terminal software reported"

    TRACE_PACKING_PACKED = "trace:packing:packed", "关联包装", "codes packed"
    TRACE_PACKING_UNPACKED = "trace:packing:unpacked", "解除包装关联", "codes unpacked"
    TRACE_EVENTS_CAPTURED = "trace:events:captured", "上报流向事件", "supply-chain events captured"
    TRACE_LOCATION_REGISTERED = "trace:location:registered", "登记地点", "place registered"

    @classmethod
    def known(cls, value: str) -> AuditAction | None:
        """The member whose value is ``value``; None for text no member has (an action renamed
        since its records were written, such as ``code:packing:packed``)."""
        try:
            return cls(value)
        except ValueError:
            return None
