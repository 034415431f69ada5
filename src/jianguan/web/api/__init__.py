"""The HTTP API, versioned: every router under /api/v1."""

from jianguan.web.api.v1 import ROUTERS as V1_ROUTERS

ROUTERS = [*V1_ROUTERS]
