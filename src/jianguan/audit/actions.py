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
    ACCOUNT_USER_PASSWORD_RESET = "account:user:password_reset", "重置用户密码", "password reset"
    ACCOUNT_LOGIN_FAILED = "account:login:failed", "登录失败", "login failed"
    ACCOUNT_SESSION_OPENED = "account:session:opened", "登录", "logged in"
    ACCOUNT_SESSION_CLOSED = "account:session:closed", "退出登录", "logged out"
    ACCOUNT_APIKEY_CREATED = "account:apikey:created", "签发 API 密钥", "API key issued"
    ACCOUNT_APIKEY_REVOKED = "account:apikey:revoked", "吊销 API 密钥", "API key revoked"

    APPLICATION_APPLICATION_SUBMITTED = "application:application:submitted", "提交入网申请", "application to join submitted"
    APPLICATION_APPLICATION_RESUBMITTED = ("application:application:resubmitted", "补正后重新提交入网申请",
                                           "application resubmitted after corrections")
    APPLICATION_CORRECTIONS_ASKED = "application:corrections:asked", "要求补正入网申请", "corrections asked"
    APPLICATION_APPLICATION_APPROVED = "application:application:approved", "批准入网申请（签约）", "application approved (signed)"
    APPLICATION_APPLICATION_REFUSED = "application:application:refused", "不予通过入网申请", "application refused"

    AUDIT_CHECKPOINT_WRITTEN = "audit:checkpoint:written", "签署审计检查点", "audit checkpoint signed"

    ALERT_ALERT_RAISED = "alert:alert:raised", "发出警报", "alert raised"
    ALERT_ALERT_ACKNOWLEDGED = "alert:alert:acknowledged", "确认预警", "alert acknowledged"
    ALERT_ALERT_DISMISSED = "alert:alert:dismissed", "排除预警", "alert dismissed"
    ALERT_CASE_OPENED = "alert:case:opened", "预警转为案件", "alert turned into a case"
    ALERT_ENFORCEMENT_OPENED = "alert:enforcement:opened", "预警发起执法行动", "alert sent to enforcement"
    ALERT_RULE_CHANGED = "alert:rule:changed", "修改预警规则", "warning rule changed"
    ALERT_SPOT_CHECK_RECORDED = "alert:spot_check:recorded", "登记监督抽查结果", "spot check recorded"

    CATALOGUE_CATEGORY_CREATED = "catalogue:category:created", "新增产品类别", "category added"
    CATALOGUE_CATEGORY_UPDATED = "catalogue:category:updated", "修改产品类别", "category changed"
    CATALOGUE_ENTRY_CREATED = "catalogue:entry:created", "新增目录产品", "catalogue entry added"
    CATALOGUE_ENTRY_UPDATED = "catalogue:entry:updated", "修改目录产品", "catalogue entry changed"
    CATALOGUE_ENTRIES_IMPORTED = "catalogue:entries:imported", "导入产品目录", "catalogue imported"

    CODE_KEY_CREATED = "code:key:created", "生成新一代监管码密钥", "code key generation added"
    CODE_SIGNING_KEY_CREATED = "code:signing_key:created", "生成码文件签名密钥", "file signing key made"
    CODE_MASTER_KEY_REWRAPPED = "code:master_key:rewrapped", "更换主密钥", "master key changed"
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

    CASE_CASE_OPENED = "case:case:opened", "受理投诉举报", "complaint or report accepted"
    CASE_CASE_ASSIGNED = "case:case:assigned", "转办案件", "case assigned"
    CASE_CASE_PASSED = "case:case:passed", "移送其他部门", "case passed to another agency"
    CASE_INVESTIGATION_STARTED = "case:investigation:started", "开始调查", "investigation started"
    CASE_CASE_RESOLVED = "case:case:resolved", "作出处理", "case resolved"
    CASE_REPORTER_INFORMED = "case:reporter:informed", "反馈举报人", "reporter informed"
    CASE_CASE_CLOSED = "case:case:closed", "案件办结", "case closed"
    CASE_CASE_ESCALATED = "case:case:escalated", "超期升级", "overdue case escalated"
    CASE_DEADLINE_SET = "case:deadline:set", "设置办理期限", "stage deadline set"

    ENFORCEMENT_ACTION_OPENED = "enforcement:action:opened", "发起执法行动", "enforcement action opened"
    ENFORCEMENT_OUTCOME_RECORDED = "enforcement:outcome:recorded", "记录执法结果", "enforcement outcome recorded"

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

    PROMOTION_PROMOTION_CREATED = "promotion:promotion:created", "发起促销活动", "promotion created"
    PROMOTION_PROMOTION_ENDED = "promotion:promotion:ended", "结束促销活动", "promotion ended"
    PROMOTION_DRAW_MADE = "promotion:draw:made", "促销抽奖", "promotion draw made"
    PROMOTION_PRIZE_CLAIMED = "promotion:prize:claimed", "兑奖", "prize claimed"

    RECALL_RECALL_OPENED = "recall:recall:opened", "发起召回", "recall opened"
    RECALL_RECALL_CLOSED = "recall:recall:closed", "结束召回", "recall closed"
    RECALL_RECALL_WITHDRAWN = "recall:recall:withdrawn", "撤销召回", "recall withdrawn"
    RECALL_DESTRUCTION_RECORDED = "recall:destruction:recorded", "登记监督销毁", "supervised destruction recorded"

    PRINTER_PRINTER_REGISTERED = "printer:printer:registered", "登记印刷企业", "printer registered"
    PRINTER_FILING_RENEWED = "printer:filing:renewed", "印刷备案续期", "printing filing renewed"
    PRINTER_FILING_REVOKED = "printer:filing:revoked", "撤销印刷备案", "printing filing revoked"

    RECEIPTS_RECEIPT_RECORDED = "receipts:receipt:recorded", "进货验收", "receiving check recorded"
    REPORTS_RECIPIENTS_SET = "reports:recipients:set", "设定信息通报收件地址", "monthly report addresses set"
    REPORTS_EMAIL_SENT = "reports:email:sent", "发送信息通报邮件", "monthly report e-mailed"
    REPORTS_EMAIL_FAILED = "reports:email:failed", "信息通报邮件发送失败", "monthly report e-mail failed"
    ROSTERS_ROSTER_IMPORTED = "rosters:roster:imported", "导入行业名录", "industry roster imported"
    ROSTERS_ROSTER_DELETED = "rosters:roster:deleted", "删除行业名录", "industry roster deleted"
    SCHEMES_SERIALS_REGISTERED = "schemes:serials:registered", "注册 GS1 序列号", "GS1 serials registered"
    SCHEMES_DRUG_CODES_IMPORTED = "schemes:drug_codes:imported", "导入药品电子监管码", "drug codes imported"
    STATS_ROLLUP_RUN = "stats:rollup:run", "重算统计汇总", "statistics rolled up"
    STATS_TARGET_SET = "stats:target:set", "设定考核目标", "targets set"

    TERMINAL_TERMINAL_REGISTERED = "terminal:terminal:registered", "登记查询终端", "terminal registered"
    TERMINAL_TERMINAL_RETIRED = "terminal:terminal:retired", "停用查询终端", "terminal retired"
    TERMINAL_SOFTWARE_REPORTED = "terminal:software:reported", "终端软件版本变更", "terminal software reported"

    TRACE_PACKING_PACKED = "trace:packing:packed", "关联包装", "codes packed"
    TRACE_PACKING_UNPACKED = "trace:packing:unpacked", "解除包装关联", "codes unpacked"
    TRACE_EVENTS_CAPTURED = "trace:events:captured", "上报流向事件", "supply-chain events captured"
    TRACE_CAPTURE_REFUSED = "trace:capture:refused", "流向事件文档被拒收", "supply-chain document refused"
    TRACE_LOCATION_REGISTERED = "trace:location:registered", "登记地点", "place registered"

    @classmethod
    def known(cls, value: str) -> AuditAction | None:
        """The member whose value is ``value``; None for text no member has (an action renamed
        since its records were written, such as ``code:packing:packed`` or ``complaint:report:submitted``)."""
        try:
            return cls(value)
        except ValueError:
            return None
