"""A city regulator sets on a phone where its monthly report (信息通报) is e-mailed: a malformed
address is refused (the error in Chinese) and nothing is saved; the addresses saved, a sending
that failed (its server unreachable) is shown with its error and next attempt, in Chinese and in
English."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from jianguan.audit.services import Actor
from jianguan.config import Settings
from jianguan.reports.models import ReportRecipient, ReportSending
from jianguan.reports.monthly import last_full_month
from jianguan.reports.services import deliver_due, schedule_month
from jianguan.storage import make_engine, reading, session_factory, transaction
from tests.browser.conftest import PHONE, log_in, screenshot
from tests.live import LiveServer

PAGE = "/manage/reports/monthly?region=130100"


@pytest.fixture
def db(live: LiveServer) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(live.database_url)
    sessions = session_factory(engine)

    def empty() -> None:
        with transaction(sessions) as session:
            session.execute(delete(ReportSending).where(ReportSending.region_code == "130100"))
            session.execute(delete(ReportRecipient).where(ReportRecipient.region_code == "130100"))
    empty()
    yield sessions
    empty()
    engine.dispose()


def _saved(db: sessionmaker[Session]) -> list[str]:
    with reading(db) as session:
        return list(session.scalars(select(ReportRecipient.address).where(ReportRecipient.region_code == "130100")
                                    .order_by(ReportRecipient.id)))


def test_a_regulator_sets_the_addresses_and_sees_a_failed_sending(page: Page, live: LiveServer,
                                                                  db: sessionmaker[Session]) -> None:
    log_in(page, live, "sjz.quality")
    page.goto(f"{live.base_url}{PAGE}")
    section = page.locator("#recipients")
    expect(section).to_contain_text("尚无发送记录")

    section.locator("textarea[name=addresses]").fill("office@example.org\nnot an address")
    section.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    expect(page.locator("body")).to_contain_text("以下不是有效的电子邮件地址：not an address")
    assert _saved(db) == []

    page.locator("#recipients textarea[name=addresses]").fill("office@example.org\nchief@example.org")
    page.locator("#recipients").get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    assert page.url.endswith("#recipients")
    expect(page.locator("#recipients textarea[name=addresses]")).to_have_value("office@example.org\nchief@example.org")
    assert _saved(db) == ["office@example.org", "chief@example.org"]

    # The SMTP server unreachable (nothing listens on port 1): both sendings fail and wait to be retried.
    with transaction(db) as session:
        assert schedule_month(session, month=last_full_month()) == 2
    unreachable = Settings(email_gateway="smtp", smtp_host="127.0.0.1", smtp_port=1)  # type: ignore[call-arg]
    assert deliver_due(db, unreachable, actor=Actor.system("test")) == {"sent": 0, "failed": 2}
    page.reload()
    failed = page.locator("table[data-table=sendings] tr[data-status=failed]")
    expect(failed).to_have_count(2)
    expect(failed.first).to_contain_text("失败")
    expect(failed.first).to_contain_text("下次重试")
    expect(failed.first).to_contain_text(str(last_full_month()))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width  # the table scrolls inside its frame, the page does not
    screenshot(page, "report-mail-failed")

    page.goto(f"{live.base_url}{PAGE}&lang=en")
    expect(page.locator("#recipients")).to_contain_text("Sending by e-mail")
    expect(page.locator("table[data-table=sendings] tr[data-status=failed]").first).to_contain_text("next attempt")
