"""Print the API route table for docs/api.md: method and path, who may call it, and its summary.

Run: .venv/bin/python scripts/api_routes.py
"""

from __future__ import annotations

import re

from jianguan.config import Settings
from jianguan.web.app import create_app


def main() -> None:
    app = create_app(Settings(database_url="sqlite:///:memory:"), check_database=False)
    operations = {}
    for path, item in app.openapi_schema.to_schema()["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict):
                operations[(method.upper(), path)] = operation.get("summary") or ""
    print("| route | who may call it | what it does |")
    print("|---|---|---|")
    for route in app.routes:
        if not route.path.startswith("/api/v1"):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods):
                if method in ("OPTIONS", "HEAD"):
                    continue
                who = "public" if handler.opt.get("public") else ", ".join(sorted(handler.opt.get("roles", ())))
                plain = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
                print(f"| `{method} {route.path}` | {who} | {operations.get((method, plain), '')} |")


if __name__ == "__main__":
    main()
