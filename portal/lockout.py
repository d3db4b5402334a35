"""Login lockout (django-axes): the client's address and the page a locked-out client gets.

The rule (settings.py, docs/security.md): LOGIN_FAILURE_LIMIT failed logins for one username from
one address lock that pair for LOGIN_LOCKOUT_MINUTES, counted from the failure that locked it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress

from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


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
