"""The documents that list what the code has name all of it (settings, commands, API routes)."""

from __future__ import annotations

from pathlib import Path

import click

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
