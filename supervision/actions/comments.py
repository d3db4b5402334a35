"""Leader comments (领导批示)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import Action
from audit.trail import record
from supervision.access import can_comment
from supervision.errors import require
from supervision.models import LeaderComment, NotificationKind
from supervision.notices import members_of, notify
from tasklist.models import Task


@transaction.atomic
def comment_on_task(task: Task, user, body: str) -> LeaderComment:
    require(can_comment(user), _("Only leaders and the supervising office write comments on tasks."))
    body = (body or "").strip()
    require(bool(body), _("The comment is empty."))
    comment = LeaderComment.objects.create(task=task, author=user, body=body)
    record(user, Action.TASK_COMMENT, comment, task=task, after={"body": body})
    agency_ids = task.assignments.values_list("agency_id", flat=True)
    notify(members_of(agency_ids), NotificationKind.LEADER_COMMENT, actor=user, task=task, note=body)
    return comment
