"""The office's settings of a plan: its reporting cycle, and whether heads approve reports."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import office_required
from supervision import actions
from supervision.forms import CycleForm
from supervision.models import (
    ReportingCycle,
    ReportingPeriod,
)
from tasklist.models import Plan


@office_required
def plan_cycle(request, pk: int):
    """The office sets how often the plan's agencies report; the periods follow."""
    plan = get_object_or_404(Plan.objects.visible_to(request.user), pk=pk)
    cycle = ReportingCycle.objects.filter(plan=plan).first()
    if request.method == "POST":
        form = CycleForm(request.POST, instance=cycle or ReportingCycle(plan=plan))
        if form.is_valid():
            try:
                _cycle, counts = actions.set_cycle(plan, request.user, form.cleaned_data)
            except actions.ActionError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _(
                        "Cycle saved: %(added)d periods added, %(updated)d re-dated, %(kept)d unchanged, "
                        "%(removed)d removed, %(kept_with_reports)d kept as they were because reports were filed "
                        "for them."
                    )
                    % counts,
                )
                return redirect("supervision:plan_cycle", pk=plan.pk)
    else:
        today = timezone.localdate()
        default_start = (plan.issued_on or today).replace(day=1)
        form = CycleForm(
            instance=cycle,
            initial=None if cycle else {"starts_on": default_start, "ends_on": dt.date(today.year + 1, 12, 31)},
        )
    periods = ReportingPeriod.objects.filter(plan=plan).annotate(report_count=Count("reports")).order_by("starts_on")
    return render(request, "supervision/plan_cycle.html", {"plan": plan, "form": form, "periods": periods})


@require_POST
@office_required
def plan_head_approval(request, pk: int):
    plan = get_object_or_404(Plan.objects.visible_to(request.user), pk=pk)
    required = request.POST.get("head_approval_required") == "on"
    actions.set_head_approval(plan, request.user, required)
    messages.success(
        request,
        _("Reports now go to the agency head before the office.")
        if required
        else _("Reports now go straight to the office."),
    )
    return redirect("supervision:plan_cycle", pk=plan.pk)
