"""我的待办 in a real browser (issue 15, items 1 and 10): a liaison whose agency owes reports from
earlier periods lands on the list, sees them overdue first, oldest first, opens the oldest from its
row and files it; the list then holds one fewer. On a desktop (1366 px) and a phone (375 px), where
the page is never wider than the screen. Screenshots in var/test-artifacts/browser/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from supervision.models import ProgressReport, ReportingPeriod, ReportStatus
from tests.browser.test_report_workflow import log_in, submit_report, zh
from tests.conftest import last_month

pytestmark = pytest.mark.browser


@pytest.fixture
def past_periods(period):
    """Two earlier periods of bob's plan, both past due (40 and 25 days ago): bob's agency owes both."""
    today = timezone.localdate()
    older = ReportingPeriod.objects.create(
        plan=period.plan,
        label="前期",
        starts_on=today - dt.timedelta(days=80),
        ends_on=today - dt.timedelta(days=51),
        due_on=today - dt.timedelta(days=40),
    )
    return older, last_month(period.plan, due_days_ago=25, ends_days_ago=30, label="上期")


@pytest.mark.parametrize("width", [1366, 375])
def test_a_liaison_sees_what_is_overdue_and_files_the_oldest(
    new_page, screenshot, bob, lead_assignment, past_periods, width
):
    from playwright.sync_api import expect

    older, _ = past_periods
    page = new_page()
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "bob", "pw-bob")
    # bob lands on 我的待办; the menu's badge says how many reports are owed.
    page.wait_for_url(f"**{reverse('supervision:todo')}")
    expect(page.locator("h1")).to_have_text("我的待办")
    expect(page.get_by_test_id("todo-count")).to_be_visible()
    overdue = int(page.get_by_test_id("overdue-count").inner_text())
    assert overdue > 0
    if width == 375:
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, f"todo-{width}", full_page=False)

    # The first row is the oldest overdue report: the older period's, past due by 40 days.
    first = page.get_by_test_id("todo-row").first
    expect(first).to_contain_text(older.label)
    expect(first.get_by_test_id("late-by")).to_contain_text("逾期40天")
    assignment_pk = int(first.get_attribute("data-assignment"))
    assert int(first.get_attribute("data-period")) == older.pk
    first.get_by_test_id("open-report").click()
    page.wait_for_url(f"**{reverse('supervision:report', args=[assignment_pk, older.pk])}")
    if width == 375:
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.fill("textarea[name=work_done]", "补报：已完成前期就业政策宣传。")
    page.fill("textarea[name=next_steps]", "按期报送本期进展。")
    screenshot(page, f"todo-filing-oldest-{width}", full_page=False)
    submit_report(page)
    expect(page.get_by_test_id("report-status")).to_contain_text(zh(ReportStatus.SUBMITTED))
    assert ProgressReport.objects.get(assignment_id=assignment_pk, period=older).status == ReportStatus.SUBMITTED

    # Back on the list: one overdue report fewer, and that one is gone.
    page.get_by_test_id("back-to-todo").click()
    page.wait_for_url(f"**{reverse('supervision:todo')}")
    expect(page.get_by_test_id("overdue-count")).to_have_text(str(overdue - 1))
    expect(
        page.locator(f"[data-testid=todo-row][data-assignment='{assignment_pk}'][data-period='{older.pk}']")
    ).to_have_count(0)
    if width == 375:
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, f"todo-after-filing-{width}", full_page=False)
