from django.contrib import admin
from django.utils.translation import gettext as _

from accounts.admin_policy import ReadOnlyHistoryAdmin, ScopedAdminMixin
from supervision.models import (
    Acknowledgement,
    Attachment,
    AuditEvent,
    ClosingRequest,
    Extension,
    LeaderComment,
    Notification,
    ProgressReport,
    Reminder,
    ReportingCycle,
    ReportingPeriod,
    ScoringRule,
    TaskTarget,
    UrgeNotice,
)
from tasklist.admin import TaskAdmin


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(ReadOnlyHistoryAdmin):
    list_display = ["label", "plan", "starts_on", "ends_on", "due_on"]
    list_filter = ["plan"]
    search_fields = ["label", "plan__doc_number"]
    date_hierarchy = "due_on"

    def get_deleted_objects(self, objs, request):
        """A period with reports is never deleted here: its reports (drafts too) would go with it.
        Django refuses a deletion that lists protected objects, on the single and the bulk delete."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for period in objs:
            count = period.reports.count()
            if count:
                protected.append(
                    _("%(period)s: %(count)s progress reports belong to it") % {"period": period, "count": count}
                )
        return deleted, counts, perms_needed, protected


@admin.register(TaskTarget)
class TaskTargetAdmin(ReadOnlyHistoryAdmin):
    list_display = ["label", "target", "unit", "task"]
    list_filter = ["task__section__part__plan"]
    search_fields = ["label", "task__content"]
    raw_id_fields = ["task"]


class TaskTargetInline(admin.TabularInline):
    """Quantitative targets, which the agencies report figures against."""

    model = TaskTarget
    extra = 0
    fields = ["order", "label", "target", "unit"]


# The targets are edited on the task's admin page, which tasklist owns; tasklist sits below
# supervision and cannot name TaskTarget (docs/architecture.md), so the inline is added from here.
TaskAdmin.inlines = [*TaskAdmin.inlines, TaskTargetInline]


class RecordAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Reports, decisions and the trail change only through the portal's actions, which audit them:
    the admin shows them and never edits them. Their history is the audit trail (AuditEvent), read
    on the task page; django-simple-history's pages, whose "revert" form saves what is posted to it,
    are not offered for them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProgressReport)
class ProgressReportAdmin(RecordAdmin):
    list_display = ["assignment", "period", "status", "submitted_at", "reviewed_at"]
    list_filter = ["status", "period__plan", "assignment__role"]
    search_fields = ["assignment__agency__name", "assignment__task__content", "work_done"]
    list_select_related = ["assignment__agency", "assignment__task", "period"]


@admin.register(Attachment)
class AttachmentAdmin(RecordAdmin):
    list_display = ["name", "size", "report", "uploaded_by", "uploaded_at"]
    list_filter = ["content_type"]
    search_fields = ["name", "report__assignment__agency__name"]
    list_select_related = ["report__assignment__agency", "report__period", "uploaded_by"]
    exclude = ["file"]  # downloads go through the portal's view, which checks who may see the report


@admin.register(Acknowledgement)
class AcknowledgementAdmin(RecordAdmin):
    list_display = ["assignment", "acknowledged_by", "acknowledged_at"]
    list_filter = ["assignment__task__section__part__plan"]
    search_fields = ["assignment__agency__name", "assignment__task__content"]
    list_select_related = ["assignment__agency", "assignment__task", "acknowledged_by"]


@admin.register(LeaderComment)
class LeaderCommentAdmin(RecordAdmin):
    list_display = ["body", "task", "author", "created_at"]
    list_filter = ["task__section__part__plan"]
    search_fields = ["body", "task__content"]
    list_select_related = ["task", "author"]


@admin.register(ClosingRequest)
class ClosingRequestAdmin(RecordAdmin):
    list_display = ["task", "assignment", "status", "requested_at", "decided_at"]
    list_filter = ["status", "task__section__part__plan"]
    search_fields = ["task__content", "summary", "assignment__agency__name"]
    list_select_related = ["task", "assignment__agency"]


@admin.register(Notification)
class NotificationAdmin(RecordAdmin):
    list_display = ["recipient", "kind", "task", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["recipient__username", "note"]
    list_select_related = ["recipient", "task"]


@admin.register(AuditEvent)
class AuditEventAdmin(RecordAdmin):
    list_display = ["at", "actor", "action", "agency", "task"]
    list_filter = ["action"]
    search_fields = ["action", "actor__username", "agency__name", "object_id"]
    list_select_related = ["actor", "agency", "task"]
    date_hierarchy = "at"


@admin.register(ReportingCycle)
class ReportingCycleAdmin(RecordAdmin):
    """Set on the plan's cycle page, which also generates the periods; shown here."""

    list_display = ["plan", "kind", "due_rule", "due_value", "starts_on", "ends_on", "cooperating_must_report"]
    list_filter = ["kind", "due_rule"]
    search_fields = ["plan__doc_number", "plan__title"]


@admin.register(Extension)
class ExtensionAdmin(RecordAdmin):
    list_display = ["assignment", "period", "new_due_on", "status", "requested_at", "decided_at"]
    list_filter = ["status"]
    search_fields = ["assignment__agency__name", "reason"]
    list_select_related = ["assignment__agency", "assignment__task", "period"]


@admin.register(Reminder)
class ReminderAdmin(RecordAdmin):
    list_display = ["assignment", "period", "kind", "sequence", "state", "attempts", "sent_at", "last_error"]
    list_filter = ["state", "kind"]
    search_fields = ["assignment__agency__name", "last_error"]
    list_select_related = ["assignment__agency", "assignment__task", "period"]


@admin.register(UrgeNotice)
class UrgeNoticeAdmin(RecordAdmin):
    list_display = ["agency", "created_at", "created_by", "state", "sent_at", "last_error"]
    list_filter = ["state"]
    search_fields = ["agency__name", "message"]
    list_select_related = ["agency", "created_by"]


@admin.register(ScoringRule)
class ScoringRuleAdmin(RecordAdmin):
    """Set on the plan's scores page; shown here."""

    list_display = ["plan", "enabled", "base", "missing_penalty", "late_penalty"]
    list_filter = ["enabled"]
    search_fields = ["plan__doc_number", "plan__title"]
