"""Dashboard figures, each defined once as a filter over one annotated queryset (docs/metrics.md).

A number on the dashboard is ``count(rows(...).filter(<its definition>))`` and the list behind
it is ``rows(...).filter(<the same definition>)``: the two cannot disagree. The agency table is
one GROUP BY over the same rows, so its query count does not grow with agencies or reports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from core.lights import Light
from supervision import obligations
from supervision.models import FILED_STATUSES, ProgressReport, ReportingPeriod

# The states of one (assignment, period), defined with the obligation.
from supervision.obligations import LATE, MISSING, ON_TIME, PENDING, STATES
from tasklist.models import Assignment, AssignmentRole, Plan, Task, TaskStatus

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
    """One row per assignment that must report in ``period``, annotated with its report, ``state``
    and ``light`` by the one definition (supervision/obligations.py)."""
    return obligations.in_period(Assignment.objects.filter(task__section__part__plan=plan), period, today)


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


def agency_table(
    plan: Plan, period: ReportingPeriod | None, today: dt.date, rows=None, *, filtered: bool | None = None
) -> list[AgencyFigures]:
    """One row per agency named on the plan (or in ``rows``, when a filter narrowed them), in three
    queries whatever the size. ``rows`` defaults to every report row of the period; ``filtered``
    (default: ``rows`` given) says whether they were narrowed, and so list only their agencies."""
    filtered = rows is not None if filtered is None else filtered
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


def plan_totals(rows: QuerySet[Assignment], by_state: dict[str, int] | None = None) -> PlanTotals:
    """Totals over the report rows (all of the period's, or those a filter kept), in two queries (one
    given ``by_state``, the rows' :func:`counts_by_state`)."""
    by_state = counts_by_state(rows) if by_state is None else by_state
    tasks = rows.aggregate(
        total=Count("task_id", distinct=True),
        closed=Count("task_id", distinct=True, filter=Q(task__status=TaskStatus.CLOSED)),
        overdue=Count("task_id", distinct=True, filter=Q(state=MISSING, task__status=TaskStatus.OPEN)),
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
