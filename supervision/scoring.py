"""考核: each agency's score under the plan's rule, over the periods up to the one chosen."""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.decorators import overseer_required
from accounts.roles import is_office
from supervision import actions, metrics, rules
from supervision.dashboard import period_of
from supervision.figures import is_all
from supervision.models import ReportingPeriod, ScoringRule
from tasklist.models import Plan


class ScoringForm(forms.ModelForm):
    class Meta:
        model = ScoringRule
        fields = ["enabled", "base", "missing_penalty", "late_penalty"]


@dataclass
class Score:
    name: str
    due: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0
    periods: list[str] = field(default_factory=list)
    score: object = None


def scores(plan: Plan, rule: ScoringRule, periods: list[ReportingPeriod]) -> list[Score]:
    """Sum each agency's figures over the periods (three queries a period), then apply the rule."""
    today = timezone.localdate()
    by_agency: dict[int, Score] = {}
    for period in periods:
        for row in metrics.agency_table(plan, period, today):
            if not row.due:
                continue
            entry = by_agency.setdefault(row.agency_id, Score(row.name))
            entry.due += row.due
            entry.on_time += row.on_time
            entry.late += row.late
            entry.missing += row.missing
    for entry in by_agency.values():
        entry.score = rules.score(rule.base, entry.missing, entry.late, rule.missing_penalty, rule.late_penalty)
    return sorted(by_agency.values(), key=lambda e: (-e.score, e.missing, e.late, e.name))


@overseer_required
def plan_scores(request, pk: int):
    plan = get_object_or_404(Plan.objects.visible_to(request.user), pk=pk)
    rule = ScoringRule.objects.filter(plan=plan).first()
    if request.method == "POST":
        if not is_office(request.user):
            raise PermissionDenied
        form = ScoringForm(request.POST, instance=rule or ScoringRule(plan=plan))
        if form.is_valid():
            try:
                actions.set_scoring(plan, request.user, form.cleaned_data)
            except actions.ActionError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Scoring rule saved."))
                return redirect(request.get_full_path())
    else:
        form = ScoringForm(instance=rule)
    today = timezone.localdate()
    period = period_of(plan, request, today)
    periods = []
    if period is not None:  # up to the one chosen; "all": every period started
        last = today if is_all(period) else period.starts_on
        periods = list(ReportingPeriod.objects.filter(plan=plan, starts_on__lte=last).order_by("starts_on"))
    table = scores(plan, rule, periods) if rule is not None and rule.enabled else []
    return render(
        request,
        "supervision/scores.html",
        {
            "plan": plan,
            "rule": rule,
            "form": form if is_office(request.user) else None,
            "period": period,
            "all_periods": ReportingPeriod.objects.filter(plan=plan).order_by("starts_on"),
            "periods": periods,
            "table": table,
        },
    )
