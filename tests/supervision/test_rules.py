"""The pure rules: traffic lights at the day's boundaries, reminder steps, generated periods."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from core.lights import Light, worst
from supervision.cycles import due_date, generate_periods
from supervision.rules import light_at, reminder_steps, traffic_light

SHANGHAI = ZoneInfo("Asia/Shanghai")
DUE = dt.date(2021, 6, 30)


def at(day: dt.date, hour: int, minute: int, second: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=SHANGHAI)


NEXT_DAY = DUE + dt.timedelta(days=1)


# --- traffic lights ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(DUE - dt.timedelta(days=4), 23, 59), Light.GREEN),  # four days ahead: on track
        (at(DUE - dt.timedelta(days=3), 0, 0), Light.YELLOW),  # three days ahead: due soon
        (at(DUE, 23, 59, 59), Light.YELLOW),  # the last second of the due day: not late yet
        (at(NEXT_DAY, 0, 0), Light.RED),  # midnight: overdue
    ],
)
def test_outstanding_report_light_at_the_boundaries(now, expected):
    assert light_at(DUE, None, now, SHANGHAI) == expected


@pytest.mark.parametrize(
    ("submitted_at", "expected"),
    [
        (at(DUE, 23, 59, 59), Light.GREEN),  # on the due day: on time
        (at(NEXT_DAY, 0, 0), Light.YELLOW),  # a second later: late
    ],
)
def test_submitted_report_light_at_the_boundaries(submitted_at, expected):
    assert light_at(DUE, submitted_at, at(NEXT_DAY, 12, 0), SHANGHAI) == expected


def test_the_day_is_shanghais_not_utcs():
    # 2021-06-30 23:30 in Shanghai is 15:30 UTC the same day, and 2021-07-01 00:30 Shanghai is 16:30 UTC
    # on 2021-06-30: a UTC reading would call the second one on time.
    late = dt.datetime(2021, 6, 30, 16, 30, tzinfo=dt.UTC)
    assert light_at(DUE, late, at(NEXT_DAY, 12, 0), SHANGHAI) == Light.YELLOW


def test_the_portals_clock_is_frozen_at_the_boundary(settings):
    """The same rule through the portal's own time zone and clock (time-machine)."""
    tz = timezone.get_default_timezone()
    with time_machine.travel(at(DUE, 23, 59), tick=False):
        assert light_at(DUE, None, timezone.now(), tz) == Light.YELLOW
    with time_machine.travel(at(NEXT_DAY, 0, 0), tick=False):
        assert light_at(DUE, None, timezone.now(), tz) == Light.RED
        assert timezone.localdate() == NEXT_DAY


def test_worst_light_of_a_task():
    assert worst([Light.GREEN, Light.RED, Light.YELLOW]) == Light.RED
    assert worst([]) is None
    assert traffic_light(DUE, DUE, NEXT_DAY) == Light.GREEN


# --- reminder steps ---------------------------------------------------------------------

STEPS = {"soon_days": 3, "repeat_days": 3, "escalate_days": 7}


@pytest.mark.parametrize(
    ("days_after_due", "expected"),
    [
        (-4, []),
        (-3, [("due_soon", 0)]),
        (0, [("due_soon", 0)]),
        (1, [("overdue", 0)]),
        (3, [("overdue", 0)]),
        (4, [("overdue", 1)]),  # repeated every 3 days: day 1, 4, 7 …
        (6, [("overdue", 1)]),
        (7, [("overdue", 2), ("escalation_head", 0), ("escalation_office", 0)]),
        (30, [("overdue", 9), ("escalation_head", 0), ("escalation_office", 0)]),
    ],
)
def test_reminder_steps(days_after_due, expected):
    assert reminder_steps(DUE, DUE + dt.timedelta(days=days_after_due), **STEPS) == expected


# --- generated periods --------------------------------------------------------------------


def test_monthly_periods_are_calendar_months_clipped_to_the_cycle():
    periods = generate_periods("monthly", dt.date(2021, 5, 15), dt.date(2021, 8, 10), "days_after_end", 5)
    assert [(p.label, p.starts_on, p.ends_on, p.due_on) for p in periods] == [
        ("2021年5月", dt.date(2021, 5, 15), dt.date(2021, 5, 31), dt.date(2021, 6, 5)),
        ("2021年6月", dt.date(2021, 6, 1), dt.date(2021, 6, 30), dt.date(2021, 7, 5)),
        ("2021年7月", dt.date(2021, 7, 1), dt.date(2021, 7, 31), dt.date(2021, 8, 5)),
        ("2021年8月", dt.date(2021, 8, 1), dt.date(2021, 8, 10), dt.date(2021, 8, 15)),
    ]


def test_quarterly_and_half_yearly_labels_and_fixed_day_rule():
    quarters = generate_periods("quarterly", dt.date(2021, 1, 1), dt.date(2021, 12, 31), "day_of_next_month", 10)
    assert [p.label for p in quarters] == ["2021年第一季度", "2021年第二季度", "2021年第三季度", "2021年第四季度"]
    assert [p.due_on for p in quarters] == [
        dt.date(2021, 4, 10),
        dt.date(2021, 7, 10),
        dt.date(2021, 10, 10),
        dt.date(2022, 1, 10),
    ]
    halves = generate_periods("half_yearly", dt.date(2021, 3, 1), dt.date(2022, 6, 30), "days_after_end", 15)
    assert [(p.label, p.starts_on) for p in halves] == [
        ("2021年上半年", dt.date(2021, 3, 1)),
        ("2021年下半年", dt.date(2021, 7, 1)),
        ("2022年上半年", dt.date(2022, 1, 1)),
    ]


def test_milestone_periods_are_due_on_their_deadlines():
    periods = generate_periods(
        "milestones", dt.date(2021, 5, 1), dt.date(2021, 12, 31), "days_after_end", 5,
        [dt.date(2021, 12, 31), dt.date(2021, 6, 30)],
    )  # fmt: skip
    assert [(p.label, p.starts_on, p.ends_on, p.due_on) for p in periods] == [
        ("第一节点（6月30日）", dt.date(2021, 5, 1), dt.date(2021, 6, 30), dt.date(2021, 6, 30)),
        ("第二节点（12月31日）", dt.date(2021, 7, 1), dt.date(2021, 12, 31), dt.date(2021, 12, 31)),
    ]


def test_due_date_rules_across_the_year_end():
    assert due_date(dt.date(2021, 12, 31), "days_after_end", 5) == dt.date(2022, 1, 5)
    assert due_date(dt.date(2021, 12, 31), "day_of_next_month", 28) == dt.date(2022, 1, 28)


def test_days_past_a_tasks_own_deadline():
    from supervision.rules import days_past_deadline

    assert days_past_deadline(DUE, DUE) == 0
    assert days_past_deadline(DUE, NEXT_DAY) == 1
    assert days_past_deadline(DUE, NEXT_DAY, closed=True) == 0
    assert days_past_deadline(None, NEXT_DAY) == 0
