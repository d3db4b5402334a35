"""The API's endpoints: read-only viewsets over the models' ``visible_to`` querysets, and one
plan's dashboard figures: supervision/figures.py, the dashboard page's own result, under its filters.

An id outside the caller's queryset is a 404 like an id that does not exist; a filter value that
is not valid (or names something the caller may not see) is a 400 naming the filter.
"""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.routers import APIRootView

from agencies.models import AgencyKind
from core.lights import Light
from portal.api import filters, serializers
from portal.api.permissions import SeesEverything
from portal.api.throttles import ThrottleBeforeRefusing
from supervision import figure_cache
from supervision.figures import UnknownPeriod, chosen_period, figures
from supervision.models import ProgressReport, ReportingPeriod
from tasklist.models import Assignment, AssignmentRole, Part, Plan, Section, Task

TREE_ORDER = ("section__part__plan_id", "section__part__number", "section__number", "order", "pk")


class RootView(ThrottleBeforeRefusing, APIRootView):
    """The list of endpoints (the router's root)."""


class SchemaView(ThrottleBeforeRefusing, SpectacularAPIView):
    """The OpenAPI schema."""


class ReadOnlyViewSet(ThrottleBeforeRefusing, viewsets.ReadOnlyModelViewSet):
    # Any path segment reaches the view, so that "/tasks/0.5/" is the API's JSON 404 (get_object
    # finds no such id), not the site's HTML "page not found".
    lookup_value_regex = "[^/]+"


@extend_schema_view(
    list=extend_schema(summary=_("Plans the caller may see")),
    retrieve=extend_schema(summary=_("One plan, with its parts, sections and reporting periods")),
)
class PlanViewSet(ReadOnlyViewSet):
    filterset_class = filters.PlanFilter

    def get_queryset(self):
        user = self.request.user
        if self.action == "figures":  # the plan alone, not its task count and periods
            return Plan.objects.visible_to(user)
        visible_tasks = Task.objects.visible_to(user)
        plans = (
            Plan.objects.visible_to(user)
            .annotate(
                task_count=Count(
                    "parts__sections__tasks", filter=Q(parts__sections__tasks__in=visible_tasks), distinct=True
                )
            )
            .prefetch_related(Prefetch("periods", queryset=ReportingPeriod.objects.order_by("starts_on")))
            .order_by(*Plan._meta.ordering, "pk")  # aggregation drops Meta.ordering
        )
        if self.action == "retrieve":
            plans = plans.prefetch_related(
                Prefetch("parts", queryset=Part.objects.order_by("number")),
                Prefetch("parts__sections", queryset=Section.objects.order_by("number")),
            )
        return plans

    def get_serializer_class(self):
        return serializers.PlanDetailSerializer if self.action == "retrieve" else serializers.PlanSerializer

    @extend_schema(
        summary=_("One plan's dashboard figures for one period (the office and leaders)"),
        description=_(
            "The same figures as the plan's dashboard page, under the same filters. Without `period`, "
            "the latest period whose due date has passed (the current one when none has); `period=all` "
            "counts every started period."
        ),
        parameters=[
            OpenApiParameter(
                "period", str, description=_("A reporting period of the plan (its id), or `all` for every period.")
            ),
            OpenApiParameter("part", OpenApiTypes.INT, description=_("A part of the plan.")),
            OpenApiParameter("section", OpenApiTypes.INT, description=_("A section of the plan.")),
            OpenApiParameter("agency", OpenApiTypes.INT, description=_("An agency named on the plan.")),
            OpenApiParameter("kind", str, enum=AgencyKind.values, description=_("Agency kind.")),
            OpenApiParameter("role", str, enum=AssignmentRole.values, description=_("The agency's role.")),
            OpenApiParameter("light", str, enum=[light.value for light in Light], description=_("Traffic light.")),
            OpenApiParameter("q", str, description=_("Search in the task, the agency and the printed name.")),
        ],
        responses=serializers.FiguresSerializer,
        filters=False,
    )
    @action(detail=True, permission_classes=[SeesEverything], filterset_class=None, pagination_class=None)
    def figures(self, request, pk=None):
        version, today = figure_cache.version(), timezone.localdate()  # before the plan and period are read
        plan = self.get_object()
        try:
            period = chosen_period(plan, request.query_params.get("period"), today)
        except UnknownPeriod:
            raise ValidationError({"period": [_("Not a reporting period of this plan.")]}) from None
        # Kept until the data under them changes, like the dashboard page's (supervision/figure_cache.py).
        scope = period.pk if period else None
        key = figure_cache.key(
            "api-figures", plan.pk, scope, version=version, today=today, query=request.GET.urlencode()
        )
        return Response(figure_cache.cached(key, lambda: self._figures(request, plan, period, today)))

    def _figures(self, request, plan: Plan, period, today) -> dict:
        if period is None:  # a plan without periods has no figures
            data = {"plan": plan, "period": None, "all_periods": False, "today": today, "filtered": False}
            return dict(
                serializers.FiguresSerializer({**data, "totals": None, "agencies": [], "lights_by_part": []}).data
            )
        result = figures(plan, period, request.query_params, today)
        if result.errors:
            raise ValidationError(result.errors)
        return dict(serializers.FiguresSerializer(serializers.figures_data(result)).data)


@extend_schema_view(
    list=extend_schema(summary=_("Tasks the caller may see")),
    retrieve=extend_schema(summary=_("One task, with the units named on it")),
)
class TaskViewSet(ReadOnlyViewSet):
    serializer_class = serializers.TaskSerializer
    filterset_class = filters.TaskFilter

    def get_queryset(self):
        return (
            Task.objects.visible_to(self.request.user)
            .select_related("section__part")
            .prefetch_related(
                Prefetch("assignments", queryset=Assignment.objects.select_related("agency").order_by("order", "pk"))
            )
            .order_by(*TREE_ORDER)
        )


@extend_schema_view(
    list=extend_schema(summary=_("Assignments (an agency named on a task, in a role) on the tasks the caller may see")),
    retrieve=extend_schema(summary=_("One assignment")),
)
class AssignmentViewSet(ReadOnlyViewSet):
    serializer_class = serializers.AssignmentSerializer
    filterset_class = filters.AssignmentFilter

    def get_queryset(self):
        return (
            Assignment.objects.visible_to(self.request.user)
            .select_related("agency", "task__section__part", "acknowledgement")
            .order_by(*(f"task__{field}" for field in TREE_ORDER), "order", "pk")
        )


@extend_schema_view(
    list=extend_schema(
        summary=_("Progress reports the caller may read"),
        description=_(
            "The office and leaders read the reports sent to the office (submitted, accepted); an agency "
            "its own in every state, and a lead unit those sent to the office by the other units on the "
            "tasks it leads. Drafts, reports waiting for the agency head and returned reports being "
            "revised are read by nobody outside the agency."
        ),
    ),
    retrieve=extend_schema(summary=_("One progress report")),
)
class ReportViewSet(ReadOnlyViewSet):
    serializer_class = serializers.ReportSerializer
    filterset_class = filters.ReportFilter

    def get_queryset(self):
        return (
            ProgressReport.objects.visible_to(self.request.user)
            .select_related("assignment__agency", "period")
            .order_by("period__plan_id", "period__starts_on", "assignment__task_id", "assignment__order", "pk")
        )
