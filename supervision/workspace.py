"""The agency workspace's rows: each assignment with this period's report state and light.

One annotated query; the filters (django-filter) work on the annotations, so the
page, its counts and any export built on the same filterset agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import django_filters
from django.db.models import BooleanField, Case, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supervision.models import (
    FILED_STATUSES,
    Acknowledgement,
    Extension,
    ExtensionStatus,
    ProgressReport,
    ReportingCycle,
    ReportingPeriod,
    ReportStatus,
)
from supervision.rules import Light, traffic_light
from tasklist.models import Assignment, AssignmentRole, Plan, TaskStatus

NOT_STARTED = "none"


def must_report() -> Q:
    """Who owes a report: lead units (every one, where a task names several) and responsible units
    always; cooperating units where the plan's reporting cycle says so. The one definition, for the
    workspace, reminders and dashboards."""
    cooperating_too = ReportingCycle.objects.filter(
        plan=OuterRef("task__section__part__plan"), cooperating_must_report=True
    )
    return Q(role__in=[AssignmentRole.LEAD, AssignmentRole.RESPONSIBLE]) | (
        Q(role=AssignmentRole.COOPERATING) & Exists(cooperating_too)
    )


def with_current_report(assignments: QuerySet[Assignment], today: dt.date) -> QuerySet[Assignment]:
    """Annotate each assignment with its plan's current period and its report in that period."""
    current = ReportingPeriod.objects.filter(plan=OuterRef("task__section__part__plan"), starts_on__lte=today).order_by(
        "-starts_on"
    )
    report = ProgressReport.objects.filter(assignment=OuterRef("pk"), period=OuterRef("period_id"))
    extended = Extension.objects.filter(
        assignment=OuterRef("pk"), period=OuterRef("period_id"), status=ExtensionStatus.APPROVED
    ).order_by("-decided_at", "-pk")
    return assignments.annotate(
        period_id=Subquery(current.values("pk")[:1]),
        period_label=Subquery(current.values("label")[:1]),
        # The due date that counts: the period's, or an approved extension's for this assignment.
        period_due_on=Coalesce(Subquery(extended.values("new_due_on")[:1]), Subquery(current.values("due_on")[:1])),
        report_status=Subquery(report.values("status")[:1]),
        report_submitted_at=Subquery(report.values("submitted_at")[:1]),
        acknowledged=Exists(Acknowledgement.objects.filter(assignment=OuterRef("pk"))),
        must_report=Case(When(must_report(), then=Value(True)), default=Value(False), output_field=BooleanField()),
    )


def outstanding() -> Q:
    """No report has reached the office for the current period (the annotation is NULL with no report)."""
    return Q(report_status__isnull=True) | ~Q(report_status__in=FILED_STATUSES)


def overdue(today: dt.date) -> Q:
    return Q(must_report=True, task__status=TaskStatus.OPEN, period_due_on__lt=today) & outstanding()


def light_of(row: Assignment, today: dt.date) -> Light | None:
    if row.task.status == TaskStatus.CLOSED:
        return Light.CLOSED
    filed = row.report_status in FILED_STATUSES
    if row.period_due_on is None or not (row.must_report or filed):
        return None  # nothing due: a cooperating unit the plan does not ask to report
    submitted_on = timezone.localdate(row.report_submitted_at) if filed and row.report_submitted_at else None
    return traffic_light(row.period_due_on, submitted_on, today)


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
        return queryset.filter(overdue(self.today)) if value else queryset

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


def outstanding_reports(today: dt.date, *, due_from: dt.date | None = None, due_until: dt.date | None = None):
    """Assignments × started periods whose report must be filed and has not reached the office,
    annotated with ``period_id`` and the effective ``due_on`` (an approved extension counts).

    Lead and responsible units always report; cooperating units where the plan's cycle says so.
    ``due_from`` / ``due_until`` bound the period's own due date (an extension only moves it later).
    """
    plan = "task__section__part__plan"
    latest_extension = Extension.objects.filter(
        assignment=OuterRef("pk"), period=OuterRef("period_id"), status=ExtensionStatus.APPROVED
    ).order_by("-decided_at", "-pk")
    filed = ProgressReport.objects.filter(
        assignment=OuterRef("pk"), period=OuterRef("period_id"), status__in=FILED_STATUSES
    )
    window = Q(period_starts_on__lte=today)
    if due_from is not None:
        window &= Q(period_due_on__gte=due_from)
    if due_until is not None:
        window &= Q(period_due_on__lte=due_until)
    return (
        Assignment.objects.filter(must_report(), task__status=TaskStatus.OPEN)
        .annotate(
            period_id=F(f"{plan}__periods__pk"),
            period_starts_on=F(f"{plan}__periods__starts_on"),
            period_due_on=F(f"{plan}__periods__due_on"),
            period_label=F(f"{plan}__periods__label"),
        )
        .filter(window)
        .annotate(due_on=Coalesce(Subquery(latest_extension.values("new_due_on")[:1]), F("period_due_on")))
        .exclude(Exists(filed))
    )
