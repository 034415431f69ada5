"""Server-rendered pages, Chinese first with an English switch."""

from jianguan.web.pages import (
    accounts,
    alerts,
    audit,
    auth,
    codes,
    complaints,
    dashboard,
    enterprises,
    home,
    kiosk,
    outbox,
    registries,
    terminals,
    verify,
)

ROUTERS = [home.router, auth.router, dashboard.router, accounts.router, audit.router,
           enterprises.router, registries.router, codes.router, verify.router, complaints.router, terminals.router,
           alerts.router, kiosk.router, outbox.router]
