"""The agency workspace's rows: each assignment with this period's report state and light.

One annotated query; the filters (django-filter) work on the annotations, so the
page, its counts and any export built on the same filterset agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from supervision import obligations
from supervision.models import Acknowledgement, ReportStatus
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
        return queryset.filter(obligations.overdue(self.today)) if value else queryset

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
