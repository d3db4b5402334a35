"""What the portal keeps about a user beside Django's User: a mobile number and whether the
password is one the office handed over (a first password, or one it reset), to be changed at the
next login (accounts/middleware.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="account_profile"
    )
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    must_change_password = models.BooleanField(
        _("must change the password"),
        default=False,
        help_text=_("Set when the office hands over a first or reset password; cleared when the user chooses one."),
    )
    password_issued_at = models.DateTimeField(_("password issued at"), null=True, blank=True)

    class Meta:
        verbose_name = _("account profile")
        verbose_name_plural = _("account profiles")
        constraints = [
            # One mobile number, one account: it is what a liaison is called by, and a username.
            models.UniqueConstraint(fields=["mobile"], condition=~models.Q(mobile=""), name="account_unique_mobile"),
        ]

    def __str__(self) -> str:
        return str(self.user)
