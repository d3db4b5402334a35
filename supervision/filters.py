"""The filters (django-filter) of the dashboard, the lists behind its numbers, the review queue and
the overdue list, shared with their exports and the API: the URL carries them, so a filtered view
is a link to share."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, AgencyKind
from core.lights import Light
from supervision import obligations
from supervision.models import ProgressReport, ReportingPeriod, ReportStatus
from tasklist.models import Assignment, AssignmentRole, Part, Plan, Section

LIGHT_CHOICES = [(light.value, light.label) for light in Light]


class ReportRowFilter(django_filters.FilterSet):
    """Filters over metrics.report_rows (one row per assignment that must report in a period)."""

    part = django_filters.ModelChoiceFilter(
        field_name="task__section__part", queryset=Part.objects.none(), label=_("Part")
    )
    section = django_filters.ModelChoiceFilter(
        field_name="task__section", queryset=Section.objects.none(), label=_("Section")
    )
    agency = django_filters.ModelChoiceFilter(queryset=Agency.objects.none(), label=_("Agency"))
    kind = django_filters.ChoiceFilter(field_name="agency__kind", choices=AgencyKind.choices, label=_("Agency kind"))
    role = django_filters.ChoiceFilter(choices=AssignmentRole.choices, label=_("Role"))
    light = django_filters.ChoiceFilter(choices=LIGHT_CHOICES, label=_("Light"))
    q = django_filters.CharFilter(method="filter_text", label=_("Search"))

    def __init__(self, data=None, *args, plan, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.filters["part"].queryset = Part.objects.filter(plan=plan)
        self.filters["section"].queryset = Section.objects.filter(part__plan=plan).select_related("part")
        # A semi-join (IN): a join and DISTINCT over every assignment of the plan cost 4× as much.
        named = Assignment.objects.filter(task__section__part__plan=plan).values("agency_id")
        self.filters["agency"].queryset = Agency.objects.filter(pk__in=named)

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(task__content__icontains=value) | Q(agency__name__icontains=value) | Q(printed_name__icontains=value)
        )


def period_choices(plan):
    return ReportingPeriod.objects.filter(plan=plan).order_by("starts_on")


class ReviewFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ReportStatus.choices, label=gettext_lazy("Status"), empty_label=None)
    plan = django_filters.ModelChoiceFilter(
        field_name="period__plan", queryset=Plan.objects.all(), label=gettext_lazy("Plan")
    )
    agency = django_filters.ModelChoiceFilter(
        field_name="assignment__agency", queryset=Agency.objects.all(), label=gettext_lazy("Agency")
    )
    period = django_filters.ModelChoiceFilter(
        queryset=ReportingPeriod.objects.select_related("plan"), label=gettext_lazy("Reporting period")
    )

    class Meta:
        model = ProgressReport
        fields = ["status", "plan", "agency", "period"]


class OverdueFilter(django_filters.FilterSet):
    plan = django_filters.ModelChoiceFilter(
        field_name="task__section__part__plan", queryset=Plan.objects.all(), label=gettext_lazy("Plan")
    )
    agency = django_filters.ModelChoiceFilter(queryset=Agency.objects.all(), label=gettext_lazy("Agency"))
    role = django_filters.ChoiceFilter(choices=AssignmentRole.choices, label=gettext_lazy("Role"))

    class Meta:
        model = Assignment
        fields = ["plan", "agency", "role"]


def overdue_rows(request, today: dt.date):
    """The overdue list's rows, narrowed by the URL's filters, in the list's order; (filterset, rows).
    The page (supervision/views/queues.py) and its export (supervision/exports.py) both read them here."""
    rows = (
        obligations.overdue_reports(today)
        .select_related("agency", "task__section__part__plan")
        # pk and period last: a page boundary must fall in the same place on every request.
        .order_by("agency__sort_order", "agency__name", "due_on", "task__order", "pk", "period_id")
    )
    filterset = OverdueFilter(request.GET or None, queryset=rows)
    return filterset, (filterset.qs if filterset.is_bound and filterset.is_valid() else rows)


class AcknowledgementFilter(django_filters.FilterSet):
    """签收情况: who has not acknowledged, narrowed to a plan or an agency."""

    plan = django_filters.ModelChoiceFilter(
        field_name="task__section__part__plan", queryset=Plan.objects.all(), label=gettext_lazy("Plan")
    )
    agency = django_filters.ModelChoiceFilter(queryset=Agency.objects.all(), label=gettext_lazy("Agency"))

    class Meta:
        model = Assignment
        fields = ["plan", "agency"]
