"""The task page: reports, leader comments (批示), closing (办结), the trail; the office's decisions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import office_required
from accounts.roles import is_office
from audit.models import AuditEvent
from core.pagination import paginate
from supervision import access, actions, approvals, rules
from supervision.forms import ClosingForm, CommentForm, TaskEditForm, UnitFormSet
from supervision.models import (
    ClosingRequest,
    ClosingStatus,
    Extension,
    LeaderComment,
    ProgressReport,
    TaskTarget,
    UrgeNotice,
)
from supervision.views.common import decide_posted
from supervision.workspace import (
    with_current_report,
)
from tasklist.models import Assignment, Task, TaskStatus


@login_required
def task_detail(request, pk: int):
    task = get_object_or_404(Task.objects.visible_to(request.user).select_related("section__part__plan"), pk=pk)
    plan = task.section.part.plan
    today = timezone.localdate()
    assignments = list(
        with_current_report(task.assignments.with_compiling(), today).select_related("agency").order_by("order")
    )
    readable = set(Assignment.objects.reports_visible_to(request.user).filter(task=task).values_list("pk", flat=True))
    mine = set(Assignment.objects.held_by(request.user).filter(task=task).values_list("pk", flat=True))
    for row in assignments:
        row.readable = row.pk in readable
        row.mine = row.pk in mine
    reports = (
        ProgressReport.objects.visible_to(request.user)
        .filter(assignment__task=task)
        .select_related("assignment__agency", "period", "submitted_by")
        .order_by("-period__starts_on", "assignment__order")
    )
    closing_assignment = access.closing_assignment(request.user, task) if task.status == TaskStatus.OPEN else None
    closing_requests = list(task.closing_requests.select_related("assignment__agency", "requested_by", "decided_by"))
    for closing in closing_requests:
        closing.moves = approvals.available_transitions(request.user, closing)
    trail = (
        AuditEvent.objects.visible_to(request.user)
        .filter(task=task)
        .select_related("actor", "agency")
        .order_by("-at", "-pk")
    )
    trail = paginate(request, trail, param="trail_page")
    context = {
        "task": task,
        "past_deadline": rules.days_past_deadline(task.due_on, today, task.status == TaskStatus.CLOSED),
        "plan": plan,
        "assignments": assignments,
        "reports": reports,
        "comments": LeaderComment.objects.filter(task=task).select_related("author"),
        "comment_form": CommentForm() if access.can_comment(request.user) else None,
        "closing_requests": closing_requests,
        "pending_closing": next((c for c in closing_requests if c.status == ClosingStatus.PENDING), None),
        "closing_form": ClosingForm() if closing_assignment else None,
        "is_office": is_office(request.user),
        "trail": trail,
        "targets": TaskTarget.objects.filter(task=task),
        "urge_notices": UrgeNotice.objects.visible_to(request.user)
        .filter(tasks=task)
        .select_related("agency", "created_by"),
    }
    return render(request, "supervision/task_detail.html", context)


@require_POST
@login_required
def comment(request, pk: int):
    task = get_object_or_404(Task.objects.visible_to(request.user), pk=pk)
    form = CommentForm(request.POST)
    if not access.can_comment(request.user):
        raise PermissionDenied
    if form.is_valid():
        try:
            actions.comment_on_task(task, request.user, form.cleaned_data["body"])
        except actions.ActionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Comment posted; the agencies on this task are notified."))
    else:
        messages.error(request, _("The comment is empty."))
    return redirect("supervision:task", pk=task.pk)


@require_POST
@login_required
def apply_to_close(request, pk: int):
    task = get_object_or_404(Task.objects.visible_to(request.user), pk=pk)
    form = ClosingForm(request.POST)
    try:
        actions.apply_to_close(task, request.user, form.data.get("summary", ""))
    except actions.ActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Application to close sent to the supervising office."))
    return redirect("supervision:task", pk=task.pk)


# What the office decides at /closing/<pk>/decide/ and /extensions/<pk>/decide/: the model, and
# the page to go back to when the form names none.
DECIDED_BY_THE_OFFICE = {
    "closing": (ClosingRequest, lambda closing: reverse("supervision:task", args=[closing.task_id])),
    "extension": (Extension, lambda extension: reverse("supervision:extension_queue")),
}


@require_POST
@office_required
def decide(request, kind: str, pk: int):
    """The office approves or returns an application to close, approves or refuses an extension."""
    model, fallback = DECIDED_BY_THE_OFFICE[kind]
    obj = get_object_or_404(model.objects.visible_to(request.user), pk=pk)
    return decide_posted(request, obj, fallback(obj))


@office_required
def edit_task(request, pk: int):
    """The office corrects a task: its text, deadline and units (add, remove, change role)."""
    task = get_object_or_404(Task.objects.visible_to(request.user).select_related("section__part__plan"), pk=pk)
    assignments = list(task.assignments.select_related("agency").order_by("order", "pk"))
    initial_units = [{"assignment": a.pk, "agency": a.agency, "role": a.role} for a in assignments]
    if request.method == "POST":
        form = TaskEditForm(request.POST)
        units = UnitFormSet(request.POST, initial=initial_units, prefix="units")
        if form.is_valid() and units.is_valid():
            chosen = [
                actions.Unit(
                    agency_id=row["agency"].pk if row.get("agency") else 0,
                    role=row.get("role") or "",
                    pk=row.get("assignment"),
                    remove=bool(row.get("remove")),
                )
                for row in units.cleaned_data
                if row.get("agency") or row.get("assignment")
            ]
            try:
                actions.edit_task(
                    task,
                    request.user,
                    content=form.cleaned_data["content"],
                    deadline_text=form.cleaned_data["deadline_text"],
                    due_on=form.cleaned_data["due_on"],
                    units=chosen,
                )
            except actions.ActionError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Task saved; the change is in its trail."))
                return redirect("supervision:task", pk=task.pk)
    else:
        form = TaskEditForm(
            initial={"content": task.content, "deadline_text": task.deadline_text, "due_on": task.due_on}
        )
        units = UnitFormSet(initial=initial_units, prefix="units")
    return render(request, "supervision/task_edit.html", {"task": task, "form": form, "units": units})
