"""The administrator's screens for indicator sets.

A frozen set is read-only here: the admin does not offer what the models
would refuse anyway. Maxima of sets and pillars are derived from the
indicators, so they are shown and never edited.
"""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, Q, Sum
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import services
from .excel import export_filename, export_indicator_set
from .models import (
    Band,
    GeneralInfoField,
    Indicator,
    IndicatorGroup,
    IndicatorSet,
    Pillar,
    SetStatus,
    SubIndex,
)
from .rule_text import rule_from_text, rule_to_text
from .scoring import ScoringError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _points(value: Decimal | None) -> str:
    # Two places always: SQLite returns sums without their scale (227.5 for 227.50).
    return "" if value is None else number_format(value, decimal_pos=2, use_l10n=True)


def _shown_set_id(request) -> str | None:
    """The id of the set whose change page is open: inlines offer only that set's parts."""
    return request.resolver_match.kwargs.get("object_id") if request.resolver_match else None


class SetPartInline(admin.TabularInline):
    extra = 0
    formfield_overrides = {models.DecimalField: {"localize": True}}

    @staticmethod
    def _editable(indicator_set) -> bool:
        # For inlines Django passes the parent set as ``obj``.
        return indicator_set is None or not indicator_set.is_frozen

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class GroupInline(SetPartInline):
    model = IndicatorGroup
    fields = ["code", "name", "order"]


class PillarInline(SetPartInline):
    model = Pillar
    fields = ["group", "code", "name", "scored", "order", "derived_max_points", "indicator_list"]
    readonly_fields = ["derived_max_points", "indicator_list"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .with_max_points()
            .annotate(indicator_count=Count("indicators"))
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "group":
            kwargs["queryset"] = IndicatorGroup.objects.filter(
                indicator_set_id=_shown_set_id(request)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=gettext_lazy("Max points (derived)"))
    def derived_max_points(self, pillar):
        return _points(getattr(pillar, "total_max", None)) or self.get_empty_value_display()

    @admin.display(description=gettext_lazy("Indicators"))
    def indicator_list(self, pillar):
        if pillar.pk is None:
            return self.get_empty_value_display()
        url = reverse("admin:indicators_indicator_changelist")
        return format_html(
            '<a href="{}?pillar={}">{}</a>', url, pillar.pk, getattr(pillar, "indicator_count", "…")
        )


class SubIndexInline(SetPartInline):
    model = SubIndex
    fields = ["code", "name", "pillars", "order"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "pillars":
            kwargs["queryset"] = Pillar.objects.filter(indicator_set_id=_shown_set_id(request))
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class GeneralInfoFieldInline(SetPartInline):
    model = GeneralInfoField
    fields = ["code", "name", "kind", "order"]


class BandInline(SetPartInline):
    model = Band
    fields = ["name", "min_percent", "is_illustrative"]


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Workbook (.xlsx)"))
    name = forms.CharField(
        label=gettext_lazy("Name of the new set"),
        required=False,
        max_length=IndicatorSet._meta.get_field("name").max_length,
        help_text=gettext_lazy("Leave empty to use the name written in the workbook."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.INDICATOR_SET_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise ValidationError(
                _("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)}
            )
        return upload


class CopyForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=IndicatorSet._meta.get_field("name").max_length,
    )


@admin.register(IndicatorSet)
class IndicatorSetAdmin(admin.ModelAdmin):
    list_display = ["name", "year", "tier", "status", "decision_number", "derived_max_points"]
    list_filter = ["status", "tier", "year"]
    search_fields = ["name", "decision_number", "issuer"]
    ordering = ["-year", "tier", "name"]
    fields = [
        "name",
        "tier",
        "year",
        "decision_number",
        "decision_date",
        "issuer",
        "source_note",
        "bonus_rule",
        "decimal_places",
        "status",
        "derived_max_points",
        "copied_from",
        "created_at",
    ]
    # The status changes only through its transitions (activate, freeze), never by typing.
    readonly_fields = ["status", "derived_max_points", "copied_from", "created_at"]
    inlines = [GroupInline, PillarInline, SubIndexInline, GeneralInfoFieldInline, BandInline]
    actions = ["copy_to_new_year", "activate", "export_to_excel"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                total_max=Sum(
                    "pillars__indicators__max_points",
                    filter=Q(pillars__indicators__is_bonus=False),
                    default=Decimal(0),
                )
            )
        )

    def has_change_permission(self, request, obj=None):
        return not (obj and obj.is_frozen) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj and obj.is_frozen) and super().has_delete_permission(request, obj)

    @admin.display(description=gettext_lazy("Max points (derived)"), ordering="total_max")
    def derived_max_points(self, indicator_set):
        return _points(getattr(indicator_set, "total_max", None)) or self.get_empty_value_display()

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="indicators_indicatorset_import",
            ),
            *super().get_urls(),
        ]

    def _context(self, request, title, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            **extra,
        }

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
        errors = []
        if form.is_valid():
            result = services.indicator_set_import_excel(
                fileobj=form.cleaned_data["file"], name=form.cleaned_data["name"] or None
            )
            if result.indicator_set is not None:
                self.log_addition(request, result.indicator_set, [{"added": {}}])
                self.message_user(
                    request,
                    _("The set “%(set)s” was imported as a draft.") % {"set": result.indicator_set},
                    messages.SUCCESS,
                )
                return redirect("admin:indicators_indicatorset_change", result.indicator_set.pk)
            errors = result.errors
        context = self._context(
            request,
            _("Import indicator set from Excel"),
            form=form,
            errors=errors,
            max_bytes=settings.INDICATOR_SET_IMPORT_MAX_BYTES,
        )
        return TemplateResponse(request, "admin/indicators/indicatorset/import.html", context)

    @admin.action(description=gettext_lazy("Copy to a new year"), permissions=["add"])
    def copy_to_new_year(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose exactly one set to copy."), messages.WARNING)
            return None
        source = queryset.get()
        form = CopyForm(
            request.POST if "apply" in request.POST else None,
            initial={"year": source.year + 1, "name": source.name},
        )
        if form.is_valid():
            try:
                copy = services.indicator_set_copy(
                    indicator_set=source,
                    year=form.cleaned_data["year"],
                    name=form.cleaned_data["name"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                self.log_addition(request, copy, [{"added": {}}])
                self.message_user(
                    request,
                    _("“%(source)s” was copied to %(year)s as a draft.")
                    % {"source": source, "year": copy.year},
                    messages.SUCCESS,
                )
                return redirect("admin:indicators_indicatorset_change", copy.pk)
        context = self._context(
            request,
            _("Copy to a new year"),
            form=form,
            source=source,
            action_checkbox_name=ACTION_CHECKBOX_NAME,
        )
        return TemplateResponse(request, "admin/indicators/indicatorset/copy.html", context)

    @admin.action(description=gettext_lazy("Activate"), permissions=["change"])
    def activate(self, request, queryset):
        for indicator_set in queryset:
            try:
                services.indicator_set_activate(indicator_set=indicator_set)
            except ValidationError as exc:
                self.message_user(
                    request, f"{indicator_set}: {' '.join(exc.messages)}", messages.ERROR
                )
            else:
                self.message_user(
                    request, _("“%(set)s” is active.") % {"set": indicator_set}, messages.SUCCESS
                )

    @admin.action(description=gettext_lazy("Export to Excel"), permissions=["view"])
    def export_to_excel(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose exactly one set to export."), messages.WARNING)
            return None
        indicator_set = queryset.get()
        return HttpResponse(
            export_indicator_set(indicator_set),
            content_type=XLSX,
            headers={
                "Content-Disposition": content_disposition_header(
                    True, export_filename(indicator_set)
                )
            },
        )


class PillarFilter(admin.SimpleListFilter):
    """Pillars named with their set, since every set has its own "1. Nhận thức số"."""

    title = gettext_lazy("pillar")
    parameter_name = "pillar"

    def lookups(self, request, model_admin):
        pillars = Pillar.objects.select_related("indicator_set").order_by(
            "-indicator_set__year", "indicator_set__name", "order", "code"
        )
        set_id = request.GET.get("pillar__indicator_set__id__exact", "")
        if set_id.isdigit():
            return [(p.pk, str(p)) for p in pillars.filter(indicator_set_id=set_id)]
        return [(p.pk, f"{p.indicator_set} — {p}") for p in pillars]

    def queryset(self, request, queryset):
        return queryset.filter(pillar_id=self.value()) if self.value() else queryset


class IndicatorForm(forms.ModelForm):
    """Edits the rule as one line of text, as in the Excel template, instead of raw JSON."""

    rule_text = forms.CharField(
        label=gettext_lazy("Scoring rule"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 90}),
        help_text=gettext_lazy(
            "As in the Excel template: “4 → 20; 3 → 15” for tiers; “a: … = 20 | b: … = 10” "
            "for levels and checklists; “5 điểm/mục” for counts; “a: … | b: @tong_so_nguoi_dan … | "
            "b=0: 0” (or “b=0: tối đa”) for ratios; empty for a manual score and yes/no."
        ),
    )

    class Meta:
        model = Indicator
        localized_fields = ["max_points"]  # 7,5 as officials write it
        fields = [
            "pillar",
            "code",
            "name",
            "order",
            "max_points",
            "method",
            "guidance",
            "evidence_required",
            "evidence_mandatory",
            "data_source",
            "verifier",
            "is_bonus",
            "is_illustrative",
            "source_note",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault(
                "rule_text", rule_to_text(self.instance.method, self.instance.rule)
            )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("method"):
            try:
                self.instance.rule = rule_from_text(cleaned["method"], cleaned.get("rule_text", ""))
            except ScoringError as exc:
                self.add_error("rule_text", exc.messages)
        return cleaned

    def add_error(self, field, error):
        # The model reports an unsound rule under "rule", which this form edits as rule_text;
        # after a syntax error there, the model's view of the old rule would only confuse.
        errors = getattr(error, "error_dict", None)
        if field is None and errors and "rule" in errors:
            rule_errors = errors.pop("rule")
            if "rule_text" not in self._errors:
                super().add_error("rule_text", rule_errors)
            if not errors:
                return
        super().add_error(field, error)


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    form = IndicatorForm
    list_display = [
        "code",
        "short_name",
        "pillar",
        "indicator_set",
        "max_points",
        "method",
        "is_bonus",
    ]
    list_filter = ["pillar__indicator_set", PillarFilter, "method", "is_bonus", "is_illustrative"]
    list_select_related = ["pillar__indicator_set"]
    search_fields = ["code", "name", "guidance"]
    ordering = [
        "-pillar__indicator_set__year",
        "pillar__indicator_set__name",
        "pillar__order",
        "order",
        "code",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "pillar",
                    ("code", "order"),
                    "name",
                    ("max_points", "method"),
                    "rule_text",
                ]
            },
        ),
        (
            gettext_lazy("Guidance and evidence"),
            {
                "fields": [
                    "guidance",
                    "evidence_required",
                    "evidence_mandatory",
                    "data_source",
                    "verifier",
                ]
            },
        ),
        (
            gettext_lazy("Marks and source"),
            {"fields": ["is_bonus", "is_illustrative", "source_note"]},
        ),
    ]

    @admin.display(description=gettext_lazy("Name"))
    def short_name(self, indicator):
        return indicator.name if len(indicator.name) <= 80 else indicator.name[:79] + "…"

    @admin.display(
        description=gettext_lazy("Indicator set"), ordering="pillar__indicator_set__name"
    )
    def indicator_set(self, indicator):
        return indicator.pillar.indicator_set

    @admin.display(description=gettext_lazy("Scoring rule"))
    def rule_text(self, indicator):
        # Shown when the indicator is read-only (its set is frozen).
        return rule_to_text(indicator.method, indicator.rule)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "pillar":
            # A frozen set takes no new indicators; label pillars with their set.
            kwargs["queryset"] = Pillar.objects.exclude(
                indicator_set__status=SetStatus.FROZEN
            ).select_related("indicator_set")
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = lambda pillar: f"{pillar.indicator_set} — {pillar}"
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _frozen(self, indicator) -> bool:
        return indicator is not None and indicator.pillar.indicator_set.is_frozen

    def has_change_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_delete_permission(request, obj)
