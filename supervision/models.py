"""Reporting periods and the progress reports (进展反馈) filed for them."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from accounts.roles import sees_everything
from agencies.models import Agency, agencies_of
from tasklist.models import Assignment, AssignmentRole, Plan, Task


class ReportingPeriodQuerySet(models.QuerySet):
    def visible_to(self, user) -> ReportingPeriodQuerySet:
        return self.filter(plan__in=Plan.objects.visible_to(user))

    def current(self, today: date) -> ReportingPeriodQuerySet:
        """Per plan, the latest period that has started by `today` (a set of at most one per plan)."""
        latest = (
            ReportingPeriod.objects.filter(plan=OuterRef("plan"), starts_on__lte=today)
            .order_by("-starts_on")
            .values("pk")[:1]
        )
        return self.filter(pk=Subquery(latest))


class ReportingPeriod(models.Model):
    """One reporting round of a plan: the span it covers and the day reports are due (报送时限)."""

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="periods")
    label = models.CharField(_("label"), max_length=50, help_text=_("For example 2021年6月 or 2021年第二季度."))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    due_on = models.DateField(_("due on"))

    history = HistoricalRecords()
    objects = ReportingPeriodQuerySet.as_manager()

    class Meta:
        verbose_name = _("reporting period")
        verbose_name_plural = _("reporting periods")
        ordering = ["plan", "starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "starts_on"], name="period_unique_start"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="period_ends_after_start"),
            models.CheckConstraint(condition=Q(due_on__gte=F("starts_on")), name="period_due_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.plan.doc_number} {self.label}"

    def clean(self) -> None:
        errors = {}
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("A period cannot end before it starts.")
        if self.starts_on and self.due_on and self.due_on < self.starts_on:
            errors["due_on"] = _("Reports cannot be due before the period starts.")
        if errors:
            raise ValidationError(errors)


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    # Only on plans where the agency head signs off before the office sees the report.
    HEAD_REVIEW = "head_review", _("Awaiting head approval")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    ACCEPTED = "accepted", _("Accepted")


# The agency may still change these; the others are read-only to it.
EDITABLE_STATUSES = (ReportStatus.DRAFT, ReportStatus.RETURNED)
# Reports that have reached the office: they count as filed, on time or late.
FILED_STATUSES = (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED)


def sent_to_office() -> Q:
    """Reports that are with the office: submitted or accepted.

    A draft, a report waiting for its head, and a returned one being revised are the agency's own
    business: nobody outside it reads them (not the office, not a leader, not the lead unit) until
    it is sent again; the versions it was sent in stay readable in its history.
    """
    return Q(status__in=FILED_STATUSES)


class ProgressReportQuerySet(models.QuerySet):
    def visible_to(self, user) -> ProgressReportQuerySet:
        """An agency reads its own reports; the office and leaders read every report sent to the
        office, and a lead unit (every one, where a task names several) those of the other units on
        the tasks it leads."""
        if not user.is_authenticated:
            return self.none()
        mine = agencies_of(user)
        own = Q(assignment__agency__in=mine)
        if sees_everything(user):
            return self.filter(own | sent_to_office())
        leads = Assignment.objects.filter(task=OuterRef("assignment__task"), role=AssignmentRole.LEAD, agency__in=mine)
        return self.filter(own | (sent_to_office() & Exists(leads)))


class ProgressReport(models.Model):
    """An agency's report on one task for one period."""

    assignment = models.ForeignKey(
        # PROTECT: a filed report must never vanish because a plan was edited.
        Assignment,
        verbose_name=_("assignment"),
        on_delete=models.PROTECT,
        related_name="reports",
    )
    # PROTECT: a period reports were filed for is never deleted (the cycle keeps it, the admin refuses).
    period = models.ForeignKey(
        ReportingPeriod, verbose_name=_("reporting period"), on_delete=models.PROTECT, related_name="reports"
    )
    status = models.CharField(_("status"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    work_done = models.TextField(_("work done"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    problems = models.TextField(_("problems and support needed"), blank=True)
    percent_complete = models.PositiveSmallIntegerField(
        _("percent complete"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    stage = models.CharField(
        _("stage"), max_length=100, blank=True, help_text=_("For example 方案制定, 组织实施, 基本完成.")
    )
    # Figures against the task's quantitative targets: {target id: value as text}.
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    no_change = models.BooleanField(_("no change since last period"), default=False)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # 单位负责人: who approved the report for the office, and when (plans with head approval).
    head_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by the head"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    head_approved_at = models.DateTimeField(_("approved by the head at"), null=True, blank=True)
    return_reason = models.TextField(_("reason for return"), blank=True)
    # Optimistic locking: a save carries the version it was edited from.
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()
    objects = ProgressReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["period", "assignment"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "period"], name="report_unique_per_period"),
            models.CheckConstraint(condition=Q(status__in=ReportStatus.values), name="report_status_valid"),
            models.CheckConstraint(
                condition=Q(percent_complete__isnull=True) | Q(percent_complete__lte=100),
                name="report_percent_range",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[ReportStatus.SUBMITTED, ReportStatus.ACCEPTED])
                | Q(submitted_at__isnull=False),
                name="report_submitted_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReportStatus.RETURNED) | ~Q(return_reason=""),
                name="report_returned_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.period.label}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("supervision:report", args=[self.assignment_id, self.period_id])

    @property
    def task(self) -> Task:
        return self.assignment.task

    def clean(self) -> None:
        if self.period_id and self.assignment_id and self.period.plan_id != self.assignment.task.section.part.plan_id:
            raise ValidationError(_("The period belongs to another plan than the task."))
        if self.status == ReportStatus.RETURNED and not self.return_reason.strip():
            raise ValidationError({"return_reason": _("A returned report needs a reason.")})

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES


class TaskTarget(models.Model):
    """A quantitative target of a task (e.g. 新增城镇就业 4.5 万人), reported against each period."""

    task = models.ForeignKey(Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="targets")
    label = models.CharField(_("label"), max_length=100)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2, null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("quantitative target")
        verbose_name_plural = _("quantitative targets")
        ordering = ["task", "order", "pk"]

    def __str__(self) -> str:
        goal = f" {self.target.normalize():f}{self.unit}" if self.target is not None else ""
        return f"{self.label}{goal}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is random: the original name is kept in the row, never guessable from a URL.
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"attachments/{instance.report.period.plan_id}/{uuid.uuid4().hex}{suffix}"


class AttachmentQuerySet(models.QuerySet):
    def visible_to(self, user) -> AttachmentQuerySet:
        return self.filter(report__in=ProgressReport.objects.visible_to(user))


class StoredFile(models.Model):
    """A file kept for the portal: its name as uploaded, size, type, who uploaded it and when. It is
    checked before it is stored and served only by a view that checks who may read it
    (supervision/attachments.py)."""

    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @classmethod
    def store(cls, checked: list[tuple], user, **owner) -> list:
        """Keep uploads already checked (supervision.attachments.check_all) for ``owner``."""
        return [
            cls.objects.create(
                file=upload,
                name=upload.name[:200],
                size=upload.size,
                content_type=content_type,
                uploaded_by=user,
                **owner,
            )
            for upload, content_type in checked
        ]


class Attachment(StoredFile):
    """A file filed with a report; served only through a view that checks the report's visibility."""

    report = models.ForeignKey(
        ProgressReport, verbose_name=_("progress report"), on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["report", "uploaded_at", "pk"]


class Acknowledgement(models.Model):
    """签收: an agency has seen a task it was assigned. One per assignment."""

    assignment = models.OneToOneField(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="acknowledgement"
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("acknowledged by"), on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"))

    class Meta:
        verbose_name = _("acknowledgement")
        verbose_name_plural = _("acknowledgements")

    def __str__(self) -> str:
        return f"{self.assignment} ✓"


class LeaderComment(models.Model):
    """领导批示 on a task, shown to every agency on it."""

    task = models.ForeignKey(Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="leader_comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("leader comment")
        verbose_name_plural = _("leader comments")
        ordering = ["task", "-created_at"]
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="leader_comment_not_empty")]

    def __str__(self) -> str:
        return self.body[:40]


class DecisionRequest(models.Model):
    """A request the office decides: who asked and when, who decided and when (docs/architecture.md: one approval
    mechanism). The decision itself is the subclass's ``status``; its moves are in
    ``supervision.approvals``. The subclass names the field holding the decision's reason
    (``decision_note_field``), kept under its historical column name."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    decision_note_field: str = ""

    class Meta:
        abstract = True

    @property
    def decision_note(self) -> str:
        """The reason given with the decision (a return or a refusal), or ""."""
        return getattr(self, self.decision_note_field) if self.decision_note_field else ""


class ClosingStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


class ClosingRequestQuerySet(models.QuerySet):
    def visible_to(self, user) -> ClosingRequestQuerySet:
        return self.filter(task__in=Task.objects.visible_to(user))


class ClosingRequest(DecisionRequest):
    """办结申请: the compiling lead (汇总单位, the first listed lead), or a responsible unit where the
    task has no lead, asks the office to close a task."""

    task = models.ForeignKey(Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="closing_requests")
    assignment = models.ForeignKey(
        Assignment, verbose_name=_("applicant"), on_delete=models.PROTECT, related_name="closing_requests"
    )
    summary = models.TextField(_("closing report"))
    status = models.CharField(_("status"), max_length=10, choices=ClosingStatus.choices, default=ClosingStatus.PENDING)
    return_reason = models.TextField(_("reason for return"), blank=True)

    decision_note_field = "return_reason"
    objects = ClosingRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("closing request")
        verbose_name_plural = _("closing requests")
        ordering = ["task", "-requested_at"]
        constraints = [
            # A second click, or a second staff member, cannot open a second pending request.
            models.UniqueConstraint(
                fields=["task"], condition=Q(status=ClosingStatus.PENDING), name="closing_one_pending_per_task"
            ),
            models.CheckConstraint(condition=Q(status__in=ClosingStatus.values), name="closing_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=ClosingStatus.RETURNED) | ~Q(return_reason=""), name="closing_returned_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} · {self.get_status_display()}"


class NotificationKind(models.TextChoices):
    REPORT_RETURNED = "report_returned", _("Report returned")
    REPORT_ACCEPTED = "report_accepted", _("Report accepted")
    REPORT_FOR_HEAD = "report_for_head", _("Report awaiting your approval")
    CLOSING_REQUESTED = "closing_requested", _("Closing requested")
    TASK_CLOSED = "task_closed", pgettext_lazy("notification", "Task closed")
    CLOSING_RETURNED = "closing_returned", _("Closing request returned")
    LEADER_COMMENT = "leader_comment", _("Leader comment")
    REMINDER = "reminder", _("Reminder")
    URGE = "urge", _("Urge notice (督办单)")
    ACKNOWLEDGE_URGED = "acknowledge_urged", _("Urged to acknowledge (催签)")
    EXTENSION_REQUESTED = "extension_requested", _("Extension requested")
    EXTENSION_APPROVED = "extension_approved", _("Extension approved")
    EXTENSION_REFUSED = "extension_refused", _("Extension refused")


class NotificationQuerySet(models.QuerySet):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A message in the portal's bell. The text is rendered in the reader's language from its kind."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    task = models.ForeignKey(Task, verbose_name=_("task"), on_delete=models.CASCADE, null=True, blank=True)
    report = models.ForeignKey(
        ProgressReport, verbose_name=_("progress report"), on_delete=models.CASCADE, null=True, blank=True
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} · {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        if self.kind == NotificationKind.ACKNOWLEDGE_URGED:
            return reverse("supervision:workspace")  # where the tasks are acknowledged (签收)
        if self.report_id:
            return reverse("supervision:report", args=[self.report.assignment_id, self.report.period_id])
        if self.task_id:
            return reverse("supervision:task", args=[self.task_id])
        if self.kind in (NotificationKind.REMINDER, NotificationKind.URGE):
            return reverse("supervision:todo")  # what is owed, oldest first: the reports the notice is about
        return reverse("supervision:notifications")


# ---------------------------------------------------------------------------
# Reporting cycles, extensions, reminders (催办)
# ---------------------------------------------------------------------------


class CycleKind(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    HALF_YEARLY = "half_yearly", _("Half-yearly")
    MILESTONES = "milestones", _("By milestones (按节点)")


class DueRule(models.TextChoices):
    DAYS_AFTER_END = "days_after_end", _("N days after the period ends")
    DAY_OF_NEXT_MONTH = "day_of_next_month", _("A fixed day of the following month")


class ReportingCycle(models.Model):
    """How often a plan's agencies report, set by the office; the periods are generated from it."""

    plan = models.OneToOneField(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="cycle")
    kind = models.CharField(_("cycle"), max_length=20, choices=CycleKind.choices, default=CycleKind.MONTHLY)
    due_rule = models.CharField(_("due rule"), max_length=20, choices=DueRule.choices, default=DueRule.DAYS_AFTER_END)
    due_value = models.PositiveSmallIntegerField(
        _("days / day of month"),
        default=5,
        help_text=_("Days after the period ends, or the day of the following month (1–28)."),
    )
    starts_on = models.DateField(_("first period starts on"))
    ends_on = models.DateField(_("last period ends on"))
    milestones = models.TextField(
        _("milestone deadlines"), blank=True, help_text=_("按节点: one date (YYYY-MM-DD) per line.")
    )
    cooperating_must_report = models.BooleanField(
        _("cooperating units report too"),
        default=False,
        help_text=_("Lead and responsible units always report; cooperating units only when this is set."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("reporting cycle")
        verbose_name_plural = _("reporting cycles")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=CycleKind.values), name="cycle_kind_valid"),
            models.CheckConstraint(condition=Q(due_rule__in=DueRule.values), name="cycle_due_rule_valid"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="cycle_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.plan.doc_number} · {self.get_kind_display()}"

    def milestone_dates(self) -> list[date]:
        return sorted({date.fromisoformat(line.strip()) for line in self.milestones.splitlines() if line.strip()})

    def clean(self) -> None:
        errors = {}
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("The cycle cannot end before it starts.")
        if self.due_rule == DueRule.DAY_OF_NEXT_MONTH and not 1 <= self.due_value <= 28:
            errors["due_value"] = _("Choose a day between 1 and 28, which every month has.")
        if self.due_rule == DueRule.DAYS_AFTER_END and self.due_value > 60:
            errors["due_value"] = _("At most 60 days after the period ends.")
        if self.kind == CycleKind.MILESTONES:
            try:
                dates = self.milestone_dates()
            except ValueError:
                errors["milestones"] = _("Write one date per line as YYYY-MM-DD, e.g. 2021-06-30.")
            else:
                if not dates:
                    errors["milestones"] = _("List at least one milestone deadline.")
                elif self.starts_on and self.ends_on and not all(self.starts_on <= d <= self.ends_on for d in dates):
                    errors["milestones"] = _("Every milestone must fall between the first and the last day.")
        if errors:
            raise ValidationError(errors)


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting decision")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class ExtensionQuerySet(models.QuerySet):
    def visible_to(self, user) -> ExtensionQuerySet:
        if not user.is_authenticated:
            return self.none()
        if sees_everything(user):
            return self
        return self.filter(assignment__agency__in=agencies_of(user))


class Extension(DecisionRequest):
    """延期申请: an agency asks, before the due date, to report later in one period."""

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="extensions"
    )
    period = models.ForeignKey(
        ReportingPeriod, verbose_name=_("reporting period"), on_delete=models.CASCADE, related_name="extensions"
    )
    reason = models.TextField(_("reason"))
    new_due_on = models.DateField(_("new due date"))
    status = models.CharField(
        _("status"), max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    refusal_reason = models.TextField(_("reason for refusal"), blank=True)

    decision_note_field = "refusal_reason"
    objects = ExtensionQuerySet.as_manager()

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "period"],
                condition=Q(status=ExtensionStatus.PENDING),
                name="extension_one_pending",
            ),
            models.CheckConstraint(condition=Q(status__in=ExtensionStatus.values), name="extension_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.period.label} → {self.new_due_on}"


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")
    ESCALATION_HEAD = "escalation_head", _("Escalated to the agency head")
    ESCALATION_OFFICE = "escalation_office", _("Escalated to the office")


class SendState(models.TextChoices):
    """pending → sending (claimed by one run) → sent; back to pending after a failure, failed after the last try;
    cancelled when, before it went, the report was filed or the task closed."""

    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class OutboxQuerySet(models.QuerySet):
    """Sending exactly once, for every outbox (reminders, urge notices): a run claims rows in one
    conditional UPDATE, so a row is claimed by one run only; it marks them sent, or failed (back to
    pending for the next sweep, failed for good after REMINDER_MAX_ATTEMPTS), recording the error."""

    def claimable(self, run_id: str, now) -> OutboxQuerySet:
        """Pending rows, stale claims of a run that died, and rows this run claimed before it was
        redelivered."""
        stale = now - timedelta(minutes=settings.REMINDER_CLAIM_TIMEOUT_MINUTES)
        return self.filter(
            Q(state=SendState.PENDING) | Q(state=SendState.SENDING) & (Q(claimed_at__lt=stale) | Q(claimed_by=run_id))
        )

    def waiting(self, now) -> OutboxQuerySet:
        """What the sweep tries again: pending rows and claims left stale by a dead run."""
        stale = now - timedelta(minutes=settings.REMINDER_CLAIM_TIMEOUT_MINUTES)
        return self.filter(Q(state=SendState.PENDING) | Q(state=SendState.SENDING, claimed_at__lt=stale))

    def claim(self, run_id: str, now) -> int:
        return self.claimable(run_id, now).update(state=SendState.SENDING, claimed_by=run_id, claimed_at=now)

    def mark_sent(self, run_id: str, now, note: str = "") -> int:
        return self.filter(claimed_by=run_id).update(
            state=SendState.SENT, sent_at=now, attempts=F("attempts") + 1, last_error=note
        )

    def mark_failed(self, run_id: str, error: Exception) -> None:
        message = f"{type(error).__name__}: {error}"[:2000]
        mine = self.filter(claimed_by=run_id)
        mine.filter(attempts__gte=settings.REMINDER_MAX_ATTEMPTS - 1).update(
            state=SendState.FAILED, attempts=F("attempts") + 1, last_error=message, claimed_by=""
        )
        mine.update(state=SendState.PENDING, attempts=F("attempts") + 1, last_error=message, claimed_by="")


class Outbox(models.Model):
    """What a message waiting to go carries: its state and who claimed it, when, with what result."""

    state = models.CharField(_("state"), max_length=10, choices=SendState.choices, default=SendState.PENDING)
    claimed_by = models.CharField(_("claimed by"), max_length=64, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    objects = OutboxQuerySet.as_manager()

    class Meta:
        abstract = True


class Reminder(Outbox):
    """One reminder step for one outstanding report. The key makes it exist once, the state makes it go once."""

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="reminders"
    )
    period = models.ForeignKey(
        ReportingPeriod, verbose_name=_("reporting period"), on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ReminderKind.choices)
    sequence = models.PositiveSmallIntegerField(_("sequence"), default=0)
    due_on = models.DateField(_("due on"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    notified = models.BooleanField(_("notified in the portal"), default=False)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "period", "kind", "sequence"], name="reminder_once"),
            models.CheckConstraint(condition=Q(kind__in=ReminderKind.values), name="reminder_kind_valid"),
            models.CheckConstraint(condition=Q(state__in=SendState.values), name="reminder_state_valid"),
        ]
        indexes = [
            # The sweep scans only what is still to send.
            models.Index(
                fields=["state", "claimed_at"],
                condition=Q(state__in=["pending", "sending"]),
                name="reminder_to_send",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.period.label} · {self.get_kind_display()} #{self.sequence}"


class UrgeKind(models.TextChoices):
    REPORT = "report", _("Urge notice (督办单)")  # file the reports
    ACKNOWLEDGE = "acknowledge", _("Urge to acknowledge (催签)")  # acknowledge (签收) the tasks


class UrgeNoticeQuerySet(OutboxQuerySet):
    def visible_to(self, user) -> UrgeNoticeQuerySet:
        if not user.is_authenticated:
            return self.none()
        if sees_everything(user):
            return self
        return self.filter(agency__in=agencies_of(user))


class UrgeNotice(Outbox):
    """督办单: a dated notice from the office to one agency about named tasks; sent once, kept on the tasks."""

    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="urge_notices")
    kind = models.CharField(_("kind"), max_length=12, choices=UrgeKind.choices, default=UrgeKind.REPORT)
    tasks = models.ManyToManyField(Task, verbose_name=_("tasks"), related_name="urge_notices")
    message = models.TextField(_("message"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    objects = UrgeNoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("urge notice")
        verbose_name_plural = _("urge notices")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=SendState.values), name="urge_state_valid"),
            models.CheckConstraint(condition=Q(kind__in=UrgeKind.values), name="urge_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.agency} · {self.created_at:%Y-%m-%d}"


class ScoringRule(models.Model):
    """考核: an optional per-plan rule that turns missing and late reports into points."""

    plan = models.OneToOneField(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="scoring")
    enabled = models.BooleanField(_("scoring on"), default=True)
    base = models.DecimalField(_("full marks"), max_digits=6, decimal_places=1, default=100)
    missing_penalty = models.DecimalField(_("points off per missing report"), max_digits=5, decimal_places=1, default=5)
    late_penalty = models.DecimalField(_("points off per late report"), max_digits=5, decimal_places=1, default=2)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("scoring rule")
        verbose_name_plural = _("scoring rules")
        constraints = [
            models.CheckConstraint(condition=Q(base__gt=0), name="scoring_base_positive"),
            models.CheckConstraint(
                condition=Q(missing_penalty__gte=0) & Q(late_penalty__gte=0), name="scoring_penalties_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan.doc_number} · {self.base}"


# ---------------------------------------------------------------------------
# 督办事项: items the office registers from no plan (docs/workflow.md, "Supervision items")
# ---------------------------------------------------------------------------


class ItemSource(models.TextChoices):
    """Where a 督办事项 comes from."""

    LEADER_INSTRUCTION = "leader_instruction", _("Leader's instruction (领导批示)")
    MEETING_DECISION = "meeting_decision", _("Meeting decision (会议议定)")
    HIGHER_LEVEL = "higher_level", _("Assigned by a higher level (上级交办)")
    PUBLIC_REPORT = "public_report", _("Raised by the public (群众反映)")
    MEDIA_EXPOSURE = "media_exposure", _("Exposed by the media (媒体曝光)")
    OTHER = "other", _("Other")


def item_number(year: int, sequence: int) -> str:
    """立项号: 督办〔2026〕12号, numbered per year. The one spelling, also the item's plan's doc_number."""
    return f"督办〔{year}〕{sequence}号"


class SupervisionItemQuerySet(models.QuerySet):
    def visible_to(self, user) -> SupervisionItemQuerySet:
        """As its plan: the office and leaders all; an agency the items it holds."""
        return self.filter(plan__in=Plan.objects.visible_to(user))


class SupervisionItem(models.Model):
    """督办事项: a matter the office supervises that comes from no plan. It IS a plan (kind item) of
    one untitled part, one untitled section and one task, so reports, review, reminders, extensions,
    closing, dashboards and exports treat it as any plan task; this row holds what only an item has."""

    plan = models.OneToOneField(Plan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="item")
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("number in the year"))
    source = models.CharField(_("source"), max_length=20, choices=ItemSource.choices)
    basis = models.TextField(_("basis"), help_text=_("The instruction, the meeting minutes or the matter as raised."))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("registered by"), on_delete=models.PROTECT, related_name="+"
    )
    registered_at = models.DateTimeField(_("registered at"))

    history = HistoricalRecords()
    objects = SupervisionItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("supervision item")
        verbose_name_plural = _("supervision items")
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="item_unique_number_per_year"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="item_sequence_positive"),
            models.CheckConstraint(condition=Q(source__in=ItemSource.values), name="item_source_valid"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("supervision:item", args=[self.pk])

    @property
    def number(self) -> str:
        return item_number(self.year, self.sequence)


def item_attachment_path(instance: ItemAttachment, filename: str) -> str:
    # Random, as a report's attachment: the original name stays in the row.
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"items/{instance.item.year}/{uuid.uuid4().hex}{suffix}"


class ItemAttachmentQuerySet(models.QuerySet):
    def visible_to(self, user) -> ItemAttachmentQuerySet:
        return self.filter(item__in=SupervisionItem.objects.visible_to(user))


class ItemAttachment(StoredFile):
    """A file of an item's basis (the 批示件, the 会议纪要); served only through a view that checks who
    may see the item."""

    item = models.ForeignKey(
        SupervisionItem, verbose_name=_("supervision item"), on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=item_attachment_path, max_length=200)

    objects = ItemAttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("basis attachment")
        verbose_name_plural = _("basis attachments")
        ordering = ["item", "uploaded_at", "pk"]
