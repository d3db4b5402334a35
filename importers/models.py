"""An import in progress: the uploaded file, its preview, and what the user decided."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    PARSING = "parsing", _("Reading the file")
    READY = "ready", _("Ready to confirm")
    FAILED = "failed", _("Cannot be imported")
    APPLYING = "applying", _("Importing")
    APPLIED = "applied", _("Imported")


class ImportSessionQuerySet(models.QuerySet):
    def visible_to(self, user) -> ImportSessionQuerySet:
        """An import is its uploader's own: its file and preview are read by nobody else."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(created_by=user)


class ImportSession(models.Model):
    """One upload → preview → confirm round.

    The file is kept in the database, not on disk, so that a cancelled or
    abandoned import leaves nothing behind: deleting the row removes it all.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    filename = models.CharField(_("file name"), max_length=255)
    data = models.BinaryField(_("file"), editable=False)
    sheet_name = models.CharField(_("sheet"), max_length=255, blank=True)
    # Metadata the user supplied for a file that does not carry it (overrides the file).
    doc_number = models.CharField(_("document number"), max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=300, blank=True)
    issuer = models.CharField(_("issuer"), max_length=200, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=50, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PARSING)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    preview = models.JSONField(_("preview"), null=True, blank=True)
    plan = models.ForeignKey(
        "tasklist.Plan", verbose_name=_("plan"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ImportSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="import_progress_range"),
            models.CheckConstraint(condition=models.Q(status__in=ImportStatus.values), name="import_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"
