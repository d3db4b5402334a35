"""supervision.actions: each state change, who may make it, and what it leaves in the database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audit.models import AuditEvent
from supervision import actions
from supervision.models import (
    Acknowledgement,
    Attachment,
    ClosingRequest,
    ClosingStatus,
    Notification,
    NotificationKind,
    ProgressReport,
    ReportingPeriod,
    ReportStatus,
)
from tasklist.models import TaskStatus

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def submit(user, assignment, period, text="本期完成了方案制定。", version=0, **extra):
    return actions.submit_report(
        assignment=assignment, period=period, user=user, data={"work_done": text, **extra}, version=version
    )


def reload(obj):
    return type(obj).objects.get(pk=obj.pk)


# --- acknowledgement -----------------------------------------------------------


def test_acknowledge_records_who_and_when_once(bob, lead_assignment):
    first = actions.acknowledge(lead_assignment, bob)
    again = actions.acknowledge(lead_assignment, bob)
    assert first.pk == again.pk
    assert Acknowledgement.objects.filter(assignment=lead_assignment).count() == 1
    assert reload(first).acknowledged_by == bob
    assert AuditEvent.objects.filter(action="task.acknowledge", task=lead_assignment.task).count() == 1


def test_another_agency_cannot_acknowledge(charlie, lead_assignment):
    with pytest.raises(actions.ActionError):
        actions.acknowledge(lead_assignment, charlie)
    assert not Acknowledgement.objects.exists()


# --- drafts, submission, optimistic version --------------------------------------


def test_save_then_submit_keeps_fields_and_audits_before_after(bob, lead_assignment, period):
    draft = actions.save_report(
        assignment=lead_assignment,
        period=period,
        user=bob,
        data={"work_done": "初稿", "percent_complete": 30},
        version=0,
    )
    assert (draft.status, draft.version) == (ReportStatus.DRAFT, 1)
    report = submit(bob, lead_assignment, period, text="定稿", version=1, percent_complete=40)
    report = reload(report)
    assert report.status == ReportStatus.SUBMITTED
    assert (report.work_done, report.percent_complete, report.version) == ("定稿", 40, 2)
    assert report.submitted_by == bob and report.submitted_at is not None
    event = AuditEvent.objects.get(action="report.submit")
    assert event.actor == bob and event.agency_id == lead_assignment.agency_id
    assert (event.before["work_done"], event.after["work_done"]) == ("初稿", "定稿")
    assert (event.before["status"], event.after["status"]) == ("draft", "submitted")


def test_submitted_report_is_read_only(bob, lead_assignment, period):
    submit(bob, lead_assignment, period)
    with pytest.raises(actions.ActionError, match=r"只读|read-only"):
        actions.save_report(assignment=lead_assignment, period=period, user=bob, data={"work_done": "x"}, version=1)
    assert reload(ProgressReport.objects.get()).work_done == "本期完成了方案制定。"


def test_second_submit_is_refused_with_who_did_it(bob, lead_assignment, period):
    submit(bob, lead_assignment, period)
    with pytest.raises(actions.ActionError) as refused:
        submit(bob, lead_assignment, period, text="again", version=1)
    assert "bob" in str(refused.value)
    assert ProgressReport.objects.get().work_done == "本期完成了方案制定。"
    assert AuditEvent.objects.filter(action="report.submit").count() == 1


def test_stale_version_is_refused_and_keeps_the_earlier_save(bob, lead_assignment, period):
    actions.save_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "第一个标签页"}, version=0
    )
    actions.save_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "第二个标签页"}, version=1
    )
    with pytest.raises(actions.StaleReport) as stale:
        # This tab was opened at version 1 and never saw the second save.
        actions.save_report(
            assignment=lead_assignment, period=period, user=bob, data={"work_done": "旧标签页"}, version=1
        )
    assert stale.value.report.version == 2
    assert ProgressReport.objects.get().work_done == "第二个标签页"


def test_a_new_report_opened_in_two_tabs_does_not_overwrite(bob, lead_assignment, period):
    actions.save_report(assignment=lead_assignment, period=period, user=bob, data={"work_done": "A"}, version=0)
    with pytest.raises(actions.StaleReport):
        actions.save_report(assignment=lead_assignment, period=period, user=bob, data={"work_done": "B"}, version=0)
    assert ProgressReport.objects.get().work_done == "A"


def test_submit_needs_work_done(bob, lead_assignment, period):
    with pytest.raises(actions.ActionError, match="已完成工作"):
        submit(bob, lead_assignment, period, text="  ")
    assert not ProgressReport.objects.exists()  # the transaction rolled the new row back


def test_other_agency_cannot_report(charlie, lead_assignment, period):
    with pytest.raises(actions.ActionError):
        submit(charlie, lead_assignment, period)
    assert not ProgressReport.objects.exists()


def test_future_period_is_refused(bob, lead_assignment, period):
    today = timezone.localdate()
    future = ReportingPeriod.objects.create(
        plan=period.plan,
        label="下期",
        starts_on=today + dt.timedelta(days=10),
        ends_on=today + dt.timedelta(days=40),
        due_on=today + dt.timedelta(days=45),
    )
    with pytest.raises(actions.ActionError, match="下期"):
        submit(bob, lead_assignment, future)


# --- head approval --------------------------------------------------------------


def test_head_approval_when_the_plan_asks_for_it(bob, hank, lead_assignment, period, alice):
    period.plan.head_approval_required = True
    period.plan.save()
    report = submit(bob, lead_assignment, period)
    assert report.status == ReportStatus.HEAD_REVIEW and report.submitted_at is None
    assert Notification.objects.filter(recipient=hank, kind=NotificationKind.REPORT_FOR_HEAD).count() == 1
    with pytest.raises(actions.ActionError):
        actions.accept_report(report, alice)  # the office cannot accept what the head has not approved
    with pytest.raises(actions.ActionError):
        actions.approve_as_head(report, bob)  # staff are not the head
    approved = actions.approve_as_head(report, hank)
    assert reload(approved).status == ReportStatus.SUBMITTED and reload(approved).submitted_at is not None


def test_head_submits_directly(hank, lead_assignment, period):
    period.plan.head_approval_required = True
    period.plan.save()
    assert submit(hank, lead_assignment, period).status == ReportStatus.SUBMITTED


def test_head_return_goes_back_to_the_author(bob, hank, lead_assignment, period):
    period.plan.head_approval_required = True
    period.plan.save()
    report = submit(bob, lead_assignment, period)
    actions.return_as_head(report, hank, "数据不全")
    assert reload(report).status == ReportStatus.RETURNED
    assert Notification.objects.get(recipient=bob).note == "数据不全"


# --- office review ---------------------------------------------------------------


def test_return_needs_a_reason_and_changes_nothing_without(bob, alice, lead_assignment, period):
    report = submit(bob, lead_assignment, period)
    with pytest.raises(actions.ActionError):
        actions.return_report(report, alice, "   ")
    assert reload(report).status == ReportStatus.SUBMITTED


def test_return_then_resubmit_then_accept(bob, alice, lead_assignment, period):
    report = submit(bob, lead_assignment, period)
    actions.return_report(report, alice, "请补充数据")
    report = reload(report)
    assert (report.status, report.return_reason, report.reviewed_by) == (ReportStatus.RETURNED, "请补充数据", alice)
    note = Notification.objects.get(recipient=bob)
    assert (note.kind, note.note, note.read_at) == (NotificationKind.REPORT_RETURNED, "请补充数据", None)

    submit(bob, lead_assignment, period, text="补充了数据", version=report.version)
    report = reload(report)
    assert report.status == ReportStatus.SUBMITTED and report.return_reason == ""
    actions.accept_report(report, alice)
    assert reload(report).status == ReportStatus.ACCEPTED
    assert Notification.objects.filter(recipient=bob, kind=NotificationKind.REPORT_ACCEPTED).count() == 1
    trail = list(
        AuditEvent.objects.filter(task=lead_assignment.task).order_by("at", "pk").values_list("action", flat=True)
    )
    assert trail == ["report.submit", "report.return", "report.submit", "report.accept"]


def test_only_the_office_reviews(bob, leader, lead_assignment, period):
    report = submit(bob, lead_assignment, period)
    for user in (bob, leader):
        with pytest.raises(actions.ActionError):
            actions.accept_report(report, user)
    assert reload(report).status == ReportStatus.SUBMITTED


def test_accept_twice_is_refused(bob, alice, lead_assignment, period):
    report = submit(bob, lead_assignment, period)
    actions.accept_report(report, alice)
    with pytest.raises(actions.ActionError):
        actions.accept_report(report, alice)
    assert AuditEvent.objects.filter(action="report.accept").count() == 1


def test_bulk_accept_skips_what_is_not_submitted(bob, alice, carol, lead_assignment, coop_assignment, period):
    first = submit(bob, lead_assignment, period)
    second = submit(carol, coop_assignment, period)
    actions.return_report(second, alice, "退回")
    accepted, skipped = actions.accept_reports([first, second], alice)
    assert (accepted, skipped) == (1, 1)
    assert reload(first).status == ReportStatus.ACCEPTED
    assert reload(second).status == ReportStatus.RETURNED


# --- less burden: last period, no change -----------------------------------------


def test_no_change_repeats_the_last_report(bob, lead_assignment, period, last_period):
    submit(bob, lead_assignment, last_period, text="上期工作", next_steps="继续推进", percent_complete=50)
    report = actions.submit_unchanged(assignment=lead_assignment, period=period, user=bob, version=0)
    report = reload(report)
    assert report.status == ReportStatus.SUBMITTED and report.no_change
    assert (report.work_done, report.next_steps, report.percent_complete) == ("上期工作", "继续推进", 50)


def test_no_change_without_an_earlier_report_is_refused(bob, lead_assignment, period):
    with pytest.raises(actions.ActionError):
        actions.submit_unchanged(assignment=lead_assignment, period=period, user=bob, version=0)
    assert not ProgressReport.objects.exists()


# --- attachments -----------------------------------------------------------------


def test_attachments_are_checked_before_anything_is_stored(bob, lead_assignment, period):
    fake = SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf")
    with pytest.raises(actions.ActionError, match=r"report\.pdf"):
        actions.save_report(
            assignment=lead_assignment, period=period, user=bob, data={"work_done": "x"}, version=0, files=[fake]
        )
    assert not ProgressReport.objects.exists() and not Attachment.objects.exists()
    exe = SimpleUploadedFile("tool.exe", b"MZ\x90\x00")
    with pytest.raises(actions.ActionError, match=r"tool\.exe"):
        actions.save_report(
            assignment=lead_assignment, period=period, user=bob, data={"work_done": "x"}, version=0, files=[exe]
        )


def test_attachment_is_stored_under_a_random_name(bob, lead_assignment, period, settings):
    pdf = SimpleUploadedFile("进展情况.pdf", PDF)
    report = actions.save_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "x"}, version=0, files=[pdf]
    )
    item = Attachment.objects.get(report=report)
    assert item.name == "进展情况.pdf" and item.size == len(PDF) and item.content_type == "application/pdf"
    assert "进展情况" not in item.file.name and item.file.name.endswith(".pdf")
    assert item.file.read() == PDF


def test_attachment_size_limit(bob, lead_assignment, period, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * 2000)
    with pytest.raises(actions.ActionError, match=r"big\.pdf"):
        actions.save_report(
            assignment=lead_assignment, period=period, user=bob, data={"work_done": "x"}, version=0, files=[big]
        )
    assert not Attachment.objects.exists()


def test_an_empty_attachment_is_refused_by_name_and_nothing_stored(bob, lead_assignment, period):
    empty = SimpleUploadedFile("会议纪要.pdf", b"")
    with pytest.raises(actions.ActionError) as refused:
        actions.save_report(
            assignment=lead_assignment, period=period, user=bob, data={"work_done": "x"}, version=0, files=[empty]
        )
    assert str(refused.value) == "附件“会议纪要.pdf”是空文件（0 字节），请重新选择"
    assert not ProgressReport.objects.exists() and not Attachment.objects.exists()


def test_no_change_with_a_stale_version_is_refused_and_changes_nothing(bob, lead_assignment, period, last_period):
    submit(bob, lead_assignment, last_period, text="上期工作")
    draft = actions.save_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "草稿"}, version=0
    )
    for version in (0, 2, -1):
        with pytest.raises(actions.StaleReport):
            actions.submit_unchanged(assignment=lead_assignment, period=period, user=bob, version=version)
    after = reload(draft)
    assert (after.status, after.version, after.work_done, after.no_change) == (ReportStatus.DRAFT, 1, "草稿", False)


# --- leader comments --------------------------------------------------------------


def test_leader_comment_notifies_every_agency_on_the_task(leader, bob, carol, charlie, lead_assignment):
    actions.comment_on_task(lead_assignment.task, leader, "请加快进度")
    recipients = set(
        Notification.objects.filter(kind=NotificationKind.LEADER_COMMENT).values_list("recipient", flat=True)
    )
    assert {bob.pk, carol.pk} <= recipients
    assert charlie.pk not in recipients


def test_staff_cannot_comment(bob, lead_assignment):
    with pytest.raises(actions.ActionError):
        actions.comment_on_task(lead_assignment.task, bob, "我来批示")


# --- closing ----------------------------------------------------------------------


def test_only_the_lead_applies_to_close(carol, bob, lead_assignment, coop_assignment):
    with pytest.raises(actions.ActionError):
        actions.apply_to_close(lead_assignment.task, carol, "完成")
    request = actions.apply_to_close(lead_assignment.task, bob, "全部完成")
    assert request.assignment == lead_assignment and request.status == ClosingStatus.PENDING
    with pytest.raises(actions.ActionError, match="bob"):
        actions.apply_to_close(lead_assignment.task, bob, "再次申请")
    assert ClosingRequest.objects.count() == 1


def test_responsible_unit_applies_where_there_is_no_lead(seeded, django_user_model):
    from agencies.models import Membership
    from tasklist.models import Assignment, AssignmentRole

    assignment = Assignment.objects.filter(role=AssignmentRole.RESPONSIBLE).select_related("task").first()
    assert not assignment.task.assignments.filter(role=AssignmentRole.LEAD).exists()
    user = django_user_model.objects.create_user("jl")
    Membership.objects.create(user=user, agency=assignment.agency)
    assert actions.apply_to_close(assignment.task, user, "完成").assignment == assignment


def test_approve_closing_closes_the_task_and_stops_reports(bob, alice, lead_assignment, period):
    request = actions.apply_to_close(lead_assignment.task, bob, "全部完成")
    actions.approve_closing(request, alice)
    task = reload(lead_assignment.task)
    assert task.status == TaskStatus.CLOSED
    assert Notification.objects.filter(recipient=bob, kind=NotificationKind.TASK_CLOSED).count() == 1
    with pytest.raises(actions.ActionError, match=r"办结|closed"):
        submit(bob, lead_assignment, period)
    with pytest.raises(actions.ActionError):
        actions.approve_closing(request, alice)
    assert [e.action for e in AuditEvent.objects.filter(task=task).order_by("at", "pk")] == [
        "closing.apply",
        "closing.approve",
        "task.close",
    ]


def test_returned_closing_leaves_the_task_open_and_allows_a_new_application(bob, alice, lead_assignment):
    request = actions.apply_to_close(lead_assignment.task, bob, "完成")
    with pytest.raises(actions.ActionError):
        actions.return_closing(request, alice, "")
    actions.return_closing(request, alice, "缺少佐证材料")
    assert reload(lead_assignment.task).status == TaskStatus.OPEN
    assert actions.apply_to_close(lead_assignment.task, bob, "补充了材料").status == ClosingStatus.PENDING


# --- notifications ----------------------------------------------------------------


def test_mark_read_touches_only_ones_own(bob, carol, leader, lead_assignment):
    actions.comment_on_task(lead_assignment.task, leader, "批示")
    carols = Notification.objects.get(recipient=carol)
    assert actions.mark_read(bob, [carols.pk]) == 0
    assert reload(carols).read_at is None
    assert actions.mark_read(bob) == 1
    assert Notification.objects.filter(recipient=bob).unread().count() == 0


def test_a_report_waiting_for_its_head_stays_inside_the_agency(bob, alice, leader, carol, coop_assignment, period):
    """Neither the office, a leader nor the lead unit reads it, nor its text in the trail, until the head approves."""
    period.plan.head_approval_required = True
    period.plan.save()
    report = submit(carol, coop_assignment, period, text="待负责人审核的内容")
    lead_staff = bob  # bob's agency leads the task carol's agency cooperates on
    for outsider in (alice, leader, lead_staff):
        assert not ProgressReport.objects.visible_to(outsider).filter(pk=report.pk).exists()
        trail = AuditEvent.objects.visible_to(outsider).filter(task=coop_assignment.task)
        assert "待负责人审核的内容" not in str(list(trail.values_list("after", flat=True)))
    assert ProgressReport.objects.visible_to(carol).filter(pk=report.pk).exists()
    head = django_head(coop_assignment)
    actions.approve_as_head(report, head)
    for outsider in (alice, leader, lead_staff):
        assert ProgressReport.objects.visible_to(outsider).filter(pk=report.pk).exists()


def django_head(assignment):
    from django.contrib.auth import get_user_model

    from agencies.models import Membership, MembershipRole

    head = get_user_model().objects.create_user("coop-head")
    Membership.objects.create(user=head, agency=assignment.agency, role=MembershipRole.HEAD)
    return head
