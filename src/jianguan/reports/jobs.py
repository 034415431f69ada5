"""``jianguan jobs run``: the scheduled work in one command, for cron or a systemd timer.

It rolls the statistics up (the days since the last run) and, from the 1st of a month on (once
the roll-up has the whole of last month), enters the sending of last month's report to every
address set and sends what is due (new sendings and the retries of failed ones) through the
service's SMTP client. Running it twice, or on several machines at once,
sends each report once: the roll-up takes turns and rewrites the same rows, a sending is
entered once (its unique key) and sent by the one run that takes it (an atomic UPDATE).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from jianguan.audit.services import Actor
from jianguan.config import Settings
from jianguan.messaging.mail import send_smtp, smtp_enabled
from jianguan.reports.monthly import last_full_month
from jianguan.reports.services import Sender, deliver_due, rolled_through, schedule_month
from jianguan.stats.rollup import rollup
from jianguan.storage import transaction


def run_jobs(sessions: sessionmaker[Session], settings: Settings, *, send: Sender = send_smtp) -> dict[str, Any]:
    """Run the roll-up, enter last month's sendings and send what is due; answers what it did.
    Until the roll-up has reached the end of last month (a network catching up, a month a run)
    the report is neither entered nor sent: it would show the figures of part of the month."""
    actor = Actor.system("jobs run")
    with transaction(sessions) as session:
        rolled = rollup(session, actor=actor)
    month = last_full_month()
    entered, delivered = 0, {"sent": 0, "failed": 0}
    with transaction(sessions) as session:
        ready = rolled_through(session, month)
        if ready:
            entered = schedule_month(session, month=month)
    if ready:
        delivered = deliver_due(sessions, settings, actor=actor, send=send)
    return {"rolled_up": {"from": str(rolled.first_day) if rolled.first_day else None,
                          "to": str(rolled.last_day) if rolled.last_day else None, "rows": rolled.rows},
            "month": str(month), "report_ready": ready, "sendings_entered": entered, **delivered,
            "smtp": smtp_enabled(settings)}
