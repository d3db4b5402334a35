"""Make, rotate or revoke a user's API token (docs/api.md).

The key is printed once, alone on stdout, so that a script can read it:
``TOKEN=$(manage.py api_token bi-reader)``; the database keeps only its digest. Every change is
audited (never the key).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal.api.tokens import TokenExists, issue_token, revoke_token


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = (
        "Make USERNAME's API token and print its key (shown only now); --rotate replaces a valid "
        "token, --revoke deletes it."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        action = parser.add_mutually_exclusive_group()
        action.add_argument(
            "--rotate", action="store_true", help="Replace the token: the old key stops working at once."
        )
        action.add_argument("--revoke", action="store_true", help="Delete the token: its key stops working at once.")
        parser.add_argument(
            "--days",
            type=positive,
            default=None,
            help=f"Days the new token is valid (default API_TOKEN_DAYS, now {settings.API_TOKEN_DAYS}).",
        )

    def handle(self, *args, username: str, rotate: bool, revoke: bool, days: int | None, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if revoke:
            if not revoke_token(user):
                raise CommandError(f"{username!r} has no API token.")
            self.stdout.write(f"Revoked {username}'s API token.")
            return
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive: an inactive user's token is refused anyway.")
        try:
            token, key = issue_token(user, replace=rotate, days=days)
        except TokenExists as exists:
            until = timezone.localtime(exists.token.expires_at)
            raise CommandError(
                f"{username!r} already has an API token, valid until {until:%Y-%m-%d %H:%M}; its key was shown "
                "when it was made and cannot be shown again. --rotate replaces it."
            ) from None
        self.stderr.write(f"Valid until {timezone.localtime(token.expires_at):%Y-%m-%d %H:%M}.")
        self.stdout.write(key)
