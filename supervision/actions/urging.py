"""Manual urging: a dated notice to one agency about its tasks, to file their reports (督办单) or to
acknowledge them (催签); both go out exactly once through the same outbox (supervision/urging.py)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from audit.models import Action
from audit.trail import record
from supervision.errors import require, require_office
from supervision.models import NotificationKind, UrgeKind, UrgeNotice
from supervision.notices import members_of, notify
from tasklist.models import Assignment, Task

# What each kind of notice asks, when the office writes no message of its own.
DEFAULT_MESSAGE = {
    UrgeKind.REPORT: _lazy(
        "Please file the progress reports of the tasks below without delay (请抓紧报送以下任务的进展情况)."
    ),
    UrgeKind.ACKNOWLEDGE: _lazy("Please log in and acknowledge (签收) the tasks below without delay."),
}
NOTIFICATION = {UrgeKind.REPORT: NotificationKind.URGE, UrgeKind.ACKNOWLEDGE: NotificationKind.ACKNOWLEDGE_URGED}


@transaction.atomic
def urge(agency, tasks: Sequence[Task], user, message: str, kind: str = UrgeKind.REPORT) -> UrgeNotice:
    """A dated notice to one agency about its tasks: recorded on each task, notified, e-mailed once.
    A 催签 names only tasks the agency has not acknowledged yet."""
    require_office(user)
    kind = UrgeKind(kind)
    tasks = list(tasks)
    require(bool(tasks), _("Choose at least one task to urge."))
    held = Assignment.objects.filter(agency=agency, task__in=tasks)
    require(
        set(held.values_list("task_id", flat=True)) == {t.pk for t in tasks},
        _("%(agency)s does not hold every chosen task.") % {"agency": agency.name},
    )
    if kind == UrgeKind.ACKNOWLEDGE:
        require(
            not held.filter(acknowledgement__isnull=False).exists(),
            _("%(agency)s has already acknowledged some of these tasks; reload the page.") % {"agency": agency.name},
        )
    message = (message or "").strip() or str(DEFAULT_MESSAGE[kind])
    notice = UrgeNotice.objects.create(
        agency=agency, kind=kind, message=message, created_by=user, created_at=timezone.now()
    )
    notice.tasks.set(tasks)
    for task in tasks:
        record(user, Action.TASK_URGE, notice, task=task, agency_id=agency.pk, after={"kind": kind, "message": message})
    notify(members_of([agency.pk]), NOTIFICATION[kind], actor=user, task=tasks[0] if len(tasks) == 1 else None,
           note=message)  # fmt: skip
    from supervision.tasks import send_urge_notice

    transaction.on_commit(lambda: send_urge_notice.delay(notice.pk))
    return notice
