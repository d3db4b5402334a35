from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from supervision.models import ReportStatus

register = template.Library()


@register.simple_tag
def report_state(status: str | None):
    """A report's state as a coloured label; no report yet reads "not started"."""
    label = ReportStatus(status).label if status else _("Not started")
    return format_html('<span class="state state-{}">{}</span>', status or "none", label)


@register.filter
def person(user) -> str:
    """A user as people know them: full name, else the login name; "—" for nobody."""
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


@register.simple_tag
def dict_get(mapping: dict, key):
    return mapping.get(key, "")
