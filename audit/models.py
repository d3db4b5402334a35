"""The audit trail's one table, and the vocabulary of its actions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts import auth_audit
from accounts.roles import sees_everything
from agencies.models import Agency, agencies_of
from tasklist.models import Task


class Action(models.TextChoices):
    """Every action the trail records, with the words people read for it (the task page's 操作记录,
    the admin). The account actions' values are defined where they are sent (accounts/auth_audit.py)."""

    TASK_ACKNOWLEDGE = "task.acknowledge", _("Acknowledged the task")
    REPORT_SAVE = "report.save", _("Saved the report")
    REPORT_SUBMIT = "report.submit", _("Submitted the report")
    REPORT_SUBMIT_TO_HEAD = "report.submit_to_head", _("Submitted the report to the agency head")
    REPORT_HEAD_APPROVE = "report.head_approve", _("Head approved the report")
    REPORT_HEAD_RETURN = "report.head_return", _("Head returned the report")
    REPORT_ACCEPT = "report.accept", _("Accepted the report")
    REPORT_RETURN = "report.return", _("Returned the report")
    REPORT_REMOVE_ATTACHMENT = "report.remove_attachment", _("Removed an attachment")
    TASK_COMMENT = "task.comment", _("Leader comment")
    CLOSING_APPLY = "closing.apply", _("Applied to close")
    CLOSING_APPROVE = "closing.approve", _("Approved closing")
    CLOSING_RETURN = "closing.return", _("Returned the closing application")
    TASK_CLOSE = "task.close", _("Closed the task")
    TASK_URGE = "task.urge", _("Sent an urge notice (督办单)")
    TASK_EDIT = "task.edit", _("Edited the task")
    EXTENSION_REQUEST = "extension.request", _("Asked for an extension")
    EXTENSION_APPROVE = "extension.approve", _("Approved the extension")
    EXTENSION_REFUSE = "extension.refuse", _("Refused the extension")
    CYCLE_SET = "cycle.set", _("Set the reporting cycle")
    SCORING_SET = "scoring.set", _("Set the scoring rule")
    HEAD_APPROVAL_SET = "plan.head_approval", _("Set whether agency heads approve reports")
    ITEM_REGISTER = "item.register", _("Registered a supervision item (督办事项)")
    LOGIN = auth_audit.LOGIN, _("Logged in")
    LOGIN_FAILED = auth_audit.LOGIN_FAILED, _("Failed login")
    LOCKED_OUT = auth_audit.LOCKED_OUT, _("Login locked after repeated failures")
    LOGOUT = auth_audit.LOGOUT, _("Logged out")
    SESSION_EXPIRED = auth_audit.SESSION_EXPIRED, _("Session expired")
    PASSWORD_CHANGE = auth_audit.PASSWORD_CHANGE, _("Changed the password")
    UNLOCK = auth_audit.UNLOCK, _("Unlocked a login")
    API_TOKEN_CREATE = auth_audit.API_TOKEN_CREATE, _("Created an API token")
    API_TOKEN_ROTATE = auth_audit.API_TOKEN_ROTATE, _("Replaced an API token")
    API_TOKEN_REVOKE = auth_audit.API_TOKEN_REVOKE, _("Revoked an API token")
    ACCOUNT_CREATE = auth_audit.ACCOUNT_CREATE, _("Created the account")
    ACCOUNT_DISABLE = auth_audit.ACCOUNT_DISABLE, _("Disabled the account")
    ACCOUNT_ENABLE = auth_audit.ACCOUNT_ENABLE, _("Enabled the account")
    ACCOUNT_PASSWORD_RESET = auth_audit.ACCOUNT_PASSWORD_RESET, _("Reset the password")

    @property
    def agency_internal(self) -> bool:
        """Events that carry a report's text before it reaches the office: its agency's alone."""
        return self in AGENCY_INTERNAL

    @property
    def before_is_internal(self) -> bool:
        """The fields before this action are the agency's own draft: read only inside the agency."""
        return self in BEFORE_IS_INTERNAL

    @classmethod
    def label_of(cls, value: str) -> str:
        """The words for a recorded action; an action this vocabulary does not know reads as itself."""
        try:
            return str(cls(value).label)
        except ValueError:
            return value


AGENCY_INTERNAL = frozenset(
    {Action.REPORT_SAVE, Action.REPORT_SUBMIT_TO_HEAD, Action.REPORT_REMOVE_ATTACHMENT, Action.REPORT_HEAD_RETURN}
)
# Shown to the office, but what the report said before (a draft) is the agency's alone.
BEFORE_IS_INTERNAL = frozenset({Action.REPORT_SUBMIT, Action.REPORT_HEAD_APPROVE})


class AuditEventQuerySet(models.QuerySet):
    def visible_to(self, user) -> AuditEventQuerySet:
        """Everyone reads the events of their own agency; the office and leaders every other event
        but those internal to an agency; staff the task-wide events of the tasks they hold."""
        if not user.is_authenticated:
            return self.none()
        own = Q(agency__in=agencies_of(user))
        if sees_everything(user):
            return self.filter(own | ~Q(action__in=[str(action) for action in AGENCY_INTERNAL]))
        return self.filter(task__in=Task.objects.visible_to(user)).filter(Q(agency__isnull=True) | own)


class AuditEvent(models.Model):
    """One state change: who did what, when, and the object's fields before and after."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=40)
    at = models.DateTimeField(_("at"))
    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events"
    )
    # The agency whose work changed; staff read only their own agency's events and task-wide ones.
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=40)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        # The table was created by the supervision app, where the model first lived.
        db_table = "supervision_auditevent"
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["task", "at"], name="audit_by_task")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action}"

    @property
    def action_label(self) -> str:
        return Action.label_of(self.action)
