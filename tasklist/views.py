"""The plan browser: plans, a plan's tree, an agency's tasks. Scoped by visible_to()."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header

from accounts.roles import is_office
from agencies.models import Agency
from tasklist.exporters import export_plan_docx, export_plan_xlsx
from tasklist.models import Assignment, AssignmentRole, Part, Plan, PlanKind, Section, Task


@login_required
def plan_list(request):
    visible_tasks = Task.objects.visible_to(request.user)
    plans = (
        Plan.objects.visible_to(request.user)
        .annotate(
            task_count=Count(
                "parts__sections__tasks", filter=Q(parts__sections__tasks__in=visible_tasks), distinct=True
            ),
            agency_count=Count(
                "parts__sections__tasks__assignments__agency",
                filter=Q(parts__sections__tasks__in=visible_tasks),
                distinct=True,
            ),
        )
        .filter(kind=PlanKind.PLAN)  # 督办事项 are listed in their own register, not among the plans
        .order_by(*Plan._meta.ordering)
    )  # aggregation drops Meta.ordering
    item_count = Plan.objects.visible_to(request.user).filter(kind=PlanKind.ITEM).count()
    return render(request, "tasklist/plan_list.html", {"plans": plans, "item_count": item_count})


@login_required
def plan_detail(request, pk: int):
    plan = get_object_or_404(Plan.objects.visible_to(request.user), pk=pk)
    tasks = Task.objects.visible_to(request.user).order_by("order")
    parts = (
        Part.objects.filter(plan=plan)
        .order_by("number")
        .prefetch_related(
            Prefetch("sections", queryset=Section.objects.order_by("number")),
            Prefetch("sections__tasks", queryset=tasks),
            Prefetch(
                "sections__tasks__assignments",
                queryset=Assignment.objects.select_related("agency").order_by("order"),
            ),
        )
    )
    # Agencies the user may open: the others are named, not linked (their page would be a 404).
    linkable = set(Agency.objects.visible_to(request.user).values_list("pk", flat=True))
    return render(request, "tasklist/plan_detail.html", {"plan": plan, "parts": parts, "linkable": linkable})


EXPORTS = {
    "xlsx": (export_plan_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "docx": (export_plan_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
}


@login_required
def plan_export(request, pk: int, fmt: str):
    """The plan's table as Excel or Word, holding only the tasks the user may see."""
    plan = get_object_or_404(Plan.objects.visible_to(request.user), pk=pk)
    render_file, content_type = EXPORTS[fmt]
    response = HttpResponse(render_file(plan, user=request.user), content_type=content_type)
    filename = f"{plan.doc_number} {plan.title}"[:120] + f".{fmt}"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


@login_required
def agency_list(request):
    held = Assignment.objects.filter(agency=OuterRef("pk"))
    agencies = (
        Agency.objects.visible_to(request.user)
        .filter(Exists(held))
        .annotate(
            lead_count=Count("assignments", filter=Q(assignments__role=AssignmentRole.LEAD)),
            cooperating_count=Count("assignments", filter=Q(assignments__role=AssignmentRole.COOPERATING)),
            responsible_count=Count("assignments", filter=Q(assignments__role=AssignmentRole.RESPONSIBLE)),
        )
        .order_by(*Agency._meta.ordering)  # aggregation drops Meta.ordering
    )
    incomplete = Agency.objects.collectives_without_members().filter(Exists(held)) if is_office(request.user) else []
    return render(request, "tasklist/agency_list.html", {"agencies": agencies, "incomplete": incomplete})


@login_required
def agency_detail(request, pk: int):
    agency = get_object_or_404(Agency.objects.visible_to(request.user), pk=pk)
    assignments = (
        Assignment.objects.visible_to(request.user)
        .filter(agency=agency)
        .select_related("task__section__part__plan")
        .order_by(
            "task__section__part__plan__doc_number",
            "task__section__part__number",
            "task__section__number",
            "task__order",
        )
    )
    by_plan: dict[Plan, list[Assignment]] = {}
    for assignment in assignments:
        by_plan.setdefault(assignment.task.section.part.plan, []).append(assignment)
    context = {
        "agency": agency,
        "by_plan": by_plan,
        "members": agency.members.order_by(*Agency._meta.ordering) if agency.is_collective else [],
        "collectives": agency.collectives.order_by(*Agency._meta.ordering),
    }
    return render(request, "tasklist/agency_detail.html", context)
