"""The reporting cycle in a real browser: acknowledge, report with an attachment, return,
resubmit, accept, apply to close, close. Each step leaves a screenshot in
var/test-artifacts/browser/; each is also checked in the database."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from supervision.models import (
    Acknowledgement,
    ClosingRequest,
    ClosingStatus,
    Notification,
    NotificationKind,
    ProgressReport,
    ReportStatus,
)
from tasklist.models import TaskStatus

pytestmark = pytest.mark.browser

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def zh(choice) -> str:
    """A choice's label as the portal shows it (Chinese unless the user switched)."""
    with translation.override("zh-hans"):
        return str(choice.label)


def log_in(page, username: str, password: str) -> None:
    page.goto(reverse("login"))
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_test_id("login").click()
    # Agency staff land on 我的待办, the office and leaders on the plans.
    page.wait_for_url(lambda url: reverse("login") not in url)


def submit_report(page) -> list[str]:
    """Click 提交 and accept the confirm() it asks; returns the dialog's text."""
    seen = []

    def accept(dialog):
        seen.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_test_id("submit-report").click()
    return seen


def test_report_return_resubmit_accept_and_close(new_page, screenshot, bob, alice, lead_assignment, period, tmp_path):
    from playwright.sync_api import expect

    task = lead_assignment.task
    report_url = reverse("supervision:report", args=[lead_assignment.pk, period.pk])
    task_url = reverse("supervision:task", args=[task.pk])
    pdf = tmp_path / "进展佐证.pdf"
    pdf.write_bytes(PDF)

    # 1. bob (staff of the lead agency) logs in through the form.
    page = new_page()
    log_in(page, "bob", "pw-bob")
    expect(page.locator("header .who")).to_have_text("bob")
    screenshot(page, "bob-logged-in")

    # 2. 我的任务: acknowledge (签收) the task.
    page.locator(f"header nav a[href='{reverse('supervision:workspace')}']").click()
    row = page.locator(f"#assignment-{lead_assignment.pk}")
    row.get_by_test_id("acknowledge").click()
    expect(row.get_by_test_id("acknowledged")).to_be_visible()
    expect(row.get_by_test_id("acknowledge")).to_have_count(0)
    assert Acknowledgement.objects.filter(assignment=lead_assignment, acknowledged_by=bob).exists()
    row.scroll_into_view_if_needed()
    screenshot(page, "workspace-acknowledged", full_page=False)

    # 3. The report: text, a PDF, submit (confirm accepted).
    page.goto(report_url)
    page.fill("textarea[name=work_done]", "已完成就业政策宣传培训3场。")
    page.fill("textarea[name=next_steps]", "下月开展专项督查。")
    page.set_input_files("input[name=attachments]", str(pdf))
    screenshot(page, "report-filled")
    dialogs = submit_report(page)
    expect(page.get_by_test_id("report-status")).to_contain_text(zh(ReportStatus.SUBMITTED))
    assert dialogs and dialogs[0]
    expect(page.locator(".report-view .attachments")).to_contain_text(pdf.name)
    report = ProgressReport.objects.get(assignment=lead_assignment, period=period)
    assert report.status == ReportStatus.SUBMITTED
    assert report.work_done == "已完成就业政策宣传培训3场。"
    assert report.attachments.count() == 1
    assert report.attachments.get().name == pdf.name
    first_version = report.version
    screenshot(page, "report-submitted")

    # 4. bob logs out; the office (alice) logs in on the same page and returns the report.
    page.get_by_test_id("logout").click()
    page.wait_for_url(f"**{reverse('login')}")
    log_in(page, "alice", "pw-alice")
    office = page
    office.goto(report_url)
    reason = "请补充培训人数和佐证材料。"
    office.fill("textarea[name=reason]", reason)
    screenshot(office, "office-returning")
    office.get_by_test_id("return").click()
    expect(office.get_by_test_id("report-status")).to_contain_text(zh(ReportStatus.RETURNED))
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED
    assert report.return_reason == reason
    screenshot(office, "office-returned")

    # 5. bob, in a browser context of his own: the bell, the notification, the reason, resubmit.
    page = new_page()
    log_in(page, "bob", "pw-bob")
    assert int(page.get_by_test_id("unread-count").inner_text()) >= 1
    screenshot(page, "bob-bell", full_page=False)
    page.get_by_test_id("unread-count").click()
    page.wait_for_url(f"**{reverse('supervision:notifications')}")
    returned = page.locator(f"li[data-kind='{NotificationKind.REPORT_RETURNED}']")
    expect(returned).to_have_count(1)
    opener = returned.get_by_test_id("open-notification")
    expect(opener).to_contain_text(zh(NotificationKind.REPORT_RETURNED))
    # A link-styled button outside the red top bar must not be drawn white on white.
    assert opener.evaluate("e => getComputedStyle(e).color") != "rgb(255, 255, 255)"
    screenshot(page, "notifications")
    opener.click()
    page.wait_for_url(f"**{report_url}")
    expect(page.get_by_test_id("return-reason")).to_contain_text(reason)
    assert Notification.objects.get(recipient=bob, kind=NotificationKind.REPORT_RETURNED).read_at is not None
    screenshot(page, "report-returned-to-bob")
    page.fill("textarea[name=work_done]", "已完成就业政策宣传培训3场，培训1200人次，佐证材料见附件。")
    submit_report(page)
    expect(page.get_by_test_id("report-status")).to_contain_text(zh(ReportStatus.SUBMITTED))
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert report.work_done == "已完成就业政策宣传培训3场，培训1200人次，佐证材料见附件。"
    assert report.version > first_version
    screenshot(page, "report-resubmitted")

    # 6. The office accepts.
    office.goto(report_url)
    office.get_by_test_id("accept").click()
    expect(office.get_by_test_id("report-status")).to_contain_text(zh(ReportStatus.ACCEPTED))
    report.refresh_from_db()
    assert report.status == ReportStatus.ACCEPTED
    screenshot(office, "office-accepted")

    # 7. bob applies to close (办结) the task with a closing report.
    page.goto(task_url)
    page.fill("textarea[name=summary]", "各项工作目标已全部完成，相关佐证材料已上传。")
    page.get_by_test_id("apply-close").click()
    expect(page.locator(f".closing-{ClosingStatus.PENDING}")).to_be_visible()
    closing = ClosingRequest.objects.get(task=task)
    assert closing.status == ClosingStatus.PENDING
    assert closing.requested_by == bob
    screenshot(page, "closing-requested")

    # 8. The office approves: the task is closed.
    office.goto(task_url)
    status = office.get_by_test_id("task-status")
    expect(status).to_have_text(zh(TaskStatus.OPEN))
    office.get_by_test_id("approve-closing").click()
    expect(status).to_have_text(zh(TaskStatus.CLOSED))
    task.refresh_from_db()
    assert task.status == TaskStatus.CLOSED
    closing.refresh_from_db()
    assert closing.status == ClosingStatus.APPROVED
    screenshot(office, "task-closed")
