from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin_policy import FileImportExportMixin, ReadOnlyHistoryAdmin
from agencies.models import Agency, AgencyAlias, Membership
from agencies.resources import AgencyResource


class AgencyAliasInline(admin.TabularInline):
    model = AgencyAlias
    extra = 1
    fields = ["name"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Agency)
class AgencyAdmin(FileImportExportMixin, ReadOnlyHistoryAdmin):
    resource_classes = [AgencyResource]
    list_display = ["name", "full_name", "jurisdiction", "kind"]
    list_filter = ["jurisdiction", "kind"]
    search_fields = ["name", "full_name", "aliases__name"]
    filter_horizontal = ["members"]
    inlines = [AgencyAliasInline, MembershipInline]


@admin.register(AgencyAlias)
class AgencyAliasAdmin(ReadOnlyHistoryAdmin):
    list_display = ["name", "agency", "jurisdiction"]
    list_filter = ["jurisdiction"]
    search_fields = ["name", "agency__name", "agency__full_name"]
    autocomplete_fields = ["agency"]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyHistoryAdmin):
    list_display = ["user", "agency", "role"]
    list_filter = ["role", "agency__jurisdiction"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "agency__name"]
    autocomplete_fields = ["user", "agency"]
    list_select_related = ["user", "agency"]

    @admin.display(description=_("jurisdiction"))
    def jurisdiction(self, obj):
        return obj.agency.jurisdiction
