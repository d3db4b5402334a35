"""The agency workspace's rows: each assignment with this period's report state and light, and
what it still owes from earlier periods.

One annotated query; the filters (django-filter) work on the annotations, so the
page, its counts and any export built on the same filterset agree. The owed periods of a page's
rows are one more query (``with_owed``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import django_filters
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from agencies.actors import actor_of
from core.lights import worst
from supervision import obligations
from supervision.models import Acknowledgement, ProgressReport, ReportStatus
from tasklist.models import Assignment, AssignmentRole, Plan, TaskStatus

NOT_STARTED = "none"


def with_current_report(assignments: QuerySet[Assignment], today: dt.date) -> QuerySet[Assignment]:
    """Each assignment in its plan's current period, with its report, due date, state and light
    (supervision/obligations.py), and whether it was acknowledged."""
    return obligations.in_current_period(assignments, today).annotate(
        acknowledged=Exists(Acknowledgement.objects.filter(assignment=OuterRef("pk")))
    )


REPORT_STATE_CHOICES = [(NOT_STARTED, _("Not started")), *ReportStatus.choices]


class WorkspaceFilter(django_filters.FilterSet):
    plan = django_filters.ModelChoiceFilter(
        field_name="task__section__part__plan", queryset=Plan.objects.none(), label=_("Plan")
    )
    role = django_filters.ChoiceFilter(choices=AssignmentRole.choices, label=_("Role"))
    state = django_filters.ChoiceFilter(choices=REPORT_STATE_CHOICES, method="filter_state", label=_("Report state"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue only"))
    q = django_filters.CharFilter(method="filter_text", label=_("Search"))

    class Meta:
        model = Assignment
        fields = ["plan", "role", "state", "overdue", "q"]

    def __init__(self, *args, user, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.filters["plan"].queryset = Plan.objects.visible_to(user)
        # A checkbox, not a yes/no/unknown select.
        self.filters["overdue"].field.widget = django_filters.widgets.forms.CheckboxInput()

    def filter_state(self, queryset, name, value):
        if value == NOT_STARTED:
            return queryset.filter(report_status__isnull=True)
        return queryset.filter(report_status=value)

    def filter_overdue(self, queryset, name, value):
        # Overdue in any started period, not only the current one: an August report still owed in
        # December makes the task overdue (the office's overdue list reads the same rows).
        return queryset.filter(obligations.owes_overdue(self.today)) if value else queryset

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(task__content__icontains=value)
            | Q(task__section__title__icontains=value)
            | Q(task__section__part__plan__title__icontains=value)
        )


@dataclass
class SectionGroup:
    section: object
    rows: list


@dataclass
class PlanGroup:
    plan: Plan
    parts: dict  # Part → list[SectionGroup]


def grouped(rows: list[Assignment]) -> list[PlanGroup]:
    """Plan → part → section, in the plans' own order; rows arrive sorted that way."""
    plans: dict[int, PlanGroup] = {}
    for row in rows:
        section = row.task.section
        part = section.part
        group = plans.setdefault(part.plan_id, PlanGroup(part.plan, {}))
        sections = group.parts.setdefault(part, [])
        if not sections or sections[-1].section.pk != section.pk:
            sections.append(SectionGroup(section, []))
        sections[-1].rows.append(row)
    return list(plans.values())


def workspace_rows(user, today: dt.date) -> QuerySet[Assignment]:
    return (
        with_current_report(Assignment.objects.held_by(user).with_compiling(), today)
        .select_related("agency", "task__section__part__plan")
        .order_by(
            "task__section__part__plan__issued_on",
            "task__section__part__plan_id",
            "task__section__part__number",
            "task__section__number",
            "task__order",
            "agency__sort_order",
        )
    )


def unacknowledged() -> QuerySet[Assignment]:
    """Assignments on open tasks nobody at the agency has acknowledged yet."""
    return Assignment.objects.filter(acknowledgement__isnull=True, task__status=TaskStatus.OPEN)


def unacknowledged_by(user) -> QuerySet[Assignment]:
    """The tasks of the user's agencies still to acknowledge: the workspace's 签收 all."""
    return unacknowledged().filter(pk__in=Assignment.objects.held_by(user).values("pk"))


def with_owed(rows: list[Assignment], today: dt.date) -> list[Assignment]:
    """Give each row of a page what it owes across periods (obligations.to_do): ``owed`` (oldest due
    first), ``overdue_count``, ``open_period`` (the period its report link opens: the oldest owed,
    or the current one when nothing is owed), with its ``open_label``, ``open_due_on`` and
    ``open_status``, and ``task_light``: the worst of the current period's light and the owed ones'."""
    owed = obligations.owed_by((row.pk for row in rows), today)
    for row in rows:
        row.owed = owed.get(row.pk, [])
        row.overdue_count = sum(1 for item in row.owed if item.urgency == obligations.OVERDUE)
        first = row.owed[0] if row.owed else None
        if first is not None:
            row.open_period, row.open_label, row.open_due_on = first.period_id, first.period_label, first.due_on
            row.open_status = first.report_status
        else:
            row.open_period, row.open_label, row.open_due_on = row.period_id, row.period_label, row.due_on
            row.open_status = row.report_status
        row.open_overdue_days = (today - row.open_due_on).days if first is not None and first.due_on < today else 0
        row.task_light = worst([light for light in [row.light, *(item.light for item in row.owed)] if light])
    return rows


def awaiting_head(user) -> QuerySet[ProgressReport]:
    """The reports waiting for this user's approval as head of their agency, oldest due first."""
    return (
        ProgressReport.objects.filter(
            assignment__agency__in=actor_of(user).headed_agency_ids, status=ReportStatus.HEAD_REVIEW
        )
        .select_related("assignment__agency", "assignment__task__section__part", "period", "submitted_by")
        .order_by("period__due_on", "pk")
    )


def todo_rows(user, today):
    """The to-do list's rows (obligations.to_do) for the agencies ``user`` works for."""
    return obligations.to_do(Assignment.objects.held_by(user), today).select_related(
        "agency", "task__section__part__plan"
    )


def todo_counts(user, today) -> dict[str, int]:
    """How many reports the list holds, and how many are overdue, due soon and returned: one query,
    kept on the user object for the request (the page and the menu's badge both print them)."""
    cached = getattr(user, "_portal_todo_counts", None)
    if cached is not None and cached[0] == today:
        return cached[1]
    counts = (
        obligations.to_do(Assignment.objects.held_by(user), today)
        .order_by()
        .aggregate(
            total=Count("pk"),
            overdue=Count("pk", filter=Q(urgency=obligations.OVERDUE)),
            due_soon=Count("pk", filter=Q(urgency=obligations.DUE_SOON)),
            # Every report to revise, overdue or not: the tile says how many wait for a second try.
            returned=Count("pk", filter=Q(report_status=ReportStatus.RETURNED)),
        )
    )
    user._portal_todo_counts = (today, counts)
    return counts
