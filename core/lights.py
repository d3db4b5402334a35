"""The traffic lights (红黄绿灯): their order and words. Which light a report shows is a
supervision rule (supervision/rules.py: traffic_light); the plan export only prints them."""

from __future__ import annotations

import enum

from django.utils.translation import gettext as _


class Light(enum.StrEnum):
    """红黄绿灯 of a report, or of a task as the worst of its reporting units."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {
            Light.GREEN: _("Green"),
            Light.YELLOW: _("Yellow"),
            Light.RED: _("Red"),
            Light.CLOSED: _("Closed"),
        }[self]

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Light.CLOSED: -1, Light.GREEN: 0, Light.YELLOW: 1, Light.RED: 2}


def worst(lights) -> Light | None:
    """The light a task shows for several reporting units: the worst of theirs."""
    return max(lights, key=_RANK.__getitem__, default=None)
