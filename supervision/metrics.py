"""Dashboard figures, each defined once as a filter over one annotated queryset (docs/metrics.md).

A number on the dashboard is ``count(rows(...).filter(<its definition>))`` and the list behind
it is ``rows(...).filter(<the same definition>)``: the two cannot disagree. The agency table is
one GROUP BY over the same rows, so its query count does not grow with agencies or reports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, CharField, Count, F, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supervision.models import (
    FILED_STATUSES,
    Extension,
    ExtensionStatus,
    ProgressReport,
    ReportingPeriod,
)
from supervision.rules import DUE_SOON_DAYS, Light
from supervision.workspace import must_report
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
# The states a report row can be in while its task is open (the chart's stacks).
REPORT_STATES = (ON_TIME, LATE, MISSING, PENDING)
LIGHTS = (Light.GREEN, Light.YELLOW, Light.RED, Light.CLOSED)
MEASURE_LABELS = {
    "due": _("Reports due"),
    "submitted": _("Submitted"),
    ON_TIME: STATES[ON_TIME],
    LATE: STATES[LATE],
    MISSING: STATES[MISSING],
    PENDING: STATES[PENDING],
    "on_time_rate": _("On-time rate"),
}


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
        Assignment.objects.filter(must_report(), task__section__part__plan=plan)
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
        .annotate(
            # 红黄绿灯 of the row, by the rule of supervision/rules.py, in SQL so that it can be filtered.
            light=Case(
                When(state=CLOSED, then=Value(Light.CLOSED.value)),
                When(state=MISSING, then=Value(Light.RED.value)),
                When(state=LATE, then=Value(Light.YELLOW.value)),
                When(
                    state=PENDING, due_on__lte=today + dt.timedelta(days=DUE_SOON_DAYS), then=Value(Light.YELLOW.value)
                ),
                default=Value(Light.GREEN.value),
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


def agency_table(plan: Plan, period: ReportingPeriod, today: dt.date, rows=None) -> list[AgencyFigures]:
    """One row per agency named on the plan (or in ``rows``, when a filter narrowed them), in three
    queries whatever the size. ``rows`` defaults to every report row of the period."""
    filtered = rows is not None
    rows = report_rows(plan, period, today) if rows is None else rows
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
    table = {
        h["agency_id"]: AgencyFigures(
            h["agency_id"],
            h["agency__name"],
            h["agency__kind"],
            **{k: h[k] for k in ("lead", "cooperating", "responsible", "owned", "closed")},
        )
        for h in held
    }
    counted = (
        rows.values("agency_id").annotate(**{name: Count("pk", filter=q) for name, q in MEASURES.items()}).order_by()
    )
    shown = {}
    for c in counted:
        figures = table[c["agency_id"]]
        for name in MEASURES:
            setattr(figures, name, c[name])
        shown[c["agency_id"]] = figures
    last = (
        ProgressReport.objects.filter(period__plan=plan, status__in=FILED_STATUSES)
        .values("assignment__agency_id")
        .annotate(last=Max("submitted_at"))
        .order_by()
    )
    for item in last:
        if item["assignment__agency_id"] in table:
            table[item["assignment__agency_id"]].last_report = item["last"]
    if filtered:
        return [figures for agency_id, figures in table.items() if agency_id in shown]
    return list(table.values())


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


def plan_totals(rows: QuerySet[Assignment]) -> PlanTotals:
    """Totals over the report rows (all of the period's, or those a filter kept)."""
    by_state = dict(rows.values_list("state").annotate(n=Count("pk")).order_by().values_list("state", "n"))
    tasks = Task.objects.filter(pk__in=rows.values("task_id"))
    counts = tasks.aggregate(total=Count("pk"), closed=Count("pk", filter=Q(status=TaskStatus.CLOSED)))
    return PlanTotals(
        tasks=counts["total"],
        closed=counts["closed"],
        open=counts["total"] - counts["closed"],
        overdue=tasks.filter(pk__in=rows.filter(state=MISSING).values("task_id")).count(),
        by_state={state: by_state.get(state, 0) for state in STATES},
    )


def lights_by_part(rows: QuerySet[Assignment]) -> dict[tuple[int, str], dict[str, int]]:
    """(part number, title) → light → reports, in one query."""
    counts: dict[tuple[int, str], dict[str, int]] = {}
    grouped = (
        rows.values("task__section__part__number", "task__section__part__title", "light")
        .annotate(n=Count("pk"))
        .order_by("task__section__part__number")
    )
    for item in grouped:
        key = (item["task__section__part__number"], item["task__section__part__title"])
        counts.setdefault(key, dict.fromkeys(LIGHTS, 0))[item["light"]] = item["n"]
    return counts


def on_time_rate(rows: QuerySet[Assignment]) -> float | None:
    """按期反馈率 over the rows: on time ÷ (on time + late + missing)."""
    counts = rows.aggregate(**{name: Count("pk", filter=MEASURES[name]) for name in (ON_TIME, LATE, MISSING)})
    return rate(counts[ON_TIME], counts[ON_TIME] + counts[LATE] + counts[MISSING])


def plan_tasks(plan: Plan) -> QuerySet[Task]:
    return Task.objects.filter(section__part__plan=plan)


def section_progress(plan: Plan) -> list[dict]:
    """Closed ÷ all tasks, per section, in the plan's order (one query)."""
    return list(
        plan_tasks(plan)
        .values("section__part__number", "section__part__title", "section__number", "section__title")
        .annotate(total=Count("pk"), closed=Count("pk", filter=Q(status=TaskStatus.CLOSED)))
        .order_by("section__part__number", "section__number")
    )
