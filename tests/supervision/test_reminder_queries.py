"""A reminder sweep's SQL does not grow with the number of assignments or reminders: a fixed
number of statements for the whole sweep, plus one per digest (its "sent" mark)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import OFFICE_GROUP
from agencies.models import Agency, Membership, MembershipRole
from supervision import reminders
from supervision.models import ProgressReport, Reminder, ReportingPeriod, ReportStatus
from tasklist.models import Assignment, AssignmentRole, Part, Plan, Section, Task

pytestmark = pytest.mark.django_db

AGENCIES = 3
LATE_BY = 10  # days: overdue, and escalated to the head and the office (REMINDER_ESCALATE_DAYS = 7)
# Inside the test's transaction: select outstanding, count, insert reminders, count, cancel the settled, claim,
# select claimed, select members, select office, insert notifications, mark notified, select
# urge notices to retry. (In autocommit the two bulk inserts add a BEGIN and a COMMIT each.)
STATEMENTS_PER_SWEEP = 12


@pytest.fixture
def agencies(db, settings):
    settings.REMINDER_DUE_SOON_DAYS = 3
    settings.REMINDER_REPEAT_DAYS = 3
    settings.REMINDER_ESCALATE_DAYS = 7
    settings.REMINDER_LOOKBACK_DAYS = 90
    settings.REMINDER_SEND_INTERVAL_SECONDS = 0
    units = [
        Agency.objects.create(jurisdiction="测试市", name=f"市第{n}局", sort_order=n, contact_emails=f"unit{n}@ex.cn")
        for n in range(1, AGENCIES + 1)
    ]
    for agency in units:
        for role in (MembershipRole.STAFF, MembershipRole.HEAD):
            user = User.objects.create_user(f"{role}{agency.sort_order}", email=f"{role}{agency.sort_order}@example.cn")
            Membership.objects.create(user=user, agency=agency, role=role)
    office = Group.objects.get_or_create(name=OFFICE_GROUP)[0]
    for n in range(2):
        User.objects.create_user(f"office{n}", email=f"office{n}@example.cn").groups.add(office)
    return units


def overdue_plan(doc_number: str, tasks: int, agencies: list[Agency], today: dt.date) -> Plan:
    """A plan whose period was due LATE_BY days ago. Each task has a lead and a responsible unit
    (they report) and a cooperating one (it does not: the plan has no cycle saying so); every
    fifth task's lead has submitted its report (not reminded)."""
    plan = Plan.objects.create(title=doc_number, doc_number=doc_number, jurisdiction="测试市")
    period = ReportingPeriod.objects.create(
        plan=plan,
        label="本期",
        starts_on=today - dt.timedelta(days=LATE_BY + 30),
        ends_on=today - dt.timedelta(days=LATE_BY + 5),
        due_on=today - dt.timedelta(days=LATE_BY),
    )
    section = Section.objects.create(part=Part.objects.create(plan=plan, number=1, title="一"), number=1, title="一")
    rows = Task.objects.bulk_create(
        Task(section=section, number=n + 1, order=n + 1, content=f"第{n + 1}项任务") for n in range(tasks)
    )
    roles = (AssignmentRole.LEAD, AssignmentRole.RESPONSIBLE, AssignmentRole.COOPERATING)
    assignments = Assignment.objects.bulk_create(
        Assignment(task=task, agency=agencies[(index + slot) % len(agencies)], role=role, order=slot + 1)
        for index, task in enumerate(rows)
        for slot, role in enumerate(roles)
    )
    ProgressReport.objects.bulk_create(
        ProgressReport(assignment=a, period=period, status=ReportStatus.SUBMITTED, submitted_at=timezone.now())
        for a in assignments[:: 5 * len(roles)]
    )
    return plan


def remove(plan: Plan) -> None:
    ProgressReport.objects.filter(period__plan=plan).delete()
    plan.delete()  # and with it its tasks, assignments, period and reminders


def sweep_counting(now: dt.datetime) -> tuple[reminders.SweepResult, list[str]]:
    mail.outbox.clear()
    with CaptureQueriesContext(connection) as queries:
        result = reminders.sweep(now=now)
    return result, [query["sql"] for query in queries]


def listing(statements: list[str]) -> str:
    return "\n".join(f"{n:3d}. {sql[:300]}" for n, sql in enumerate(statements, 1))


def test_sweep_statements_do_not_grow_with_assignments(agencies, postgres):
    now = timezone.now()
    today = timezone.localdate(now)
    digests = 2 * AGENCIES + 1  # each agency's people, each agency's head, the office

    plan = overdue_plan("测〔2026〕1号", 10, agencies, today)
    small, small_sql = sweep_counting(now)
    # 10 tasks × 2 reporting units, 2 submitted: 18 outstanding, 3 reminders each.
    assert small.planned == small.sent == 54
    assert small.digests == len(mail.outbox) == digests
    assert not Reminder.objects.filter(assignment__reports__status=ReportStatus.SUBMITTED).exists()
    assert not Reminder.objects.filter(assignment__role=AssignmentRole.COOPERATING).exists()
    remove(plan)

    overdue_plan("测〔2026〕2号", 40, agencies, today)
    large, large_sql = sweep_counting(now)
    assert large.planned == large.sent == 216  # 40 × 2 − 8 = 72 outstanding, 3 reminders each
    assert large.digests == len(mail.outbox) == digests

    assert len(large_sql) == len(small_sql), (
        f"10 tasks: {len(small_sql)} statements, 40 tasks: {len(large_sql)}\n"
        f"--- 10 tasks\n{listing(small_sql)}\n--- 40 tasks\n{listing(large_sql)}"
    )
    assert len(small_sql) == STATEMENTS_PER_SWEEP + digests, listing(small_sql)


def test_one_email_per_digest_to_its_audience(agencies, postgres):
    now = timezone.now()
    overdue_plan("测〔2026〕3号", 12, agencies, timezone.localdate(now))
    result, _ = sweep_counting(now)
    assert result.digests == len(mail.outbox) == 2 * AGENCIES + 1
    recipients = sorted(tuple(message.to) for message in mail.outbox)
    for agency in agencies:
        n = agency.sort_order
        # The agency's people and its mailbox; its head alone for the escalation.
        assert (f"head{n}@example.cn", f"staff{n}@example.cn", f"unit{n}@ex.cn") in recipients
        assert (f"head{n}@example.cn",) in recipients
    assert ("office0@example.cn", "office1@example.cn") in recipients
    # A second sweep finds everything sent: no e-mail, and still no more statements than the first.
    again, statements = sweep_counting(now)
    assert (again.planned, again.sent, len(mail.outbox)) == (0, 0, 0)
    assert len(statements) <= STATEMENTS_PER_SWEEP, listing(statements)
