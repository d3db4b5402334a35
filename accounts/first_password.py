"""Passwords the office hands over: generated, shown once, changed at the next login.

A handed-over password (an account's first one, or one the office reset) is generated here, set on
the user and returned in clear exactly once, for the office's handout (agencies/accounts.py); it is
stored nowhere else. The user's AccountProfile then says it must be changed: at login that is copied
into the session, and accounts/middleware.py sends every page to the password-change form until the
user chooses a password. (An office reset changes the password, which ends the user's sessions, so
the flag read at login is never stale.)
"""

from __future__ import annotations

import secrets

from django.utils import timezone

from accounts.models import AccountProfile

# No 0/O/o, 1/l/I, nor 2/Z, 5/S, 8/B: read aloud over the phone or copied from paper without doubt.
LETTERS = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY"
DIGITS = "34679"
ALPHABET = LETTERS + DIGITS
LENGTH = 10
SESSION_KEY = "accounts_must_change_password"


def generate_password(length: int = LENGTH) -> str:
    """A random password of ``length`` characters, with at least two digits and two letters (so
    the validators never refuse it as numeric or common)."""
    while True:
        password = "".join(secrets.choice(ALPHABET) for _ in range(length))
        digits = sum(ch in DIGITS for ch in password)
        if 2 <= digits <= length - 2:
            return password


def profile_of(user) -> AccountProfile:
    return AccountProfile.objects.get_or_create(user=user)[0]


def issue_password(user) -> str:
    """Give ``user`` a new generated password that must be changed at the next login; returns it
    in clear, once. The caller saves nothing else: the user row is saved here."""
    password = generate_password()
    user.set_password(password)
    user.save(update_fields=["password"])
    profile = profile_of(user)
    profile.must_change_password = True
    profile.password_issued_at = timezone.now()
    profile.save(update_fields=["must_change_password", "password_issued_at"])
    return password


def must_change(user) -> bool:
    return AccountProfile.objects.filter(user=user, must_change_password=True).exists()


def password_chosen(user, request=None) -> None:
    """The user set a password of their own (password change or the e-mailed reset link)."""
    AccountProfile.objects.filter(user=user, must_change_password=True).update(must_change_password=False)
    if request is not None and hasattr(request, "session"):
        request.session.pop(SESSION_KEY, None)


def on_logged_in(sender, request, user, **kwargs) -> None:
    """user_logged_in: remember in the session that this login must change its password first."""
    if request is None or not hasattr(request, "session"):
        return
    if must_change(user):
        request.session[SESSION_KEY] = True
    else:
        request.session.pop(SESSION_KEY, None)
