"""Version 1 of the API: one module an area, each exposing ``router``."""

from litestar import Router

from jianguan.web.api.v1 import (
                                 accounts,
                                 alerts,
                                 applications,
                                 brand,
                                 broadcasts,
                                 cases,
                                 catalogue,
                                 codes,
                                 credit,
                                 enforcement,
                                 enterprises,
                                 epcis,
                                 health,
                                 promotions,
                                 recalls,
                                 receipts,
                                 regions,
                                 registries,
                                 reports,
                                 rosters,
                                 schemes,
                                 stats,
                                 terminals,
                                 tracing,
                                 verify,
)

ROUTERS = [Router(path="/api/v1", route_handlers=[health.router, regions.router, accounts.router,
                                                  catalogue.router, enterprises.router, registries.router,
                                                  codes.router, verify.router, terminals.router, alerts.router,
                                                  broadcasts.router, cases.router, epcis.router, receipts.router,
                                                  tracing.router, recalls.router, stats.router, rosters.router,
                                                  enforcement.router, reports.router, credit.router, brand.router,
                                                  applications.router, promotions.router, schemes.router])]
