from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from accounts.admin_policy import FileImportExportMixin, ReadOnlyHistoryAdmin
from agencies.models import Agency
from tasklist.models import Assignment, AssignmentRole, Part, Plan, Section, Task
from tasklist.resources import TaskResource


class PartInline(admin.TabularInline):
    model = Part
    extra = 0
    fields = ["number", "title"]
    show_change_link = True


@admin.register(Plan)
class PlanAdmin(ReadOnlyHistoryAdmin):
    list_display = ["doc_number", "title", "issuer", "issued_on", "jurisdiction", "head_approval_required"]
    list_filter = ["jurisdiction", "issuer", "head_approval_required"]
    search_fields = ["doc_number", "title", "issuer"]
    date_hierarchy = "issued_on"
    inlines = [PartInline]


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0
    fields = ["number", "title"]
    show_change_link = True


@admin.register(Part)
class PartAdmin(ReadOnlyHistoryAdmin):
    list_display = ["__str__", "plan"]
    list_filter = ["plan"]
    search_fields = ["title", "plan__doc_number"]
    list_select_related = ["plan"]
    inlines = [SectionInline]


@admin.register(Section)
class SectionAdmin(ReadOnlyHistoryAdmin):
    list_display = ["__str__", "part"]
    list_filter = ["part__plan"]
    search_fields = ["title"]
    list_select_related = ["part__plan"]


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    fields = ["agency", "role", "order", "printed_name"]
    autocomplete_fields = ["agency"]


class _AgencyInRoleFilter(admin.SimpleListFilter):
    """Tasks by the agency that holds them in one role: two clicks from the admin index."""

    role: str

    def lookups(self, request, model_admin):
        holders = Assignment.objects.filter(agency=OuterRef("pk"), role=self.role)
        return [(a.pk, f"{a.name}（{a.jurisdiction}）") for a in Agency.objects.filter(Exists(holders))]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(assignments__agency_id=self.value(), assignments__role=self.role)
        return queryset


class LeadAgencyFilter(_AgencyInRoleFilter):
    title = _("lead unit")
    parameter_name = "lead"
    role = AssignmentRole.LEAD


class CooperatingAgencyFilter(_AgencyInRoleFilter):
    title = _("cooperating unit")
    parameter_name = "cooperating"
    role = AssignmentRole.COOPERATING


class ResponsibleAgencyFilter(_AgencyInRoleFilter):
    title = _("responsible unit")
    parameter_name = "responsible"
    role = AssignmentRole.RESPONSIBLE


@admin.register(Task)
class TaskAdmin(FileImportExportMixin, ReadOnlyHistoryAdmin):
    resource_classes = [TaskResource]
    list_display = ["plan", "number", "short_content", "section", "status"]
    list_display_links = ["short_content"]
    list_filter = [
        "section__part__plan",
        LeadAgencyFilter,
        ResponsibleAgencyFilter,
        CooperatingAgencyFilter,
        "status",
    ]
    search_fields = ["content", "assignments__agency__name", "assignments__printed_name"]
    list_select_related = ["section__part__plan"]
    # supervision/admin.py adds the quantitative targets' inline: tasklist does not import supervision.
    inlines = [AssignmentInline]
    # A task is closed, suspended and reopened by the portal's actions, which audit and notify.
    readonly_fields = ["status"]

    @admin.display(description=_("content"))
    def short_content(self, obj):
        return obj.content[:60]

    @admin.display(description=_("plan"), ordering="section__part__plan__doc_number")
    def plan(self, obj):
        return obj.section.part.plan.doc_number


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyHistoryAdmin):
    list_display = ["task", "agency", "role", "order"]
    list_filter = ["role", "agency__jurisdiction", "task__section__part__plan"]
    search_fields = ["agency__name", "printed_name", "task__content"]
    autocomplete_fields = ["agency"]
    raw_id_fields = ["task"]
    list_select_related = ["agency", "task"]
