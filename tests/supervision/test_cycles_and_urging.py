"""The office's cycle page, extensions (延期申请) and manual urging (催办, 督办单), by HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from supervision import actions, obligations
from supervision.models import (
    Extension,
    ExtensionStatus,
    Notification,
    NotificationKind,
    ReportingCycle,
    ReportingPeriod,
    SendState,
    UrgeNotice,
)
from tasklist.models import Assignment
from tests.conftest import last_month


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


CYCLE = {
    "kind": "monthly",
    "due_rule": "days_after_end",
    "due_value": "5",
    "starts_on": "2021-06-01",
    "ends_on": "2021-12-31",
    "milestones": "",
}


# --- the cycle page ----------------------------------------------------------------------


def test_office_sets_a_cycle_and_the_periods_follow(alice, suqian):
    office = client_for(alice)
    response = office.post(reverse("supervision:plan_cycle", args=[suqian.pk]), CYCLE, follow=True)
    assert response.status_code == 200
    periods = list(ReportingPeriod.objects.filter(plan=suqian).order_by("starts_on"))
    assert [p.label for p in periods] == [f"2021年{m}月" for m in range(6, 13)]
    assert periods[0].due_on == dt.date(2021, 7, 5)
    assert ReportingCycle.objects.get(plan=suqian).kind == "monthly"
    assert AuditEvent.objects.filter(action="cycle.set", actor=alice).count() == 1
    # The saved dates come back in the form as the browser's date picker reads them (ISO), in Chinese too.
    form = office.get(reverse("supervision:plan_cycle", args=[suqian.pk])).content.decode()
    assert f'value="{CYCLE["starts_on"]}"' in form and f'value="{CYCLE["ends_on"]}"' in form

    # Quarterly instead: the monthly periods go, except June, which holds a report (and so
    # stands instead of the second quarter, which would start on the same day).
    june = periods[0]
    lead = Assignment.objects.filter(task__section__part__plan=suqian, role="lead").first()
    june.reports.create(assignment=lead, work_done="六月")
    office.post(reverse("supervision:plan_cycle", args=[suqian.pk]), {**CYCLE, "kind": "quarterly"})
    labels = list(ReportingPeriod.objects.filter(plan=suqian).order_by("starts_on").values_list("label", flat=True))
    assert labels == ["2021年6月", "2021年第三季度", "2021年第四季度"]


def test_a_bad_cycle_is_refused_and_changes_nothing(alice, suqian):
    office = client_for(alice)
    bad = {**CYCLE, "kind": "milestones", "milestones": "2021-06-31\n"}
    response = office.post(reverse("supervision:plan_cycle", args=[suqian.pk]), bad)
    assert response.status_code == 200 and response.context["form"].errors["milestones"]
    reversed_dates = {**CYCLE, "ends_on": "2021-01-01"}
    response = office.post(reverse("supervision:plan_cycle", args=[suqian.pk]), reversed_dates)
    assert response.context["form"].errors
    assert not ReportingCycle.objects.exists() and not ReportingPeriod.objects.exists()


def test_milestone_cycle(alice, suqian):
    office = client_for(alice)
    data = {**CYCLE, "kind": "milestones", "milestones": "2021-09-30\n2021-06-30"}
    office.post(reverse("supervision:plan_cycle", args=[suqian.pk]), data)
    assert list(ReportingPeriod.objects.filter(plan=suqian).order_by("starts_on").values_list("due_on", flat=True)) == [
        dt.date(2021, 6, 30),
        dt.date(2021, 9, 30),
    ]


# --- extensions ------------------------------------------------------------------------------


def test_extension_asked_before_the_due_date_and_approved(bob, alice, lead_assignment, period):
    staff = client_for(bob)
    new_date = period.due_on + dt.timedelta(days=7)
    url = reverse("supervision:request_extension", args=[lead_assignment.pk, period.pk])
    staff.post(url, {"new_due_on": new_date.isoformat(), "reason": "统计数据尚未发布"})
    extension = Extension.objects.get()
    assert extension.status == ExtensionStatus.PENDING
    assert Notification.objects.filter(recipient=alice, kind=NotificationKind.EXTENSION_REQUESTED).exists()
    again = staff.post(url, {"new_due_on": new_date.isoformat(), "reason": "再次申请"}, follow=True)
    assert Extension.objects.count() == 1
    assert any("等待" in str(m) for m in again.context["messages"])

    office = client_for(alice)
    queue = office.get(reverse("supervision:extension_queue"))
    assert list(queue.context["pending"]) == [extension]
    office.post(reverse("supervision:decide_extension", args=[extension.pk]), {"decision": "approve"})
    assert Extension.objects.get().status == ExtensionStatus.APPROVED
    assert obligations.effective_due(lead_assignment, period) == new_date
    page = staff.get(reverse("supervision:report", args=[lead_assignment.pk, period.pk]))
    assert new_date.isoformat() in page.content.decode()
    # Only this assignment: the agency's other tasks keep the period's date.
    other = Assignment.objects.filter(agency=lead_assignment.agency, task__section__part__plan=period.plan).exclude(
        pk=lead_assignment.pk
    )[0]
    assert obligations.effective_due(other, period) == period.due_on


def test_extension_after_the_due_date_is_refused_with_a_message(bob, lead_assignment, suqian):
    today = timezone.localdate()
    late = ReportingPeriod.objects.create(
        plan=suqian,
        label="上月",
        starts_on=today - dt.timedelta(days=40),
        ends_on=today - dt.timedelta(days=10),
        due_on=today - dt.timedelta(days=1),
    )
    staff = client_for(bob)
    response = staff.post(
        reverse("supervision:request_extension", args=[lead_assignment.pk, late.pk]),
        {"new_due_on": (today + dt.timedelta(days=5)).isoformat(), "reason": "来不及"},
        follow=True,
    )
    assert not Extension.objects.exists()
    assert any("已过" in str(m) for m in response.context["messages"])


def test_extension_on_the_due_day_itself_is_still_allowed(bob, lead_assignment, suqian):
    today = timezone.localdate()
    due_today = ReportingPeriod.objects.create(
        plan=suqian, label="本月", starts_on=today - dt.timedelta(days=30), ends_on=today, due_on=today
    )
    actions.request_extension(
        assignment=lead_assignment, period=due_today, user=bob, reason="x", new_due_on=today + dt.timedelta(days=3)
    )
    assert Extension.objects.count() == 1


def test_refusal_needs_a_reason(bob, alice, lead_assignment, period):
    extension = actions.request_extension(
        assignment=lead_assignment, period=period, user=bob, reason="x", new_due_on=period.due_on + dt.timedelta(days=3)
    )
    office = client_for(alice)
    office.post(reverse("supervision:decide_extension", args=[extension.pk]), {"decision": "refuse", "reason": ""})
    assert Extension.objects.get().status == ExtensionStatus.PENDING
    office.post(
        reverse("supervision:decide_extension", args=[extension.pk]), {"decision": "refuse", "reason": "理由不充分"}
    )
    refused = Extension.objects.get()
    assert (refused.status, refused.refusal_reason) == (ExtensionStatus.REFUSED, "理由不充分")
    assert obligations.effective_due(lead_assignment, period) == period.due_on


# --- the overdue list and urging ---------------------------------------------------------------


@pytest.fixture
def late_period(suqian):
    return last_month(suqian, due_days_ago=5)


def test_overdue_list_counts_and_filters(alice, bob, late_period, lead_assignment):
    office = client_for(alice)
    url = reverse("supervision:overdue_list")
    everyone = office.get(url).context["rows"]
    must_report = Assignment.objects.filter(
        task__section__part__plan=late_period.plan, role__in=["lead", "responsible"]
    )
    assert len(everyone) == must_report.count()
    assert all(row.late_by == 5 for row in everyone)
    mine = office.get(url, {"agency": lead_assignment.agency_id}).context["rows"]
    assert {r.pk for r in mine} == set(must_report.filter(agency=lead_assignment.agency).values_list("pk", flat=True))
    actions.submit_report(assignment=lead_assignment, period=late_period, user=bob, data={"work_done": "x"}, version=0)
    assert lead_assignment.pk not in {r.pk for r in office.get(url).context["rows"]}


def test_urge_from_the_overdue_list_sends_one_notice_per_agency(
    alice, bob, charlie, late_period, lead_assignment, django_capture_on_commit_callbacks
):
    bob.email = "bob@example.org"
    bob.save()
    charlies = Assignment.objects.filter(agency__memberships__user=charlie, role="lead").first()
    a_tasks = Assignment.objects.filter(agency=lead_assignment.agency, role="lead")[:2]
    office = client_for(alice)
    with django_capture_on_commit_callbacks(execute=True):
        office.post(
            reverse("supervision:urge"),
            {"assignment": [*[a.pk for a in a_tasks], charlies.pk], "message": "请于本周五前报送。"},
        )
    notices = {n.agency_id: n for n in UrgeNotice.objects.all()}
    assert set(notices) == {lead_assignment.agency_id, charlies.agency_id}
    assert notices[lead_assignment.agency_id].tasks.count() == 2
    assert notices[lead_assignment.agency_id].state == SendState.SENT
    urged = [m for m in mail.outbox if m.to == ["bob@example.org"]]
    assert len(urged) == 1 and "请于本周五前报送。" in urged[0].body and urged[0].subject.startswith("【督办单】")
    assert all(f"{a.task.reference} {a.task.content[:20]}" in urged[0].body for a in a_tasks)  # "（一）第1项 …"
    assert Notification.objects.filter(recipient=bob, kind=NotificationKind.URGE).count() == 1
    # Recorded on the task: the task page lists the notice.
    page = client_for(bob).get(reverse("supervision:task", args=[a_tasks[0].task_id]))
    assert list(page.context["urge_notices"]) == [notices[lead_assignment.agency_id]]
    assert AuditEvent.objects.filter(action="task.urge", task=a_tasks[0].task).count() == 1


def test_urging_a_task_the_agency_does_not_hold_is_refused(alice, lead_assignment, charlie):
    from agencies.models import Agency

    other = Agency.objects.get(memberships__user=charlie)
    with pytest.raises(actions.ActionError):
        actions.urge(other, [lead_assignment.task], alice, "x")
    assert not UrgeNotice.objects.exists()


def test_staff_cannot_urge(bob, lead_assignment):
    response = client_for(bob).post(reverse("supervision:urge"), {"assignment": [lead_assignment.pk]})
    assert response.status_code == 403 and not UrgeNotice.objects.exists()


def test_the_extension_form_is_offered_only_before_the_due_date(bob, lead_assignment, period, late_period):
    staff = client_for(bob)
    before = staff.get(reverse("supervision:report", args=[lead_assignment.pk, period.pk]))
    after = staff.get(reverse("supervision:report", args=[lead_assignment.pk, late_period.pk]))
    assert before.context["extension_form"] is not None
    assert after.context["extension_form"] is None
