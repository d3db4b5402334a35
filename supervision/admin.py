from django.contrib import admin

from accounts.admin_policy import ReadOnlyHistoryAdmin, RecordAdmin
from supervision.models import (
    Acknowledgement,
    Attachment,
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
    # A period with reports is never deleted: ProgressReport.period PROTECTs it, and Django's delete
    # pages (single and bulk) list the reports that keep it.


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


# 督办事项 (supervision/actions/items.py registers them; the portal's item page shows them)
from supervision.models import ItemAttachment, SupervisionItem  # noqa: E402


@admin.register(SupervisionItem)
class SupervisionItemAdmin(RecordAdmin):
    list_display = ["__str__", "plan", "source", "registered_by", "registered_at"]
    list_filter = ["year", "source"]
    search_fields = ["plan__doc_number", "plan__title", "basis"]
    list_select_related = ["plan", "registered_by"]


@admin.register(ItemAttachment)
class ItemAttachmentAdmin(RecordAdmin):
    list_display = ["name", "size", "item", "uploaded_by", "uploaded_at"]
    list_filter = ["content_type"]
    search_fields = ["name", "item__plan__doc_number"]
    list_select_related = ["item", "uploaded_by"]
    exclude = ["file"]  # downloads go through the portal's view, which checks who may see the item
