"""Version 1 of the API: one module an area, each exposing ``router``."""

from litestar import Router

from jianguan.web.api.v1 import (
                                 accounts,
                                 alerts,
                                 broadcasts,
                                 catalogue,
                                 codes,
                                 complaints,
                                 enterprises,
                                 health,
                                 regions,
                                 registries,
                                 terminals,
                                 verify,
)

ROUTERS = [Router(path="/api/v1", route_handlers=[health.router, regions.router, accounts.router,
                                                  catalogue.router, enterprises.router, registries.router,
                                                  codes.router, verify.router, terminals.router, alerts.router,
                                                  broadcasts.router, complaints.router])]
