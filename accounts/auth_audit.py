"""Every login, failed login, lockout, unlock, logout, password change and API token in the audit
trail: the one home of the events about an account.

Connected in PortalConfig.ready to Django's auth signals and axes' ``user_locked_out``; the
office's unlock (accounts/lockout.py) and the API token command (portal/api/tokens.py) call
``record``. Each event records the username concerned, the client's address and its user agent
(truncated); never a password or a token's key. ``record`` sends :data:`account_event`, which the
audit app (a layer above: audit/accounts.py) writes as an AuditEvent in the caller's transaction.
The events name no task, so the office and leaders read them and agency staff do not.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.dispatch import Signal
from django.http import HttpRequest

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

# Sent with action, actor (or None), account_id (or None) and details (a dict, stored as the
# event's "after"); received by audit/accounts.py.
account_event = Signal()

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
    """One trail event about a user account. ``actor`` is who did it (nobody for a failed login or a
    command); the event's object is the account concerned: ``account``, else the one named
    ``username`` when it exists (a failed login, the office unlocking someone), else the actor's own."""
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
    account_event.send(
        sender=record,
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        account_id=account_id,
        details={"username": username, **client_of(request), **details},
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


# Accounts the office manages (agencies/accounts.py) and the e-mailed password reset (accounts/views.py).
ACCOUNT_CREATE = "account.create"
ACCOUNT_DISABLE = "account.disable"
ACCOUNT_ENABLE = "account.enable"
ACCOUNT_PASSWORD_RESET = "account.password_reset"
