"""The progress report of one assignment in one period: the form, review, attachments, extensions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supervision import access, actions, attachments
from supervision.forms import ExtensionForm, ReportForm
from supervision.models import (
    Attachment,
    ProgressReport,
    ReportingPeriod,
    ReportStatus,
)
from supervision.views.common import decide_posted
from supervision.views.report_page import ReportPage
from tasklist.models import Assignment


def _report_page_objects(request, assignment_pk: int, period_pk: int):
    assignment = get_object_or_404(
        Assignment.objects.reports_visible_to(request.user).select_related("agency", "task__section__part__plan"),
        pk=assignment_pk,
    )
    period = get_object_or_404(ReportingPeriod.objects.filter(plan=assignment.task.section.part.plan_id), pk=period_pk)
    # Another agency's draft is not visible: the page then reads "not filed yet".
    report = ProgressReport.objects.visible_to(request.user).filter(assignment=assignment, period=period).first()
    return assignment, period, report


def _pulled_text(form_data, report: ProgressReport) -> str:
    current = (form_data.get("work_done") or "").rstrip()
    addition = f"【{report.assignment.agency.name}】{report.work_done.strip()}"
    if addition in current:
        return current
    return f"{current}\n{addition}".strip()


@login_required
def report(request, assignment_pk: int, period_pk: int):
    assignment, period, report = _report_page_objects(request, assignment_pk, period_pk)
    page = ReportPage.of(request.user, assignment, period, report)
    may_file, editable, previous, targets, cooperating = (
        page.may_file,
        page.editable,
        page.previous,
        page.targets,
        page.cooperating,
    )
    version = report.version if report is not None else 0

    if request.method == "POST":
        if not editable:
            if not may_file:
                raise PermissionDenied
            # A second click (or tab) arriving after the first submission: say who sent it, and when.
            reason = actions.not_editable_reason(report) if report is not None else None
            messages.error(request, reason or _("This report cannot be changed now."))
            return redirect(request.path)
        data = request.POST.copy()
        if "pull" in data:
            pulled = next((r for r in cooperating if str(r.pk) == data["pull"]), None)
            if pulled is None:
                raise Http404
            data["work_done"] = _pulled_text(data, pulled)
        form = ReportForm(data, request.FILES, instance=report or ProgressReport(), targets=targets)
        try:
            if "unchanged" in data:
                # The version is checked as the normal form's is: a missing or forged one is stale.
                actions.submit_unchanged(
                    assignment=assignment, period=period, user=request.user, version=form.opened_version()
                )
                messages.success(request, _("Submitted as unchanged since the last period."))
                return redirect(request.path)
            if form.is_valid():
                kwargs = {
                    "assignment": assignment,
                    "period": period,
                    "user": request.user,
                    "data": form.report_data(),
                    "version": form.cleaned_data["version"],
                    "files": form.cleaned_data["attachments"],
                }
                if "submit" in data:
                    saved = actions.submit_report(**kwargs)
                    if saved.status == ReportStatus.HEAD_REVIEW:
                        messages.success(request, _("Submitted to your agency head for approval."))
                    else:
                        messages.success(request, _("Report submitted to the supervising office."))
                else:
                    actions.save_report(**kwargs)
                    messages.success(request, _("Draft saved."))
                return redirect(request.path)
        except actions.StaleReport as error:
            messages.error(request, str(error))
            # Read again: a report the refused call had just created went with its rollback.
            report = (
                ProgressReport.objects.visible_to(request.user).filter(assignment=assignment, period=period).first()
            )
            # The user's text stays in the form; the version moves on, so saving again is deliberate.
            data["version"] = str(report.version if report is not None else 0)
            form = ReportForm(data, instance=report or ProgressReport(), targets=targets)
            form.is_valid()
        except actions.ActionError as error:
            messages.error(request, str(error))
            mine = ProgressReport.objects.visible_to(request.user)
            report = mine.filter(assignment=assignment, period=period).first()
            if report is not None and not report.is_editable:
                return redirect(request.path)
    elif editable:
        initial = {"version": version}
        if report is None and previous is not None:
            # 减负: the new period starts from the last report, never from a blank page.
            initial.update(
                {
                    name: getattr(previous, name)
                    for name in ("work_done", "next_steps", "problems", "percent_complete", "stage")
                }
            )
        form = ReportForm(
            instance=report or ProgressReport(figures=previous.figures if previous else {}),
            initial=initial,
            targets=targets,
        )
    else:
        form = None

    if report is not page.report:  # read again after a refused save
        page = ReportPage.of(request.user, assignment, period, report)
    return render(request, "supervision/report.html", page.context(request.user, form if page.editable else None))


@require_POST
@login_required
def review_report(request, pk: int):
    """Office: accept or return; agency head: approve or return before the office sees it."""
    report = get_object_or_404(ProgressReport.objects.visible_to(request.user).select_related("assignment"), pk=pk)
    return decide_posted(request, report, report.get_absolute_url())


@login_required
def attachment(request, pk: int):
    item = get_object_or_404(Attachment.objects.visible_to(request.user), pk=pk)
    return attachments.serve(item)


@require_POST
@login_required
def remove_attachment(request, pk: int):
    item = get_object_or_404(Attachment.objects.visible_to(request.user).select_related("report"), pk=pk)
    target = item.report.get_absolute_url()
    try:
        actions.remove_attachment(item, request.user)
    except actions.ActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Attachment removed."))
    return redirect(target)


@require_POST
@login_required
def request_extension(request, assignment_pk: int, period_pk: int):
    assignment, period, _report = _report_page_objects(request, assignment_pk, period_pk)
    if not access.can_file(request.user, assignment):
        raise PermissionDenied
    form = ExtensionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a new date and a reason."))
    else:
        try:
            actions.request_extension(
                assignment=assignment,
                period=period,
                user=request.user,
                reason=form.cleaned_data["reason"],
                new_due_on=form.cleaned_data["new_due_on"],
            )
        except actions.ActionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Extension requested; the supervising office decides."))
    return redirect("supervision:report", assignment_pk=assignment.pk, period_pk=period.pk)
