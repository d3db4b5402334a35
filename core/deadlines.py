"""完成时限 as plans print it → the date it means, when it names one.

"2021年底前" is 2021-12-31; "2021年6月底前" 2021-06-30; "2021年第三季度" 2021-09-30;
"长期坚持" and "持续推进" name no date and stay text only. Pure, no Django.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

_FULL = re.compile(r"(\d{4})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?")
_MONTH = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月")
_QUARTER = re.compile(r"(\d{4})\s*年\s*第?\s*([一二三四1-4])\s*季度")
_HALF = re.compile(r"(\d{4})\s*年\s*(上|下)半年")
_YEAR = re.compile(r"(\d{4})\s*年")
_QUARTERS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def _month_end(year: int, month: int) -> dt.date | None:
    if not 1 <= month <= 12:
        return None
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def parse_deadline(text: str) -> dt.date | None:
    """The last day the text allows, or None when it names no date (or an impossible one)."""
    try:
        return _parse(text.strip())
    except ValueError:  # 2021年2月30日, year 0 …
        return None


def _parse(text: str) -> dt.date | None:
    if not text:
        return None
    if match := _FULL.search(text):
        return dt.date(*(int(g) for g in match.groups()))
    if match := _QUARTER.search(text):
        return _month_end(int(match.group(1)), _QUARTERS[match.group(2)] * 3)
    if match := _HALF.search(text):
        return _month_end(int(match.group(1)), 6 if match.group(2) == "上" else 12)
    if match := _MONTH.search(text):
        return _month_end(int(match.group(1)), int(match.group(2)))
    if match := _YEAR.search(text):
        return dt.date(int(match.group(1)), 12, 31)
    return None
