"""Every state change of the supervision workflow, one function each, by topic (docs/architecture.md).

Each function checks who may act (supervision.access), locks what it changes, moves the state only
from the state it expects (a double click or a second tab is refused with a message a clerk can act
on: supervision.errors), records an audit event with the fields before and after (audit.trail) and
notifies the people concerned (supervision.notices), all in one transaction. Views, the API and
tests call these; the admin shows what they own read-only (docs/security.md, "The admin"). The
decisions (review, head approval, closing, extensions) are moves of the one approval mechanism in
:mod:`supervision.approvals`; their functions here delegate to it.
"""

from supervision.actions.closing import apply_to_close, approve_closing, return_closing
from supervision.actions.comments import comment_on_task
from supervision.actions.editing import Unit, edit_task
from supervision.actions.extensions import (
    approve_extension,
    cannot_ask_extension,
    refuse_extension,
    request_extension,
)
from supervision.actions.items import ItemData, register_item
from supervision.actions.notifications import mark_read
from supervision.actions.plans import set_cycle, set_head_approval, set_scoring
from supervision.actions.reports import (
    REPORT_FIELDS,
    acknowledge,
    acknowledge_many,
    cannot_edit,
    cannot_report,
    goes_to_head,
    not_editable_reason,
    previous_report,
    remove_attachment,
    save_report,
    submit_report,
    submit_unchanged,
)
from supervision.actions.review import accept_report, accept_reports, approve_as_head, return_as_head, return_report
from supervision.actions.urging import urge
from supervision.errors import ActionError, StaleReport

__all__ = [
    "REPORT_FIELDS",
    "ActionError",
    "ItemData",
    "StaleReport",
    "Unit",
    "accept_report",
    "accept_reports",
    "acknowledge",
    "acknowledge_many",
    "apply_to_close",
    "approve_as_head",
    "approve_closing",
    "approve_extension",
    "cannot_ask_extension",
    "cannot_edit",
    "cannot_report",
    "comment_on_task",
    "edit_task",
    "goes_to_head",
    "mark_read",
    "not_editable_reason",
    "previous_report",
    "refuse_extension",
    "register_item",
    "remove_attachment",
    "request_extension",
    "return_as_head",
    "return_closing",
    "return_report",
    "save_report",
    "set_cycle",
    "set_head_approval",
    "set_scoring",
    "submit_report",
    "submit_unchanged",
    "urge",
]
