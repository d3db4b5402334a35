"""Login lockout (django-axes): the client's address, the page a locked-out client gets, the
lockouts in force and the office's unlock.

The rule (settings.py, docs/security.md): LOGIN_FAILURE_LIMIT failed logins (or wrong old passwords
on the password-change form, accounts/views.py) for one username from one address lock that pair
for LOGIN_LOCKOUT_MINUTES, counted from the failure that locked it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def _address(text: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip())) if text else None
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from (AXES_CLIENT_IP_CALLABLE, and the audit trail's "ip").

    With TRUSTED_PROXY_COUNT = 0 it is REMOTE_ADDR. Behind N proxies that each append the address
    they saw to X-Forwarded-For (nginx: ``proxy_set_header X-Forwarded-For
    $proxy_add_x_forwarded_for``), it is the N-th entry from the right: the one the outermost proxy
    wrote. Entries further left were written by the client and prove nothing, so they are never read.
    """
    remote = _address(request.META.get("REMOTE_ADDR"))
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies == 0:
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < proxies:
        # Not through the expected proxies (a request straight to the app server): its peer.
        return remote
    return _address(hops[-proxies]) or remote


def locked_until(username: str | None, ip_address: str | None) -> dt.datetime | None:
    """When the lockout of this username from this address ends: the failure that locked it plus
    the cool-off (attempts refused during a lockout are not counted and do not extend it)."""
    latest = AccessAttempt.objects.filter(username=username, ip_address=ip_address).aggregate(
        latest=Max("attempt_time")
    )["latest"]
    return latest + settings.AXES_COOLOFF_TIME if latest else None


@dataclass(frozen=True)
class Lockout:
    """One username locked from one address: what the office's page lists and unlocks."""

    username: str
    ip_address: str | None
    failures: int
    locked_until: dt.datetime


def _counted(now: dt.datetime):
    """The attempts axes still counts: those within the cool-off (older ones are kept until axes
    cleans them up, but lock nothing). Axes keeps one row per user agent, so a pair may have several."""
    return AccessAttempt.objects.filter(attempt_time__gte=now - settings.AXES_COOLOFF_TIME)


def _pair(username: str | None, ip_address: str | None) -> Q:
    # Axes stores a missing username or address as NULL; the page sends them back as "".
    by_name = Q(username=username) if username else Q(username="") | Q(username__isnull=True)
    by_address = Q(ip_address=ip_address) if ip_address else Q(ip_address__isnull=True)
    return by_name & by_address


def current_lockouts(now: dt.datetime | None = None) -> list[Lockout]:
    """Every (username, address) locked now, the most recently locked first."""
    now = now or timezone.now()
    rows = (
        _counted(now)
        .values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"), latest=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("-latest", "username", "ip_address")
    )
    return [
        Lockout(row["username"] or "", row["ip_address"], row["failures"], row["latest"] + settings.AXES_COOLOFF_TIME)
        for row in rows
    ]


def unlock(username: str, ip_address: str | None, *, by, request: HttpRequest | None) -> Lockout | None:
    """End the lockout of ``username`` from ``ip_address`` now (the office's 解锁), audited as
    ``auth.unlock``. Only a pair locked now is unlocked: a count below the limit is left alone, so
    the button cannot wipe the failures someone is still piling up. Returns the lockout it ended,
    or None when there was none (it ended, or someone else unlocked it first)."""
    from accounts.auth_audit import UNLOCK, record  # auth_audit reads client_ip from this module

    now = timezone.now()
    with transaction.atomic():
        rows = list(AccessAttempt.objects.select_for_update().filter(_pair(username, ip_address)))
        counted = [row for row in rows if row.attempt_time >= now - settings.AXES_COOLOFF_TIME]
        failures = sum(row.failures_since_start for row in counted)
        if failures < settings.AXES_FAILURE_LIMIT:
            return None
        ended = Lockout(
            username, ip_address, failures, max(row.attempt_time for row in counted) + settings.AXES_COOLOFF_TIME
        )
        AccessAttempt.objects.filter(pk__in=[row.pk for row in rows]).delete()
        record(
            UNLOCK,
            request,
            actor=by,
            username=username,
            locked_ip=ip_address,
            failures=failures,
            locked_until=ended.locked_until.isoformat(),
        )
    return ended


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the page instead of the login form, with HTTP 429 and no session."""
    username = get_client_username(request, credentials) or ""
    context = {
        "username": username,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "lockout_minutes": settings.LOGIN_LOCKOUT_MINUTES,
        "until": locked_until(username, getattr(request, "axes_ip_address", None)),
    }
    return render(request, "registration/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
