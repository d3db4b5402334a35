"""Dashboard figures, each defined once as a filter over one annotated queryset (docs/metrics.md).

A number on the dashboard is ``count(rows(...).filter(<its definition>))`` and the list behind
it is ``rows(...).filter(<the same definition>)``: the two cannot disagree. The agency table is
one GROUP BY over the same rows, so its query count does not grow with agencies or reports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, CharField, Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supervision.models import (
    FILED_STATUSES,
    Extension,
    ExtensionStatus,
    ProgressReport,
    ReportingCycle,
    ReportingPeriod,
)
from tasklist.models import Assignment, AssignmentRole, Plan, Task, TaskStatus

# The state of one (assignment, period): exactly one of these.
ON_TIME, LATE, MISSING, PENDING, CLOSED = "on_time", "late", "missing", "pending", "closed"
STATES = {
    ON_TIME: _("Submitted on time"),
    LATE: _("Submitted late"),
    MISSING: _("Missing (overdue)"),
    PENDING: _("Not yet due"),
    CLOSED: _("Task closed"),
}
# The dashboard's columns: name → the rows it counts.
MEASURES = {
    "due": ~Q(state=CLOSED),
    "submitted": Q(state__in=[ON_TIME, LATE]),
    ON_TIME: Q(state=ON_TIME),
    LATE: Q(state=LATE),
    MISSING: Q(state=MISSING),
    PENDING: Q(state=PENDING),
}
MEASURE_LABELS = {
    "due": _("Reports due"),
    "submitted": _("Submitted"),
    ON_TIME: STATES[ON_TIME],
    LATE: STATES[LATE],
    MISSING: STATES[MISSING],
    PENDING: STATES[PENDING],
}


def must_report(plan: Plan) -> Q:
    """Lead and responsible units always report; cooperating units when the plan's cycle says so."""
    reporting = Q(role__in=[AssignmentRole.LEAD, AssignmentRole.RESPONSIBLE])
    try:
        cooperating_too = plan.cycle.cooperating_must_report
    except ReportingCycle.DoesNotExist:
        cooperating_too = False
    return reporting | Q(role=AssignmentRole.COOPERATING) if cooperating_too else reporting


def report_rows(plan: Plan, period: ReportingPeriod, today: dt.date) -> QuerySet[Assignment]:
    """One row per assignment that must report in ``period``, annotated with its report and ``state``.

    A report counts once it has reached the office (submitted or accepted); it is on time when it
    arrived on or before the due day in Asia/Shanghai, the due day being the period's or an
    approved extension's. A closed task owes nothing.
    """
    report = ProgressReport.objects.filter(assignment=OuterRef("pk"), period=period)
    extension = Extension.objects.filter(
        assignment=OuterRef("pk"), period=period, status=ExtensionStatus.APPROVED
    ).order_by("-decided_at", "-pk")
    filed = Q(report_status__in=FILED_STATUSES)
    return (
        Assignment.objects.filter(must_report(plan), task__section__part__plan=plan)
        .annotate(
            report_status=Subquery(report.values("status")[:1]),
            submitted_on=TruncDate(Subquery(report.values("submitted_at")[:1]), tzinfo=timezone.get_default_timezone()),
            due_on=Coalesce(Subquery(extension.values("new_due_on")[:1]), Value(period.due_on)),
        )
        .annotate(
            state=Case(
                When(task__status=TaskStatus.CLOSED, then=Value(CLOSED)),
                When(filed & Q(submitted_on__lte=F("due_on")), then=Value(ON_TIME)),
                When(filed, then=Value(LATE)),
                When(due_on__lt=today, then=Value(MISSING)),
                default=Value(PENDING),
                output_field=CharField(),
            )
        )
    )


def rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class AgencyFigures:
    agency_id: int
    name: str
    kind: str
    lead: int = 0
    cooperating: int = 0
    responsible: int = 0
    owned: int = 0  # tasks it leads or is responsible for: the base of its closing rate
    closed: int = 0
    due: int = 0
    submitted: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0
    pending: int = 0
    last_report: dt.datetime | None = None

    @property
    def on_time_rate(self) -> float | None:
        """按期反馈率: on time ÷ the reports whose due day has passed or that were filed."""
        return rate(self.on_time, self.on_time + self.late + self.missing)

    @property
    def closing_rate(self) -> float | None:
        """办结率: closed ÷ the tasks it leads or is responsible for (cooperating ones apart)."""
        return rate(self.closed, self.owned)


def agency_table(plan: Plan, period: ReportingPeriod, today: dt.date) -> list[AgencyFigures]:
    """One row per agency named on the plan, in three queries whatever the size."""
    owning = Q(role__in=[AssignmentRole.LEAD, AssignmentRole.RESPONSIBLE])
    held = (
        Assignment.objects.filter(task__section__part__plan=plan)
        .values("agency_id", "agency__name", "agency__kind", "agency__sort_order")
        .annotate(
            lead=Count("pk", filter=Q(role=AssignmentRole.LEAD)),
            cooperating=Count("pk", filter=Q(role=AssignmentRole.COOPERATING)),
            responsible=Count("pk", filter=Q(role=AssignmentRole.RESPONSIBLE)),
            owned=Count("pk", filter=owning),
            closed=Count("pk", filter=owning & Q(task__status=TaskStatus.CLOSED)),
        )
        .order_by("agency__sort_order", "agency__name")
    )
    rows = {
        h["agency_id"]: AgencyFigures(
            h["agency_id"],
            h["agency__name"],
            h["agency__kind"],
            **{k: h[k] for k in ("lead", "cooperating", "responsible", "owned", "closed")},
        )
        for h in held
    }
    counted = (
        report_rows(plan, period, today)
        .values("agency_id")
        .annotate(**{name: Count("pk", filter=q) for name, q in MEASURES.items()})
        .order_by()
    )
    for c in counted:
        for name in MEASURES:
            setattr(rows[c["agency_id"]], name, c[name])
    last = (
        ProgressReport.objects.filter(period__plan=plan, status__in=FILED_STATUSES)
        .values("assignment__agency_id")
        .annotate(last=Max("submitted_at"))
        .order_by()
    )
    for item in last:
        rows[item["assignment__agency_id"]].last_report = item["last"]
    return list(rows.values())


@dataclass
class PlanTotals:
    tasks: int
    closed: int
    open: int
    overdue: int  # open tasks with at least one missing report this period
    by_state: dict[str, int]

    def measure(self, name: str) -> int:
        """A dashboard column summed over the plan, from the counts per state."""
        if name == "due":
            return sum(n for state, n in self.by_state.items() if state != CLOSED)
        if name == "submitted":
            return self.by_state[ON_TIME] + self.by_state[LATE]
        return self.by_state[name]


def plan_totals(plan: Plan, period: ReportingPeriod, today: dt.date) -> PlanTotals:
    tasks = plan_tasks(plan)
    counts = tasks.aggregate(total=Count("pk"), closed=Count("pk", filter=Q(status=TaskStatus.CLOSED)))
    overdue = overdue_tasks(plan, period, today)
    by_state = dict(
        report_rows(plan, period, today)
        .values_list("state")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("state", "n")
    )
    return PlanTotals(
        tasks=counts["total"],
        closed=counts["closed"],
        open=counts["total"] - counts["closed"],
        overdue=overdue.count(),
        by_state={state: by_state.get(state, 0) for state in STATES},
    )


def plan_tasks(plan: Plan) -> QuerySet[Task]:
    return Task.objects.filter(section__part__plan=plan)


def overdue_tasks(plan: Plan, period: ReportingPeriod, today: dt.date):
    """The tasks behind the "overdue" total: open, with at least one missing report this period."""
    missing = report_rows(plan, period, today).filter(task=OuterRef("pk"), state=MISSING)
    return plan_tasks(plan).filter(Exists(missing))


def section_progress(plan: Plan) -> list[dict]:
    """Closed ÷ all tasks, per section, in the plan's order (one query)."""
    return list(
        plan_tasks(plan)
        .values("section__part__number", "section__part__title", "section__number", "section__title")
        .annotate(total=Count("pk"), closed=Count("pk", filter=Q(status=TaskStatus.CLOSED)))
        .order_by("section__part__number", "section__number")
    )
