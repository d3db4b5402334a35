from django.contrib import admin

from accounts.admin_policy import RecordAdmin
from accounts.models import AccountProfile


@admin.register(AccountProfile)
class AccountProfileAdmin(RecordAdmin):
    """Shown, never edited here: the office's account pages (账号管理) set the mobile number and the
    handed-over password, which they audit."""

    list_display = ["user", "mobile", "must_change_password", "password_issued_at"]
    list_filter = ["must_change_password"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "mobile"]
    list_select_related = ["user"]
