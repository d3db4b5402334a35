from django.contrib import admin

from accounts.admin_policy import RecordAdmin
from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(RecordAdmin):
    list_display = ["at", "actor", "action", "agency", "task"]
    list_filter = ["action"]
    search_fields = ["action", "actor__username", "agency__name", "object_id"]
    list_select_related = ["actor", "agency", "task"]
    date_hierarchy = "at"
