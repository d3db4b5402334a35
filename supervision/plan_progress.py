"""The progress columns of the plan export: each task's latest report reaching the office and its
light, by the one obligation definition (supervision/obligations.py), so that the export shows what
the workspace and the dashboard show. Provided to the plan exporters (tasklist/exporters/cells.py)
when the app is ready."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, F, OuterRef
from django.utils.translation import gettext as _

from core.lights import Light, worst
from supervision import obligations
from supervision.models import FILED_STATUSES, ProgressReport, ReportingPeriod, ReportStatus
from tasklist.exporters.cells import SUMMARY_LENGTH, PartLines, TaskProgress, tasks_of
from tasklist.models import Assignment, Plan, TaskStatus


def load_progress(
    plan: Plan, outline: list[PartLines], today: dt.date, user: AbstractBaseUser | AnonymousUser | None = None
) -> dict[int, TaskProgress] | None:
    """Latest report and traffic light per task, in three queries; None when the plan has no filed report.

    Only reports that reached the office count (a draft or one waiting for its head is the
    agency's own), and of those only the ones ``user`` may read (None: all, as the command does).
    """
    readable = ProgressReport.objects.all() if user is None else ProgressReport.objects.visible_to(user)
    reports = list(
        readable.filter(period__plan=plan, status__in=FILED_STATUSES).values(
            "assignment_id",
            "period_id",
            "status",
            "work_done",
            "submitted_at",
            task_id=F("assignment__task_id"),
            compiles=Exists(Assignment.objects.compiling_leads().filter(pk=OuterRef("assignment_id"))),
            printed_name=F("assignment__printed_name"),
            agency_name=F("assignment__agency__name"),
            period_label=F("period__label"),
            period_starts_on=F("period__starts_on"),
        )
    )
    if not reports:
        return None
    latest: dict[int, dict] = {}
    for report in reports:
        task_id = report["task_id"]
        if task_id not in latest or _recency(report) > _recency(latest[task_id]):
            latest[task_id] = report
    lights = _task_lights(plan, today)
    return {task.id: _progress_of(latest.get(task.id), lights.get(task.id)) for task in tasks_of(outline)}


def _task_lights(plan: Plan, today: dt.date) -> dict[int, Light]:
    """The light of each open task in the current period (the latest that has started): the worst of
    its units that must report, each by the one definition (supervision/obligations.py), so that the
    export shows what the workspace and the dashboard show."""
    current = ReportingPeriod.objects.filter(plan=plan, starts_on__lte=today).order_by("-starts_on").first()
    if current is None:
        return {}
    rows = obligations.in_period(Assignment.objects.filter(task__section__part__plan=plan), current, today)
    lights: dict[int, list[Light]] = defaultdict(list)
    for task_id, light in rows.filter(task__status=TaskStatus.OPEN).values_list("task_id", "light"):
        lights[task_id].append(light)
    return {task_id: worst(task_lights) for task_id, task_lights in lights.items()}


def _progress_of(report: dict | None, light: Light | None) -> TaskProgress:
    if report is None:
        return TaskProgress(light=light)
    agency = report["printed_name"] or report["agency_name"]
    return TaskProgress(
        summary=_summary(report["period_label"], agency, report["work_done"]),
        report_status=str(ReportStatus(report["status"]).label),
        light=light,
    )


def _recency(report: dict) -> tuple:
    """Latest period first; within a period the compiling lead (the first listed) speaks for the task,
    then the latest filed."""
    return (report["period_starts_on"], report["compiles"], report["submitted_at"])


def _summary(period_label: str, agency: str, work_done: str) -> str:
    text = " ".join(work_done.split())
    if len(text) > SUMMARY_LENGTH:
        text = text[: SUMMARY_LENGTH - 1] + "…"
    return _("%(period)s, %(agency)s: %(summary)s") % {"period": period_label, "agency": agency, "summary": text}
