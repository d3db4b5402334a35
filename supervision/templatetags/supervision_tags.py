from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from supervision.models import ReportStatus

register = template.Library()


@register.simple_tag
def report_state(status: str | None):
    """A report's state as a coloured label; no report yet reads "not started"."""
    label = ReportStatus(status).label if status else _("Not started")
    return format_html('<span class="state state-{}">{}</span>', status or "none", label)


AUDIT_LABELS = {
    "task.acknowledge": gettext_lazy("Acknowledged the task"),
    "report.save": gettext_lazy("Saved the report"),
    "report.submit": gettext_lazy("Submitted the report"),
    "report.submit_to_head": gettext_lazy("Submitted the report to the agency head"),
    "report.head_approve": gettext_lazy("Head approved the report"),
    "report.head_return": gettext_lazy("Head returned the report"),
    "report.accept": gettext_lazy("Accepted the report"),
    "report.return": gettext_lazy("Returned the report"),
    "report.remove_attachment": gettext_lazy("Removed an attachment"),
    "task.comment": gettext_lazy("Leader comment"),
    "closing.apply": gettext_lazy("Applied to close"),
    "closing.approve": gettext_lazy("Approved closing"),
    "closing.return": gettext_lazy("Returned the closing application"),
    "task.close": gettext_lazy("Closed the task"),
    "task.urge": gettext_lazy("Sent an urge notice (督办单)"),
    "extension.request": gettext_lazy("Asked for an extension"),
    "extension.approve": gettext_lazy("Approved the extension"),
    "extension.refuse": gettext_lazy("Refused the extension"),
    "cycle.set": gettext_lazy("Set the reporting cycle"),
    "scoring.set": gettext_lazy("Set the scoring rule"),
    # logins (accounts/auth_audit.py)
    "auth.login": gettext_lazy("Logged in"),
    "auth.login_failed": gettext_lazy("Failed login"),
    "auth.locked_out": gettext_lazy("Login locked after repeated failures"),
    "auth.logout": gettext_lazy("Logged out"),
    "auth.session_expired": gettext_lazy("Session expired"),
    "auth.password_change": gettext_lazy("Changed the password"),
}


@register.simple_tag
def audit_label(action: str) -> str:
    return str(AUDIT_LABELS.get(action, action))


@register.simple_tag
def audit_changes(event) -> list[tuple[str, object, object]]:
    """The fields that differ between before and after (every field of a creation)."""
    names = list(dict.fromkeys([*event.before, *event.after]))
    return [
        (name, event.before.get(name), event.after.get(name))
        for name in names
        if event.before.get(name) != event.after.get(name)
    ]


@register.filter
def person(user) -> str:
    """A user as people know them: full name, else the login name; "—" for nobody."""
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


@register.simple_tag
def dict_get(mapping: dict, key):
    return mapping.get(key, "")
