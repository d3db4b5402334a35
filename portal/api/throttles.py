"""DRF throttling for the API (REST_FRAMEWORK's DEFAULT_THROTTLE_CLASSES): each user, whether by
token or by session, and each address without a valid token, gets so many requests a period
(API_THROTTLE_USER, API_THROTTLE_ANON); past it, 429 with Retry-After. Counts live in the default
cache, so several processes share them only with CACHE_URL set (README, "Configuration").
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from accounts.lockout import client_ip


class _PortalRate:
    def get_rate(self) -> str:
        # DRF reads the rates once, when its module is imported; read them for each request so a
        # changed setting (a test's, say) takes effect.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_ident(self, request) -> str:
        # The login lockout's address: REMOTE_ADDR, or X-Forwarded-For's entry written by the
        # outermost of TRUSTED_PROXY_COUNT proxies (accounts/lockout.py), never one the client wrote.
        return client_ip(request) or ""


class AnonThrottle(_PortalRate, AnonRateThrottle):
    """Requests without a valid token or session, per address."""


class UserThrottle(_PortalRate, UserRateThrottle):
    """Requests of one user, by token or session together."""


class ThrottleBeforeRefusing:
    """For the API's views. DRF authenticates, then checks permissions, then throttles: a request
    refused with 401 (no token, a wrong or an expired key) would never reach the throttles. Here
    they run right after authentication, whatever its outcome, and only once."""

    def perform_authentication(self, request) -> None:
        try:
            super().perform_authentication(request)
        finally:
            self.throttles_checked = True
            super().check_throttles(request)

    def check_throttles(self, request) -> None:
        if not getattr(self, "throttles_checked", False):
            super().check_throttles(request)
