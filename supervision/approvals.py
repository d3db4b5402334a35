"""One approval mechanism for every request/decision pair (docs/architecture.md).

Report review (accept / return), head approval (approve / return), closing (办结: approve /
return) and extensions (延期: approve / refuse) are moves in one table per model: from which
state, to which, who may make it, the audit action it writes, whom it notifies. :func:`decide`
makes a move: it checks the actor, locks the row (``SELECT … FOR UPDATE``), refuses a move that
is not allowed from the state it reads (a second tab, a colleague who was quicker), records who
decided and when, audits the fields before and after and notifies, in one transaction.
:func:`available_transitions` tells views and templates which decisions to offer, so no
template compares raw status strings. A decision the table does not know (a forged
``decision=maybe``) is refused: it is never read as a refusal or a return.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.roles import is_office
from audit.models import Action
from audit.trail import record, snapshot
from supervision import access
from supervision.errors import ActionError
from supervision.models import (
    ClosingRequest,
    ClosingStatus,
    Extension,
    ExtensionStatus,
    NotificationKind,
    ProgressReport,
    ReportStatus,
)
from supervision.notices import members_of, notify
from tasklist.models import Task, TaskStatus

# ---------------------------------------------------------------------------
# Who may decide
# ---------------------------------------------------------------------------


def _office(actor, obj: Model) -> bool:
    return is_office(actor)


def _head_of_reporting_agency(actor, report: ProgressReport) -> bool:
    return access.is_head_of(actor, report.assignment.agency_id)


# ---------------------------------------------------------------------------
# Whom to notify
# ---------------------------------------------------------------------------


def _reporting_agency(report: ProgressReport) -> list[int]:
    return members_of([report.assignment.agency_id])


def _author(report: ProgressReport) -> list[int]:
    return [report.submitted_by_id] if report.submitted_by_id else []


def _applicant_agency(request: ClosingRequest | Extension) -> list[int]:
    return members_of([request.assignment.agency_id])


def _every_agency_on_the_task(request: ClosingRequest) -> list[int]:
    return members_of(request.task.assignments.values_list("agency_id", flat=True))


# ---------------------------------------------------------------------------
# The tables
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """One allowed decision: ``source`` → ``target``, made by whoever ``may`` accepts."""

    decision: str  # the value a form posts (name="decision")
    source: str
    target: str
    may: Callable[[object, Model], bool]
    forbidden: Promise  # told to an actor ``may`` refuses
    action: Action  # what the trail records
    done: Promise  # told once the move is made
    decided_by: str = ""  # the field recording who decided …
    decided_at: str = ""  # … and the one recording when
    also_now: tuple[str, ...] = ()  # further fields set to the moment of the decision
    reason_field: str = ""  # where the required reason goes ("" = no reason asked)
    reason_missing: Promise | None = None
    notification: str = ""
    recipients: Callable[[Model], Iterable[int]] | None = None
    note: Callable[[Model], str] | None = None  # the notification's note; the reason by default
    then: Callable[[Model, object], None] | None = None  # a further effect, in the same transaction


@dataclass(frozen=True)
class Workflow:
    """The moves of one model, with what is audited and how a stale decision is refused."""

    model: type[Model]
    audited: tuple[str, ...]
    stale: Promise  # "%(status)s" is the state the row is in now
    unknown: Promise
    related: tuple[str, ...]
    task: Callable[[Model], Task]
    report: Callable[[Model], ProgressReport | None] = lambda obj: None
    versioned: bool = False
    moves: tuple[Move, ...] = field(default=())

    def move(self, decision: str | None) -> Move | None:
        return next((m for m in self.moves if m.decision == decision), None)


_RETURN_REASON = _("Give a reason for returning, so the agency knows what to change.")
_NOT_OFFICE = _("Only the supervising office may do this.")
_NOT_HEAD = _("Only the agency's head approves its reports.")


def _close_task(request: ClosingRequest, actor) -> None:
    """办结 approved: the task leaves the reporting cycle."""
    task = Task.objects.select_for_update().get(pk=request.task_id)
    before = snapshot(task, ("status",))
    task.status = TaskStatus.CLOSED
    task.save(update_fields=["status"])
    record(actor, Action.TASK_CLOSE, task, task=task, before=before, after=snapshot(task, ("status",)))


REPORT = Workflow(
    model=ProgressReport,
    audited=("status", "return_reason", "reviewed_at", "submitted_at", "head_approved_at"),
    stale=_("This report is now “%(status)s”; someone has already dealt with it. Reload the page."),
    unknown=_("Choose accept or return."),
    related=("assignment__task",),
    task=lambda report: report.assignment.task,
    report=lambda report: report,
    versioned=True,
    moves=(
        Move(
            "head_approve", ReportStatus.HEAD_REVIEW, ReportStatus.SUBMITTED, _head_of_reporting_agency, _NOT_HEAD,
            Action.REPORT_HEAD_APPROVE, _("Approved; the report goes to the supervising office."),
            decided_by="head_approved_by", decided_at="head_approved_at", also_now=("submitted_at",),
        ),
        Move(
            "head_return", ReportStatus.HEAD_REVIEW, ReportStatus.RETURNED, _head_of_reporting_agency, _NOT_HEAD,
            Action.REPORT_HEAD_RETURN, _("Report returned to the author."),
            reason_field="return_reason", reason_missing=_RETURN_REASON,
            notification=NotificationKind.REPORT_RETURNED, recipients=_author,
        ),
        Move(
            "accept", ReportStatus.SUBMITTED, ReportStatus.ACCEPTED, _office, _NOT_OFFICE,
            Action.REPORT_ACCEPT, _("Report accepted."),
            decided_by="reviewed_by", decided_at="reviewed_at",
            notification=NotificationKind.REPORT_ACCEPTED, recipients=_reporting_agency,
        ),
        Move(
            "return", ReportStatus.SUBMITTED, ReportStatus.RETURNED, _office, _NOT_OFFICE,
            Action.REPORT_RETURN, _("Report returned to the agency."),
            decided_by="reviewed_by", decided_at="reviewed_at",
            reason_field="return_reason", reason_missing=_RETURN_REASON,
            notification=NotificationKind.REPORT_RETURNED, recipients=_reporting_agency,
        ),
    ),
)  # fmt: skip

CLOSING = Workflow(
    model=ClosingRequest,
    audited=("status", "return_reason", "decided_at"),
    stale=_("This application to close is now “%(status)s”; someone has already dealt with it. Reload the page."),
    unknown=_("Choose approve or return."),
    related=("task", "assignment"),
    task=lambda request: request.task,
    moves=(
        Move(
            "approve", ClosingStatus.PENDING, ClosingStatus.APPROVED, _office, _NOT_OFFICE,
            Action.CLOSING_APPROVE, _("Task closed (办结)."),
            decided_by="decided_by", decided_at="decided_at",
            notification=NotificationKind.TASK_CLOSED, recipients=_every_agency_on_the_task,
            note=lambda request: "", then=_close_task,
        ),
        Move(
            "return", ClosingStatus.PENDING, ClosingStatus.RETURNED, _office, _NOT_OFFICE,
            Action.CLOSING_RETURN, _("Application returned to the agency."),
            decided_by="decided_by", decided_at="decided_at",
            reason_field="return_reason", reason_missing=_RETURN_REASON,
            notification=NotificationKind.CLOSING_RETURNED, recipients=_applicant_agency,
        ),
    ),
)  # fmt: skip

EXTENSION = Workflow(
    model=Extension,
    audited=("status", "new_due_on", "refusal_reason", "decided_at"),
    stale=_("This extension request is now “%(status)s”; someone has already dealt with it. Reload the page."),
    unknown=_("Choose approve or refuse."),
    related=("assignment__task",),
    task=lambda extension: extension.assignment.task,
    moves=(
        Move(
            "approve", ExtensionStatus.PENDING, ExtensionStatus.APPROVED, _office, _NOT_OFFICE,
            Action.EXTENSION_APPROVE, _("Extension approved."),
            decided_by="decided_by", decided_at="decided_at",
            notification=NotificationKind.EXTENSION_APPROVED, recipients=_applicant_agency,
            note=lambda extension: extension.new_due_on.isoformat(),
        ),
        Move(
            "refuse", ExtensionStatus.PENDING, ExtensionStatus.REFUSED, _office, _NOT_OFFICE,
            Action.EXTENSION_REFUSE, _("Extension refused."),
            decided_by="decided_by", decided_at="decided_at",
            reason_field="refusal_reason", reason_missing=_("Give a reason for the refusal."),
            notification=NotificationKind.EXTENSION_REFUSED, recipients=_applicant_agency,
        ),
    ),
)  # fmt: skip

WORKFLOWS: dict[type[Model], Workflow] = {w.model: w for w in (REPORT, CLOSING, EXTENSION)}


def workflow_of(obj: Model) -> Workflow:
    return WORKFLOWS[obj._meta.concrete_model]


# ---------------------------------------------------------------------------
# Deciding
# ---------------------------------------------------------------------------


def available_transitions(actor, obj: Model) -> dict[str, Move]:
    """The decisions ``actor`` may make on ``obj`` in the state it is in, by decision value.

    Read from the object as loaded; :func:`decide` checks again on the locked row."""
    workflow = workflow_of(obj)
    return {m.decision: m for m in workflow.moves if m.source == obj.status and m.may(actor, obj)}


def move_for(obj: Model, decision: str | None) -> Move:
    """The move a posted decision names, or an :class:`ActionError` for one the table does not know."""
    workflow = workflow_of(obj)
    move = workflow.move(decision)
    if move is None:
        raise ActionError(str(workflow.unknown))
    return move


@transaction.atomic
def decide(obj: Model, actor, decision: str | None, *, reason: str = "") -> Model:
    """Make the move ``decision`` on ``obj``; returns the row as saved."""
    workflow = workflow_of(obj)
    move = move_for(obj, decision)
    if not move.may(actor, obj):
        raise ActionError(str(move.forbidden))
    if move.reason_field:
        reason = (reason or "").strip()
        if not reason:
            raise ActionError(str(move.reason_missing))
    locked = workflow.model.objects.select_for_update().select_related(*workflow.related).get(pk=obj.pk)
    if locked.status != move.source:
        raise ActionError(str(workflow.stale) % {"status": locked.get_status_display()})
    before = snapshot(locked, workflow.audited)
    now = timezone.now()
    locked.status = move.target
    if move.decided_by:
        setattr(locked, move.decided_by, actor)
    if move.decided_at:
        setattr(locked, move.decided_at, now)
    for name in move.also_now:
        setattr(locked, name, now)
    if move.reason_field:
        setattr(locked, move.reason_field, reason)
    if workflow.versioned:
        locked.version += 1
    locked.full_clean()
    locked.save()
    task = workflow.task(locked)
    record(
        actor,
        move.action,
        locked,
        task=task,
        agency_id=locked.assignment.agency_id,
        before=before,
        after=snapshot(locked, workflow.audited),
    )
    if move.then is not None:
        move.then(locked, actor)
    if move.recipients is not None:
        note = move.note(locked) if move.note is not None else reason
        notify(
            move.recipients(locked),
            move.notification,
            actor=actor,
            task=task,
            report=workflow.report(locked),
            note=note,
        )
    return locked
