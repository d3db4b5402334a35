"""Recording a state change: the one function every action calls (docs/architecture.md)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model
from django.utils import timezone

from audit.models import Action, AuditEvent
from tasklist.models import Task


def snapshot(obj: Model, fields: Iterable[str]) -> dict:
    """The object's fields as JSON values, as the trail stores them before and after a change."""
    values = {name: getattr(obj, name) for name in fields}
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


def record(
    actor, action: Action | str, obj: Model, *, task: Task | None, agency_id=None, before=None, after=None
) -> AuditEvent:
    """One event: ``actor`` (None or anonymous for the system) did ``action`` to ``obj``."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=str(action),
        at=timezone.now(),
        task=task,
        agency_id=agency_id,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        before=before or {},
        after=after or {},
    )
