"""The report obligation's SQL (supervision/obligations.py) against its pure reference
(supervision/rules.py): the same due date, state and light on a grid of cases, through every
reading the pages use (one period's rows, the current period's, every started period's)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from core.lights import Light
from supervision import obligations, rules
from supervision.models import (
    FILED_STATUSES,
    Extension,
    ExtensionStatus,
    ProgressReport,
    ReportingCycle,
    ReportingPeriod,
    ReportStatus,
)
from tasklist.models import Assignment

# The report: none, or in each status; a filed (or returned) one on the due day's last second or
# the next day's first, read in the portal's time zone.
REPORTS = [
    None,
    (ReportStatus.DRAFT, None),
    (ReportStatus.HEAD_REVIEW, None),
    (ReportStatus.RETURNED, 0),
    (ReportStatus.SUBMITTED, 0),
    (ReportStatus.SUBMITTED, 1),
    (ReportStatus.ACCEPTED, 0),
    (ReportStatus.ACCEPTED, 1),
]
# The due date that counts, in days from today: past, yesterday, today, within 3 and 7 days, beyond.
DUE_IN = [-3, -1, 0, 2, 5, 10]
EXTENSIONS = [None, ExtensionStatus.APPROVED, ExtensionStatus.PENDING, ExtensionStatus.REFUSED]
MOVED_BY = 5  # an extension asks for the due date this many days later


def _moment(day: dt.date, next_day_start: int) -> dt.datetime:
    """The due day's 23:59:59 (0) or the next day's 00:00 (1), in the portal's time zone."""
    zone = timezone.get_default_timezone()
    if next_day_start:
        return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min), zone)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)), zone)


@pytest.fixture
def grid(suqian, alice, bob):
    """(assignment, period) → the due date that counts, one case each. Every assignment of
    the plan owes a report (配合单位 too), so that there are enough of them."""
    today = timezone.localdate()
    start = today - dt.timedelta(days=40)
    ReportingCycle.objects.create(
        plan=suqian, starts_on=start, ends_on=today + dt.timedelta(days=30), due_value=5, cooperating_must_report=True
    )
    assignments = list(Assignment.objects.filter(task__section__part__plan=suqian).order_by("pk"))
    per_period = len(REPORTS) * len(EXTENSIONS)
    assert len(assignments) >= per_period
    now = timezone.now()
    cases = {}
    reports, extensions = [], []
    starts = (start + dt.timedelta(days=n) for n in itertools.count())  # a period a day: one starts a day
    for due_in in DUE_IN:
        due = today + dt.timedelta(days=due_in)
        # Two periods: one due that day, one that an approved extension moves to that day.
        own, moved = (
            ReportingPeriod.objects.create(plan=suqian, label=f"{label}{due_in}", starts_on=day, ends_on=day, due_on=on)
            for (label, on), day in zip(
                (("own", due), ("moved", due - dt.timedelta(days=MOVED_BY))), starts, strict=False
            )
        )
        for assignment, (report, extension) in zip(assignments, itertools.product(REPORTS, EXTENSIONS), strict=False):
            period = moved if extension == ExtensionStatus.APPROVED else own
            if extension is not None:
                extensions.append(
                    Extension(
                        assignment=assignment,
                        period=period,
                        reason="延期",
                        new_due_on=period.due_on + dt.timedelta(days=MOVED_BY),
                        status=extension,
                        requested_by=bob,
                        requested_at=now,
                        decided_by=None if extension == ExtensionStatus.PENDING else alice,
                        decided_at=None if extension == ExtensionStatus.PENDING else now,
                        refusal_reason="不同意" if extension == ExtensionStatus.REFUSED else "",
                    )
                )
            submitted_at = None
            if report is not None:
                status, late = report
                submitted_at = _moment(due, late) if late is not None else None
                reports.append(
                    ProgressReport(
                        assignment=assignment,
                        period=period,
                        status=status,
                        submitted_at=submitted_at,
                        submitted_by=bob if submitted_at else None,
                        return_reason="请补充" if status == ReportStatus.RETURNED else "",
                    )
                )
            cases[(assignment.pk, period.pk)] = due
    ProgressReport.objects.bulk_create(reports)
    Extension.objects.bulk_create(extensions)
    return suqian, today, cases


@pytest.mark.parametrize("soon_days", [3, 7])
def test_the_sql_light_and_due_date_agree_with_the_pure_rule(settings, grid, soon_days):
    settings.REMINDER_DUE_SOON_DAYS = soon_days
    plan, today, _ = grid
    cases = {key: (due, rules.traffic_light(due, submitted_on, today)) for key, (due, submitted_on) in _reference(grid)}
    assert {light for _, light in cases.values()} == {Light.GREEN, Light.YELLOW, Light.RED}
    # One period's rows (the dashboard, the API, the plan export).
    seen = {}
    for period in ReportingPeriod.objects.filter(plan=plan):
        rows = obligations.in_period(Assignment.objects.filter(task__section__part__plan=plan), period, today)
        for pk, due_on, light in rows.values_list("pk", "due_on", "light"):
            if (pk, period.pk) in cases:
                seen[(pk, period.pk)] = (due_on, light)
    assert seen == cases
    # Every started period's rows (the reminders, the overdue list).
    started = obligations.in_started_periods(today).filter(task__section__part__plan=plan)
    seen = {
        (pk, period_id): (due_on, light)
        for pk, period_id, due_on, light in started.values_list("pk", "period_id", "due_on", "light")
        if (pk, period_id) in cases
    }
    assert seen == cases
    # The single-object due date (the report page, the extension request).
    periods = {period.pk: period for period in ReportingPeriod.objects.filter(plan=plan)}
    assignments = Assignment.objects.in_bulk({pk for pk, _ in cases})
    for (pk, period_id), due in list(grid[2].items())[:: len(EXTENSIONS) - 1]:
        assert obligations.effective_due(assignments[pk], periods[period_id]) == due


def _reference(grid):
    """(key, (due date, the day the report reached the office or None)) for each case."""
    cases = grid[2]
    reports = {(r.assignment_id, r.period_id): r for r in ProgressReport.objects.filter(period__plan=grid[0])}
    for key, due in cases.items():
        report = reports.get(key)
        filed = report is not None and report.status in FILED_STATUSES
        yield key, (due, timezone.localdate(report.submitted_at) if filed else None)


def test_the_current_period_reading_agrees_too(settings, grid):
    """The workspace's and task page's reading (each plan's latest started period) on the last
    period created, with the due-soon window at 7 days."""
    settings.REMINDER_DUE_SOON_DAYS = 7
    plan, today, _ = grid
    current = ReportingPeriod.objects.get(plan=plan, label="own2")
    current.starts_on = current.ends_on = today - dt.timedelta(days=1)  # the latest started: the current one
    current.save(update_fields=["starts_on", "ends_on"])
    expected = {
        pk: (due, rules.traffic_light(due, submitted_on, today))
        for (pk, period_id), (due, submitted_on) in _reference(grid)
        if period_id == current.pk
    }
    rows = obligations.in_current_period(Assignment.objects.filter(pk__in=expected), today)
    got = {
        pk: (due_on, light) for pk, period_id, due_on, light in rows.values_list("pk", "period_id", "due_on", "light")
    }
    assert set(rows.values_list("period_id", flat=True)) == {current.pk}
    assert got == expected


def test_a_closed_task_shows_closed_and_a_cooperating_unit_not_asked_shows_nothing(suqian, period, coop_assignment):
    today = timezone.localdate()
    rows = obligations.in_current_period(Assignment.objects.filter(pk=coop_assignment.pk), today)
    assert rows.values_list("must_report", "light").get() == (False, None)
    coop_assignment.task.status = "closed"
    coop_assignment.task.save(update_fields=["status"])
    assert rows.values_list("light", flat=True).get() == Light.CLOSED


def test_the_to_do_list_is_every_outstanding_case_ordered_by_urgency(settings, grid):
    """``to_do`` (我的待办) on the grid: exactly the cases whose report has not reached the office,
    overdue (red) first, then due soon (yellow), then returned, then the rest, oldest due first in
    each; its overdue rows are ``overdue_reports``, the office's overdue list."""
    settings.REMINDER_DUE_SOON_DAYS = 3
    plan, today, _ = grid
    statuses = {(r.assignment_id, r.period_id): r.status for r in ProgressReport.objects.filter(period__plan=plan)}
    expected = {}
    for key, (due, submitted_on) in _reference(grid):
        if statuses.get(key) in FILED_STATUSES:
            continue
        light = rules.traffic_light(due, submitted_on, today)
        if light == Light.RED:
            urgency = obligations.OVERDUE
        elif light == Light.YELLOW:
            urgency = obligations.DUE_SOON
        elif statuses.get(key) == ReportStatus.RETURNED:
            urgency = obligations.RETURNED
        else:
            urgency = obligations.THIS_PERIOD
        expected[key] = (due, urgency)
    rows = obligations.to_do(Assignment.objects.filter(task__section__part__plan=plan), today)
    listed = [
        ((pk, period_id), (due_on, urgency))
        for pk, period_id, due_on, urgency in rows.values_list("pk", "period_id", "due_on", "urgency")
        if (pk, period_id) in grid[2]
    ]
    assert dict(listed) == expected and len(listed) == len(expected)
    assert {urgency for _, urgency in expected.values()} == set(obligations.URGENCY)
    order = [(urgency, due_on) for _, (due_on, urgency) in listed]
    assert order == sorted(order)
    overdue = {key for key, (_, urgency) in expected.items() if urgency == obligations.OVERDUE}
    assert {
        key for key in obligations.overdue_reports(today).values_list("pk", "period_id") if key in grid[2]
    } == overdue


def test_owed_by_gives_each_assignment_its_owed_periods_oldest_first(suqian, period, last_period, lead_assignment):
    today = timezone.localdate()
    owed = obligations.owed_by([lead_assignment.pk], today)
    assert [row.period_id for row in owed[lead_assignment.pk]] == [last_period.pk, period.pk]
    assert owed[lead_assignment.pk][0].urgency == obligations.OVERDUE
    lead_assignment.task.status = "closed"
    lead_assignment.task.save(update_fields=["status"])
    assert obligations.owed_by([lead_assignment.pk], today) == {}
