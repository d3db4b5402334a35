"""The bell: marking notifications read."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from supervision.models import Notification


def mark_read(user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when ``ids`` is None). Others' ids are ignored."""
    unread = Notification.objects.filter(recipient=user).unread()
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())
