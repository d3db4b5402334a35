from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts.first_password import on_logged_in

        # A first (or office-reset) password is changed before anything else (accounts/middleware.py).
        user_logged_in.connect(on_logged_in, dispatch_uid="accounts.first_password")
