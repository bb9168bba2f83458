"""Admin for administrators: councils and their work, read-only.

Members, assignments, appraisals and explanations change only through the
services (which check conflicts, rounds and windows and grant permissions),
so the admin shows them and their history but cannot change them.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Appraisal, Assignment, Council, CouncilMember, Explanation


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CouncilMemberInline(ReadOnlyMixin, admin.TabularInline):
    model = CouncilMember
    fields = ["user", "role"]
    extra = 0


@admin.register(Council)
class CouncilAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ["campaign", "decision_number", "decision_date"]
    search_fields = ["campaign__name", "decision_number"]
    inlines = [CouncilMemberInline]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ["member", "indicator"]
    list_filter = ["member__council"]
    search_fields = ["member__user__full_name", "indicator__code"]
    list_select_related = ["member__user", "indicator"]


@admin.register(Appraisal)
class AppraisalAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ["response", "round", "member", "score", "updated_at"]
    list_filter = ["round"]
    search_fields = ["response__assessment__unit__name", "response__indicator__code"]
    list_select_related = [
        "response__assessment__unit",
        "response__assessment__campaign",
        "response__indicator",
        "member__user",
    ]


@admin.register(Explanation)
class ExplanationAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ["response", "status", "submitted_at"]
    list_filter = ["status"]
    search_fields = ["response__assessment__unit__name", "response__indicator__code"]
    list_select_related = [
        "response__assessment__unit",
        "response__assessment__campaign",
        "response__indicator",
    ]
