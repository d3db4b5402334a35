"""How an action refuses: :class:`ActionError`, with a message a clerk can act on."""

from __future__ import annotations

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.roles import is_office


class ActionError(Exception):
    """The action was refused; the message says why and what to do."""


class StaleReport(ActionError):
    """Another save came in between; carries the report as it is now."""

    def __init__(self, message: str, report):
        super().__init__(message)
        self.report = report


def require(condition: bool, message: str) -> None:
    if not condition:
        raise ActionError(message)


def require_office(user) -> None:
    require(is_office(user), _("Only the supervising office may do this."))


def local_time(moment) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def name_of(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else _("someone")
