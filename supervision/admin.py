from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from supervision.models import ProgressReport, ReportingPeriod


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(SimpleHistoryAdmin):
    list_display = ["label", "plan", "starts_on", "ends_on", "due_on"]
    list_filter = ["plan"]
    search_fields = ["label", "plan__doc_number"]
    date_hierarchy = "due_on"


@admin.register(ProgressReport)
class ProgressReportAdmin(SimpleHistoryAdmin):
    list_display = ["assignment", "period", "status", "submitted_at", "reviewed_at"]
    list_filter = ["status", "period__plan", "assignment__role"]
    search_fields = ["assignment__agency__name", "assignment__task__content", "work_done"]
    raw_id_fields = ["assignment", "submitted_by", "reviewed_by"]
    list_select_related = ["assignment__agency", "assignment__task", "period"]
