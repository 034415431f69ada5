"""The documents that list what the code has name all of it (settings, commands, API routes,
audit actions)."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from typing import Any

import click

from jianguan.audit.actions import AuditAction
from jianguan.cli.main import cli
from jianguan.config import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "settings.md").read_text()
    for name in Settings.model_fields:
        assert f"`JIANGUAN_{name.upper()}`" in text, name


def _commands(group: click.Group, prefix: str = "jianguan") -> list[str]:
    names = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            names += _commands(command, f"{prefix} {name}")
        else:
            names.append(f"{prefix} {name}")
    return names


def test_every_command_is_documented() -> None:
    text = (DOCS / "cli.md").read_text()
    for command in _commands(cli):
        assert f"`{command}" in text, command


def test_every_api_route_is_documented() -> None:
    from jianguan.web.app import create_app

    text = (DOCS / "api.md").read_text()
    app = create_app(Settings(database_url="sqlite:///:memory:"), check_database=False)
    for route in app.routes:
        if not route.path.startswith("/api/v1"):
            continue
        for method in sorted(getattr(route, "methods", ())):
            if method in ("OPTIONS", "HEAD"):
                continue
            assert f"`{method} {route.path}`" in text, f"{method} {route.path}"


def _audit_table() -> dict[str, list[str]]:
    """The rows of docs/audit.md's table of actions: the action's code, then its other cells."""
    rows: dict[str, list[str]] = {}
    for line in (DOCS / "audit.md").read_text().splitlines():
        if not line.startswith("| `"):
            continue
        code, *cells = (cell.strip() for cell in line.strip().strip("|").split("|"))
        assert code.strip("`") not in rows, f"{code} is listed twice"
        rows[code.strip("`")] = cells
    return rows


def test_every_audit_action_is_documented_and_every_documented_one_exists() -> None:
    documented = set(_audit_table())
    actions = {action.value for action in AuditAction}
    assert actions - documented == set(), "in AuditAction but not in docs/audit.md"
    assert documented - actions == set(), "in docs/audit.md but not in AuditAction"


def _service(dotted: str) -> Any:
    """``codes.keyring.KeyService.rotate_code_key``: the longest importable module under
    ``jianguan``, then attributes."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module("jianguan." + ".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for name in parts[split:]:
            found = getattr(found, name)
        return found
    raise AssertionError(f"no module for {dotted}")


def test_the_audit_table_says_what_the_code_does() -> None:
    """Each row starts its meanings with the labels the audit page shows, and names a service
    that records the action."""
    table = _audit_table()
    for action in AuditAction:
        english, chinese, _target, recorded_by = table[action.value]
        assert english.lower().startswith(action.label_en.lower()), action
        assert chinese.startswith(action.label_zh), action
        service = _service(recorded_by.strip("`"))
        assert f"AuditAction.{action.name}" in inspect.getsource(service), (action, recorded_by)
