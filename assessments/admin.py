"""Admin for administrators: units, agencies, people; campaigns and their data read-mostly.

Campaigns are opened and states changed only through the services (which
freeze the set, create the responses and log every transition), so the admin
cannot add campaigns, edit states or touch the transition log.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    AdministrativeUnit,
    Agency,
    Assessment,
    AssessmentTransition,
    AuditEntry,
    Campaign,
    DepartmentAssignment,
    Evidence,
    Phase,
    ReminderSent,
    Response,
    User,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "level", "parent", "code", "is_active"]
    list_filter = ["level", "kind", "is_active"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "unit"]
    list_filter = ["kind"]
    search_fields = ["name", "unit__name"]
    autocomplete_fields = ["unit"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "full_name", "email", "unit", "agency", "is_active"]
    list_filter = ["groups", "is_active", "is_staff"]
    search_fields = ["username", "full_name", "email"]
    autocomplete_fields = ["unit", "agency"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (_("Unit and agency"), {"fields": ["full_name", "phone", "unit", "agency"]}),
    ]


class PhaseInline(admin.TabularInline):
    model = Phase
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(GuardedModelAdmin):
    list_display = ["name", "year", "organizing_unit", "indicator_set", "created_at"]
    list_filter = ["year"]
    search_fields = ["name", "organizing_unit__name"]
    readonly_fields = ["year", "organizing_unit", "indicator_set", "created_by", "created_at"]
    inlines = [PhaseInline]

    def has_add_permission(self, request):
        return False


class AssessmentTransitionInline(admin.TabularInline):
    model = AssessmentTransition
    extra = 0
    can_delete = False
    fields = readonly_fields = ["at", "name", "from_state", "to_state", "by", "reason"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Assessment)
class AssessmentAdmin(GuardedModelAdmin, SimpleHistoryAdmin):
    list_display = ["unit", "campaign", "state", "extended_until"]
    list_filter = ["state", "campaign"]
    search_fields = ["unit__name", "campaign__name"]
    readonly_fields = ["campaign", "unit", "state", "extended_until", "general_info", "created_at"]
    inlines = [AssessmentTransitionInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AssessmentTransition)
class AssessmentTransitionAdmin(ReadOnlyAdmin):
    list_display = ["at", "assessment", "name", "from_state", "to_state", "by"]
    list_filter = ["name", "to_state"]
    search_fields = ["assessment__unit__name", "reason"]
    date_hierarchy = "at"


@admin.register(Response)
class ResponseAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ["assessment", "indicator", "self_score", "version", "updated_by", "updated_at"]
    list_filter = ["assessment__campaign"]
    search_fields = ["assessment__unit__name", "indicator__code"]


@admin.register(Evidence)
class EvidenceAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ["response", "kind", "phase", "__str__", "size", "uploaded_by", "created_at"]
    list_filter = ["kind", "phase"]
    exclude = ["file"]  # files are served only by the permission-checked view


@admin.register(DepartmentAssignment)
class DepartmentAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "agency", "indicator"]
    list_filter = ["campaign"]


@admin.register(ReminderSent)
class ReminderSentAdmin(ReadOnlyAdmin):
    list_display = ["assessment", "kind", "sent_at", "recipients"]
    list_filter = ["kind"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The audit log, read-only: nobody adds, changes or deletes an entry, here or anywhere."""

    list_display = ["at", "campaign", "unit", "actor_name", "action", "summary"]
    list_filter = ["action", "campaign"]
    search_fields = ["summary", "actor_name", "unit__name"]
    date_hierarchy = "at"
    list_select_related = ["campaign", "unit"]
    readonly_fields = [
        "at",
        "campaign",
        "unit",
        "actor",
        "actor_name",
        "action",
        "object_type",
        "object_id",
        "summary",
        "details",
    ]

    def get_actions(self, request):
        return {}  # no "delete selected"
