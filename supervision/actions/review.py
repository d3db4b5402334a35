"""The decisions on a report: the office's review and the agency head's approval, moves of the
one approval mechanism (supervision.approvals), under the names callers know them by."""

from __future__ import annotations

from collections.abc import Iterable

from supervision import approvals
from supervision.errors import ActionError, require_office
from supervision.models import ProgressReport

# Review and head approval are moves of the one approval mechanism (supervision.approvals), as
# are the closing and extension decisions below; these names are what callers know them by.


def approve_as_head(report: ProgressReport, user) -> ProgressReport:
    """The head signs the report off: it goes to the office, recording who approved and when."""
    return approvals.decide(report, user, "head_approve")


def return_as_head(report: ProgressReport, user, reason: str) -> ProgressReport:
    return approvals.decide(report, user, "head_return", reason=reason)


def accept_report(report: ProgressReport, user) -> ProgressReport:
    return approvals.decide(report, user, "accept")


def return_report(report: ProgressReport, user, reason: str) -> ProgressReport:
    return approvals.decide(report, user, "return", reason=reason)


def accept_reports(reports: Iterable[ProgressReport], user) -> tuple[int, int]:
    """Bulk accept: each report in its own transaction, so one already handled does not undo the rest.
    Returns (accepted, skipped)."""
    require_office(user)
    accepted = skipped = 0
    for report in reports:
        try:
            accept_report(report, user)
            accepted += 1
        except ActionError:
            skipped += 1
    return accepted, skipped
