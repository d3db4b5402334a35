"""督办事项: the office registers items from no plan; the register per year; an item's page, its
basis files and its two papers (通知单, 反馈单). Each item is a plan of one task: its reports,
review, reminders and closing are the task page's (docs/workflow.md, "Supervision items")."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.decorators import office_required, overseer_required
from accounts.roles import is_office, sees_everything
from agencies.models import Agency
from supervision import actions, attachments, item_documents
from supervision.exports import DOCX, download
from supervision.item_forms import ItemFilterForm, ItemForm
from supervision.models import ItemAttachment, ReportingCycle, ReportingPeriod, SupervisionItem
from tasklist.models import Assignment, AssignmentRole, Task, TaskStatus


def _visible_item(request, pk: int) -> SupervisionItem:
    return get_object_or_404(SupervisionItem.objects.visible_to(request.user).select_related("plan"), pk=pk)


def _with_tasks(items: list[SupervisionItem]) -> list[SupervisionItem]:
    """Each item with its one task (``item.task``) and its lead units' names (``item.leads``)."""
    tasks = {
        task.section.part.plan_id: task
        for task in Task.objects.filter(section__part__plan__in=[item.plan_id for item in items]).select_related(
            "section__part"
        )
    }
    leads: dict[int, list[str]] = {}
    for assignment in (
        Assignment.objects.filter(task__in=tasks.values(), role=AssignmentRole.LEAD)
        .select_related("agency")
        .order_by("order")
    ):
        leads.setdefault(assignment.task_id, []).append(assignment.display_name)
    for item in items:
        item.task = tasks.get(item.plan_id)
        item.leads = "、".join(leads.get(item.task.pk, [])) if item.task else ""
    return items


@overseer_required
def item_list(request):
    """督办事项登记簿: the items of a year (this year unless another is chosen), filtered by source,
    state and lead unit, with their counts."""
    today = timezone.localdate()
    everything = SupervisionItem.objects.visible_to(request.user)
    years = sorted(set(everything.values_list("year", flat=True)) | {today.year}, reverse=True)
    leads = Agency.objects.filter(
        Exists(
            Assignment.objects.filter(
                agency=OuterRef("pk"), role=AssignmentRole.LEAD, task__section__part__plan__item__isnull=False
            )
        )
    ).order_by("jurisdiction", "sort_order", "name")
    data = request.GET.copy() if request.GET else {"year": str(today.year)}
    form = ItemFilterForm(data, years=years, leads=leads)
    items = everything.select_related("plan", "registered_by")
    if form.is_valid():
        chosen = form.cleaned_data
        if chosen.get("year"):
            items = items.filter(year=chosen["year"])
        if chosen.get("source"):
            items = items.filter(source=chosen["source"])
        if chosen.get("state"):
            items = items.filter(plan__parts__sections__tasks__status=chosen["state"])
        if chosen.get("lead"):
            items = items.filter(
                plan__parts__sections__tasks__assignments__agency=chosen["lead"],
                plan__parts__sections__tasks__assignments__role=AssignmentRole.LEAD,
            )
    items = items.distinct()
    status = "plan__parts__sections__tasks__status"
    counts = items.aggregate(
        total=Count("pk", distinct=True),
        open=Count("pk", filter=Q(**{status: TaskStatus.OPEN}), distinct=True),
        closed=Count("pk", filter=Q(**{status: TaskStatus.CLOSED}), distinct=True),
        overdue=Count(
            "pk",
            filter=Q(**{status: TaskStatus.OPEN, "plan__parts__sections__tasks__due_on__lt": today}),
            distinct=True,
        ),
    )
    by_source = {row["source"]: row["n"] for row in items.order_by().values("source").annotate(n=Count("pk"))}
    sources = [(label, by_source.get(value, 0)) for value, label in SupervisionItem._meta.get_field("source").choices]
    context = {
        "form": form,
        "items": _with_tasks(list(items.order_by("-year", "-sequence"))),
        "counts": counts,
        "sources": sources,
        "today": today,
        "is_office": is_office(request.user),
    }
    return render(request, "supervision/item_list.html", context)


@office_required
def register_item(request):
    """立项: the office registers one item; its plan, task, units, cycle and periods follow."""
    if request.method == "POST":
        form = ItemForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                item = actions.register_item(request.user, form.item_data())
            except actions.ActionError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Registered as %(number)s.") % {"number": item.number})
                return redirect(item.get_absolute_url())
    else:
        form = ItemForm()
    return render(request, "supervision/item_register.html", {"form": form})


@login_required
def item_detail(request, pk: int):
    """The item: its number, source and basis, the task it is, its units and reporting; the papers."""
    item = _visible_item(request, pk)
    task = item_documents.item_task(item)
    context = {
        "item": item,
        "task": task,
        "leads": item_documents.units_of(task, AssignmentRole.LEAD),
        "cooperating": item_documents.units_of(task, AssignmentRole.COOPERATING),
        "deadline": item_documents.deadline_words(task),
        "requirement": item_documents.reporting_requirement(item),
        "cycle": ReportingCycle.objects.filter(plan=item.plan_id).first(),
        "periods": ReportingPeriod.objects.filter(plan=item.plan_id).order_by("starts_on"),
        "attachments": ItemAttachment.objects.visible_to(request.user).filter(item=item),
        "accepted": item_documents.accepted_reports(item, request.user).count(),
        "sees_everything": sees_everything(request.user),
    }
    return render(request, "supervision/item_detail.html", context)


@login_required
def item_attachment(request, pk: int):
    """A basis file, to whoever may see its item."""
    attachment = get_object_or_404(ItemAttachment.objects.visible_to(request.user), pk=pk)
    return attachments.serve(attachment)


@login_required
def item_notice(request, pk: int):
    """督办通知单 (.docx)."""
    item = _visible_item(request, pk)
    return download(item_documents.notice_document(item), DOCX, f"{item.number}督办通知单.docx")


@login_required
def item_feedback(request, pk: int):
    """办理情况反馈单 (.docx), from the accepted reports the user may read."""
    item = _visible_item(request, pk)
    return download(item_documents.feedback_document(item, request.user), DOCX, f"{item.number}办理情况反馈单.docx")
