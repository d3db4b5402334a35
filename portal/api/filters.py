"""The API's filtersets. Reports reuse the office's review filters (supervision.filters.ReviewFilter);
the figures reuse the dashboard's (supervision.filters.ReportRowFilter).

Every choice a filter accepts (a plan, a period, an agency, a task …) is drawn from what the user
may see, so another agency's id is refused exactly like an id that does not exist: 400, "not one
of the available choices", never an empty list that would confirm the id exists.
"""

from __future__ import annotations

import django_filters
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from agencies.models import Agency
from supervision.filters import ReviewFilter
from supervision.models import ReportingPeriod
from tasklist.models import Assignment, AssignmentRole, Part, Plan, Section, Task, TaskStatus


def _user(request):
    return getattr(request, "user", None) or AnonymousUser()


def visible_plans(request):
    return Plan.objects.visible_to(_user(request))


def visible_parts(request):
    return Part.objects.filter(plan__in=visible_plans(request))


def visible_sections(request):
    return Section.objects.filter(part__plan__in=visible_plans(request))


def visible_tasks(request):
    return Task.objects.visible_to(_user(request))


def named_agencies(request):
    """The agencies named on the tasks the user may see (staff see the other units on their tasks)."""
    return Agency.objects.filter(pk__in=Assignment.objects.visible_to(_user(request)).values("agency_id"))


def visible_periods(request):
    return ReportingPeriod.objects.visible_to(_user(request))


class PlanFilter(django_filters.FilterSet):
    jurisdiction = django_filters.CharFilter(label=_("Jurisdiction"))
    doc_number = django_filters.CharFilter(label=_("Document number"))
    q = django_filters.CharFilter(method="filter_text", label=_("Search in the title and document number"))

    class Meta:
        model = Plan
        fields = ["jurisdiction", "doc_number", "q"]

    def filter_text(self, queryset, name, value: str):
        value = value.strip()
        return queryset.filter(Q(title__icontains=value) | Q(doc_number__icontains=value)) if value else queryset


class TaskFilter(django_filters.FilterSet):
    plan = django_filters.ModelChoiceFilter(field_name="section__part__plan", queryset=visible_plans, label=_("Plan"))
    part = django_filters.ModelChoiceFilter(field_name="section__part", queryset=visible_parts, label=_("Part"))
    section = django_filters.ModelChoiceFilter(queryset=visible_sections, label=_("Section"))
    status = django_filters.ChoiceFilter(choices=TaskStatus.choices, label=_("Status"))
    agency = django_filters.ModelChoiceFilter(
        queryset=named_agencies, method="filter_agency", label=_("Agency named on the task")
    )
    role = django_filters.ChoiceFilter(
        choices=AssignmentRole.choices, method="filter_role", label=_("Role (of the agency, when one is given)")
    )
    q = django_filters.CharFilter(method="filter_text", label=_("Search in the content"))

    class Meta:
        model = Task
        fields = ["plan", "part", "section", "status", "agency", "role", "q"]

    # agency and role describe one assignment ("tasks agency X leads"): one EXISTS over both, not
    # two joins that would also match a task X cooperates on and someone else leads.
    @extend_schema_field(OpenApiTypes.INT)
    def filter_agency(self, queryset, name, value):
        held = {"agency": value}
        if role := self.form.cleaned_data.get("role"):
            held["role"] = role
        return queryset.filter(Exists(Assignment.objects.filter(task=OuterRef("pk"), **held)))

    def filter_role(self, queryset, name, value):
        if self.form.cleaned_data.get("agency"):
            return queryset  # applied with the agency
        return queryset.filter(Exists(Assignment.objects.filter(task=OuterRef("pk"), role=value)))

    def filter_text(self, queryset, name, value: str):
        value = value.strip()
        return queryset.filter(content__icontains=value) if value else queryset


class AssignmentFilter(django_filters.FilterSet):
    plan = django_filters.ModelChoiceFilter(
        field_name="task__section__part__plan", queryset=visible_plans, label=_("Plan")
    )
    task = django_filters.ModelChoiceFilter(queryset=visible_tasks, label=_("Task"))
    agency = django_filters.ModelChoiceFilter(queryset=named_agencies, label=_("Agency"))
    role = django_filters.ChoiceFilter(choices=AssignmentRole.choices, label=_("Role"))

    class Meta:
        model = Assignment
        fields = ["plan", "task", "agency", "role"]


class ReportFilter(ReviewFilter):
    """The office's review filters (status, plan, agency, period) and a few more, each choice
    drawn from what the user may see."""

    task = django_filters.ModelChoiceFilter(field_name="assignment__task", queryset=visible_tasks, label=_("Task"))
    role = django_filters.ChoiceFilter(field_name="assignment__role", choices=AssignmentRole.choices, label=_("Role"))
    submitted_after = django_filters.IsoDateTimeFilter(
        field_name="submitted_at", lookup_expr="gte", label=_("Submitted at or after (ISO 8601)")
    )
    updated_after = django_filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label=_("Changed at or after (ISO 8601)")
    )

    class Meta(ReviewFilter.Meta):
        fields = [*ReviewFilter.Meta.fields, "task", "role", "submitted_after", "updated_after"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["plan"].queryset = visible_plans(self.request)
        self.filters["agency"].queryset = named_agencies(self.request)
        self.filters["period"].queryset = visible_periods(self.request)
