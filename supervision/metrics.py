"""Dashboard figures, each defined once as a filter over one annotated queryset (docs/metrics.md).

A number on the dashboard is ``count(rows(...).filter(<its definition>))`` and the list behind
it is ``rows(...).filter(<the same definition>)``: the two cannot disagree. The agency table is
one GROUP BY over the same rows, so its query count does not grow with agencies or reports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    FilteredRelation,
    Max,
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
# The states a report row can be in while its task is open (the chart's stacks).
REPORT_STATES = (ON_TIME, LATE, MISSING, PENDING)
# The dashboard's columns: name → the states of the rows it counts ("due": every state but "task
# closed"). A count is the sum of its states' counts; a list, the rows of those states.
MEASURE_STATES = {
    "due": REPORT_STATES,
    "submitted": (ON_TIME, LATE),
    ON_TIME: (ON_TIME,),
    LATE: (LATE,),
    MISSING: (MISSING,),
    PENDING: (PENDING,),
}
MEASURES = {name: Q(state__in=states) for name, states in MEASURE_STATES.items()}
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
    # The report and the extension are joined (LEFT JOIN … ON), not looked up row by row: the
    # state below reads them several times a row. At most one row joins: a report is unique per
    # (assignment, period); of several approved extensions, the latest decided is the one joined.
    approved = Extension.objects.filter(period=period, status=ExtensionStatus.APPROVED).order_by()
    latest = approved.filter(
        pk=Subquery(approved.filter(assignment=OuterRef("assignment")).order_by("-decided_at", "-pk").values("pk")[:1])
    ).values("pk")
    filed = Q(report_status__in=FILED_STATUSES)
    # Filed on or before the due day read in Asia/Shanghai; without an extension, that is before the
    # period's due day ends there: one comparison, no time-zone conversion of every row.
    zone = timezone.get_default_timezone()
    ends = timezone.make_aware(dt.datetime.combine(period.due_on + dt.timedelta(days=1), dt.time.min), zone)
    in_time = Q(due_extension__isnull=True, period_report__submitted_at__lt=ends) | Q(
        due_extension__isnull=False, submitted_on__lte=F("due_on")
    )
    return (
        Assignment.objects.filter(must_report(), task__section__part__plan=plan)
        .annotate(
            period_report=FilteredRelation("reports", condition=Q(reports__period=period)),
            due_extension=FilteredRelation("extensions", condition=Q(extensions__in=Subquery(latest))),
        )
        .annotate(
            report_status=F("period_report__status"),
            submitted_on=TruncDate("period_report__submitted_at", tzinfo=zone),
            due_on=Coalesce("due_extension__new_due_on", Value(period.due_on)),
        )
        .annotate(
            state=Case(
                When(task__status=TaskStatus.CLOSED, then=Value(CLOSED)),
                When(filed & in_time, then=Value(ON_TIME)),
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
    # Its assignments by role, which are tasks (an agency is named once a task): "lead" counts every
    # task it leads, alone or as one of several leads; summed over agencies it counts lead
    # assignments, not tasks with a lead.
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
    # Grouped by state, which the database then works out once a row (a count FILTERed by each
    # measure would work it out once a measure).
    shown: dict[int, dict[str, int]] = {}
    for agency_id, state, n in rows.values_list("agency_id", "state").annotate(n=Count("pk")).order_by():
        shown.setdefault(agency_id, {})[state] = n
    held = Assignment.objects.filter(task__section__part__plan=plan)
    last = ProgressReport.objects.filter(period__plan=plan, status__in=FILED_STATUSES)
    if filtered:  # only the agencies the filter kept: one agency's page reads its own rows
        held, last = held.filter(agency_id__in=list(shown)), last.filter(assignment__agency_id__in=list(shown))
    owning = Q(role__in=[AssignmentRole.LEAD, AssignmentRole.RESPONSIBLE])
    held = (
        held.values("agency_id", "agency__name", "agency__kind", "agency__sort_order")
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
    for agency_id, by_state in shown.items():
        for name, states in MEASURE_STATES.items():
            setattr(table[agency_id], name, sum(by_state.get(state, 0) for state in states))
    for agency_id, latest in last.values_list("assignment__agency_id").annotate(last=Max("submitted_at")).order_by():
        if agency_id in table:
            table[agency_id].last_report = latest
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
        return sum(self.by_state[state] for state in MEASURE_STATES[name])


def counts_by_state(rows: QuerySet[Assignment]) -> dict[str, int]:
    """state → rows in that state (states without a row left out), in one query."""
    return dict(rows.values_list("state").annotate(n=Count("pk")).order_by().values_list("state", "n"))


def plan_totals(rows: QuerySet[Assignment]) -> PlanTotals:
    """Totals over the report rows (all of the period's, or those a filter kept), in two queries."""
    by_state = counts_by_state(rows)
    tasks = rows.aggregate(
        total=Count("task_id", distinct=True),
        closed=Count("task_id", distinct=True, filter=Q(task__status=TaskStatus.CLOSED)),
        overdue=Count("task_id", distinct=True, filter=Q(state=MISSING)),
    )
    return PlanTotals(
        tasks=tasks["total"],
        closed=tasks["closed"],
        open=tasks["total"] - tasks["closed"],
        overdue=tasks["overdue"],
        by_state={state: by_state.get(state, 0) for state in STATES},
    )


def lights_by_part(rows: QuerySet[Assignment]) -> dict[tuple[int, str], dict[str, int]]:
    """(part number, title) → light → reports, in one query."""
    counts: dict[tuple[int, str], dict[str, int]] = {}
    grouped = (
        rows.values_list("task__section__part__number", "task__section__part__title", "light")
        .annotate(n=Count("pk"))
        .order_by()  # sorted here: an ORDER BY makes the database sort every row before grouping
    )
    for number, title, light, n in sorted(grouped):
        counts.setdefault((number, title), dict.fromkeys(LIGHTS, 0))[light] = n
    return counts


def on_time_rate(rows: QuerySet[Assignment]) -> float | None:
    """按期反馈率 over the rows: on time ÷ (on time + late + missing)."""
    by_state = counts_by_state(rows)
    on_time, late, missing = (by_state.get(state, 0) for state in (ON_TIME, LATE, MISSING))
    return rate(on_time, on_time + late + missing)


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
