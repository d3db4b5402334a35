"""Every login, failed login, lockout, unlock, logout, password change and API token in the audit
trail (AuditEvent): the one home of the events about an account.

Connected in PortalConfig.ready to Django's auth signals and axes' ``user_locked_out``; the
office's unlock (accounts/lockout.py) and the API token command (portal/api/tokens.py) call
``record``. Each event records the username concerned, the client's address and its user agent
(truncated); never a password or a token's key. The events name no task, so the office and
leaders read them and agency staff do not (``AuditEvent.objects.visible_to``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils import timezone

from accounts.lockout import client_ip

LOGIN = "auth.login"
LOGIN_FAILED = "auth.login_failed"
LOCKED_OUT = "auth.locked_out"
LOGOUT = "auth.logout"
SESSION_EXPIRED = "auth.session_expired"
PASSWORD_CHANGE = "auth.password_change"
UNLOCK = "auth.unlock"
API_TOKEN_CREATE = "api_token.create"
API_TOKEN_ROTATE = "api_token.rotate"
API_TOKEN_REVOKE = "api_token.revoke"

USERNAME_MAX = 150  # Django's username length: anything longer was not a username
USER_AGENT_MAX = 200


def client_of(request: HttpRequest | None) -> dict[str, str | None]:
    """The client as the trail records it: its address and (truncated) user agent."""
    if request is None:
        return {"ip": None, "user_agent": ""}
    ip = getattr(request, "axes_ip_address", None) or client_ip(request)
    return {"ip": ip, "user_agent": request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX]}


def record(
    action: str, request: HttpRequest | None, *, actor=None, account=None, username: str | None = None, **details
):
    """One AuditEvent about a user account. ``actor`` is who did it (nobody for a failed login or a
    command); the event's object is the account concerned: ``account``, else the one named
    ``username`` when it exists (a failed login, the office unlocking someone), else the actor's own."""
    from supervision.models import AuditEvent

    if account is None and username is None:
        account = actor
    if account is not None:
        username, account_id = account.get_username(), account.pk
    elif username:
        users = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username})
        account_id = users.values_list("pk", flat=True).first()
    else:
        username, account_id = "", None
    username = username[:USERNAME_MAX]
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        at=timezone.now(),
        object_type="auth.user",
        object_id="" if account_id is None else str(account_id),
        after={"username": username, **client_of(request), **details},
    )


def on_logged_in(sender, request, user, **kwargs) -> None:
    record(LOGIN, request, actor=user)


def on_login_failed(sender, credentials: dict, request=None, where: str | None = None, **kwargs) -> None:
    """``where`` names the form when it is not a login (a wrong old password: "password_change")."""
    # Django has already masked the password in ``credentials``; only the username is read.
    username = str(credentials.get(get_user_model().USERNAME_FIELD) or "")
    record(LOGIN_FAILED, request, username=username, **({"where": where} if where else {}))


def on_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    """Sent by axes for the failure that reaches the limit and for every attempt refused while locked."""
    record(
        LOCKED_OUT,
        request,
        username=str(username or ""),
        failure_limit=settings.AXES_FAILURE_LIMIT,
        lockout_minutes=settings.LOGIN_LOCKOUT_MINUTES,
    )


def on_logged_out(sender, request, user, **kwargs) -> None:
    if user is None:  # a log-out without a login changes nothing
        return
    reason = getattr(request, "session_end_reason", None)  # set by SessionExpiryMiddleware
    if reason:
        record(SESSION_EXPIRED, request, actor=user, reason=reason)
    else:
        record(LOGOUT, request, actor=user)
