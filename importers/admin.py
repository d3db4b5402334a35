from django.contrib import admin

from accounts.admin_policy import ScopedAdminMixin
from importers.models import ImportSession


@admin.register(ImportSession)
class ImportSessionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """A read-only record of imports: who imported which file into which plan, and how it went.
    Each user reads their own, as in the portal (ImportSession.objects.visible_to)."""

    list_display = ["filename", "created_by", "status", "plan", "created_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["filename", "doc_number", "created_by__username"]
    list_select_related = ["created_by", "plan"]
    exclude = ["data"]
    readonly_fields = [f.name for f in ImportSession._meta.fields if f.name != "data"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # cancelled on its own page (importers.actions), which knows an import under way
