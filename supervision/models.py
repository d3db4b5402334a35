"""Reporting periods and the progress reports (进展反馈) filed for them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from tasklist.models import Assignment, Plan, Task


class ReportingPeriod(models.Model):
    """One reporting round of a plan: the span it covers and the day reports are due (报送时限)."""

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="periods")
    label = models.CharField(_("label"), max_length=50, help_text=_("For example 2021年6月 or 2021年第二季度."))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    due_on = models.DateField(_("due on"))

    history = HistoricalRecords()

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
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    ACCEPTED = "accepted", _("Accepted")


class ProgressReport(models.Model):
    """An agency's report on one task for one period."""

    assignment = models.ForeignKey(
        # PROTECT: a filed report must never vanish because a plan was edited.
        Assignment,
        verbose_name=_("assignment"),
        on_delete=models.PROTECT,
        related_name="reports",
    )
    period = models.ForeignKey(
        ReportingPeriod, verbose_name=_("reporting period"), on_delete=models.CASCADE, related_name="reports"
    )
    status = models.CharField(_("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    work_done = models.TextField(_("work done"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    problems = models.TextField(_("problems and support needed"), blank=True)
    percent_complete = models.PositiveSmallIntegerField(
        _("percent complete"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
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
    return_reason = models.TextField(_("reason for return"), blank=True)
    # Optimistic locking: a save carries the version it was edited from.
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

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
                condition=Q(status=ReportStatus.DRAFT) | Q(submitted_at__isnull=False),
                name="report_submitted_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReportStatus.RETURNED) | ~Q(return_reason=""),
                name="report_returned_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.period.label}"

    @property
    def task(self) -> Task:
        return self.assignment.task

    def clean(self) -> None:
        if self.period_id and self.assignment_id and self.period.plan_id != self.assignment.task.section.part.plan_id:
            raise ValidationError(_("The period belongs to another plan than the task."))
        if self.status == ReportStatus.RETURNED and not self.return_reason.strip():
            raise ValidationError({"return_reason": _("A returned report needs a reason.")})
