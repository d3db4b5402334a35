"""Who a user is in the portal. One place, so that scoping never guesses."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

OFFICE_GROUP = "office"  # 督查室: imports plans, reviews reports, urges, closes
LEADER_GROUP = "leader"  # 领导: reads everything, changes nothing


def _groups(user: AbstractBaseUser | AnonymousUser) -> set[str]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_portal_groups", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._portal_groups = cached
    return cached


def is_office(user) -> bool:
    return user.is_authenticated and (user.is_superuser or OFFICE_GROUP in _groups(user))


def is_leader(user) -> bool:
    return LEADER_GROUP in _groups(user)


def office_people():
    """The active users who are the office: its group's members and the superusers, the same set
    for pages (``is_office``), notifications and reminder digests."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    return (
        get_user_model().objects.filter(Q(is_superuser=True) | Q(groups__name=OFFICE_GROUP), is_active=True).distinct()
    )


def sees_everything(user) -> bool:
    """The office and leaders read every plan; agency staff read their own agency's work."""
    return is_office(user) or is_leader(user)
