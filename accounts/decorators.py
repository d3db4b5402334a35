from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from accounts.roles import is_office


def office_required(view):
    """The supervising office's pages: others logged in get 403, anonymous users the login page."""

    @login_required
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_office(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def overseer_required(view):
    """Dashboards: the office and leaders read them; others logged in get 403."""
    from accounts.roles import sees_everything

    @login_required
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not sees_everything(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped
