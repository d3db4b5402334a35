"""Print a user's API token (docs/api.md), creating it on first use; ``--rotate`` replaces it.

The key goes to stdout alone, so that a script can read it:
``TOKEN=$(manage.py api_token bi-reader)``. Creating and rotating are audited (never the key).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from supervision.actions import audit


class Command(BaseCommand):
    help = "Print USERNAME's API token, creating it on first use; --rotate replaces it with a new one."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--rotate", action="store_true", help="Replace the token: the old one stops working at once."
        )

    def handle(self, *args, username: str, rotate: bool, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive: an inactive user's token is refused anyway.")
        with transaction.atomic():
            old = Token.objects.select_for_update().filter(user=user).first()
            if old is not None and not rotate:
                token = old
            else:
                if old is not None:
                    old.delete()
                token = Token.objects.create(user=user)
                audit(
                    None,
                    "api_token.rotate" if old is not None else "api_token.create",
                    user,
                    task=None,
                    before={"token_created": old.created.isoformat()} if old is not None else {},
                    after={"token_created": token.created.isoformat()},
                )
        self.stdout.write(token.key)
