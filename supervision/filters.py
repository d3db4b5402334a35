"""The dashboard's filters (django-filter), shared by the dashboard, the lists behind its
numbers and their exports: the URL carries them, so a filtered view is a link to share."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, AgencyKind
from supervision.models import ReportingPeriod
from supervision.rules import Light
from tasklist.models import Assignment, AssignmentRole, Part, Section

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
