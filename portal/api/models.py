from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A user's key to the API (``Authorization: Token <key>``), one per user.

    Only the SHA-256 digest of the key is stored: the key is printed once when the token is made
    (portal/api/tokens.py) and a database dump opens nothing. A key is 160 random bits, so a plain
    digest suffices; there is nothing to salt or stretch against.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_token"
    )
    digest = models.CharField(_("SHA-256 of the key"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")), name="api_token_expires_after_creation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.expires_at:%Y-%m-%d})"

    def has_expired(self, now: dt.datetime) -> bool:
        return now >= self.expires_at
