"""The office's settings of a plan: its reporting cycle (the periods follow) and its scoring rule."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.models import Action
from audit.trail import record, snapshot
from supervision.cycles import generate_periods
from supervision.errors import ActionError, require_office
from supervision.models import ProgressReport, ReportingCycle, ReportingPeriod, ScoringRule
from tasklist.models import Plan


def _save_setting(model, plan, user, data: dict, fields: tuple[str, ...]):
    """The office saves one of the plan's settings (one row per plan): validated, saved; returns the
    row and its fields before. Two first saves at once queue on the plan's lock."""
    require_office(user)
    Plan.objects.select_for_update().filter(pk=plan.pk).first()
    setting = model.objects.filter(plan=plan).first() or model(plan=plan)
    before = snapshot(setting, fields) if setting.pk else {}
    for name in fields:
        setattr(setting, name, data[name])
    try:
        setting.full_clean()
    except ValidationError as error:
        raise ActionError(" ".join(error.messages)) from error
    setting.save()
    return setting, before


@transaction.atomic
def set_cycle(plan, user, data: dict) -> tuple[ReportingCycle, dict[str, int]]:
    """Save the plan's cycle and bring its periods in line with it: missing periods are added,
    others re-dated or removed, except periods reports were filed for, which stay as they are."""
    fields = ("kind", "due_rule", "due_value", "starts_on", "ends_on", "milestones", "cooperating_must_report")
    cycle, before = _save_setting(ReportingCycle, plan, user, data, fields)
    specs = generate_periods(
        cycle.kind, cycle.starts_on, cycle.ends_on, cycle.due_rule, cycle.due_value, cycle.milestone_dates()
    )
    existing = {p.starts_on: p for p in ReportingPeriod.objects.select_for_update().filter(plan=plan)}
    with_reports = set(
        ProgressReport.objects.filter(period__plan=plan).values_list("period__starts_on", flat=True).distinct()
    )
    counts = {"added": 0, "updated": 0, "kept": 0, "removed": 0, "kept_with_reports": 0}
    for spec in specs:
        period = existing.pop(spec.starts_on, None)
        if period is None:
            ReportingPeriod.objects.create(
                plan=plan, label=spec.label, starts_on=spec.starts_on, ends_on=spec.ends_on, due_on=spec.due_on
            )
            counts["added"] += 1
        elif spec.starts_on in with_reports:
            counts["kept_with_reports"] += 1  # reports were filed against its dates: they stay
        elif (period.label, period.ends_on, period.due_on) != (spec.label, spec.ends_on, spec.due_on):
            period.label, period.ends_on, period.due_on = spec.label, spec.ends_on, spec.due_on
            period.save()
            counts["updated"] += 1
        else:
            counts["kept"] += 1
    for starts_on, period in existing.items():  # periods the new cycle does not have
        if starts_on in with_reports:
            counts["kept_with_reports"] += 1
        else:
            period.delete()
            counts["removed"] += 1
    record(
        user, Action.CYCLE_SET, cycle, task=None, before=before, after={**snapshot(cycle, fields), "periods": counts}
    )
    return cycle, counts


@transaction.atomic
def set_scoring(plan, user, data: dict) -> ScoringRule:
    fields = ("enabled", "base", "missing_penalty", "late_penalty")
    rule, before = _save_setting(ScoringRule, plan, user, data, fields)
    record(user, Action.SCORING_SET, rule, task=None, before=before, after=snapshot(rule, fields))
    return rule


@transaction.atomic
def set_head_approval(plan, user, required: bool) -> Plan:
    """Whether an agency's reports on this plan go to its head before the office (负责人审核).
    Reports already with a head stay there until the head decides; only new submissions follow."""
    require_office(user)
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    before = snapshot(plan, ("head_approval_required",))
    if plan.head_approval_required != bool(required):
        plan.head_approval_required = bool(required)
        plan.save(update_fields=["head_approval_required", "updated_at"])
        record(
            user,
            Action.HEAD_APPROVAL_SET,
            plan,
            task=None,
            before=before,
            after=snapshot(plan, ("head_approval_required",)),
        )
    return plan
