"""The agency's pages: 我的任务 and 签收, and the office's list of who has not acknowledged."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agencies.models import Agency
from core.pagination import paginate
from supervision import actions, rules
from supervision.views.common import back_to
from supervision.workspace import (
    WorkspaceFilter,
    awaiting_head,
    grouped,
    unacknowledged_by,
    with_owed,
    workspace_rows,
)
from tasklist.models import Assignment, TaskStatus


@login_required
def workspace(request):
    """我的任务: the agency's tasks across plans; each row opens the oldest report still owed (this
    period's when nothing is), its light the worst of this period's and every owed one's."""
    today = timezone.localdate()
    rows = workspace_rows(request.user, today)
    filterset = WorkspaceFilter(request.GET or None, queryset=rows, user=request.user, today=today)
    if filterset.is_bound and filterset.is_valid():
        rows = filterset.qs
    page = paginate(request, rows)
    for row in with_owed(page.object_list, today):
        row.past_deadline = rules.days_past_deadline(row.task.due_on, today, row.task.status == TaskStatus.CLOSED)
    return render(
        request,
        "supervision/workspace.html",
        {
            "filter": filterset,
            "page": page,
            "groups": grouped(page.object_list),
            # The counts are the whole list's, not the page's.
            "row_count": page.paginator.count,
            "past_deadline_count": _past_deadline_count(rows, today),
            "agencies": Agency.objects.filter(memberships__user=request.user),
            "awaiting_head": awaiting_head(request.user),
            "unacknowledged_count": unacknowledged_by(request.user).count(),
            "today": today,
        },
    )


def _past_deadline_count(rows, today: dt.date) -> int:
    """How many of the listed tasks are past their own deadline, over every page: three columns
    a row, judged by the one rule (rules.days_past_deadline)."""
    tasks = rows.order_by().values_list("task_id", "task__due_on", "task__status").distinct()
    return len(
        {pk for pk, due_on, status in tasks if rules.days_past_deadline(due_on, today, status == TaskStatus.CLOSED)}
    )


@require_POST
@login_required
def acknowledge(request, pk: int):
    assignment = get_object_or_404(Assignment.objects.held_by(request.user), pk=pk)
    try:
        actions.acknowledge(assignment, request.user)
    except actions.ActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Task acknowledged (签收)."))
    return redirect(back_to(request, reverse("supervision:workspace")))
