"""The account events accounts sends (accounts/auth_audit.py) written to the trail."""

from __future__ import annotations

from django.utils import timezone

from accounts.auth_audit import account_event


def write_account_event(sender, action: str, actor, account_id, details: dict, **kwargs) -> None:
    from audit.models import AuditEvent

    AuditEvent.objects.create(
        actor=actor,
        action=action,
        at=timezone.now(),
        object_type="auth.user",
        object_id="" if account_id is None else str(account_id),
        after=details,
    )


def connect() -> None:
    account_event.connect(write_account_event, dispatch_uid="audit.write_account_event")
