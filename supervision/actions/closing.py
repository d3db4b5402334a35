"""Closing a task (办结): the lead applies, the office decides (supervision.approvals)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import Action
from audit.trail import record, snapshot
from supervision import approvals
from supervision.access import closing_assignment
from supervision.errors import ActionError, local_time, name_of, require
from supervision.models import ClosingRequest, ClosingStatus, NotificationKind
from supervision.notices import notify, office_users
from tasklist.models import Task, TaskStatus


@transaction.atomic
def apply_to_close(task: Task, user, summary: str) -> ClosingRequest:
    task = Task.objects.select_for_update().get(pk=task.pk)
    require(task.status == TaskStatus.OPEN, _("This task is already closed."))
    assignment = closing_assignment(user, task)
    if assignment is None:
        compiling = task.compiling_lead
        if compiling is not None:
            raise ActionError(
                _("Only %(agency)s, the lead unit listed first (汇总单位), applies to close this task.")
                % {"agency": compiling.display_name}
            )
        raise ActionError(
            _("Only the lead unit (or a responsible unit, where there is no lead) applies to close a task.")
        )
    summary = (summary or "").strip()
    require(bool(summary), _("Write the closing report: what was achieved and the evidence."))
    pending = task.closing_requests.filter(status=ClosingStatus.PENDING).select_related("requested_by").first()
    if pending is not None:
        raise ActionError(
            _("%(who)s already applied to close this task at %(when)s; the office has not decided yet.")
            % {"who": name_of(pending.requested_by), "when": local_time(pending.requested_at)}
        )
    try:
        with transaction.atomic():
            request = ClosingRequest.objects.create(
                task=task, assignment=assignment, summary=summary, requested_by=user, requested_at=timezone.now()
            )
    except IntegrityError as error:  # the partial unique index, should a lock ever be bypassed
        raise ActionError(_("An application to close this task is already waiting for the office.")) from error
    record(
        user,
        Action.CLOSING_APPLY,
        request,
        task=task,
        agency_id=assignment.agency_id,
        after=snapshot(request, ("status", "summary")),
    )
    notify(office_users(), NotificationKind.CLOSING_REQUESTED, actor=user, task=task, note=summary)
    return request


def approve_closing(request: ClosingRequest, user) -> ClosingRequest:
    """办结: the task leaves the reporting cycle."""
    return approvals.decide(request, user, "approve")


def return_closing(request: ClosingRequest, user, reason: str) -> ClosingRequest:
    return approvals.decide(request, user, "return", reason=reason)
