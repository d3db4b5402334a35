"""A plan's reporting periods from its cycle: a pure function of the dates (no database)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.numerals import to_chinese

MONTHS_PER_PERIOD = {"monthly": 1, "quarterly": 3, "half_yearly": 6}


@dataclass(frozen=True)
class PeriodSpec:
    label: str
    starts_on: dt.date
    ends_on: dt.date
    due_on: dt.date


def _month_start(year: int, month: int) -> dt.date:
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return dt.date(year, month, 1)


def due_date(ends_on: dt.date, rule: str, value: int) -> dt.date:
    """报送时限: N days after the period ends, or day N of the month after it ends."""
    if rule == "day_of_next_month":
        return _month_start(ends_on.year, ends_on.month + 1).replace(day=value)
    return ends_on + dt.timedelta(days=value)


def _label(kind: str, start: dt.date) -> str:
    if kind == "monthly":
        return f"{start.year}年{start.month}月"
    if kind == "quarterly":
        return f"{start.year}年第{to_chinese((start.month - 1) // 3 + 1)}季度"
    return f"{start.year}年{'上' if start.month <= 6 else '下'}半年"


def generate_periods(
    kind: str, starts_on: dt.date, ends_on: dt.date, rule: str, value: int, milestones: list[dt.date] = ()
) -> list[PeriodSpec]:
    """Calendar-aligned periods covering [starts_on, ends_on] (the first and last clipped to them);
    for milestones (按节点), one period up to each deadline, due on the deadline itself."""
    if kind == "milestones":
        specs, start = [], starts_on
        for number, deadline in enumerate(sorted(milestones), start=1):
            label = f"第{to_chinese(number)}节点（{deadline.month}月{deadline.day}日）"
            specs.append(PeriodSpec(label, start, deadline, deadline))
            start = deadline + dt.timedelta(days=1)
        return specs
    step = MONTHS_PER_PERIOD[kind]
    # The calendar block (month, quarter, half-year) the cycle starts in.
    first_month = (starts_on.month - 1) // step * step + 1
    block = _month_start(starts_on.year, first_month)
    specs = []
    while block <= ends_on:
        following = _month_start(block.year, block.month + step)
        start = max(block, starts_on)
        end = min(following - dt.timedelta(days=1), ends_on)
        specs.append(PeriodSpec(_label(kind, block), start, end, due_date(end, rule, value)))
        block = following
    return specs
