"""The office registers a 督办事项: an item from no plan, stored as a plan of one task (docs/workflow.md)."""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency
from audit.models import Action
from audit.trail import record
from core.deadlines import parse_deadline
from supervision.actions.plans import set_cycle
from supervision.attachments import check_all
from supervision.errors import ActionError, require, require_office
from supervision.models import CycleKind, DueRule, ItemAttachment, ItemSource, SupervisionItem, item_number
from tasklist.models import Assignment, AssignmentRole, Part, Plan, PlanKind, Section, Task

# How an item's agencies report: once by a date (a cycle of one milestone), or periodically.
ONCE = "once"
PERIODIC = (CycleKind.MONTHLY, CycleKind.QUARTERLY, CycleKind.HALF_YEARLY)


@dataclass(frozen=True)
class ItemData:
    """What the office registers, as the form cleans it."""

    title: str
    source: str
    basis: str
    content: str
    leads: Sequence[Agency]
    cooperating: Sequence[Agency] = ()
    deadline_text: str = ""
    due_on: dt.date | None = None
    reporting: str = ONCE  # ONCE or a periodic CycleKind
    report_by: dt.date | None = None  # ONCE: the day the one report is due
    cooperating_must_report: bool = False
    files: Sequence = field(default_factory=tuple)


def _lock_year(year: int) -> None:
    """Two clerks registering at once queue here, so each takes the next number in turn: a
    transaction-scoped advisory lock on PostgreSQL; SQLite writes one transaction at a time anyway.
    The unique constraint (year, sequence) stands behind both."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            key = zlib.crc32(b"supervision_item") & 0x7FFFFFFF  # the two-key form takes int4s
            cursor.execute("SELECT pg_advisory_xact_lock(%s::integer, %s::integer)", [key, year])


def _check(data: ItemData, today: dt.date) -> dt.date | None:
    require(bool(data.title.strip()), _("Give the item a title."))
    require(data.source in ItemSource.values, _("Choose where the item comes from."))
    require(bool(data.basis.strip()), _("Write the basis of the item: the instruction, decision or matter raised."))
    require(bool(data.content.strip()), _("Write what is to be done."))
    require(bool(data.leads), _("Name at least one lead unit."))
    lead_ids = [a.pk for a in data.leads]
    coop_ids = [a.pk for a in data.cooperating]
    require(
        len(set(lead_ids + coop_ids)) == len(lead_ids) + len(coop_ids),
        _("A unit is listed twice; list each unit once, as lead or as cooperating unit."),
    )
    due_on = data.due_on or parse_deadline(data.deadline_text.strip())
    if data.reporting == ONCE:
        require(data.report_by is not None, _("Give the date the report is due."))
        require(data.report_by >= today, _("The report cannot be due before today."))
    else:
        require(data.reporting in PERIODIC, _("Choose how often the units report."))
        require(
            due_on is not None and due_on >= today,
            _("Periodic reports run until the deadline: give a deadline date from today on."),
        )
    require(
        len(data.files) <= settings.ATTACHMENT_MAX_COUNT,
        _("An item's basis may carry at most %(count)d attachments.") % {"count": settings.ATTACHMENT_MAX_COUNT},
    )
    return due_on


def _cycle_data(data: ItemData, today: dt.date, due_on: dt.date | None) -> dict:
    """The item's reporting as a plan cycle: once is one milestone (due on its date), periodic a
    calendar cycle from today to the deadline, reports due five days after each period."""
    if data.reporting == ONCE:
        kind, ends_on, milestones = CycleKind.MILESTONES, data.report_by, data.report_by.isoformat()
    else:
        kind, ends_on, milestones = data.reporting, due_on, ""
    return {
        "kind": kind,
        "due_rule": DueRule.DAYS_AFTER_END,
        "due_value": 5,
        "starts_on": today,
        "ends_on": ends_on,
        "milestones": milestones,
        "cooperating_must_report": data.cooperating_must_report,
    }


@transaction.atomic
def register_item(user, data: ItemData) -> SupervisionItem:
    """立项: number the item (the next of the year), create its plan, task and units, set its cycle
    (the periods follow, through set_cycle), store its basis files; audited, all or nothing."""
    require_office(user)
    now = timezone.now()
    today = timezone.localdate(now)
    due_on = _check(data, today)
    checked = check_all(data.files)

    year = today.year
    _lock_year(year)
    sequence = (SupervisionItem.objects.filter(year=year).aggregate(last=Max("sequence"))["last"] or 0) + 1
    number = item_number(year, sequence)
    require(
        not Plan.objects.filter(doc_number=number).exists(),
        _("A plan already carries the number %(number)s; ask the administrator.") % {"number": number},
    )
    plan = Plan(
        title=data.title.strip(),
        kind=PlanKind.ITEM,
        doc_number=number,
        issuer=settings.SUPERVISING_OFFICE_NAME,
        issued_on=today,
        jurisdiction=data.leads[0].jurisdiction,
    )
    try:
        plan.full_clean()
    except ValidationError as error:
        raise ActionError(" ".join(error.messages)) from error
    plan.save()
    # One untitled part and section: no heading is printed for them (tasklist.headings).
    section = Section.objects.create(part=Part.objects.create(plan=plan, number=1, title=""), number=1, title="")
    task = Task(
        section=section,
        number=None,
        order=1,
        content=data.content.strip(),
        deadline_text=data.deadline_text.strip(),
        due_on=due_on,
    )
    try:
        task.full_clean()
    except ValidationError as error:
        raise ActionError(" ".join(error.messages)) from error
    task.save()
    units = [(a, AssignmentRole.LEAD) for a in data.leads] + [(a, AssignmentRole.COOPERATING) for a in data.cooperating]
    for order, (agency, role) in enumerate(units, start=1):
        Assignment.objects.create(task=task, agency=agency, role=role, order=order)

    item = SupervisionItem(
        plan=plan,
        year=year,
        sequence=sequence,
        source=data.source,
        basis=data.basis.strip(),
        registered_by=user,
        registered_at=now,
    )
    try:
        item.full_clean(exclude=["plan"])
    except ValidationError as error:
        raise ActionError(" ".join(error.messages)) from error
    item.save()
    ItemAttachment.store(checked, user, item=item)
    set_cycle(plan, user, _cycle_data(data, today, due_on))
    record(
        user,
        Action.ITEM_REGISTER,
        item,
        task=task,
        after={
            "number": number,
            "title": plan.title,
            "source": item.source,
            "basis": item.basis,
            "content": task.content,
            "deadline_text": task.deadline_text,
            "due_on": due_on.isoformat() if due_on else None,
            "units": [str(a) for a in task.assignments.select_related("agency").order_by("order")],
            "basis_files": [upload.name for upload, _type in checked],
        },
    )
    return item
