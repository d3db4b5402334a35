"""Rules of one object and the time: pure functions, no database (docs/architecture.md).

Dates are local dates in the portal's time zone (Asia/Shanghai); the caller converts.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings

from core.lights import Light


def traffic_light(due_on: dt.date, submitted_on: dt.date | None, today: dt.date, soon_days: int | None = None) -> Light:
    """Green: on track or submitted on time; yellow: due within ``soon_days`` or submitted late; red: overdue.

    ``soon_days`` defaults to ``settings.REMINDER_DUE_SOON_DAYS``, the days of the "due soon" e-mail.
    This is the reference the SQL of supervision/obligations.py is tested against.
    """
    if soon_days is None:
        soon_days = settings.REMINDER_DUE_SOON_DAYS
    if submitted_on is not None:
        return Light.GREEN if submitted_on <= due_on else Light.YELLOW
    if today > due_on:
        return Light.RED
    return Light.YELLOW if (due_on - today).days <= soon_days else Light.GREEN


def is_overdue(due_on: dt.date, submitted_on: dt.date | None, today: dt.date) -> bool:
    return submitted_on is None and today > due_on


def local_date(moment: dt.datetime, tz: dt.tzinfo) -> dt.date:
    """The calendar day a moment falls on in the portal's time zone (a report at 23:59 is on time)."""
    return moment.astimezone(tz).date()


def light_at(
    due_on: dt.date,
    submitted_at: dt.datetime | None,
    now: dt.datetime,
    tz: dt.tzinfo,
    soon_days: int | None = None,
) -> Light:
    """traffic_light for moments: the submission and the present are read as days in ``tz``."""
    submitted_on = local_date(submitted_at, tz) if submitted_at is not None else None
    return traffic_light(due_on, submitted_on, local_date(now, tz), soon_days)


# Reminder steps: (kind, sequence). Kinds match supervision.models.ReminderKind.
DUE_SOON, OVERDUE, ESCALATION_HEAD, ESCALATION_OFFICE = "due_soon", "overdue", "escalation_head", "escalation_office"


def reminder_steps(
    due_on: dt.date, today: dt.date, *, soon_days: int, repeat_days: int, escalate_days: int
) -> list[tuple[str, int]]:
    """The reminders an outstanding report is owed today, each with the sequence that keys it.

    - "due soon" once, from ``soon_days`` before the due date until the due date;
    - "overdue" on the day after the due date, then every ``repeat_days`` days (sequence 0, 1, 2 …);
      a sweep that missed days sends the current step only, never the ones it missed;
    - escalation to the agency head and to the office once, from ``escalate_days`` days overdue.
    """
    late_by = (today - due_on).days
    if late_by <= 0:
        return [(DUE_SOON, 0)] if -late_by <= soon_days else []
    steps = [(OVERDUE, (late_by - 1) // max(repeat_days, 1))]
    if late_by >= escalate_days:
        steps += [(ESCALATION_HEAD, 0), (ESCALATION_OFFICE, 0)]
    return steps


def days_past_deadline(deadline: dt.date | None, today: dt.date, closed: bool = False) -> int:
    """How many days an open task is past its own deadline (完成时限); 0 when it is not."""
    if deadline is None or closed:
        return 0
    return max((today - deadline).days, 0)


def score(base: Decimal, missing: int, late: int, missing_penalty: Decimal, late_penalty: Decimal) -> Decimal:
    """考核 score: full marks less the penalties, never below zero."""
    return max(base - missing * missing_penalty - late * late_penalty, Decimal(0))
