"""Until a handed-over password is changed, every page leads to the password-change form
(accounts/first_password.py); only that form, logging out, the language switch and static files
stay open."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from accounts.first_password import SESSION_KEY


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._open: tuple[str, ...] | None = None

    def open_paths(self) -> tuple[str, ...]:
        if self._open is None:
            names = ("password_change", "password_change_done", "logout", "set_language")
            self._open = tuple(reverse(name) for name in names)
        return self._open

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get(SESSION_KEY) and request.user.is_authenticated:
            path = request.path_info
            static = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL
            if path not in self.open_paths() and not path.startswith(static):
                return redirect("password_change")
        return self.get_response(request)
