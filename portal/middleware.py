"""Language: Chinese unless the user chose English with the switch.

Django's LocaleMiddleware follows the browser's Accept-Language, which would show
English to anyone whose browser is set up in English. The portal is a Chinese
office's tool, so only the user's explicit choice (the language cookie written by
the switch) changes it.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils import translation
from django.utils.translation import gettext as _


class ChosenLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.languages else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        translation.deactivate()
        return response


class ContentSecurityPolicyMiddleware:
    """Send ``settings.CONTENT_SECURITY_POLICY`` with every response that has none: scripts only
    from the portal's own static files (no inline script, no CDN), nothing framed, forms posted
    only to the portal. Inline behaviour lives in static/js/portal.js."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


# Session expiry (docs/security.md). The session holds two clocks, in epoch seconds.
LAST_SEEN = "portal_last_seen"
LOGGED_IN_AT = "portal_logged_in_at"
# The last-seen time is written at most this often: most requests write nothing to the session.
TOUCH_SECONDS = 60


def start_session_clocks(sender, request, user, **kwargs) -> None:
    """user_logged_in (connected in PortalConfig.ready): both clocks start at the login."""
    now = int(time.time())
    request.session[LOGGED_IN_AT] = now
    request.session[LAST_SEEN] = now


def session_end_reason(session, now: int) -> str | None:
    """Why a logged-in session is over: "max_age" SESSION_MAX_HOURS after the login, "idle"
    after SESSION_IDLE_MINUTES without a request; None while it lasts."""
    logged_in_at = session.get(LOGGED_IN_AT)
    last_seen = session.get(LAST_SEEN)
    if logged_in_at is not None and now - logged_in_at > settings.SESSION_MAX_HOURS * 3600:
        return "max_age"
    if last_seen is not None and now - last_seen > settings.SESSION_IDLE_MINUTES * 60:
        return "idle"
    return None


class SessionExpiryMiddleware:
    """Log out a session idle for SESSION_IDLE_MINUTES or older than SESSION_MAX_HOURS; the request
    then goes on as anonymous, so a page that needs a login sends it to the login page, where a
    message says why. The idle clock is refreshed at most once a minute (TOUCH_SECONDS), so an
    active session costs one session write a minute, not one per request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            reason = session_end_reason(request.session, now)
            if reason is not None:
                request.session_end_reason = reason  # the audit trail records it (accounts/auth_audit.py)
                logout(request)
                messages.warning(request, self.explain(reason))
            else:
                if now - request.session.get(LAST_SEEN, 0) >= TOUCH_SECONDS:
                    request.session[LAST_SEEN] = now
                # A session from before this middleware: its cap counts from now.
                request.session.setdefault(LOGGED_IN_AT, now)
        return self.get_response(request)

    @staticmethod
    def explain(reason: str) -> str:
        if reason == "idle":
            return _("You were logged out after %(minutes)s minutes without activity. Please log in again.") % {
                "minutes": settings.SESSION_IDLE_MINUTES
            }
        return _("You were logged out %(hours)s hours after logging in. Please log in again.") % {
            "hours": settings.SESSION_MAX_HOURS
        }
