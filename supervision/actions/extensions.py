"""Extensions (延期申请): the agency asks before the due date, the office decides (supervision.approvals)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import Action
from audit.trail import record
from supervision import approvals, obligations
from supervision.actions.reports import cannot_report
from supervision.errors import ActionError, require
from supervision.models import FILED_STATUSES, Extension, NotificationKind, ProgressReport, ReportingPeriod
from supervision.notices import notify, office_users
from tasklist.models import Assignment


def cannot_ask_extension(user, assignment: Assignment, period: ReportingPeriod) -> str | None:
    """Why no extension can be asked for now, or None: the report page offers the form only then."""
    reason = cannot_report(user, assignment, period)
    if reason is not None:
        return reason
    due = obligations.effective_due(assignment, period)
    if timezone.localdate() > due:
        return _(
            "The due date (%(due)s) has passed: an extension must be asked for before it. File the report now."
        ) % {"due": due.isoformat()}
    if ProgressReport.objects.filter(assignment=assignment, period=period, status__in=FILED_STATUSES).exists():
        return _("This report has already been filed; it needs no extension.")
    return None


@transaction.atomic
def request_extension(
    *, assignment: Assignment, period: ReportingPeriod, user, reason: str, new_due_on: dt.date
) -> Extension:
    refusal = cannot_ask_extension(user, assignment, period)
    if refusal is not None:
        raise ActionError(refusal)
    due = obligations.effective_due(assignment, period)
    require(new_due_on > due, _("The new date must be later than the current due date (%(due)s).") % {"due": due})
    reason = (reason or "").strip()
    require(bool(reason), _("Give the reason for the extension."))
    try:
        with transaction.atomic():
            extension = Extension.objects.create(
                assignment=assignment, period=period, reason=reason, new_due_on=new_due_on,
                requested_by=user, requested_at=timezone.now(),
            )  # fmt: skip
    except IntegrityError as error:
        raise ActionError(_("An extension for this report is already waiting for the office's decision.")) from error
    record(user, Action.EXTENSION_REQUEST, extension, task=assignment.task, agency_id=assignment.agency_id,
          after={"new_due_on": new_due_on.isoformat(), "reason": reason, "due_on": due.isoformat()})  # fmt: skip
    notify(office_users(), NotificationKind.EXTENSION_REQUESTED, actor=user, task=assignment.task, note=reason)
    return extension


def approve_extension(extension: Extension, user) -> Extension:
    """The new date holds for this assignment in this period only."""
    return approvals.decide(extension, user, "approve")


def refuse_extension(extension: Extension, user, reason: str) -> Extension:
    return approvals.decide(extension, user, "refuse", reason=reason)
