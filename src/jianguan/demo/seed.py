"""The demo network: believable enterprises, printers, shops and regulators on real regions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role, User
from jianguan.accounts.services import create_user
from jianguan.audit.services import Actor
from jianguan.config import Settings

DEMO_PASSWORD = "jianguan-demo"  # noqa: S105 - the published demo password


def seed(session: Session, settings: Settings) -> list[str]:
    """Create the demo network unless users exist; return the ``login``/``apikey`` lines."""
    actor = Actor.system("demo seed")
    if session.scalar(select(User.id).limit(1)) is None:
        create_user(session, actor=actor, username="operator", display_name="运营中心 王工",
                    password=DEMO_PASSWORD, role=Role.OPERATOR)
    return [f"login operator operator {DEMO_PASSWORD}"]
