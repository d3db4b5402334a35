"""API tokens: made, rotated and revoked here (the ``api_token`` command calls these), checked by
``HashedTokenAuthentication`` (REST_FRAMEWORK's first authentication class). docs/api.md.

A key is 40 random hex digits, printed once; the database keeps its SHA-256 digest, the lookup
hashes the key it is given. A token expires API_TOKEN_DAYS after it was made. Every change is in
the audit trail (accounts/auth_audit.py), never with the key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from accounts.auth_audit import API_TOKEN_CREATE, API_TOKEN_REVOKE, API_TOKEN_ROTATE, record
from portal.api.models import ApiToken

KEY_BYTES = 20  # 40 hex digits, 160 bits


class TokenExists(Exception):
    """The user already has a token that has not expired: its key cannot be shown again."""

    def __init__(self, token: ApiToken):
        super().__init__(token)
        self.token = token


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_token(user, *, replace: bool = False, days: int | None = None, actor=None) -> tuple[ApiToken, str]:
    """A new token for ``user``, valid for ``days`` (API_TOKEN_DAYS), and its key: the only time
    the key exists outside the caller. An expired token is replaced; a valid one only with
    ``replace`` (it stops working at once), else TokenExists."""
    days = settings.API_TOKEN_DAYS if days is None else days
    if days < 1:
        raise ValueError("A token is valid for at least one day.")
    with transaction.atomic():
        # Locking the user serialises two issues for the same user (one token per user).
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        now = timezone.now()
        old = ApiToken.objects.filter(user=user).first()
        if old is not None and not old.has_expired(now) and not replace:
            raise TokenExists(old)
        if old is not None:
            old.delete()
        key = secrets.token_hex(KEY_BYTES)
        token = ApiToken.objects.create(
            user=user, digest=digest_of(key), created_at=now, expires_at=now + dt.timedelta(days=days)
        )
        replaced = {"replaced_created_at": old.created_at.isoformat()} if old is not None else {}
        record(
            API_TOKEN_ROTATE if old is not None else API_TOKEN_CREATE,
            None,
            actor=actor,
            account=user,
            created_at=token.created_at.isoformat(),
            expires_at=token.expires_at.isoformat(),
            **replaced,
        )
    return token, key


def revoke_token(user, *, actor=None) -> bool:
    """Delete the user's token (its key stops working at once); False when there was none."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(user=user).first()
        if token is None:
            return False
        token.delete()
        record(API_TOKEN_REVOKE, None, actor=actor, account=user, created_at=token.created_at.isoformat())
    return True


class HashedTokenAuthentication(TokenAuthentication):
    """DRF's ``Authorization: Token <key>`` header, looked up by the key's digest. Unknown,
    expired or an inactive user's: 401 with ``WWW-Authenticate: Token`` and a message saying which."""

    def authenticate_credentials(self, key: str):
        token = ApiToken.objects.select_related("user").filter(digest=digest_of(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if token.has_expired(timezone.now()):
            expired = date_format(timezone.localtime(token.expires_at), "Y-m-d H:i")
            raise exceptions.AuthenticationFailed(
                _("This token expired on %(date)s. Ask the administrator for a new one.") % {"date": expired}
            )
        return token.user, token
