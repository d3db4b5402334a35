"""The office edits a task in the portal: its text, its deadline and its units (add, remove, change
role), in one transaction, audited with the task before and after, kept in the models' history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from audit.models import Action
from audit.trail import record
from core.deadlines import parse_deadline
from supervision.errors import ActionError, require_office
from tasklist.models import Assignment, AssignmentRole, Task


@dataclass(frozen=True)
class Unit:
    """One unit as the form posts it: an existing assignment (``pk``) or a new one (``pk`` None)."""

    agency_id: int
    role: str
    pk: int | None = None
    remove: bool = False


def _units_snapshot(task: Task) -> list[str]:
    """The task's units as people read them: "市人社局（牵头单位）", in the printed order."""
    return [str(a) for a in task.assignments.select_related("agency").order_by("order", "pk")]


def _fields(task: Task) -> dict:
    return {
        "content": task.content,
        "deadline_text": task.deadline_text,
        "due_on": task.due_on.isoformat() if task.due_on else None,
    }


@transaction.atomic
def edit_task(task: Task, user, *, content: str, deadline_text: str, due_on: dt.date | None, units: list[Unit]) -> Task:
    """Change the task as the office typed it. ``due_on`` None takes the date the deadline text
    names (as the importer reads it). A unit that has filed reports (or applied to close) cannot be
    removed; its reports would go with it."""
    require_office(user)
    task = Task.objects.select_for_update().get(pk=task.pk)
    before = {**_fields(task), "units": _units_snapshot(task)}
    task.content = (content or "").strip()
    task.deadline_text = (deadline_text or "").strip()
    task.due_on = due_on or parse_deadline(task.deadline_text)
    try:
        task.full_clean()
    except ValidationError as error:
        raise ActionError(" ".join(error.messages)) from error
    task.save()

    kept = [unit for unit in units if not unit.remove]
    if not kept:
        raise ActionError(_("A task needs at least one unit."))
    agency_ids = [unit.agency_id for unit in kept]
    if len(set(agency_ids)) != len(agency_ids):
        raise ActionError(_("A unit is listed twice on this task; list each unit once."))
    if any(unit.role not in AssignmentRole.values for unit in kept):
        raise ActionError(_("Choose each unit's role."))
    current = {a.pk: a for a in Assignment.objects.select_for_update().filter(task=task)}
    if any(unit.pk is not None and unit.pk not in current for unit in units):
        raise ActionError(_("A unit of this task was changed by someone else; reload the page."))
    removed = [current[unit.pk] for unit in units if unit.remove and unit.pk is not None]
    try:
        for assignment in removed:
            assignment.delete()
    except ProtectedError as error:
        raise ActionError(
            _("%(agency)s has filed progress reports (or applied to close) on this task and cannot be removed.")
            % {"agency": assignment.display_name}
        ) from error
    # New positions follow the order of the form; orders are not unique, so no shuffle is needed.
    for order, unit in enumerate(kept, start=1):
        if unit.pk is None:
            assignment = Assignment(task=task, agency_id=unit.agency_id, role=unit.role, order=order)
        else:
            assignment = current[unit.pk]
            if (assignment.agency_id, assignment.role, assignment.order) == (unit.agency_id, unit.role, order):
                continue
            if assignment.agency_id != unit.agency_id:
                raise ActionError(_("A unit of this task was changed by someone else; reload the page."))
            assignment.role, assignment.order = unit.role, order
        assignment.full_clean(validate_unique=False)
        assignment.save()
    after = {**_fields(task), "units": _units_snapshot(task)}
    if after != before:
        record(user, Action.TASK_EDIT, task, task=task, before=before, after=after)
    return task
