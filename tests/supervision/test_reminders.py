"""The reminder sweep's rules, in process (Django's outbox): who is reminded of what, and once.

Delivery on a real SMTP server and a real Celery worker: test_reminder_delivery.py and
test_celery_worker.py.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from supervision import actions, reminders
from supervision.models import (
    Notification,
    NotificationKind,
    Reminder,
    ReminderKind,
    ReportingCycle,
    ReportingPeriod,
    SendState,
)
from tasklist.models import Assignment, AssignmentRole, TaskStatus
from tests.conftest import last_month


@pytest.fixture
def late_period(suqian):
    """A Suqian period due 8 days ago: its reports are overdue (sequence 2) and escalated."""
    return last_month(suqian, due_days_ago=8, ends_days_ago=13)


@pytest.fixture
def people(bob, hank, alice, charlie):
    for user in (bob, hank, alice, charlie):
        user.email = f"{user.username}@example.org"
        user.save()
    return bob, hank, alice, charlie


def by_subject(word: str):
    return [m for m in mail.outbox if word in m.subject]


def test_one_sweep_reminds_each_audience_once(people, late_period, lead_assignment):
    bob, hank, _alice, _charlie = people
    result = reminders.sweep()
    agency_a = lead_assignment.agency
    leads_and_responsible = Assignment.objects.filter(
        task__section__part__plan=late_period.plan, role__in=[AssignmentRole.LEAD, AssignmentRole.RESPONSIBLE]
    ).count()
    # Each reporting unit owes an overdue reminder and two escalations.
    assert result.planned == 3 * leads_and_responsible
    assert Reminder.objects.filter(kind=ReminderKind.OVERDUE, sequence=2).count() == leads_and_responsible
    assert set(Reminder.objects.values_list("state", flat=True)) == {SendState.SENT}

    to_a = [m for m in mail.outbox if m.to == ["bob@example.org", "hank@example.org"]]
    assert len(to_a) == 1
    a_items = Assignment.objects.filter(agency=agency_a, task__section__part__plan=late_period.plan, role="lead")
    assert to_a[0].body.count("/reports/") == a_items.count()
    assert f"/reports/{lead_assignment.pk}/{late_period.pk}/" in to_a[0].body
    assert [m.to for m in mail.outbox if m.to == ["hank@example.org"]] == [["hank@example.org"]]  # the head
    office = [m for m in mail.outbox if m.to == ["alice@example.org"]]
    assert len(office) == 1 and office[0].body.count("/reports/") == leads_and_responsible
    assert result.digests == len(mail.outbox)

    again = reminders.sweep()
    assert (again.planned, again.sent, again.digests) == (0, 0, 0)
    assert len(mail.outbox) == result.digests
    # One portal notification per person, not per reminder, and not again.
    assert Notification.objects.filter(recipient=bob, kind=NotificationKind.REMINDER).count() == 1
    assert Notification.objects.filter(recipient=hank, kind=NotificationKind.REMINDER).count() == 2  # staff, head


def test_charlie_is_reminded_of_his_agencys_lead_task(people, late_period):
    _, _, _, charlie = people
    reminders.sweep()
    mine = [m for m in mail.outbox if m.to == ["charlie@example.org"]]
    held = Assignment.objects.filter(agency__memberships__user=charlie, task__section__part__plan=late_period.plan)
    assert len(mine) == 1 and mine[0].body.count("/reports/") == held.filter(role="lead").count()


def test_filed_reports_closed_tasks_and_cooperating_units_are_not_reminded(people, late_period, lead_assignment, carol):
    bob = people[0]
    actions.submit_report(assignment=lead_assignment, period=late_period, user=bob, data={"work_done": "x"}, version=0)
    other = Assignment.objects.filter(
        agency=lead_assignment.agency, role="lead", task__section__part__plan=late_period.plan
    )
    closed = other.exclude(pk=lead_assignment.pk).first()
    closed.task.status = TaskStatus.CLOSED
    closed.task.save()
    reminders.sweep()
    reminded = set(Reminder.objects.values_list("assignment_id", flat=True))
    assert lead_assignment.pk not in reminded and closed.pk not in reminded
    assert not Reminder.objects.filter(assignment__role=AssignmentRole.COOPERATING).exists()


def test_cooperating_units_report_when_the_plan_says_so(people, late_period, alice, coop_assignment):
    ReportingCycle.objects.create(
        plan=late_period.plan,
        starts_on=late_period.starts_on,
        ends_on=late_period.ends_on,
        cooperating_must_report=True,
    )
    reminders.sweep()
    assert Reminder.objects.filter(assignment=coop_assignment, kind=ReminderKind.OVERDUE).exists()


def test_due_soon_then_overdue_then_repeated(people, suqian, lead_assignment):
    today = timezone.localdate()
    period = ReportingPeriod.objects.create(
        plan=suqian,
        label="本月",
        starts_on=today - dt.timedelta(days=20),
        ends_on=today,
        due_on=today + dt.timedelta(days=2),
    )
    now = timezone.now()
    reminders.sweep(now=now)
    assert set(Reminder.objects.filter(assignment=lead_assignment).values_list("kind", "sequence")) == {("due_soon", 0)}
    assert any("/reports/" in m.body for m in mail.outbox)
    sent = len(mail.outbox)
    for days, expected in [(3, ("overdue", 0)), (4, None), (6, ("overdue", 1))]:
        reminders.sweep(now=now + dt.timedelta(days=days))
        kinds = set(Reminder.objects.filter(assignment=lead_assignment, period=period).values_list("kind", "sequence"))
        if expected:
            assert expected in kinds
    assert set(Reminder.objects.filter(assignment=lead_assignment).values_list("kind", "sequence")) == {
        ("due_soon", 0),
        ("overdue", 0),
        ("overdue", 1),
    }
    assert len(mail.outbox) > sent


def test_an_approved_extension_moves_the_reminders(people, suqian, lead_assignment, alice):
    today = timezone.localdate()
    period = ReportingPeriod.objects.create(
        plan=suqian,
        label="本月",
        starts_on=today - dt.timedelta(days=20),
        ends_on=today,
        due_on=today + dt.timedelta(days=1),
    )
    bob = people[0]
    extension = actions.request_extension(
        assignment=lead_assignment,
        period=period,
        user=bob,
        reason="数据待汇总",
        new_due_on=today + dt.timedelta(days=20),
    )
    actions.approve_extension(extension, alice)
    reminders.sweep()
    assert not Reminder.objects.filter(assignment=lead_assignment).exists()
    others = Reminder.objects.filter(assignment__agency=lead_assignment.agency, kind=ReminderKind.DUE_SOON)
    assert others.exists()  # the extension holds for that one assignment only


def test_nobody_to_email_still_counts_as_reminded_in_the_portal(late_period):
    """An agency with no account and no address: the reminder is recorded, nothing is e-mailed."""
    result = reminders.sweep()
    assert mail.outbox == [] and result.digests == 0
    assert Reminder.objects.filter(state=SendState.SENT).count() == result.planned
    assert "e-mail" in Reminder.objects.first().last_error or "邮箱" in Reminder.objects.first().last_error


def test_send_reminders_command_dry_run_writes_nothing(people, late_period):
    out = io.StringIO()
    call_command("send_reminders", "--dry-run", stdout=out)
    assert "would be added" in out.getvalue()
    assert not Reminder.objects.exists() and mail.outbox == []
    call_command("send_reminders", stdout=out)
    assert Reminder.objects.exists() and mail.outbox


def test_digest_is_in_chinese_with_links(people, late_period, lead_assignment, settings):
    settings.PORTAL_BASE_URL = "https://duban.example.org"
    reminders.sweep()
    message = next(m for m in mail.outbox if m.to == ["bob@example.org", "hank@example.org"])
    assert message.subject.startswith("【催办】")
    assert "逾期" in message.body
    assert f"https://duban.example.org/reports/{lead_assignment.pk}/{late_period.pk}/" in message.body
    # Numbers restart in each section: every item names its section with the number ("（一）第1项").
    task = lead_assignment.task
    assert task.reference.startswith("（") and f"{task.reference} {task.content[:20]}" in message.body


def test_a_long_digest_lists_the_first_items_and_links_to_the_rest(people, late_period, settings):
    settings.REMINDER_DIGEST_MAX_ITEMS = 5
    reminders.sweep()
    office = next(m for m in mail.outbox if m.to == ["alice@example.org"])
    total = Reminder.objects.filter(kind=ReminderKind.ESCALATION_OFFICE).count()
    assert total > 5
    assert office.body.count("/reports/") == 5
    assert f"另有 {total - 5} 项" in office.body and "/review/overdue/" in office.body
    assert f"{total} 份" in office.subject  # the subject still counts them all


def test_a_waiting_reminder_is_cancelled_once_the_report_is_filed(people, late_period, lead_assignment, settings):
    """SMTP down: the reminders wait; the report is filed meanwhile; the next sweep does not send them."""
    settings.EMAIL_BACKEND = "tests.supervision.test_reminders.RefusingBackend"
    reminders.sweep()
    waiting = Reminder.objects.filter(assignment=lead_assignment)
    assert set(waiting.values_list("state", flat=True)) == {SendState.PENDING}
    actions.submit_report(
        assignment=lead_assignment, period=late_period, user=people[0], data={"work_done": "x"}, version=0
    )
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    reminders.sweep()
    assert set(waiting.values_list("state", flat=True)) == {SendState.CANCELLED}
    assert not any(f"/reports/{lead_assignment.pk}/{late_period.pk}/" in m.body for m in mail.outbox)


class RefusingBackend:
    """An e-mail backend whose server is down."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server down")

    def close(self):
        pass


def test_english_digests_say_one_day_not_one_days(people, suqian, lead_assignment, settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    today = timezone.localdate()
    ReportingPeriod.objects.create(
        plan=suqian, label="This month", starts_on=today - dt.timedelta(days=20), ends_on=today,
        due_on=today + dt.timedelta(days=1),
    )  # fmt: skip
    with translation.override("en"):
        reminders.sweep()
    bodies = "\n".join(m.body for m in mail.outbox)
    assert "due in 1 day" in bodies and "1 days" not in bodies
