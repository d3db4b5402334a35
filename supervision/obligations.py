"""The report obligation, defined once: who owes a report, by when, in which state, with which light.

Every page, reminder, figure and export reads these annotations (docs/architecture.md, "one home for each
rule"); ``supervision.rules.traffic_light`` is the same light for one object in pure Python, and
``tests/supervision/test_obligations.py`` holds the two to agreement. The annotations, whichever period they
are read for:

``must_report``
    the assignment owes a report (lead and responsible units always, cooperating units when the
    plan's reporting cycle says so);
``period_id``, ``period_label``, ``period_due_on``
    the period, and its own due date;
``due_on``
    the due date that counts: the latest approved extension's for this assignment and period, or
    the period's;
``report_status``, ``report_submitted_at``, ``submitted_on``
    the assignment's report in the period (NULL without one); the day it reached the office, in
    the portal's time zone;
``state``
    exactly one of :data:`STATES` (docs/metrics.md); a draft, a report with the agency head and a
    returned one have not reached the office (``report_status`` tells them apart);
``light``
    the :class:`~core.lights.Light` (NULL where nothing is due: no period yet, or a
    cooperating unit the plan does not ask to report that has filed nothing).

"Due soon" is ``settings.REMINDER_DUE_SOON_DAYS``, the same days as the "due soon" e-mail.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.lights import Light
from supervision.models import (
    FILED_STATUSES,
    ClosingRequest,
    ClosingStatus,
    Extension,
    ExtensionStatus,
    ProgressReport,
    ReportingCycle,
    ReportingPeriod,
    ReportStatus,
    sent_to_office,
)
from tasklist.models import Assignment, AssignmentRole, TaskStatus

PLAN = "task__section__part__plan"

# The state of one (assignment, period): exactly one of these.
ON_TIME, LATE, MISSING, PENDING, CLOSED = "on_time", "late", "missing", "pending", "closed"
STATES = {
    ON_TIME: _("Submitted on time"),
    LATE: _("Submitted late"),
    MISSING: _("Missing (overdue)"),
    PENDING: _("Not yet due"),
    CLOSED: _("Task closed"),
}


def due_soon_days() -> int:
    """Days before the due date from which an outstanding report is "due soon": yellow, and e-mailed."""
    return settings.REMINDER_DUE_SOON_DAYS


def must_report() -> Q:
    """Who owes a report: lead units (every one, where a task names several) and responsible units
    always; cooperating units where the plan's reporting cycle says so."""
    cooperating_too = ReportingCycle.objects.filter(plan=OuterRef(PLAN), cooperating_must_report=True)
    return Q(role__in=[AssignmentRole.LEAD, AssignmentRole.RESPONSIBLE]) | (
        Q(role=AssignmentRole.COOPERATING) & Exists(cooperating_too)
    )


def outstanding() -> Q:
    """No report has reached the office (``report_status`` is NULL without a report)."""
    return Q(report_status__isnull=True) | ~Q(report_status__in=FILED_STATUSES)


def overdue(today: dt.date) -> Q:
    """Owed, on an open task, past its due date and not filed."""
    return Q(must_report=True, task__status=TaskStatus.OPEN, due_on__lt=today) & outstanding()


def approved_extensions() -> QuerySet[Extension]:
    """Approved extensions, the one that counts first: the latest decided."""
    return Extension.objects.filter(status=ExtensionStatus.APPROVED).order_by("-decided_at", "-pk")


def effective_due(assignment: Assignment, period: ReportingPeriod) -> dt.date:
    """``due_on`` of one (assignment, period), for the pages and actions that hold the two objects."""
    extended = approved_extensions().filter(assignment=assignment, period=period)
    return extended.values_list("new_due_on", flat=True).first() or period.due_on


def missed_before_closing() -> Q:
    """A closed task's report that was already overdue on the day the task was closed (办结 approved):
    it stays missed (docs/metrics.md, "What closing removes"). A task closed without an approved
    closing request has no closing day: nothing of it reads as missed."""
    approved = ClosingRequest.objects.filter(task=OuterRef("task"), status=ClosingStatus.APPROVED).order_by(
        "-decided_at"
    )
    closed_on = approved.annotate(day=TruncDate("decided_at", tzinfo=timezone.get_default_timezone())).values("day")
    return Q(task__status=TaskStatus.CLOSED, due_on__lt=Subquery(closed_on[:1]))


class LightField(CharField):
    """The ``light`` annotation, read back as a :class:`Light` (its label is what the pages print)."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else Light(value)


def _state_and_light(rows: QuerySet[Assignment], today: dt.date, in_time: Q | None = None) -> QuerySet[Assignment]:
    """``state`` and ``light`` from the annotations every reading below provides; ``in_time`` may
    replace "filed on or before the due day" by a cheaper equivalent."""
    filed = Q(report_status__in=FILED_STATUSES)
    in_time = Q(submitted_on__lte=F("due_on")) if in_time is None else in_time
    rows = rows.annotate(
        state=Case(
            # Closing removes what is not yet owed, never history: a filed report stays filed, and
            # one overdue when the task was closed stays missed.
            When(filed & in_time, then=Value(ON_TIME)),
            When(filed, then=Value(LATE)),
            When(missed_before_closing(), then=Value(MISSING)),
            When(task__status=TaskStatus.CLOSED, then=Value(CLOSED)),
            When(due_on__lt=today, then=Value(MISSING)),
            default=Value(PENDING),
            output_field=CharField(),
        )
    )
    # 红黄绿灯, by the rule of rules.traffic_light, in SQL so that it can be filtered and counted.
    soon = today + dt.timedelta(days=due_soon_days())
    return rows.annotate(
        light=Case(
            When(task__status=TaskStatus.CLOSED, then=Value(Light.CLOSED.value)),
            When(Q(due_on__isnull=True) | (Q(must_report=False) & outstanding()), then=Value(None)),
            When(state=MISSING, then=Value(Light.RED.value)),
            When(state=LATE, then=Value(Light.YELLOW.value)),
            When(state=PENDING, due_on__lte=soon, then=Value(Light.YELLOW.value)),
            default=Value(Light.GREEN.value),
            output_field=LightField(),
        )
    )


def _owes() -> Case:
    return Case(When(must_report(), then=Value(True)), default=Value(False), output_field=BooleanField())


def in_period(assignments: QuerySet[Assignment], period: ReportingPeriod, today: dt.date) -> QuerySet[Assignment]:
    """The assignments that must report in ``period`` (one plan's), annotated (module docstring).

    The report and the extension are joined (LEFT JOIN … ON), not looked up row by row: the state
    reads them several times a row. At most one row joins: a report is unique per (assignment,
    period); of several approved extensions, the latest decided is the one joined.
    """
    approved = approved_extensions().filter(period=period)
    latest = (
        approved.order_by()
        .filter(pk=Subquery(approved.filter(assignment=OuterRef("assignment")).values("pk")[:1]))
        .values("pk")
    )
    # Filed on or before the due day read in the portal's time zone; without an extension, that is
    # before the period's due day ends there: one comparison, no time-zone conversion of every row.
    zone = timezone.get_default_timezone()
    ends = timezone.make_aware(dt.datetime.combine(period.due_on + dt.timedelta(days=1), dt.time.min), zone)
    in_time = Q(due_extension__isnull=True, period_report__submitted_at__lt=ends) | Q(
        due_extension__isnull=False, submitted_on__lte=F("due_on")
    )
    rows = (
        assignments.filter(must_report())
        .annotate(
            period_report=FilteredRelation("reports", condition=Q(reports__period=period)),
            due_extension=FilteredRelation("extensions", condition=Q(extensions__in=Subquery(latest))),
        )
        .annotate(
            must_report=Value(True),
            period_id=Value(period.pk),
            period_label=Value(period.label),
            period_due_on=Value(period.due_on),
            report_status=F("period_report__status"),
            report_submitted_at=F("period_report__submitted_at"),
            submitted_on=TruncDate("period_report__submitted_at", tzinfo=zone),
            due_on=Coalesce("due_extension__new_due_on", Value(period.due_on)),
        )
    )
    return _state_and_light(rows, today, in_time)


def _per_row_period(rows: QuerySet[Assignment], today: dt.date, owes=None) -> QuerySet[Assignment]:
    """The annotations for a ``period_id`` and ``period_due_on`` each row already has; ``owes``
    replaces the ``must_report`` test for rows already narrowed to it."""
    # Unordered: a report is unique per (assignment, period), and the model's ordering would join
    # its period and plan into every row's lookup.
    report = ProgressReport.objects.filter(assignment=OuterRef("pk"), period=OuterRef("period_id")).order_by()
    extended = approved_extensions().filter(assignment=OuterRef("pk"), period=OuterRef("period_id"))
    rows = rows.annotate(
        due_on=Coalesce(Subquery(extended.values("new_due_on")[:1]), F("period_due_on")),
        report_status=Subquery(report.values("status")[:1]),
        report_submitted_at=Subquery(report.values("submitted_at")[:1]),
        must_report=_owes() if owes is None else owes,
    ).annotate(submitted_on=TruncDate("report_submitted_at", tzinfo=timezone.get_default_timezone()))
    return _state_and_light(rows, today)


def in_current_period(assignments: QuerySet[Assignment], today: dt.date) -> QuerySet[Assignment]:
    """Every assignment, in its plan's current period (the latest started; none yet: NULLs),
    annotated (module docstring): the workspace and the task page."""
    current = ReportingPeriod.objects.filter(plan=OuterRef(PLAN), starts_on__lte=today).order_by("-starts_on")
    rows = assignments.annotate(
        period_id=Subquery(current.values("pk")[:1]),
        period_label=Subquery(current.values("label")[:1]),
        period_due_on=Subquery(current.values("due_on")[:1]),
    )
    return _per_row_period(rows, today)


def in_started_periods(
    today: dt.date, *, due_from: dt.date | None = None, due_until: dt.date | None = None, closed_too: bool = False
) -> QuerySet[Assignment]:
    """Assignments × every started period of their plan, for the assignments that must report on
    open tasks, annotated (module docstring): the reminders and the overdue list.

    ``due_from`` / ``due_until`` bound the period's own due date (an extension only moves it later);
    ``closed_too`` keeps closed tasks (the dashboards' "all periods": their history still counts).
    """
    window = Q(period_starts_on__lte=today)
    if due_from is not None:
        window &= Q(period_due_on__gte=due_from)
    if due_until is not None:
        window &= Q(period_due_on__lte=due_until)
    rows = (
        Assignment.objects.filter(must_report(), *([] if closed_too else [Q(task__status=TaskStatus.OPEN)]))
        .annotate(
            period_id=F(f"{PLAN}__periods__pk"),
            period_starts_on=F(f"{PLAN}__periods__starts_on"),
            period_due_on=F(f"{PLAN}__periods__due_on"),
            period_label=F(f"{PLAN}__periods__label"),
        )
        .filter(window)
    )
    return _per_row_period(rows, today, owes=Value(True))


def outstanding_reports(
    today: dt.date, *, due_from: dt.date | None = None, due_until: dt.date | None = None
) -> QuerySet[Assignment]:
    """The (assignment, started period) pairs whose report must be filed and has not reached the office.

    The same rows as ``outstanding()``, asked as one NOT EXISTS: the daily sweep reads every pair."""
    filed = ProgressReport.objects.filter(sent_to_office(), assignment=OuterRef("pk"), period=OuterRef("period_id"))
    return in_started_periods(today, due_from=due_from, due_until=due_until).exclude(Exists(filed))


def overdue_reports(today: dt.date) -> QuerySet[Assignment]:
    """The outstanding reports past their due date (the one that counts): the office's overdue list,
    the liaison's to-do list and the workspace's "overdue only" all read these rows."""
    return outstanding_reports(today).filter(due_on__lt=today)


def owes_overdue(today: dt.date) -> Exists:
    """An assignment (the outer row) owes at least one overdue report, in any started period."""
    return Exists(overdue_reports(today).filter(pk=OuterRef("pk")))


# The to-do list's groups, in the order a liaison works through them.
OVERDUE, DUE_SOON, RETURNED, THIS_PERIOD = 0, 1, 2, 3
URGENCY = {
    OVERDUE: _("Overdue"),
    DUE_SOON: _("Due soon"),
    RETURNED: _("Returned: to revise"),
    THIS_PERIOD: _("To report"),
}


def to_do(assignments: QuerySet[Assignment], today: dt.date) -> QuerySet[Assignment]:
    """Every report ``assignments`` owe, across plans and started periods: one row per (assignment,
    period) whose report has not reached the office (``outstanding_reports``: a draft, one with the
    agency head and a returned one included; a closed task owes nothing), annotated (module
    docstring) and with ``urgency``: :data:`OVERDUE` (red), :data:`DUE_SOON` (yellow), a report
    :data:`RETURNED` to revise, then the rest (:data:`THIS_PERIOD`); ordered so, oldest due first."""
    rows = outstanding_reports(today).filter(pk__in=assignments.values("pk"))
    rows = rows.annotate(
        urgency=Case(
            When(light=Light.RED.value, then=Value(OVERDUE)),
            When(light=Light.YELLOW.value, then=Value(DUE_SOON)),
            When(report_status=ReportStatus.RETURNED, then=Value(RETURNED)),
            default=Value(THIS_PERIOD),
            output_field=IntegerField(),
        )
    )
    return rows.order_by(
        "urgency",
        "due_on",
        "period_starts_on",
        f"{PLAN}__issued_on",
        f"{PLAN}_id",
        "task__section__part__number",
        "task__section__number",
        "task__order",
        "agency__sort_order",
        "pk",
        "period_id",
    )


def owed_by(assignment_ids, today: dt.date) -> dict[int, list[Assignment]]:
    """Assignment id → the rows of :func:`to_do` it owes (oldest due first within each urgency), for
    the few assignments a page shows: one query."""
    owed: dict[int, list[Assignment]] = {}
    rows = to_do(Assignment.objects.filter(pk__in=list(assignment_ids)), today)
    for row in rows.order_by("due_on", "period_starts_on", "period_id"):
        owed.setdefault(row.pk, []).append(row)
    return owed
