"""Rules of one object and the time: pure functions, no database (GUIDE §2).

Dates are local dates in the portal's time zone (Asia/Shanghai); the caller converts.
"""

from __future__ import annotations

import datetime as dt
import enum

from django.utils.translation import gettext as _

# Days before the due date from which an outstanding report shows yellow.
DUE_SOON_DAYS = 3


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


def traffic_light(
    due_on: dt.date, submitted_on: dt.date | None, today: dt.date, soon_days: int = DUE_SOON_DAYS
) -> Light:
    """Green: on track or submitted on time; yellow: due within ``soon_days`` or submitted late; red: overdue."""
    if submitted_on is not None:
        return Light.GREEN if submitted_on <= due_on else Light.YELLOW
    if today > due_on:
        return Light.RED
    return Light.YELLOW if (due_on - today).days <= soon_days else Light.GREEN


def worst(lights) -> Light | None:
    """The light a task shows for several reporting units: the worst of theirs."""
    return max(lights, key=_RANK.__getitem__, default=None)


def is_overdue(due_on: dt.date, submitted_on: dt.date | None, today: dt.date) -> bool:
    return submitted_on is None and today > due_on
