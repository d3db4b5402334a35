from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import IsAuthenticated

from accounts.roles import sees_everything


class SeesEverything(IsAuthenticated):
    """The dashboards' rule (accounts.decorators.overseer_required): the office and leaders; anyone
    else logged in gets 403 before any lookup, so the answer says nothing about the id."""

    message = _("Dashboard figures are for the supervising office and leaders.")

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and sees_everything(request.user)
