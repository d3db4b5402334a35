"""Who a user is, read once per request: the office and leader flags (accounts/roles.py) and the
agencies the user works for with the role held there (agencies' memberships).

``actor_of(request.user)`` builds it on the first question and keeps it on the user object, so a
page, its template (the ``actor`` context variable), the querysets and the actions it calls all ask
the same answer without querying again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from accounts.roles import is_leader, is_office
from agencies.models import Membership, MembershipRole


@dataclass(frozen=True)
class Actor:
    user: object
    is_office: bool = False
    is_leader: bool = False
    roles: Mapping[int, str] = field(default_factory=dict)  # agency id → staff or head

    @property
    def sees_everything(self) -> bool:
        """The office and leaders read every plan; agency staff read their own agency's work."""
        return self.is_office or self.is_leader

    @property
    def agency_ids(self) -> list[int]:
        return sorted(self.roles)

    @property
    def headed_agency_ids(self) -> list[int]:
        return sorted(pk for pk, role in self.roles.items() if role == MembershipRole.HEAD)

    def role_in(self, agency_id: int) -> str | None:
        return self.roles.get(agency_id)


_NOBODY = Actor(user=None)


def actor_of(user) -> Actor:
    if user is None or not user.is_authenticated:
        return _NOBODY
    actor = getattr(user, "_portal_actor", None)
    if actor is None:
        roles = dict(Membership.objects.filter(user=user).values_list("agency_id", "role"))
        actor = Actor(user=user, is_office=is_office(user), is_leader=is_leader(user), roles=roles)
        user._portal_actor = actor
    return actor
