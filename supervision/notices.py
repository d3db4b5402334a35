"""Who hears of a change: the one place gathering the people (and mailboxes) a notification, a
reminder digest or an urge notice goes to, and the bell notification itself (the e-mails:
reminders.py, urging.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from accounts.roles import office_people
from agencies.models import Agency, Membership, MembershipRole
from supervision.models import Notification


@dataclass(frozen=True)
class Person:
    user_id: int
    email: str
    role: str = ""  # staff or head in the agency; "" for the office


def people_of(agency_ids: Iterable[int]) -> dict[int, list[Person]]:
    """Each agency's active members, in one query."""
    found: dict[int, list[Person]] = defaultdict(list)
    rows = Membership.objects.filter(agency_id__in=list(agency_ids), user__is_active=True).order_by("user_id")
    for agency_id, role, user_id, email in rows.values_list("agency_id", "role", "user_id", "user__email"):
        found[agency_id].append(Person(user_id, email or "", role))
    return found


def office() -> list[Person]:
    """The office as notifications and digests reach it: the same people as ``is_office``."""
    return [Person(pk, email or "") for pk, email in office_people().order_by("pk").values_list("pk", "email")]


def mail_addresses(people: Iterable[Person], *, mailbox_of: Agency | None = None) -> list[str]:
    """The people's e-mail addresses, and the agency's own mailboxes where it is to hear too."""
    addresses = {p.email.strip().lower() for p in people if p.email and p.email.strip()}
    if mailbox_of is not None:
        addresses |= {email.lower() for email in mailbox_of.email_list()}
    return sorted(addresses)


def members_of(agency_ids: Iterable[int], *, heads_only: bool = False) -> list[int]:
    return sorted(
        {
            person.user_id
            for people in people_of(agency_ids).values()
            for person in people
            if not heads_only or person.role == MembershipRole.HEAD
        }
    )


def office_users() -> list[int]:
    return [person.user_id for person in office()]


def notify(user_ids: Iterable[int], kind: str, *, actor=None, task=None, report=None, note: str = "") -> int:
    rows = [
        Notification(recipient_id=pk, kind=kind, actor=actor, task=task, report=report, note=note)
        for pk in user_ids
        if actor is None or pk != actor.pk
    ]
    Notification.objects.bulk_create(rows)
    return len(rows)
