"""The pages people click through, by HTTP: workspace, report form, review, closing, notifications."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from supervision import actions
from supervision.models import (
    Acknowledgement,
    Attachment,
    ClosingRequest,
    Notification,
    ProgressReport,
    ReportingPeriod,
    ReportStatus,
    TaskTarget,
)
from tasklist.models import Assignment, TaskStatus

PDF = b"%PDF-1.4\n%%EOF\n"


def report_url(assignment, period):
    return reverse("supervision:report", args=[assignment.pk, period.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


# --- workspace ---------------------------------------------------------------------


def test_workspace_lists_only_the_agencys_tasks_grouped(bob_client, bob, period):
    response = bob_client.get(reverse("supervision:workspace"))
    assert response.status_code == 200
    held = Assignment.objects.filter(agency__memberships__user=bob)
    rows = [
        row
        for group in response.context["groups"]
        for sections in group.parts.values()
        for s in sections
        for row in s.rows
    ]
    assert sorted(r.pk for r in rows) == sorted(held.values_list("pk", flat=True))
    assert response.context["row_count"] == held.count()
    body = response.content.decode()
    assert "宿办发〔2021〕60号" in body and "牵头" in body and "配合" in body
    assert "吉就组〔2020〕1号" not in body  # bob's agency has no Jilin task


def test_workspace_filters_by_role_and_text(bob_client, bob, lead_assignment, period):
    url = reverse("supervision:workspace")
    leads = bob_client.get(url, {"role": "lead"}).context["row_count"]
    coops = bob_client.get(url, {"role": "cooperating"}).context["row_count"]
    assert leads == Assignment.objects.filter(agency__memberships__user=bob, role="lead").count()
    assert leads + coops == bob_client.get(url).context["row_count"]
    words = lead_assignment.task.content[:12]
    found = bob_client.get(url, {"q": words}).context["groups"]
    assert any(row.pk == lead_assignment.pk for g in found for ss in g.parts.values() for s in ss for row in s.rows)


def test_workspace_state_and_overdue_filters(bob_client, bob, lead_assignment, period):
    actions.save_report(assignment=lead_assignment, period=period, user=bob, data={"work_done": "x"}, version=0)
    url = reverse("supervision:workspace")
    assert bob_client.get(url, {"state": "draft"}).context["row_count"] == 1
    total = bob_client.get(url).context["row_count"]
    assert bob_client.get(url, {"state": "none"}).context["row_count"] == total - 1
    assert bob_client.get(url, {"overdue": "on"}).context["row_count"] == 0  # due in 10 days
    period.due_on = period.starts_on
    period.save()
    overdue = bob_client.get(url, {"overdue": "on"})
    # Every task bob's agency leads is overdue (a draft is still outstanding); the tasks it only
    # cooperates on owe no report, as the plan has no cycle asking cooperating units to report.
    leads = Assignment.objects.filter(agency__memberships__user=bob, role="lead").count()
    assert overdue.context["row_count"] == leads < total
    assert "light-red" in overdue.content.decode()
    cooperating = bob_client.get(url, {"role": "cooperating"})
    assert "light-red" not in cooperating.content.decode()


def test_acknowledge_by_post(bob_client, bob, lead_assignment):
    response = bob_client.post(reverse("supervision:acknowledge", args=[lead_assignment.pk]))
    assert response.status_code == 302
    assert Acknowledgement.objects.get(assignment=lead_assignment).acknowledged_by == bob
    assert bob_client.get(reverse("supervision:acknowledge", args=[lead_assignment.pk])).status_code == 405


def unacknowledged_on_every_page(client) -> list[Assignment]:
    """The acknowledgements list is paginated: read it page by page, as the office would."""
    url, listed = reverse("supervision:acknowledgements"), []
    for number in range(1, 100):
        response = client.get(url, {"page": number})
        listed += [a for assignments in response.context["by_agency"].values() for a in assignments]
        if not response.context["page"].has_next():
            return listed
    raise AssertionError("the list never ends")


def test_office_sees_who_has_not_acknowledged(client, alice, bob, lead_assignment):
    client.force_login(alice)
    before = unacknowledged_on_every_page(client)
    assert lead_assignment in before and len(before) == len(set(before)) == Assignment.objects.count()
    actions.acknowledge(lead_assignment, bob)
    after = unacknowledged_on_every_page(client)
    assert lead_assignment not in after and len(after) == len(before) - 1


# --- the report form -------------------------------------------------------------------


def test_save_draft_and_submit_through_the_form(bob_client, lead_assignment, period):
    url = report_url(lead_assignment, period)
    page = bob_client.get(url)
    assert page.status_code == 200 and page.context["form"]["version"].value() == 0
    response = bob_client.post(url, {"version": 0, "work_done": "草稿", "save": "1"})
    assert response.status_code == 302
    assert ProgressReport.objects.get().status == ReportStatus.DRAFT
    response = bob_client.post(
        url,
        {
            "version": 1,
            "work_done": "已完成",
            "next_steps": "下一步",
            "submit": "1",
            "attachments": SimpleUploadedFile("佐证.pdf", PDF),
        },
        follow=True,
    )
    report = ProgressReport.objects.get()
    assert (report.status, report.work_done, report.next_steps) == (ReportStatus.SUBMITTED, "已完成", "下一步")
    assert Attachment.objects.get(report=report).name == "佐证.pdf"
    assert response.context["form"] is None  # read-only now
    assert "报告已报送督查室" in " ".join(messages_of(response)) or "submitted" in " ".join(messages_of(response))


def test_a_second_click_after_the_submission_says_who_submitted_and_when(bob_client, bob, lead_assignment, period):
    url = report_url(lead_assignment, period)
    form = {"version": 0, "work_done": "已完成", "submit": "1"}
    assert bob_client.post(url, form).status_code == 302
    again = bob_client.post(url, form, follow=True)  # the same form, posted again once the first committed
    report = ProgressReport.objects.get()
    assert report.status == ReportStatus.SUBMITTED and report.version == 1
    said = " ".join(messages_of(again))
    assert "已于" in said and timezone.localtime(report.submitted_at).strftime("%H:%M") in said


def test_bad_attachment_is_refused_with_its_name_and_nothing_saved(bob_client, lead_assignment, period):
    url = report_url(lead_assignment, period)
    response = bob_client.post(
        url, {"version": 0, "work_done": "x", "submit": "1", "attachments": SimpleUploadedFile("病毒.pdf", b"MZ..")}
    )
    assert response.status_code == 200
    assert any("病毒.pdf" in m for m in response.context["form"].errors["attachments"])  # on the field
    assert "病毒.pdf" in response.content.decode()
    assert not ProgressReport.objects.exists() and not Attachment.objects.exists()
    assert response.context["form"]["work_done"].value() == "x"  # what was typed is still there


def test_second_tab_save_is_not_lost_silently(bob_client, bob, lead_assignment, period):
    url = report_url(lead_assignment, period)
    bob_client.post(url, {"version": 0, "work_done": "第一次", "save": "1"})
    bob_client.post(url, {"version": 1, "work_done": "另一个标签页", "save": "1"})
    stale = bob_client.post(url, {"version": 1, "work_done": "旧标签页的文字", "save": "1"})
    assert stale.status_code == 200
    assert ProgressReport.objects.get().work_done == "另一个标签页"
    form = stale.context["form"]
    assert form["work_done"].value() == "旧标签页的文字"  # kept for the user to compare
    assert form["version"].value() == "2"  # saving again is now a deliberate overwrite
    assert any("bob" in m for m in messages_of(stale))
    bob_client.post(url, {"version": 2, "work_done": "旧标签页的文字", "save": "1"})
    assert ProgressReport.objects.get().work_done == "旧标签页的文字"


def test_an_empty_attachment_is_named_on_its_field_and_the_text_kept(bob_client, lead_assignment, period):
    url = report_url(lead_assignment, period)
    typed = {"version": 0, "work_done": "本月完成了培训", "next_steps": "下月验收", "submit": "1"}
    response = bob_client.post(url, {**typed, "attachments": SimpleUploadedFile("会议纪要.pdf", b"")})
    assert response.status_code == 200
    form = response.context["form"]
    said = "附件“会议纪要.pdf”是空文件（0 字节），请重新选择"
    assert form.errors["attachments"] == [said]
    assert said in response.content.decode()  # shown beside the field, not only kept in the form
    assert (form["work_done"].value(), form["next_steps"].value()) == ("本月完成了培训", "下月验收")
    assert not ProgressReport.objects.exists() and not Attachment.objects.exists()


def test_an_empty_attachment_among_good_ones_stores_none(bob_client, lead_assignment, period):
    url = report_url(lead_assignment, period)
    files = [SimpleUploadedFile("佐证.pdf", PDF), SimpleUploadedFile("空白.txt", b"")]
    response = bob_client.post(url, {"version": 0, "work_done": "x", "save": "1", "attachments": files})
    assert response.status_code == 200
    assert "附件“空白.txt”是空文件（0 字节），请重新选择" in response.content.decode()
    assert not ProgressReport.objects.exists() and not Attachment.objects.exists()


@pytest.fixture
def filed_last_period(bob, lead_assignment, last_period):
    return actions.submit_report(
        assignment=lead_assignment, period=last_period, user=bob, data={"work_done": "上期工作"}, version=0
    )


def reports_now(period) -> list[tuple]:
    return list(
        ProgressReport.objects.filter(period=period).values_list("pk", "status", "version", "work_done", "no_change")
    )


def test_no_change_through_the_form_with_the_right_version(bob_client, lead_assignment, period, filed_last_period):
    url = report_url(lead_assignment, period)
    response = bob_client.post(url, {"version": 0, "work_done": "", "unchanged": "1"})
    assert response.status_code == 302
    report = ProgressReport.objects.get(period=period)
    assert (report.status, report.no_change, report.work_done) == (ReportStatus.SUBMITTED, True, "上期工作")


@pytest.mark.parametrize("version", ["1", "7", "abc", "", "-1", "0x0", "1e3", None])
def test_no_change_with_a_stale_or_forged_version_is_refused(
    bob_client, bob, lead_assignment, period, filed_last_period, version
):
    """A draft saved in another tab is at version 1; this page was opened before it (or forged)."""
    url = report_url(lead_assignment, period)
    actions.save_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "另一标签页"}, version=0
    )
    before = reports_now(period)
    post = {"work_done": "", "unchanged": "1"} | ({} if version is None else {"version": version})
    if version == "1":
        post["version"] = "0"  # the version the page was opened at, before the other tab's save
    response = bob_client.post(url, post)
    assert response.status_code == 200
    assert reports_now(period) == before
    # The same words a stale save through the normal form gets.
    normal = bob_client.post(url, {"version": 0, "work_done": "旧标签页", "save": "1"})
    assert messages_of(response) == messages_of(normal) and "保存" in messages_of(normal)[0]
    assert reports_now(period) == before


@pytest.mark.parametrize("version", ["abc", "", "-1", "5", None])
def test_no_change_with_a_forged_version_before_any_draft_is_refused(
    bob_client, lead_assignment, period, filed_last_period, version
):
    url = report_url(lead_assignment, period)
    post = {"work_done": "", "unchanged": "1"} | ({} if version is None else {"version": version})
    response = bob_client.post(url, post)
    assert response.status_code == 200
    assert not ProgressReport.objects.filter(period=period).exists()
    assert messages_of(response) and response.context["form"]["version"].value() == "0"


def test_a_forged_version_on_the_normal_form_gets_the_stale_message(bob_client, bob, lead_assignment, period):
    url = report_url(lead_assignment, period)
    actions.save_report(assignment=lead_assignment, period=period, user=bob, data={"work_done": "已保存"}, version=0)
    forged = bob_client.post(url, {"version": "abc", "work_done": "伪造", "save": "1"})
    stale = bob_client.post(url, {"version": "0", "work_done": "伪造", "save": "1"})
    assert forged.status_code == 200 and messages_of(forged) == messages_of(stale) != []
    assert ProgressReport.objects.get().work_done == "已保存"


def test_new_period_starts_from_the_last_report(bob_client, bob, lead_assignment, period):
    earlier = ReportingPeriod.objects.create(
        plan=period.plan,
        label="上期",
        starts_on=period.starts_on - dt.timedelta(days=31),
        ends_on=period.starts_on - dt.timedelta(days=1),
        due_on=period.starts_on + dt.timedelta(days=4),
    )
    actions.submit_report(
        assignment=lead_assignment,
        period=earlier,
        user=bob,
        data={"work_done": "上期内容", "percent_complete": 60},
        version=0,
    )
    form = bob_client.get(report_url(lead_assignment, period)).context["form"]
    assert form["work_done"].value() == "上期内容" and form["percent_complete"].value() == 60
    response = bob_client.post(report_url(lead_assignment, period), {"version": 0, "unchanged": "1"})
    assert response.status_code == 302
    current = ProgressReport.objects.get(period=period)
    assert current.no_change and current.status == ReportStatus.SUBMITTED and current.work_done == "上期内容"


def test_figures_against_targets(bob_client, lead_assignment, period):
    target = TaskTarget.objects.create(task=lead_assignment.task, label="新增城镇就业", unit="万人", target="4.5")
    url = report_url(lead_assignment, period)
    bad = bob_client.post(url, {"version": 0, "work_done": "x", f"figure_{target.pk}": "很多", "save": "1"})
    assert bad.status_code == 200 and bad.context["form"].errors
    assert not ProgressReport.objects.exists()
    bob_client.post(url, {"version": 0, "work_done": "x", f"figure_{target.pk}": "2.3", "save": "1"})
    assert ProgressReport.objects.get().figures == {str(target.pk): "2.3"}


def test_lead_pulls_a_cooperating_report_into_its_draft(bob_client, carol, lead_assignment, coop_assignment, period):
    actions.submit_report(
        assignment=coop_assignment, period=period, user=carol, data={"work_done": "配合单位完成了调研"}, version=0
    )
    page = bob_client.get(report_url(lead_assignment, period))
    coop = page.context["cooperating"]
    assert [r.assignment_id for r in coop] == [coop_assignment.pk]
    bob_client.post(
        report_url(lead_assignment, period), {"version": 0, "work_done": "牵头单位的工作", "pull": coop[0].pk}
    )
    text = ProgressReport.objects.get(assignment=lead_assignment).work_done
    assert text.startswith("牵头单位的工作") and f"【{coop_assignment.agency.name}】配合单位完成了调研" in text


def test_cooperating_unit_does_not_see_the_leads_report(client, bob, carol, lead_assignment, coop_assignment, period):
    actions.submit_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "牵头机密"}, version=0
    )
    client.force_login(carol)
    assert client.get(report_url(lead_assignment, period)).status_code == 404
    assert "牵头机密" not in client.get(reverse("supervision:task", args=[lead_assignment.task_id])).content.decode()


def test_lead_does_not_see_a_cooperating_draft(bob_client, carol, coop_assignment, period):
    actions.save_report(assignment=coop_assignment, period=period, user=carol, data={"work_done": "还在写"}, version=0)
    page = bob_client.get(report_url(coop_assignment, period))
    assert page.status_code == 200 and page.context["report"] is None
    assert "还在写" not in page.content.decode()


def test_versions_are_listed(bob_client, bob, alice, lead_assignment, period):
    report = actions.submit_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "v1"}, version=0
    )
    actions.return_report(report, alice, "补充")
    actions.submit_report(assignment=lead_assignment, period=period, user=bob, data={"work_done": "v2"}, version=2)
    versions = bob_client.get(report_url(lead_assignment, period)).context["versions"]
    assert [(v.status, v.work_done) for v in versions] == [("submitted", "v1"), ("returned", "v1"), ("submitted", "v2")]


# --- office review -------------------------------------------------------------------


def test_review_queue_and_bulk_accept(client, alice, bob, carol, lead_assignment, coop_assignment, period):
    first = actions.submit_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "a"}, version=0
    )
    second = actions.submit_report(
        assignment=coop_assignment, period=period, user=carol, data={"work_done": "b"}, version=0
    )
    client.force_login(alice)
    queue = client.get(reverse("supervision:review_queue"))
    assert {r.pk for r in queue.context["reports"]} == {first.pk, second.pk}
    filtered = client.get(reverse("supervision:review_queue"), {"agency": coop_assignment.agency_id})
    assert [r.pk for r in filtered.context["reports"]] == [second.pk]
    client.post(reverse("supervision:review_queue"), {"report": [first.pk, second.pk]})
    assert set(ProgressReport.objects.values_list("status", flat=True)) == {ReportStatus.ACCEPTED}
    assert client.get(reverse("supervision:review_queue")).context["reports"].count() == 0


def test_return_without_reason_is_refused_by_http(client, alice, bob, lead_assignment, period):
    report = actions.submit_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "a"}, version=0
    )
    client.force_login(alice)
    response = client.post(
        reverse("supervision:review_report", args=[report.pk]), {"decision": "return", "reason": ""}, follow=True
    )
    assert ProgressReport.objects.get().status == ReportStatus.SUBMITTED
    assert any("理由" in m or "reason" in m for m in messages_of(response))


def test_staff_cannot_accept_their_own_report(bob_client, bob, lead_assignment, period):
    report = actions.submit_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "a"}, version=0
    )
    bob_client.post(reverse("supervision:review_report", args=[report.pk]), {"decision": "accept"})
    assert ProgressReport.objects.get().status == ReportStatus.SUBMITTED


# --- task page: comments, closing, trail ------------------------------------------------


def test_task_page_comment_closing_and_trail(bob_client, bob, alice, leader, lead_assignment):
    task = lead_assignment.task
    client = Client()  # bob_client is pytest-django's `client`: the others need their own
    client.force_login(leader)
    client.post(reverse("supervision:comment", args=[task.pk]), {"body": "请按期完成"})
    page = bob_client.get(reverse("supervision:task", args=[task.pk]))
    assert "请按期完成" in page.content.decode() and page.context["closing_form"] is not None
    bob_client.post(reverse("supervision:apply_to_close", args=[task.pk]), {"summary": "已全部完成"})
    closing = ClosingRequest.objects.get()
    client.force_login(alice)
    client.post(reverse("supervision:decide_closing", args=[closing.pk]), {"decision": "approve"})
    task.refresh_from_db()
    assert task.status == TaskStatus.CLOSED
    page = bob_client.get(reverse("supervision:task", args=[task.pk]))
    trail = [e.action for e in page.context["trail"]]
    assert trail == ["task.close", "closing.approve", "closing.apply", "task.comment"]
    assert page.context["closing_form"] is None
    workspace = bob_client.get(reverse("supervision:workspace"), {"q": task.content[:12]})
    assert "light-closed" in workspace.content.decode()
    # Closed everywhere: the plan's page and the agency's page mark it too.
    closed_badge = f'status-closed">{TaskStatus.CLOSED.label}'
    plan = task.section.part.plan
    assert closed_badge in bob_client.get(reverse("tasklist:plan_detail", args=[plan.pk])).content.decode()
    agency_page = bob_client.get(reverse("tasklist:agency_detail", args=[lead_assignment.agency_id]))
    assert closed_badge in agency_page.content.decode()


def test_staff_comment_is_forbidden(bob_client, lead_assignment):
    response = bob_client.post(reverse("supervision:comment", args=[lead_assignment.task_id]), {"body": "我批示"})
    assert response.status_code == 403
    assert not Notification.objects.exists()


# --- notifications -------------------------------------------------------------------------


def test_bell_list_open_and_mark_read(bob_client, bob, alice, lead_assignment, period):
    report = actions.submit_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "a"}, version=0
    )
    actions.return_report(report, alice, "请补充数据")
    page = bob_client.get(reverse("supervision:workspace"))
    assert 'data-testid="unread-count">1<' in page.content.decode()
    listing = bob_client.get(reverse("supervision:notifications"))
    item = listing.context["items"][0]
    assert "请补充数据" in listing.content.decode()
    opened = bob_client.post(reverse("supervision:open_notification", args=[item.pk]))
    assert opened["Location"] == report_url(lead_assignment, period)
    assert Notification.objects.get(pk=item.pk).read_at is not None
    assert 'data-testid="unread-count">0<' in bob_client.get(reverse("supervision:workspace")).content.decode()


def test_attachment_download_is_an_attachment_with_its_name(bob_client, bob, lead_assignment, period):
    report = actions.save_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "a"}, version=0,
        files=[SimpleUploadedFile("进展.pdf", PDF)],
    )  # fmt: skip
    item = report.attachments.get()
    response = bob_client.get(reverse("supervision:attachment", args=[item.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert (
        response["Content-Disposition"].startswith("attachment;")
        and "filename*=utf-8''" in response["Content-Disposition"]
    )
    bob_client.post(reverse("supervision:remove_attachment", args=[item.pk]))
    assert not Attachment.objects.exists()


# --- query counts do not grow with the rows --------------------------------------------------


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_pages_make_the_same_number_of_queries_for_few_and_many_rows(bob, charlie, alice, period):
    few, many, office = Client(), Client(), Client()
    few.force_login(charlie)  # one task
    many.force_login(bob)  # 25 tasks
    office.force_login(alice)
    workspace = reverse("supervision:workspace")
    assert _queries(few, workspace) == _queries(many, workspace)

    queue = reverse("supervision:review_queue")
    held = list(Assignment.objects.filter(agency__memberships__user=bob, task__section__part__plan=period.plan)[:6])
    actions.submit_report(assignment=held[0], period=period, user=bob, data={"work_done": "x"}, version=0)
    one = _queries(office, queue)
    for assignment in held[1:]:
        actions.submit_report(assignment=assignment, period=period, user=bob, data={"work_done": "x"}, version=0)
    assert _queries(office, queue) == one


def test_a_task_past_its_own_deadline_is_shown_and_counted(bob_client, lead_assignment):
    task = lead_assignment.task
    task.deadline_text = "2021年底前"
    task.due_on = dt.date(2021, 12, 31)
    task.save()
    page = bob_client.get(reverse("supervision:workspace"))
    assert page.context["past_deadline_count"] == 1
    assert "2021年底前" in page.content.decode()
    detail = bob_client.get(reverse("supervision:task", args=[task.pk]))
    assert detail.context["past_deadline"] > 1000
    assert 'data-testid="past-deadline"' in detail.content.decode()


def test_outsiders_see_only_the_versions_sent_to_the_office(client, bob, hank, alice, lead_assignment, period):
    period.plan.head_approval_required = True
    period.plan.save()
    report = actions.submit_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "v1"}, version=0
    )
    actions.return_as_head(report, hank, "负责人意见：数据不全")
    report = actions.submit_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "v2"}, version=2
    )
    actions.approve_as_head(report, hank)
    client.force_login(alice)
    page = client.get(report_url(lead_assignment, period))
    assert [v.status for v in page.context["versions"]] == ["submitted"]
    assert "负责人意见" not in page.content.decode()
    client.force_login(bob)
    inside = [v.status for v in client.get(report_url(lead_assignment, period)).context["versions"]]
    assert inside == ["head_review", "returned", "head_review", "submitted"]


def test_exports_carry_only_reports_the_reader_may_read(client, bob, carol, lead_assignment, coop_assignment, period):
    """A cooperating unit's export does not show the lead's report; a draft is in nobody's."""
    import io

    import openpyxl

    actions.submit_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "牵头单位的进展"}, version=0
    )
    actions.save_report(
        assignment=coop_assignment, period=period, user=carol, data={"work_done": "配合单位草稿"}, version=0
    )
    plan = period.plan

    def cells(user):
        client.force_login(user)
        data = client.get(reverse("tasklist:plan_export", args=[plan.pk, "xlsx"])).content
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        return " ".join(str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c)

    assert "牵头单位的进展" in cells(bob)
    carols = cells(carol)
    assert "牵头单位的进展" not in carols and "配合单位草稿" not in carols


def test_notifications_name_the_task_and_open_what_they_are_about(bob_client, bob, alice, lead_assignment, period):
    """An urge notice about several tasks opens the to-do list, a 催签 the workspace where tasks are
    acknowledged; a task's notice names it with its section ("（一）第1项"); 办结 reads as closed."""
    from supervision.models import NotificationKind

    other = Assignment.objects.held_by(bob).exclude(pk=lead_assignment.pk).first()
    actions.urge(lead_assignment.agency, [lead_assignment.task, other.task], alice, "请报送")
    actions.urge(lead_assignment.agency, [lead_assignment.task], alice, "", kind="acknowledge")
    items = {n.kind: n for n in Notification.objects.filter(recipient=bob)}
    for kind, target in (
        (NotificationKind.URGE, "supervision:todo"),
        (NotificationKind.ACKNOWLEDGE_URGED, "supervision:workspace"),
    ):
        opened = bob_client.post(reverse("supervision:open_notification", args=[items[kind].pk]))
        assert opened["Location"] == reverse(target)
    listing = bob_client.get(reverse("supervision:notifications")).content.decode()
    assert f"{lead_assignment.task.reference} {lead_assignment.task.content[:20]}" in listing
    assert str(NotificationKind.TASK_CLOSED.label) == "任务已办结"
