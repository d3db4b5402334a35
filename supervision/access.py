"""Who may act on a task or a report, asked of the request's actor (agencies/actors.py: the office
and leader flags and the agencies a user works for, read once per request). Actions, approvals,
views and templates ask these functions, so a page never offers what its action would refuse.
"""

from __future__ import annotations

from agencies.actors import actor_of
from agencies.models import MembershipRole
from tasklist.models import Assignment, AssignmentRole, Task


def membership_role(user, agency_id: int) -> str | None:
    return actor_of(user).role_in(agency_id)


def can_file(user, assignment: Assignment) -> bool:
    """Staff and heads of the assigned agency write its reports."""
    return membership_role(user, assignment.agency_id) is not None


def is_head_of(user, agency_id: int) -> bool:
    return membership_role(user, agency_id) == MembershipRole.HEAD


def can_comment(user) -> bool:
    """领导批示: leaders write them; the office records one given on paper."""
    return actor_of(user).sees_everything


def closing_assignment(user, task: Task) -> Assignment | None:
    """The user's assignment that may apply to close the task: its compiling lead (汇总单位, the
    first listed of its leads), or any responsible unit when the task has no lead (排序不分先后)."""
    compiling = task.compiling_lead
    if compiling is not None:
        return compiling if can_file(user, compiling) else None
    for assignment in task.assignments.filter(role=AssignmentRole.RESPONSIBLE):
        if can_file(user, assignment):
            return assignment
    return None
