"""The layout rules of docs/architecture.md, checked on the source: rooms small enough to read,
services that know nothing of the web, and one walk of the region tree."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "jianguan"
MAX_LINES = 600
# HTTP routers that live beside their channel's services (the gateways' webhooks): they are the
# web layer of their area, so they may use its access rules.
WEB_ROUTERS = {"channels/sms.py", "channels/ivr.py"}
# Where a division's parent may be read: the tree itself, the import that fills it, the API that
# shows a division.
PARENT_READERS = {"regions/tree.py", "regions/models.py", "regions/services.py", "web/api/v1/regions.py"}


def modules() -> list[Path]:
    return sorted(path for path in SRC.rglob("*.py") if "migrations" not in path.parts)


def name(path: Path) -> str:
    return path.relative_to(SRC).as_posix()


def test_no_module_is_longer_than_six_hundred_lines() -> None:
    long = {name(path): n for path in modules() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert not long, f"split these by purpose: {long}"


def test_no_area_outside_the_web_imports_it() -> None:
    offenders = []
    for path in modules():
        if name(path).startswith(("web/", "cli/")) or name(path) in WEB_ROUTERS:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            imported = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                        else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{name(path)}: {module}" for module in imported if module.startswith("jianguan.web")]
    assert not offenders


def test_the_region_tree_is_walked_in_one_place() -> None:
    offenders = [name(path) for path in modules()
                 if name(path) not in PARENT_READERS and ".parent_code" in path.read_text()]
    assert not offenders, "walk the tree through RegionTree (regions/tree.py)"
