"""An audit event in words people read (the task page's 操作记录): field labels instead of field
names, state names instead of state values, local times, 是/否, names instead of ids; internal
bookkeeping (version counters) left out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.actors import actor_of
from audit.models import BEFORE_IS_INTERNAL, Action, AuditEvent

# Bookkeeping the trail records but nobody reads: a counter, and the client's user agent.
HIDDEN = frozenset({"version", "user_agent"})
TEXT_LENGTH = 80

# Keys an action records that are not fields of its object.
EXTRA_LABELS = {
    "attachments_added": gettext_lazy("Attachments added"),
    "periods": gettext_lazy("Reporting periods"),
    "due_on": gettext_lazy("Due date"),
    "username": gettext_lazy("Account"),
    "ip": gettext_lazy("Address"),
    "reason": gettext_lazy("Reason"),
    "message": gettext_lazy("Message"),
    "body": gettext_lazy("Comment"),
    "acknowledged_at": gettext_lazy("Acknowledged at"),
    "units": gettext_lazy("Units"),
    # a 督办事项 as registered (supervision/actions/items.py)
    "number": gettext_lazy("Number"),
    "title": gettext_lazy("Title"),
    "content": gettext_lazy("Task content"),
    "deadline_text": gettext_lazy("Deadline as printed"),
    "basis_files": gettext_lazy("Basis documents"),
}
PERIOD_COUNTS = {
    "added": gettext_lazy("added"),
    "updated": gettext_lazy("re-dated"),
    "kept": gettext_lazy("unchanged"),
    "removed": gettext_lazy("removed"),
    "kept_with_reports": gettext_lazy("kept with reports"),
}


@dataclass(frozen=True)
class Change:
    label: str
    before: str  # "" when the field had no value before (a creation)
    after: str


def _model(event: AuditEvent) -> type[models.Model] | None:
    try:
        return apps.get_model(event.object_type)
    except (LookupError, ValueError):
        return None


def _field(model, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _moment(value: str) -> str | None:
    """An ISO date or date-time as the clerk reads it, in local time; None for other text."""
    if len(value) >= 16 and value[4:5] == "-" and "T" in value:
        moment = parse_datetime(value)
        if moment is not None:
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment, dt.UTC)
            return date_format(timezone.localtime(moment), "Y-m-d H:i")
    if len(value) == 10 and value[4:5] == "-" and parse_date(value) is not None:
        return value
    return None


def display(value, field: models.Field | None = None, name: str = "") -> str:
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if name == "periods" and isinstance(value, dict):
        return "、".join(f"{PERIOD_COUNTS.get(k, k)} {n}" for k, n in value.items() if n)
    if isinstance(value, list):
        return "、".join(display(item) for item in value)
    if isinstance(value, dict):
        return "、".join(f"{k}: {display(v)}" for k, v in value.items())
    if isinstance(value, str):
        moment = _moment(value)
        if moment is not None:
            return moment
        return Truncator(" ".join(value.split())).chars(TEXT_LENGTH)
    return str(value)


def changes(event: AuditEvent, user=None) -> list[Change]:
    """What the event changed, field by field, in words (every recorded field of a creation). A
    reader outside the event's agency does not read the draft a submission replaced: only its state."""
    model = _model(event)
    inside = user is None or (event.agency_id is not None and actor_of(user).role_in(event.agency_id) is not None)
    hide_before = not inside and event.action in BEFORE_IS_INTERNAL
    found = []
    for name in dict.fromkeys([*event.before, *event.after]):
        before, after = event.before.get(name), event.after.get(name)
        if hide_before and name != "status":
            before = None
        if name in HIDDEN or before == after:
            continue
        if before is None and after is False:  # a new record's "no" says nothing ("无变化：否")
            continue
        field = _field(model, name)
        label = field.verbose_name if field is not None else EXTRA_LABELS.get(name, name.replace("_", " "))
        shown = Change(str(label), display(before, field, name), display(after, field, name))
        if shown.before or shown.after:
            found.append(shown)
    return found


def label(action: str) -> str:
    return Action.label_of(action)
