"""Bugs of the copies of the report obligation (issue 14, item 1): the plan export, the workspace,
the dashboard and the reminders disagreed on the due date, on who must report and on "due soon"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.lights import Light
from supervision import metrics
from supervision.models import Extension, ExtensionStatus, ProgressReport, ReportingCycle, ReportStatus
from supervision.reminders import owed_reminders
from tasklist.exporters.cells import load_outline, load_progress
from tasklist.models import Assignment, AssignmentRole
from tests.conftest import last_month


def _file(assignment, period, user, when):
    return ProgressReport.objects.create(
        assignment=assignment, period=period, status=ReportStatus.SUBMITTED, submitted_at=when, submitted_by=user
    )


def _export_light(plan, task):
    outline = load_outline(plan)
    return load_progress(plan, outline, timezone.localdate())[task.pk].light


def _dashboard_lights(plan, period, task):
    return set(
        metrics.report_rows(plan, period, timezone.localdate()).filter(task=task).values_list("light", flat=True)
    )


def _workspace_light(user, task):
    client = Client()
    client.force_login(user)
    page = client.get(reverse("supervision:workspace"))
    (row,) = [row for row in page.context["page"] if row.task_id == task.pk]
    return row.light


@pytest.fixture
def overdue_period(suqian):
    """Due two days ago."""
    return last_month(suqian, due_days_ago=2)


@pytest.fixture
def another_filed(bob, suqian, overdue_period, lead_assignment):
    """A report on another task, so that the plan export prints its progress columns."""
    other = (
        Assignment.objects.filter(task__section__part__plan=suqian, role=AssignmentRole.LEAD)
        .exclude(task=lead_assignment.task)
        .first()
    )
    return _file(other, overdue_period, bob, timezone.now() - dt.timedelta(days=5))


def test_the_export_light_follows_an_approved_extension(
    alice, bob, suqian, overdue_period, lead_assignment, another_filed
):
    """(a) An approved extension makes the assignment green on the workspace and the dashboard;
    the plan export showed red."""
    task = lead_assignment.task
    now = timezone.now()
    for assignment in task.assignments.filter(role__in=[AssignmentRole.LEAD, AssignmentRole.RESPONSIBLE]):
        Extension.objects.create(
            assignment=assignment,
            period=overdue_period,
            reason="需延期",
            new_due_on=timezone.localdate() + dt.timedelta(days=10),
            status=ExtensionStatus.APPROVED,
            requested_by=bob,
            requested_at=now - dt.timedelta(days=4),
            decided_by=alice,
            decided_at=now - dt.timedelta(days=3),
        )
    assert _dashboard_lights(suqian, overdue_period, task) == {Light.GREEN}
    assert _workspace_light(bob, task) == Light.GREEN
    assert _export_light(suqian, task) == Light.GREEN


def test_the_export_light_counts_cooperating_units_when_the_plan_asks_them_to_report(
    bob, suqian, overdue_period, lead_assignment, coop_assignment, another_filed
):
    """(b) With 配合单位 reporting too, a cooperating unit that has not filed makes the task red
    (as on the dashboard); the export ignored the switch and showed the lead's green."""
    ReportingCycle.objects.create(
        plan=suqian,
        starts_on=overdue_period.starts_on,
        ends_on=overdue_period.ends_on,
        due_value=5,
        cooperating_must_report=True,
    )
    task = lead_assignment.task
    for assignment in task.assignments.filter(role__in=[AssignmentRole.LEAD, AssignmentRole.RESPONSIBLE]):
        _file(assignment, overdue_period, bob, timezone.now() - dt.timedelta(days=5))
    assert Light.RED in _dashboard_lights(suqian, overdue_period, task)
    assert _export_light(suqian, task) == Light.RED


def test_due_soon_days_move_the_light_with_the_due_soon_email(settings, bob, suqian, lead_assignment):
    """(c) With REMINDER_DUE_SOON_DAYS=7, a report due in 5 days is owed a "due soon" e-mail; its
    light was still green (hard-coded to 3 days)."""
    settings.REMINDER_DUE_SOON_DAYS = 7
    period = last_month(suqian, due_days_ago=-5, ends_days_ago=1)
    task = lead_assignment.task
    today = timezone.localdate()
    kinds = {(r.assignment_id, r.kind) for r in owed_reminders(today) if r.period_id == period.pk}
    assert (lead_assignment.pk, "due_soon") in kinds
    assert _dashboard_lights(suqian, period, task) == {Light.YELLOW}
    assert _workspace_light(bob, task) == Light.YELLOW
    another = _file(
        Assignment.objects.filter(task__section__part__plan=suqian, role=AssignmentRole.LEAD)
        .exclude(task=task)
        .first(),
        period,
        bob,
        timezone.now(),
    )
    assert another.pk
    assert _export_light(suqian, task) == Light.YELLOW
