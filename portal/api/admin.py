"""API tokens in the admin: who holds one and until when; never a key (only its digest is stored).
They are made on the command line (`api_token`); revoking one here is audited like the command's."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.api.models import ApiToken
from portal.api.tokens import revoke_token


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "expires_at", "expired"]
    list_filter = ["expires_at"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    fields = ["user", "created_at", "expires_at"]
    readonly_fields = fields
    actions = None  # the bulk delete would skip revoke_token's audit

    @admin.display(description=_("expired"), boolean=True)
    def expired(self, obj):
        return obj.has_expired(timezone.now())

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        revoke_token(obj.user, actor=request.user)
