"""Plans in templates: part and section headings by the one rule of tasklist.headings, role badges.

Load with ``{% load tasklist_tags %}``; a heading is printed only when there is one:
``{% with text=part|heading %}{% if text %}<h2>{{ text }}</h2>{% endif %}{% endwith %}``.
"""

from __future__ import annotations

from django import template

from tasklist import headings
from tasklist.models import ROLE_BADGES

register = template.Library()


@register.filter
def heading(part_or_section) -> str:
    """The heading of a Part or Section, "一、稳定和扩大就业"; "" when it is untitled (it prints none)."""
    return headings.heading(part_or_section.number_label, part_or_section.title)


@register.filter
def printed_label(part_or_section) -> str:
    """The number as printed, "一、" or "（一）"; "" when it is untitled."""
    return headings.printed_label(part_or_section.number_label, part_or_section.title)


@register.filter
def section_path(section) -> str:
    """The section with its part's number, "一、（一）促进高校毕业生就业": only the printed headings."""
    part = section.part
    return headings.section_path(part.number_label, part.title, section.number_label, section.title)


@register.filter
def role_badge(role: str) -> str:
    """The badge of a role given as its value ("lead" → 牵头), as Assignment.badge gives it."""
    return ROLE_BADGES.get(role, "")
