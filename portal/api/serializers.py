"""What the API returns. Read-only: every field is output, nothing is accepted.

Lists read their related rows through the viewsets' select_related / prefetch_related, so a
page of 500 costs the same few queries as a page of 5.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agencies.models import Agency, AgencyKind
from core.lights import Light
from supervision import metrics
from supervision.models import ProgressReport, ReportingPeriod
from tasklist.models import Assignment, Part, Plan, Section, Task


class PeriodSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportingPeriod
        fields = ["id", "label", "starts_on", "ends_on", "due_on"]


class SectionSerializer(serializers.ModelSerializer):
    label = serializers.CharField(
        source="printed_label", help_text=_("（一）, （二）… as printed; empty for a plan printed without sections.")
    )

    class Meta:
        model = Section
        fields = ["id", "number", "label", "title"]


class PartSerializer(serializers.ModelSerializer):
    label = serializers.CharField(
        source="printed_label", help_text=_("一、二、… as printed; empty for a plan printed without parts.")
    )

    class Meta:
        model = Part
        fields = ["id", "number", "label", "title"]


class PartTreeSerializer(PartSerializer):
    sections = SectionSerializer(many=True)

    class Meta(PartSerializer.Meta):
        fields = [*PartSerializer.Meta.fields, "sections"]


class PlanSerializer(serializers.ModelSerializer):
    task_count = serializers.IntegerField(help_text=_("Tasks of the plan the caller may see."))
    periods = PeriodSerializer(many=True, help_text=_("Its reporting periods, oldest first."))

    class Meta:
        model = Plan
        fields = [
            "id",
            "doc_number",
            "title",
            "issuer",
            "issued_on",
            "jurisdiction",
            "assignment_note",
            "head_approval_required",
            "task_count",
            "periods",
            "updated_at",
        ]


class PlanDetailSerializer(PlanSerializer):
    parts = PartTreeSerializer(many=True, help_text=_("The plan's parts and their sections, in print order."))

    class Meta(PlanSerializer.Meta):
        fields = [*PlanSerializer.Meta.fields, "parts"]


class AgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "name", "full_name", "jurisdiction", "kind"]


class TaskAssignmentSerializer(serializers.ModelSerializer):
    agency = AgencySerializer()

    class Meta:
        model = Assignment
        fields = ["id", "agency", "role", "order", "printed_name"]


class TaskSerializer(serializers.ModelSerializer):
    plan = serializers.IntegerField(source="section.part.plan_id", help_text=_("The plan's id."))
    part = PartSerializer(source="section.part")
    section = SectionSerializer()
    assignments = TaskAssignmentSerializer(many=True, help_text=_("The units named on the task, in print order."))

    class Meta:
        model = Task
        fields = [
            "id",
            "plan",
            "part",
            "section",
            "number",
            "order",
            "content",
            "status",
            "deadline_text",
            "due_on",
            "assignments",
        ]


class AssignmentSerializer(serializers.ModelSerializer):
    plan = serializers.IntegerField(source="task.section.part.plan_id", help_text=_("The plan's id."))
    task_number = serializers.IntegerField(source="task.number", allow_null=True, help_text=_("As printed."))
    agency = AgencySerializer()
    acknowledged_at = serializers.SerializerMethodField(help_text=_("When the agency acknowledged (签收) the task."))

    class Meta:
        model = Assignment
        fields = ["id", "plan", "task", "task_number", "agency", "role", "order", "printed_name", "acknowledged_at"]

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_acknowledged_at(self, assignment: Assignment):
        acknowledgement = getattr(assignment, "acknowledgement", None)
        if acknowledgement is None:
            return None
        return serializers.DateTimeField().to_representation(acknowledgement.acknowledged_at)


class ReportSerializer(serializers.ModelSerializer):
    plan = serializers.IntegerField(source="period.plan_id", help_text=_("The plan's id."))
    task = serializers.IntegerField(source="assignment.task_id", help_text=_("The task's id."))
    agency = AgencySerializer(source="assignment.agency")
    role = serializers.CharField(source="assignment.role", help_text=_("The agency's role on the task."))
    period = PeriodSerializer()
    figures = serializers.DictField(
        child=serializers.CharField(),
        help_text=_("Values against the task's quantitative targets: {target id: value}."),
    )

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "plan",
            "task",
            "assignment",
            "agency",
            "role",
            "period",
            "status",
            "work_done",
            "next_steps",
            "problems",
            "percent_complete",
            "stage",
            "figures",
            "no_change",
            "submitted_at",
            "reviewed_at",
            "return_reason",
            "version",
            "updated_at",
        ]


# ---------------------------------------------------------------------------
# Dashboard figures (supervision/metrics.py; docs/metrics.md)
# ---------------------------------------------------------------------------


class StateCountsSerializer(serializers.Serializer):
    """Report rows per state (metrics.STATES)."""

    on_time = serializers.IntegerField()
    late = serializers.IntegerField()
    missing = serializers.IntegerField()
    pending = serializers.IntegerField()
    closed = serializers.IntegerField()


class MeasuresSerializer(serializers.Serializer):
    """The dashboard's columns (metrics.MEASURE_STATES): each the sum of its states."""

    due = serializers.IntegerField()
    submitted = serializers.IntegerField()
    on_time = serializers.IntegerField()
    late = serializers.IntegerField()
    missing = serializers.IntegerField()
    pending = serializers.IntegerField()


class TotalsSerializer(serializers.Serializer):
    tasks = serializers.IntegerField(help_text=_("Tasks with a report row in the period (under the filters)."))
    closed = serializers.IntegerField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField(help_text=_("Open tasks with at least one missing report."))
    by_state = StateCountsSerializer()
    measures = MeasuresSerializer()
    on_time_rate = serializers.FloatField(allow_null=True, help_text=_("按期反馈率 in percent; null with nothing due."))


class AgencyFiguresSerializer(serializers.Serializer):
    agency_id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=AgencyKind.choices)
    lead = serializers.IntegerField()
    cooperating = serializers.IntegerField()
    responsible = serializers.IntegerField()
    owned = serializers.IntegerField(help_text=_("Tasks it leads or is responsible for: the base of its closing rate."))
    closed = serializers.IntegerField()
    due = serializers.IntegerField()
    submitted = serializers.IntegerField()
    on_time = serializers.IntegerField()
    late = serializers.IntegerField()
    missing = serializers.IntegerField()
    pending = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True, help_text=_("按期反馈率 in percent."))
    closing_rate = serializers.FloatField(allow_null=True, help_text=_("办结率 in percent."))
    last_report = serializers.DateTimeField(allow_null=True)


class PartLightsSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    green = serializers.IntegerField()
    yellow = serializers.IntegerField()
    red = serializers.IntegerField()
    closed = serializers.IntegerField()


class PlanRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Plan
        fields = ["id", "doc_number", "title"]


class FiguresSerializer(serializers.Serializer):
    """One plan's dashboard for one period, under the dashboard's filters."""

    plan = PlanRefSerializer()
    period = PeriodSerializer(
        allow_null=True, help_text=_("Null while the plan has no reporting period, and for all periods.")
    )
    all_periods = serializers.BooleanField(help_text=_("Whether the figures count every started period."))
    today = serializers.DateField(help_text=_("The day the figures were worked out for (Asia/Shanghai)."))
    filtered = serializers.BooleanField(help_text=_("Whether a filter narrowed the rows (agencies: only those kept)."))
    totals = TotalsSerializer(allow_null=True)
    agencies = AgencyFiguresSerializer(many=True)
    lights_by_part = PartLightsSerializer(many=True)


def totals_data(totals: metrics.PlanTotals, on_time_rate: float | None) -> dict:
    return {
        "tasks": totals.tasks,
        "closed": totals.closed,
        "open": totals.open,
        "overdue": totals.overdue,
        "by_state": totals.by_state,
        "measures": {name: totals.measure(name) for name in metrics.MEASURE_STATES},
        "on_time_rate": on_time_rate,
    }


def figures_data(result) -> dict:
    """A ``supervision.figures.Figures`` as :class:`FiguresSerializer` reads it."""
    return {
        "plan": result.plan,
        "period": None if result.all_periods else result.period,
        "all_periods": result.all_periods,
        "today": result.today,
        "filtered": result.filtered,
        "totals": totals_data(result.totals, result.on_time_rate),
        "agencies": result.table,
        "lights_by_part": lights_data(result.lights),
    }


def lights_data(lights: dict[tuple[int, str], dict[str, int]]) -> list[dict]:
    return [
        {"number": number, "title": title, **{Light(light).value: n for light, n in counts.items()}}
        for (number, title), counts in lights.items()
    ]
